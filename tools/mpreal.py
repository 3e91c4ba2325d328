"""Run code in a real MicroPython or CircuitPython interpreter (test tier 3).

An :class:`Interpreter` is one process of a unix-port build that
``ulearn firmware build`` made (``unix32-ulab``, ``unix32``, ``cp-unix``): a
32-bit float32 interpreter with a fixed heap (``-X heapsize=``), so a
MemoryError is real and ``gc.mem_alloc()`` is what a board would report. Its
filesystem root ``/`` is a private temporary folder, so ``/lib/ulearn`` and
``/stream.json`` mean what they mean on a board; the file methods act on that
folder from the host.

Inside, a small server (it lives in the heap being measured) reads requests
from stdin, each a header line ``<nonce> <length>`` and that many bytes of
code, runs the code with ``exec`` in one persistent globals dict, and ends
its output with ``\\0<nonce> ok`` or ``\\0<nonce> err <type>``, the
traceback, ``\\0<nonce> end``. The nonce is fresh per request and is never in
the code's reach, so printed output cannot end a request early.
"""
import functools
import json
import os
import secrets
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ulearn.contract import LIB
from ulearn_host import firmware, mpy

__all__ = ["Interpreter", "MicroPythonError", "MicroPythonTimeout", "PACKAGE"]

PACKAGE = Path(__file__).resolve().parents[1] / "device" / "ulearn"
IMPLS = {"unix32-ulab": "micropython", "unix32": "micropython", "cp-unix": "circuitpython"}

# Mounts the private folder as /, then serves requests; `%r` is that folder.
_SERVER = """\
import os, sys
os.umount('/')
os.mount(os.VfsPosix(%r), '/')
os.chdir('/')
sys.path[:] = ['', '/lib']
try:
    from sys import print_exception as pe
except ImportError:  # CircuitPython
    from traceback import print_exception
    pe = lambda e, f: print_exception(e, file=f)
def serve(r, w):
    # the replies are written in pieces, so that reporting allocates nothing
    g = {'__name__': '__main__'}
    while True:
        h = r.readline().split()
        if not h:
            return
        n = h[0].decode()
        c = r.read(int(h[1]))
        h = None
        try:
            exec(c, g)
            c = None
            w('\\0'); w(n); w(' ok\\n')
        except BaseException as e:
            c = None
            w('\\0'); w(n); w(' err '); w(type(e).__name__); w('\\n')
            pe(e, sys.stdout)
            w('\\0'); w(n); w(' end\\n')
            e = None
serve(sys.stdin.buffer, sys.stdout.write)
"""


# CircuitPython's VfsPosix.rename builds both paths in one buffer, so an
# absolute first path is lost (MicroPython copies it): `os` becomes a wrapper
# passing that one relative to the cwd. Sent as a request, so MicroPython's heap
# does not hold it.
_CP_RENAME = """\
def _fix():
    import os, sys
    class Os:
        def __getattr__(self, name):
            return getattr(os, name)
        def rename(self, a, b):
            if a[:1] == '/':
                a = '../' * (len(os.getcwd().rstrip('/').split('/')) - 1) + a[1:]
            os.rename(a, b)
    sys.modules['os'] = Os()
_fix()
del _fix
"""
_HAS_ULAB = "try:\n import ulab\n del ulab\n print(1)\nexcept ImportError:\n print(0)\n"


class MicroPythonError(Exception):
    """An exception raised by code running in the interpreter, or the interpreter failing.

    Attributes
    ----------
    traceback : str
        The interpreter's traceback text (also the message).
    output : str
        Standard output produced before the exception.
    type : str or None
        Name of the exception class, e.g. ``"MemoryError"``; None when the
        interpreter itself failed.
    stderr : str
        Standard error produced by the request.
    """

    def __init__(self, traceback, output="", type=None, stderr=""):
        super().__init__(traceback)
        self.traceback, self.output, self.type, self.stderr = traceback, output, type, stderr


class MicroPythonTimeout(MicroPythonError):
    """A request ran past the timeout; the interpreter was killed and is closed."""


# the mpy-cross making each implementation's own .mpy flavour (both v6.3)
COMPILERS = {"micropython": "mpy-cross", "circuitpython": "cp-mpy-cross"}


@functools.lru_cache(maxsize=None)
def _compiled(compiler):
    # {name.mpy: bytes} of the device package by a built mpy-cross, once a session
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for src in sorted(PACKAGE.glob("*.py")):
            dest = Path(tmp) / (src.stem + ".mpy")
            subprocess.run([str(firmware.require(compiler)), "-s", "ulearn/" + src.name,
                            "-o", str(dest), str(src)], check=True, capture_output=True)
            out[dest.name] = dest.read_bytes()
    return out


class Interpreter:
    """A persistent interpreter process of a built target; a context manager.

    Parameters
    ----------
    target : str
        ``"unix32-ulab"``, ``"unix32"`` or ``"cp-unix"``.
    heap : str or int
        The fixed GC heap, as ``-X heapsize=`` takes it (``"192K"``) or bytes.
    form : {"py", "mpy", None}
        The device package put at ``/lib/ulearn`` at start (None: none).
    timeout : float or None
        Seconds any one request may take before the process is killed.

    Raises
    ------
    ulearn_host.firmware.FirmwareError
        The target (or, for ``form="mpy"``, mpy-cross) is not built; the
        message names the ``ulearn firmware build`` command.
    """

    def __init__(self, target, heap="192K", form="py", timeout=120.0):
        if target not in IMPLS:
            raise ValueError("target must be one of %s, not %r" % (", ".join(IMPLS), target))
        binary = firmware.require(target)
        self.target, self.impl, self.timeout, self.form = target, IMPLS[target], timeout, None
        self.last_stderr = ""  # of the last request
        self._tmp = os.path.realpath(tempfile.mkdtemp(prefix="ulearn-%s-" % target))
        self.root = Path(self._tmp) / "root"
        self.root.mkdir()
        self._stderr = open(Path(self._tmp) / "stderr", "w+b")
        # the coverage build writes .gcda files into its build folder unless redirected
        env = dict(os.environ, GCOV_PREFIX=str(Path(self._tmp) / "gcov"))
        env.pop("MICROPYPATH", None)
        self._proc = subprocess.Popen(
            [str(binary), "-X", "heapsize=%s" % heap, "-c", _SERVER % str(self.root)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=env)
        self._buf = bytearray()  # stdout read but not yet returned
        try:
            self.has_ulab = self.exec(_HAS_ULAB) == "1\n"
            if self.impl == "circuitpython":
                self.exec(_CP_RENAME)
            if form:
                self.put_package(form)
        except BaseException:
            self.close()
            raise

    # -- requests

    def exec(self, code):
        """Run ``code`` in the interpreter's persistent globals; return its stdout.

        Raises
        ------
        MicroPythonError
            The code raised (``.type``, ``.traceback``, ``.output``), or the process died.
        MicroPythonTimeout
            The request took longer than ``timeout``; the interpreter is closed.
        """
        if self._proc is None:
            raise MicroPythonError("the interpreter is closed")
        data = code.encode("utf-8") if isinstance(code, str) else bytes(code)
        nonce = secrets.token_hex(8).encode()
        err_at = self._stderr.seek(0, os.SEEK_END)
        try:
            self._proc.stdin.write(b"%s %d\n" % (nonce, len(data)) + data)
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the read below reports the dead process
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        out, status = self._read_until(b"\0" + nonce + b" ", deadline)
        self._stderr.seek(err_at)
        self.last_stderr = self._stderr.read().decode("utf-8", "replace")
        if status == b"ok":
            return out
        kind = status.split()[1].decode()
        tb, _ = self._read_until(b"\0" + nonce + b" end\n", deadline, line=False)
        raise MicroPythonError(tb, out, kind, self.last_stderr)

    def _read_until(self, marker, deadline, line=True):
        # (text before marker, rest of the marker's line) from stdout
        fd = self._proc.stdout.fileno()
        start = 0
        while True:
            i = self._buf.find(marker, start)
            j = -1 if i < 0 else self._buf.find(b"\n", i) if line else i + len(marker) - 1
            if j >= 0:
                text = self._buf[:i].decode("utf-8", "replace")
                status = bytes(self._buf[i + len(marker):j])
                del self._buf[:j + 1]
                return text, status
            # the marker may be arriving; or it came and its line has not ended
            start = i if i >= 0 else max(0, len(self._buf) - len(marker) + 1)
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and (wait <= 0 or not select.select([fd], [], [], wait)[0]):
                self._kill()
                raise MicroPythonTimeout("request timed out after %s s; interpreter killed"
                                         % self.timeout)
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                self._proc.wait()
                self._stderr.seek(0)
                log = self._stderr.read().decode("utf-8", "replace")[-4000:]
                code = self._proc.returncode
                self.close()
                raise MicroPythonError("%s exited (status %s):\n%s" % (self.target, code, log),
                                       self._buf.decode("utf-8", "replace"))
            self._buf += chunk

    def eval_json(self, expr):
        """The value of ``expr`` in the interpreter, passed through JSON."""
        out = self.exec("print(__import__('json').dumps((%s)))" % expr)
        return json.loads(out.splitlines()[-1])

    def mem_alloc(self):
        """Live heap bytes after a full collection."""
        return int(self.exec("__import__('gc').collect()\nprint(__import__('gc').mem_alloc())"))

    def mem_free(self):
        """Free heap bytes after a full collection."""
        return int(self.exec("__import__('gc').collect()\nprint(__import__('gc').mem_free())"))

    # -- files, acting on the host folder that is the interpreter's /

    def host_path(self, path):
        """The host path of interpreter path ``path`` (absolute, inside the root)."""
        p = (self.root / str(path).lstrip("/")).resolve()
        if not str(path).startswith("/") or (p != self.root and self.root not in p.parents):
            raise ValueError("%r is not an absolute path inside the interpreter's root" % path)
        return p

    def write_file(self, path, data):
        """Write ``data`` (bytes, or str as UTF-8) to ``path``."""
        self.host_path(path).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    def read_file(self, path):
        """The bytes of ``path``."""
        return self.host_path(path).read_bytes()

    def makedirs(self, path):
        """Create directory ``path`` and its parents (like ``mkdir -p``)."""
        self.host_path(path).mkdir(parents=True, exist_ok=True)

    def listdir(self, path):
        """The entry names of directory ``path``."""
        return sorted(os.listdir(self.host_path(path)))

    def remove(self, path):
        """Remove a file or an empty directory."""
        p = self.host_path(path)
        p.rmdir() if p.is_dir() else p.unlink()

    def exists(self, path):
        """Whether ``path`` exists."""
        return self.host_path(path).exists()

    def put_tree(self, host_dir, path, suffixes=(".py",)):
        """Copy ``host_dir`` recursively to ``path``, files ending in ``suffixes`` (None: all).

        Returns the interpreter paths written, sorted.
        """
        host_dir, written = Path(host_dir), []
        for src in sorted(host_dir.rglob("*")):
            rel = src.relative_to(host_dir)
            if (src.is_file() and "__pycache__" not in rel.parts
                    and (suffixes is None or src.name.endswith(tuple(suffixes)))):
                dest = "%s/%s" % (path.rstrip("/"), rel.as_posix())
                self.makedirs(dest.rsplit("/", 1)[0] or "/")
                self.write_file(dest, src.read_bytes())
                written.append(dest)
        return written

    def put_package(self, form="py"):
        """Install device/ulearn at /lib/ulearn as ``.py`` sources (docstrings blanked, as
        ``ulearn deploy`` copies them) or ``.mpy`` bytecode.

        The ``.mpy`` files come from the implementation's built mpy-cross, compiled with
        ``-s ulearn/<name>.py`` so that tracebacks name the file.
        """
        if form not in ("py", "mpy"):
            raise ValueError("form must be 'py' or 'mpy', not %r" % (form,))
        dest = self.host_path(LIB)
        shutil.rmtree(dest, ignore_errors=True)
        self.makedirs(LIB)
        files = mpy.sources() if form == "py" else _compiled(COMPILERS[self.impl])
        for name, data in files.items():  # .py as `ulearn deploy` copies it
            self.write_file(LIB + "/" + name, data)
        self.form = form

    # -- life cycle

    def _kill(self):
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
        self.close()

    def close(self):
        """Stop the process and delete its folder (idempotent)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                proc.stdin.close()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if not self._stderr.closed:
            self._stderr.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "Interpreter(%r, form=%r)" % (self.target, self.form)
