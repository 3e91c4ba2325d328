"""``ulearn monitor``: watch what a board reports while it runs.

A program on the board prints status lines, ``ulearn.contract.STATUS`` + a JSON object
(``ulearn.app.status`` writes them; ``ulearn.app.learn(..., status=K)`` every K samples),
with any of these fields:

``n`` steps so far, ``pred`` the predicted label, ``conf`` its probability, ``y`` the true
label, ``acc`` running prequential accuracy, ``classes`` classes known, ``score`` anomaly
score, ``threshold`` its threshold, ``alarm`` (bool), ``ms`` the board's milliseconds,
``heap`` its free heap in bytes.

:class:`Tally` keeps what the lines said; :class:`Screen` shows it (redrawn in place on a
terminal, one line per status otherwise); :func:`watch` reads a board; :func:`plot` draws the
curves.

>>> t = Tally()
>>> t.line('ulearn-status {"n": 10, "acc": 0.5, "ms": 1000}')
'status'
>>> t.line('ulearn-status {"n": 30, "acc": 0.6, "ms": 1500}')
'status'
>>> t.rate
40.0
"""
import json
import shutil
import sys
import time

from ulearn.contract import REPORT, STATUS

from .board import BoardError
from .run import Lines

_REDRAW = 0.1  # s: the live view is redrawn at most this often (and at the end)


def parse(line):
    """The record (a dict) of a status line; None when ``line`` is not one.

    Raises ValueError when it starts as one but is not a JSON object.
    """
    if not line.startswith(STATUS):
        return None
    try:
        rec = json.loads(line[len(STATUS):])
    except ValueError:
        rec = None
    if not isinstance(rec, dict):
        raise ValueError("garbled status line: %r" % line[:80])
    return rec


def _kb(b):
    return "%.1f KB" % (b / 1024)


def _num(v, fmt="%.3f"):
    return fmt % v if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


class Tally:
    """What the board's lines said: the status records, the latest value of each field,
    steps per second (board time, from ``n`` and ``ms``), alarms, the lowest heap, garbled
    lines and report lines."""

    def __init__(self):
        self.records, self.reports = [], []
        self.last = {}  # the latest value of each field
        self.garbled = self.alarms = 0
        self.heap_min = None
        self.rate = None  # steps/s between the last two records with n and ms
        self._steps = self._ms = 0  # summed over consecutive records, for the mean rate
        self._prev = None  # (n, ms) of the last record that had both

    def line(self, text):
        """Take one line of the board's output: 'status', 'garbled', 'report' or 'other'."""
        try:
            rec = parse(text)
        except ValueError:
            self.garbled += 1
            return "garbled"
        if rec is None:
            if text.startswith(REPORT):
                try:
                    self.reports.append(json.loads(text[len(REPORT):]))
                except ValueError:
                    pass  # shown as it came, as any other line
                return "report"
            return "other"
        self.add(rec)
        return "status"

    def add(self, rec):
        """Take one status record."""
        self.records.append(rec)
        self.last.update(rec)
        if rec.get("alarm") is True:
            self.alarms += 1
        heap = rec.get("heap")
        if isinstance(heap, int) and (self.heap_min is None or heap < self.heap_min):
            self.heap_min = heap
        n, ms = rec.get("n"), rec.get("ms")
        if not (isinstance(n, int) and isinstance(ms, int)):
            return
        if self._prev is not None:
            dn, dms = n - self._prev[0], ms - self._prev[1]
            # a restarted program (n down) or a wrapped ticks_ms (ms down): no rate
            if dn >= 0 and dms > 0:
                self.rate = 1000.0 * dn / dms
                self._steps += dn
                self._ms += dms
            else:
                self.rate = None
        self._prev = (n, ms)

    def mean_rate(self):
        """Steps per second over all the records (board time); None without two."""
        return 1000.0 * self._steps / self._ms if self._ms else None

    def view(self):
        """The live view: a few lines, only those with data."""
        d, out = self.last, []
        if "n" in d:
            out.append("steps      %s%s" % (d["n"], "" if self.rate is None else
                                            "   %.1f steps/s" % self.rate))
        if "pred" in d or "conf" in d:
            out.append("predicted  %s%s%s" % (
                d.get("pred", "?"), "" if d.get("conf") is None else
                "   confidence %s" % _num(d["conf"]),
                "   (true %s)" % (d["y"],) if "y" in d else ""))
        if "acc" in d or "classes" in d:
            out.append("accuracy   %s prequential%s" % (
                _num(d.get("acc", "?")),
                "   %s classes known" % d["classes"] if "classes" in d else ""))
        if "score" in d or "threshold" in d:
            out.append("anomaly    score %s%s   %d alarms%s" % (
                _num(d.get("score", "?"), "%.4g"),
                " / threshold %s" % _num(d["threshold"], "%.4g") if "threshold" in d else "",
                self.alarms, "   ALARM" if d.get("alarm") is True else ""))
        if self.heap_min is not None:
            out.append("heap free  %s   (lowest %s)" % (_kb(d["heap"]), _kb(self.heap_min)))
        out.append("%d status lines%s" % (len(self.records), ", %d garbled" % self.garbled
                                          if self.garbled else ""))
        return out

    def plain(self, rec):
        """One line for the status record ``rec``, the latest (when the output is not a
        terminal)."""
        parts = []
        if "n" in rec:
            parts.append("n %s" % rec["n"] + ("" if self.rate is None else
                                              " (%.1f steps/s)" % self.rate))
        if "pred" in rec:
            parts.append("pred %s" % (rec["pred"],) + (" %s" % _num(rec["conf"], "%.2f")
                                                        if rec.get("conf") is not None else ""))
        if "y" in rec:
            parts.append("y %s" % (rec["y"],))
        if "acc" in rec:
            parts.append("acc %s" % _num(rec["acc"]))
        if "classes" in rec:
            parts.append("classes %s" % rec["classes"])
        if "score" in rec:
            parts.append("score %s" % _num(rec["score"], "%.4g") + (
                "/%s" % _num(rec["threshold"], "%.4g") if "threshold" in rec else ""))
        if rec.get("alarm") is True:
            parts.append("ALARM")
        if "heap" in rec:
            parts.append("heap %s" % _kb(rec["heap"]))
        return "status: " + ("  ".join(parts) or json.dumps(rec))

    def summary(self, ended):
        """The last line: what was seen, and why watching ended."""
        if not self.records:
            return "monitor: no status lines (%s)%s" % (ended, ", %d garbled" % self.garbled
                                                        if self.garbled else "")
        d, parts = self.last, ["%d status lines" % len(self.records)]
        if "n" in d:
            rate = self.mean_rate()
            parts.append("%s steps" % d["n"] + ("" if rate is None else
                                                 " (%.1f steps/s)" % rate))
        if "acc" in d:
            parts.append("accuracy %s" % _num(d["acc"]))
        if "classes" in d:
            parts.append("%s classes" % d["classes"])
        if "score" in d or self.alarms:
            parts.append("%d alarms" % self.alarms)
        if self.heap_min is not None:
            parts.append("heap free lowest %s" % _kb(self.heap_min))
        if self.garbled:
            parts.append("%d garbled" % self.garbled)
        return "monitor: %s (%s)" % (", ".join(parts), ended)


class Screen:
    """Shows a :class:`Tally` on ``out``: with ``live``, the view redrawn in place (ANSI)
    below the board's other lines; otherwise those lines and one line per status."""

    def __init__(self, tally, out=None, live=None):
        self.tally, self.out = tally, out or sys.stdout
        self.live = self.out.isatty() if live is None else live
        self.drawn = 0  # lines of the view now on the screen
        self.at = 0.0  # when it was drawn

    def line(self, text):
        """One line of the board's output."""
        kind = self.tally.line(text)
        if kind == "status":
            if not self.live:
                self._write(self.tally.plain(self.tally.records[-1]) + "\n")
            elif time.monotonic() - self.at >= _REDRAW:
                self.draw()
        else:
            self._write(self._erase() + text + "\n")
            if self.live:
                self.draw()

    def draw(self):
        """Redraw the live view."""
        if self.live:
            width = shutil.get_terminal_size().columns - 1  # a wrapped line would stay
            lines = [s[:width] for s in self.tally.view()]
            self._write(self._erase() + "".join(s + "\n" for s in lines))
            self.drawn, self.at = len(lines), time.monotonic()

    def _erase(self):
        # up to the view's first line, then clear to the end of the screen
        if not self.drawn:
            return ""
        n, self.drawn = self.drawn, 0
        return "\x1b[%dF\x1b[J" % n

    def _write(self, s):
        self.out.write(s)
        self.out.flush()


class _Split(Lines):
    # run.Lines, its lines to a Screen
    def __init__(self, screen):
        super().__init__(None)
        self.screen = screen

    def _line(self, text):
        self.screen.line(text)


def watch(board, screen, code=None, seconds=None):
    """Read the board's output into ``screen`` until its program ends, ``seconds`` pass or
    Ctrl-C; returns why it ended: "finished", "time" or "interrupted".

    With ``code``, runs it first (``board`` in its raw REPL) and a stop tells the board
    (Ctrl-C); without, ``board`` is only listened to (``Board(listen=True)``) and left running.
    Raises BoardError on a lost link, and after the run when ``code`` raised on the board.
    """
    from mpremote.transport import TransportError
    from serial import SerialException
    lines = _Split(screen)
    ser = board.t.serial
    ends, err = 0, b""  # the raw REPL's two end markers: output, then error output
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        if code is not None:
            board.t.exec_raw_no_follow(code)
        ser.timeout = _REDRAW
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                ended = "time"
                break
            data = ser.read(4096)
            if code is not None:
                while data and ends < 2:
                    part, mark, data = data.partition(b"\x04")
                    if ends == 0:
                        lines.feed(part)
                    else:
                        err += part
                    ends += bool(mark)
                if ends == 2:
                    ended = "finished"
                    break
            elif data:
                lines.feed(data)
    except KeyboardInterrupt:
        ended = "interrupted"
    except (SerialException, TransportError, OSError) as e:
        raise BoardError("connection to %s lost while watching: %s" % (board.device, e))
    finally:
        screen.draw()
    if ended == "finished":
        lines.flush()  # a last line without its newline; cut short otherwise: dropped
        screen.draw()
    if code is not None and ended != "finished":
        _stop(ser)
    if err.strip():
        text = err.decode("utf-8", "replace").rstrip()
        if "no module named 'ulearn" in text:
            text += "\n(the device package is not on the board: run `ulearn deploy` first)"
        raise BoardError("the board raised:\n" + text)
    return ended


def _stop(ser, wait=2.0):
    # Ctrl-C to the board's program, then its traceback and end markers read away
    ser.write(b"\x03")
    seen, deadline = b"", time.monotonic() + wait
    while seen.count(b"\x04") < 2 and time.monotonic() < deadline:
        try:
            seen += ser.read(4096)
        except (OSError, KeyboardInterrupt):
            return


def plot(records, path):
    """Draw the curves of ``records`` over steps to the PNG ``path``: prequential accuracy,
    confidence, anomaly score and threshold (log axis), heap free; only the panels with data.

    Raises ValueError when there is nothing to draw (no file is written).
    """
    panels = [(keys, label, log) for keys, label, log in (
        (("acc",), "prequential accuracy", False), (("conf",), "confidence", False),
        (("score", "threshold"), "anomaly score", True), (("heap",), "heap free (KB)", False))
        if any(_plottable(r.get(keys[0])) for r in records)]
    if not panels:
        raise ValueError("no status lines with values to plot came from the board "
                         "(a program prints them with ulearn.app.status)")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ValueError("--plot needs matplotlib: pip install -e \".[plot]\"")
    from .files import atomic
    with_n = all(isinstance(r.get("n"), int) for r in records)
    xs = [r["n"] if with_n else i + 1 for i, r in enumerate(records)]
    fig, axes = plt.subplots(len(panels), 1, sharex=True, squeeze=False,
                             figsize=(7, 1 + 2 * len(panels)))
    for ax, (keys, label, log) in zip(axes[:, 0], panels):
        positive = True
        for key in keys:
            pts = [(x, r[key] / (1024 if key == "heap" else 1)) for x, r in zip(xs, records)
                   if _plottable(r.get(key))]
            if pts:
                ax.plot(*zip(*pts), label=key, linestyle="--" if key == "threshold" else "-")
                positive = positive and all(y > 0 for _, y in pts)
        if keys[0] in ("acc", "conf"):
            ax.set_ylim(-0.02, 1.02)
        if log and positive:
            ax.set_yscale("log")
        if len(keys) > 1:
            ax.legend(loc="best", fontsize=8)
        alarms = [x for x, r in zip(xs, records) if r.get("alarm") is True]
        if log and alarms:
            for x in alarms:
                ax.axvline(x, color="red", alpha=0.3, linewidth=0.8)
        ax.set_ylabel(label, fontsize=8)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("steps" if with_n else "status line")
    fig.tight_layout()
    with atomic(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def _plottable(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)
