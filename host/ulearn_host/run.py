"""``ulearn run``: start a script or a ``ulearn.app`` entry point on a board and
stream its output as it comes.

Entry points print ``ulearn.contract.REPORT`` + a JSON object as their last line; those reports
are returned parsed, so the host can act on what the board measured.
"""
import ast
import json
import math
import sys

from ulearn.contract import REPORT

from .board import BoardError


# the entry points' arguments that must be numbers in a range: name -> (type, minimum);
# the others whose default is an int or float must be of that type, without a range
LIMITS = {"every": (int, 1), "passes": (int, 1), "status": (int, 0), "steps": (int, 0),
          "epochs": (int, 0), "budget_bytes": (int, 0), "budget_macs": (int, 0),
          "lr": (float, 0)}
# the arguments naming a file the entry point reads from the board: every entry point has one
READS = ("stream", "support")
_KINDS = {int: "an integer", float: "a number", str: "a board path"}


def entries():
    """The entry points of ``ulearn.app`` (its functions that read a stream file from the
    board: an argument named in READS): name -> their parameters (inspect.Parameter)."""
    import inspect

    import ulearn.app as app
    out = {}
    for name, f in sorted(vars(app).items()):
        if name[:1] != "_" and inspect.isfunction(f) and f.__module__ == app.__name__:
            params = inspect.signature(f).parameters
            if any(k in params for k in READS):
                out[name] = params
    return out


def entry_args(name, args):
    """The keyword arguments of ``ulearn.app.<name>`` from ``key=value`` strings, checked on
    the host against its signature, LIMITS and READS: ValueError names what is wrong."""
    known = entries()
    if name not in known:
        raise ValueError("%r is not an entry point of ulearn.app (they are %s)"
                         % (name, ", ".join(known)))
    params = known[name]
    kwargs = {}
    for a in args:
        key, eq, text = a.partition("=")
        if not eq or not key.isidentifier():
            raise ValueError("argument %r is not key=value" % a)
        if key not in params:
            raise ValueError("%s has no argument %r (its arguments are %s)"
                             % (name, key, ", ".join(params)))
        if key in kwargs:
            raise ValueError("%s= is given twice" % key)
        kwargs[key] = _value(key, text, params[key].default)
    missing = [k for k, p in params.items() if p.default is p.empty and k not in kwargs]
    if missing:
        raise ValueError("%s needs %s" % (name, " ".join(k + "=..." for k in missing)))
    return kwargs


def _value(key, text, default):
    # `text` as a Python literal, else a bare word (a string, e.g. a board path), checked
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = text
    kind, low = LIMITS.get(key, (type(default), None))
    if key in READS:
        kind = str
    elif kind not in (int, float) or (value is None and default is None):
        return value  # e.g. log=None: no log
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = (isinstance(value, str) if kind is str else
          number and isinstance(value, int) if kind is int else
          number and math.isfinite(value))
    if not ok or (low is not None and value < low):
        raise ValueError("%s=%s: %s must be %s%s" % (key, text, key, _KINDS[kind],
                                                   "" if low is None else " >= %r" % low))
    return value


def entry_code(name, args):
    """Board code calling ``ulearn.app.<name>(**kwargs)`` from ``key=value`` strings,
    checked first (entry_args)."""
    call = ", ".join("%s=%r" % kv for kv in entry_args(name, args).items())
    return "import ulearn.app\nulearn.app.%s(%s)\n" % (name, call)


def require_reads(board, name, args):
    """ValueError naming the files ``ulearn.app.<name>`` would read (READS) that are not on
    `board`; `ulearn run` and `ulearn monitor` check before they start it."""
    kwargs = entry_args(name, args)
    missing = ["%s=%s" % (k, kwargs[k]) for k in READS
               if k in kwargs and not board.exists(kwargs[k])]
    if missing:
        raise ValueError("%s: no such file on the board (copy one there with `ulearn deploy "
                         "BUNDLE --file PATH`)" % ", ".join(missing))


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
