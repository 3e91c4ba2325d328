"""A virtual MicroPython board that the real ``mpremote`` talks to over TCP.

``VirtualBoard`` runs ``tools/mpvm/vboard.mjs`` under Node.js: MicroPython's
own WebAssembly port (1.27.0) behind ``socket://127.0.0.1:PORT``, driven byte
by byte through MicroPython's event-driven REPL (friendly and raw modes;
raw-paste is spoken by the board process, since the port cannot read input
inside a call), so ``mpremote connect <url> exec|run|cp|ls|...`` works unmodified.
Interpreter state lives until a soft reset (``mpremote resume`` keeps it), a
soft reset gives a fresh interpreter that runs ``boot.py``, and the folder
``flash`` is the board's filesystem: loaded at every boot, every change the
board makes is written through at once (a dropped link mid-copy leaves the
partial file), and files the host puts there meanwhile appear at the next
boot. Limits of the port: ``mpremote ls`` shows sizes as 0 (its ``ilistdir``
gives no size); Ctrl-C only interrupts code that prints; ``input()`` never
returns (the port's ``mp_hal_stdin_rx_chr`` is a stub returning 0), only
:meth:`VirtualBoard.reset` recovers from it. ``mpremote repl`` needs a real
serial port; ``python -m serial.tools.miniterm --raw --eol CR <url>`` works.
"""

import json
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from ..mpvm import _HINT, MicroPythonUnavailable, NodeProcess

__all__ = ["VirtualBoard", "MicroPythonUnavailable"]

SCRIPT = Path(__file__).resolve().parent.parent / "mpvm" / "vboard.mjs"


class VirtualBoard(NodeProcess):
    """A virtual board in a Node.js subprocess; use as a context manager
    (``close()`` stops the board; its flash folder stays).

    Parameters
    ----------
    flash_dir : str or Path
        Host folder holding the board's flash (created if missing).
    flash_bytes : int or None
        Flash capacity; writes beyond it fail on the board with ENOSPC.
    heapsize : int or None
        Initial MicroPython heap in bytes (it grows on demand).
    port : int
        TCP port on 127.0.0.1; 0 picks a free one.
    node : str
        Name or path of the Node.js executable.
    timeout : float
        Seconds to wait for start-up or for any control request.
    """

    def __init__(self, flash_dir, flash_bytes=None, heapsize=None, *, port=0, node="node", timeout=30.0):
        node_path = shutil.which(node)
        if node_path is None:
            raise MicroPythonUnavailable(f"Node.js ({node!r}) is not on PATH; install Node.js >= 18. Then: {_HINT}")
        self.flash = Path(flash_dir).resolve()
        self.timeout = timeout
        cmd = [node_path, str(SCRIPT), "--flash", str(self.flash), "--port", str(int(port))]
        if flash_bytes is not None:
            cmd += ["--flash-bytes", str(int(flash_bytes))]
        if heapsize is not None:
            cmd += ["--heapsize", str(int(heapsize))]
        self._lock = threading.Lock()
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                      text=True, encoding="utf-8")
        try:
            ready = self._read()
        except RuntimeError as e:
            raise MicroPythonUnavailable(str(e)) from None
        if not ready.get("ready"):
            self.close()
            msg = ready.get("error", "the virtual board failed to start")
            raise MicroPythonUnavailable(f"{msg}\n{_HINT}" if ready.get("missing_package") else msg)
        self.port = ready["port"]  #: TCP port the board listens on
        self.url = f"socket://127.0.0.1:{self.port}"  #: device for ``mpremote connect``

    def _read(self):
        """Read one JSON line from the board process (kill it after ``timeout``)."""
        proc = self._proc
        if proc is None:
            raise RuntimeError("the virtual board is closed")
        timer = threading.Timer(self.timeout, proc.kill)
        timer.start()
        try:
            line = proc.stdout.readline()
        finally:
            timer.cancel()
        if line:
            return json.loads(line)
        raise RuntimeError(f"the virtual board exited unexpectedly:\n{self._died()}")

    def _request(self, op, **args):
        with self._lock:
            if self._proc is None:
                raise RuntimeError("the virtual board is closed")
            self._proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
            self._proc.stdin.flush()
            resp = self._read()
        if not resp.pop("ok"):
            raise RuntimeError(resp.get("error"))
        return resp

    def drop_after(self, n):
        """Close the link abruptly once ``n`` more bytes arrived from the client (one shot)."""
        self._request("drop_after", bytes=int(n))

    def flash_full(self, on=True):
        """While on, board writes that would grow the flash fail with OSError ENOSPC (28)."""
        self._request("flash_full", on=bool(on))

    def reset(self):
        """Hard reset (power cycle); returns once the board has booted (``boot.py``, ``main.py`` ran)."""
        self._request("reset")

    def stats(self):
        """Return a dict: bytes_in, bytes_out, connections, refused, soft_resets, hard_resets."""
        return self._request("stats")

