"""Run code inside a real MicroPython interpreter from host Python.

The interpreter is MicroPython's own WebAssembly port (npm package
``@micropython/micropython-webassembly-pyscript``, pinned in
``tools/mpvm/package.json``), driven by ``tools/mpvm/runner.mjs`` under
Node.js through a JSON-lines protocol over stdin/stdout.

Things to know about this port (MicroPython 1.27.0, ``_mpy=774``):

* ``heapsize`` is only the *initial* GC heap; the heap grows on demand, so it
  does not cap memory. Memory budgets must be checked with ``gc.mem_alloc()``.
* ``gc.collect()`` only *schedules* a collection, which runs when the
  top-level ``exec`` call returns. Nothing is freed inside one call, so run
  long loops in chunks and measure between calls (see :meth:`MicroPythonVM.mem_alloc`).
* ``time.ticks_us`` has millisecond resolution; ``time.ticks_cpu`` returns 0.
"""

import base64
import errno
import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from ..mpreal import MicroPythonError, MicroPythonTimeout  # one definition for both runners

__all__ = ["MicroPythonVM", "MicroPythonError", "MicroPythonTimeout", "MicroPythonUnavailable", "NodeProcess"]

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "runner.mjs"
INSTALL_COMMAND = "npm ci --prefix tools/mpvm"
_HINT = f"Install it with `{INSTALL_COMMAND}` run in the repository root ({HERE.parent.parent})."


class MicroPythonUnavailable(RuntimeError):
    """Node.js or the MicroPython npm package is missing."""


class NodeProcess:
    """A Node.js helper in ``self._proc`` (stderr to ``self._stderr``): closing
    its stdin is its cue to exit; a context manager that stops it."""

    def close(self):
        """Stop the Node.js process (idempotent)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        proc.stdout.close()
        self._stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _died(self):
        """Close after the process ended unexpectedly; return its last stderr."""
        self._stderr.seek(0)
        log = self._stderr.read().decode("utf-8", "replace")[-4000:]
        self.close()
        return log


class MicroPythonVM(NodeProcess):
    """A MicroPython interpreter in a Node.js subprocess; use as a context manager.

    Parameters
    ----------
    heapsize : int
        Initial GC heap in bytes (the heap grows beyond it on demand).
    timeout : float or None
        Seconds to wait for any one request before killing the VM.
    node : str
        Name or path of the Node.js executable.
    """

    def __init__(self, heapsize=2 * 1024 * 1024, timeout=120.0, node="node"):
        node_path = shutil.which(node)
        if node_path is None:
            raise MicroPythonUnavailable(f"Node.js ({node!r}) is not on PATH; install Node.js >= 18. Then: {_HINT}")
        self.timeout, self.last_stderr, self._timed_out = timeout, "", False
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [node_path, str(RUNNER), f"--heapsize={int(heapsize)}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            text=True, encoding="utf-8",
        )
        try:
            ready = self._request(None)
        except MicroPythonError as e:
            raise MicroPythonUnavailable(f"MicroPython runner failed to start: {e}") from None
        if not ready.get("ready"):
            self.close()
            msg = ready.get("error", "MicroPython runner failed to start")
            raise MicroPythonUnavailable(f"{msg}\n{_HINT}" if ready.get("missing_package") else msg)
        self.load_ms = ready["load_ms"]  #: milliseconds ``loadMicroPython`` took

    def _request(self, req):
        """Send one request (``None``: just read the ready line) and return the response dict."""
        if self._proc is None:
            raise MicroPythonError("the MicroPython VM is closed")
        proc = self._proc
        timer = threading.Timer(self.timeout, self._kill, (proc,)) if self.timeout else None
        if timer:
            timer.start()
        try:
            if req is not None:
                proc.stdin.write(json.dumps(req) + "\n")
                proc.stdin.flush()
            line = proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        finally:
            if timer:
                timer.cancel()
        if line:
            return json.loads(line)
        log = self._died()
        if self._timed_out:
            raise MicroPythonTimeout(f"MicroPython request timed out after {self.timeout} s; VM killed")
        raise MicroPythonError(f"MicroPython runner exited unexpectedly:\n{log}")

    def _kill(self, proc):
        self._timed_out = True
        proc.kill()

    def _fs(self, op, path, **kw):
        resp = self._request({"op": op, "path": str(path), **kw})
        if not resp["ok"]:
            code = getattr(errno, resp.get("code") or "", None)
            if code is not None:
                raise OSError(code, os.strerror(code), str(path))
            raise MicroPythonError(resp["error"])
        return resp

    def exec(self, code):
        """Run ``code`` in the interpreter's ``__main__`` and return its stdout.

        Raises
        ------
        MicroPythonError
            If the code raised; message is the traceback, ``.output`` the partial stdout.
        """
        resp = self._request({"op": "exec", "code": code})
        self.last_stderr = resp.get("err", "")
        if not resp["ok"]:
            raise MicroPythonError(resp["error"], resp.get("out", ""), resp.get("type"), self.last_stderr)
        return resp["out"]

    def eval_json(self, expr):
        """Evaluate ``expr`` in MicroPython and return it decoded via JSON."""
        out = self.exec(f"print(__import__('json').dumps(({expr})))")
        return json.loads(out.splitlines()[-1])

    def mem_alloc(self):
        """Live heap bytes after a full collection (collects in one call, reads in the next)."""
        self.exec("__import__('gc').collect()")
        return int(self.exec("print(__import__('gc').mem_alloc())"))

    def write_file(self, path, data):
        """Write ``data`` (bytes, or str encoded as UTF-8) to ``path`` in the VM."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._fs("write_file", path, data=base64.b64encode(bytes(data)).decode("ascii"))

    def read_file(self, path):
        """Return the contents of ``path`` in the VM as bytes."""
        return base64.b64decode(self._fs("read_file", path)["data"])

    def makedirs(self, path):
        """Create directory ``path`` and its parents in the VM (like ``mkdir -p``)."""
        self._fs("mkdir", path)

    def listdir(self, path):
        """Return the entry names of directory ``path`` in the VM."""
        return self._fs("listdir", path)["entries"]

    def remove(self, path):
        """Remove a file or an empty directory in the VM."""
        self._fs("remove", path)

    def exists(self, path):
        """Return whether ``path`` exists in the VM."""
        return self._fs("exists", path)["exists"]

    def put_tree(self, host_dir, vm_dir, suffixes=(".py",)):
        """Copy ``host_dir`` recursively to ``vm_dir``; only files ending in ``suffixes`` (None: all).

        Returns
        -------
        list of str
            The VM paths written.
        """
        host_dir, vm_dir, written = Path(host_dir), str(vm_dir), []
        for root, dirs, files in os.walk(host_dir):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            rel = Path(root).relative_to(host_dir).as_posix()
            target = vm_dir.rstrip("/") + ("" if rel == "." else "/" + rel)
            self.makedirs(target)
            for name in sorted(files):
                if suffixes is None or name.endswith(tuple(suffixes)):
                    self.write_file(f"{target}/{name}", (Path(root) / name).read_bytes())
                    written.append(f"{target}/{name}")
        return written

