"""``ulearn run``: start a script or a ``ulearn.app`` entry point on a board and
stream its output as it comes.

Entry points print ``ulearn.contract.REPORT`` + a JSON object as their last line; those reports
are returned parsed, so the host can act on what the board measured.
"""
import ast
import json
import sys

from ulearn.contract import REPORT

from .board import BoardError


def entry_code(name, args):
    """Board code calling ``ulearn.app.<name>(**kwargs)`` from ``key=value`` strings."""
    if not name.isidentifier() or name.startswith("_"):
        raise ValueError("entry point %r is not a name in ulearn.app" % name)
    kwargs = {}
    for a in args:
        key, eq, value = a.partition("=")
        if not eq or not key.isidentifier():
            raise ValueError("argument %r is not key=value" % a)
        try:
            kwargs[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            kwargs[key] = value  # a bare word: a string, e.g. a board path
    call = ", ".join("%s=%r" % kv for kv in kwargs.items())
    return "import ulearn.app\nulearn.app.%s(%s)\n" % (name, call)


def run(board, code, out=None, timeout=None):
    """Run `code` on `board`, writing its output to `out` as it arrives.

    Returns the parsed ``ulearn-report`` lines. A board exception raises
    :class:`~ulearn_host.board.BoardError` with the board's traceback.
    """
    from mpremote.transport import TransportError
    out = out or sys.stdout
    lines = Lines(out)
    try:
        board.t.exec_raw_no_follow(code)
        _, err = board.t.follow(timeout, lines.feed)
    except (TransportError, OSError) as e:
        raise BoardError("connection to %s lost while running: %s" % (board.device, e))
    except KeyboardInterrupt:
        board.t.serial.write(b"\x03")  # stop the board's program too, as mpremote does
        raise BoardError("interrupted; sent Ctrl-C to the board")
    lines.flush()
    if err:
        text = err.decode("utf-8", "replace").rstrip()
        if "no module named 'ulearn" in text:
            text += "\n(the device package is not on the board: run `ulearn deploy` first)"
        raise BoardError("the board raised:\n" + text)
    return lines.reports


class Lines:
    """Passes bytes through to `out` and keeps the report lines."""

    def __init__(self, out):
        self.out, self.buf, self.reports = out, b"", []

    def feed(self, b):
        self.buf += b.replace(b"\x04", b"")  # the raw REPL's end-of-output marker
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            self._line(line.decode("utf-8", "replace").rstrip("\r"))

    def flush(self):
        if self.buf:
            self._line(self.buf.decode("utf-8", "replace"))
            self.buf = b""

    def _line(self, text):
        if text.startswith(REPORT):
            self.reports.append(json.loads(text[len(REPORT):]))
        self.out.write(text + "\n")
        self.out.flush()
