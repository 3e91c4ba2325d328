"""A board over mpremote: one connection, files moved in chunks and checked by hash.

Boards are named as mpremote names them: ``auto``, ``a0``/``u0``/``c0``
(``/dev/ttyACM0``, ``/dev/ttyUSB0``, ``COM0``), ``id:SERIAL``, ``port:PATH``,
a device path, or a URL such as ``socket://127.0.0.1:PORT``. Everything goes
through mpremote's own transport (``SerialTransport``), its raw-paste REPL
protocol and its file helpers; a board's traceback or a lost connection
becomes a :class:`BoardError` that says what was being done.
"""
import ast
import binascii
import errno
import hashlib
import os
import stat
from argparse import Namespace
from contextlib import contextmanager

_CHUNK = 512  # bytes per write on the board (its REPL buffers the repr of one chunk)
_INFO = """import sys, gc, os
try:
    import ulab
    u = True
except ImportError:
    u = False
s = os.statvfs('/')
gc.collect()
print(repr({'impl': sys.implementation.name, 'platform': sys.platform,
 'version': '.'.join(str(v) for v in sys.implementation.version[:3]),
 'mpy': getattr(sys.implementation, '_mpy', None), 'ulab': u,
 'heap_free': gc.mem_free(), 'fs_free': s[0] * s[3]}))
"""


ANSWER = 10  # seconds a board has to answer on connecting (mpremote's own limit)
_POLL = 0.2  # seconds of a serial read while waiting for that answer


class BoardError(Exception):
    """The board refused, raised, or the connection failed; the message says which."""


class BoardFull(BoardError):
    """The board's filesystem has no room for what was being written."""


def _unreachable(name, device, e):
    # why mpremote could not connect to `device` (`name` as given), in a line
    port = device[5:] if device.startswith("port:") else device
    if device != "auto" and not device.startswith("id:") and "://" not in port:
        if not os.path.exists(port):  # a0 and the like too
            return ("no such port %s (is the board plugged in? `mpremote connect list` shows "
                    "the ports there are)" % port)
        if not stat.S_ISCHR(os.stat(port).st_mode):
            return ("%s is not a serial port (a board is a device such as /dev/ttyACM0, or "
                    "socket://HOST:PORT)" % port)
        return "cannot connect to %s: %s" % (name, _why(port) or e)
    return "cannot connect to %s: %s" % (name, _why(port) if "://" in port else e)


def _why(port):
    # pyserial's reason a port does not open (mpremote says only "failed to access"), e.g.
    # "Connection refused" for a socket:// URL nothing listens on; None if it opens now
    import re

    import serial
    try:
        serial.serial_for_url(port, exclusive=True).close()
    except (serial.SerialException, OSError, ValueError) as e:
        why = re.sub(r"^could not open port %s: " % re.escape(port), "", str(e), flags=re.I)
        return re.sub(r"^\[Errno -?\d+\] ", "", why)
    return None


@contextmanager
def _silenced():
    # mpremote prints what it read when a board does not answer; the BoardError says it
    import sys
    stdout, sys.stdout = sys.stdout, open(os.devnull, "w")
    try:
        yield
    finally:
        sys.stdout.close()
        sys.stdout = stdout


def resolve(device):
    """mpremote's name for a board: expands its a0/u0/c0 shortcuts."""
    from mpremote.main import _BUILTIN_COMMAND_EXPANSIONS
    cmd = _BUILTIN_COMMAND_EXPANSIONS.get(device, {}).get("command", "")
    return cmd.split(" ", 1)[1] if cmd.startswith("connect ") else device


class Board:
    """A connected board in its raw REPL (soft-reset first unless ``soft_reset=False``);
    with ``listen=True`` only connected, its program left running (read ``t.serial``).
    A port that does not open, or a board that does not answer within ``ANSWER`` seconds,
    is a :class:`BoardError` saying which.

    Examples
    --------
    >>> with Board("socket://127.0.0.1:8266") as b:  # doctest: +SKIP
    ...     b.exec("print(1 + 1)")
    '2\\n'
    """

    def __init__(self, device="auto", soft_reset=True, listen=False):
        from mpremote.commands import CommandError, do_connect
        from mpremote.main import State
        from mpremote.transport import TransportError
        self.device = resolve(device)
        state = State()
        try:
            do_connect(state, Namespace(device=[self.device]))
        except CommandError as e:
            raise BoardError(_unreachable(device, self.device, e))
        self.t = state.transport
        if listen:
            return
        try:
            with self._io("entering the raw REPL"), _silenced():
                # mpremote reads a pseudo-terminal without a timeout: a line nobody answers
                # on would hang; with one, its own ANSWER-second limit applies
                self.t.serial.timeout = _POLL
                try:
                    self.t.enter_raw_repl(soft_reset=soft_reset, timeout_overall=ANSWER)
                except TransportError:  # what it read did not end in the raw REPL's prompt
                    raise BoardError("no answer from %s within %g s (is a MicroPython board "
                                     "there, and no other program using its port?)"
                                     % (device, ANSWER))
                finally:
                    self.t.serial.timeout = None  # mpremote's raw-paste reads block
        except BoardError:
            self.t.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            if self.t.in_raw_repl:
                self.t.exit_raw_repl()
            self.t.close()
        except OSError:
            pass  # the link is already gone

    @contextmanager
    def _io(self, what):
        # mpremote and pyserial errors -> one BoardError naming what we were doing
        from mpremote.transport import TransportError, TransportExecError
        from serial import SerialException
        try:
            yield
        except TransportExecError as e:
            last = e.error_output.strip().splitlines()[-1:] or ["?"]
            raise BoardError("board raised while %s: %s" % (what, last[0]))
        except OSError as e:
            # the link (pyserial, sockets), else the board's own error, which mpremote
            # raises as OSError(errno) (so FileNotFoundError for ENOENT)
            if e.errno is None or isinstance(e, (SerialException, ConnectionError)):
                raise BoardError("connection to %s lost while %s: %s" % (self.device, what, e))
            if e.errno == errno.ENOSPC:  # the board's own errors, as mpremote converts them
                raise BoardFull("board filesystem is full while %s" % what)
            raise BoardError("board: %s while %s" % (os.strerror(e.errno), what))
        except TransportError as e:
            raise BoardError("connection to %s failed while %s: %s" % (self.device, what, e))

    def exec(self, code, what="running code"):
        """Run `code` on the board; its output as text."""
        with self._io(what):
            return self.t.exec(code).decode("utf-8", "replace")

    def eval(self, expr, what="reading a value"):
        with self._io(what):
            return self.t.eval(expr)

    def info(self):
        """What the board runs: firmware, version, bytecode, ulab, free heap and flash."""
        return ast.literal_eval(self.exec(_INFO, "asking the board what it runs").strip())

    def sha256(self, path):
        """Hex SHA-256 of a board file, computed on the board; None when it is missing."""
        with self._io("hashing %s" % path):
            try:
                return binascii.hexlify(self.t.fs_hashfile(path, "sha256")).decode()
            except FileNotFoundError:
                return None

    def write(self, path, data, progress=None):
        """Write bytes to a board file, then check its hash on the board."""
        with self._io("writing %s (%d bytes)" % (path, len(data))):
            try:
                self.t.fs_writefile(path, data, chunk_size=_CHUNK, progress_callback=progress)
            except OSError:
                self._close_open_file()
                raise
        if self.sha256(path) != hashlib.sha256(data).hexdigest():
            raise BoardError("%s on the board does not match what was sent" % path)

    def _close_open_file(self):
        # mpremote leaves its handle `f` open when a write fails midway
        try:
            self.t.exec("f.close()")
        except Exception:  # noqa: BLE001 -- best effort on a link that may be gone
            pass

    def read(self, path, progress=None):
        """Read a board file; checked against the hash the board computes."""
        with self._io("reading %s" % path):
            data = bytes(self.t.fs_readfile(path, chunk_size=_CHUNK,
                                            progress_callback=progress))
        if self.sha256(path) != hashlib.sha256(data).hexdigest():
            raise BoardError("%s changed or was damaged while it was read" % path)
        return data

    def exists(self, path):
        # not mpremote's fs_exists: it says False when the link is gone
        with self._io("looking for %s" % path):
            try:
                self.t.fs_stat(path)
            except FileNotFoundError:
                return False
        return True

    def makedirs(self, path):
        parts = [p for p in path.split("/") if p]
        for i in range(1, len(parts) + 1):
            d = "/" + "/".join(parts[:i])
            if not self.exists(d):
                with self._io("making %s" % d):
                    self.t.fs_mkdir(d)

    def remove(self, path):
        """Remove a board file if it exists."""
        if self.exists(path):
            with self._io("removing %s" % path):
                self.t.fs_rmfile(path)

    def rename(self, src, dst):
        self.exec("import os\nos.rename(%r, %r)" % (src, dst), "renaming %s to %s" % (src, dst))

    def fs_free(self):
        """Free bytes on the board's filesystem, as its statvfs reports them."""
        return self.eval("(lambda s: s[0] * s[3])(__import__('os').statvfs('/'))",
                         "reading free space")
