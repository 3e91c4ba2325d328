"""``ulearn record``: a sensor's readings from a board, labelled, into a recording.

The sampler protocol is the one hobbyists already print (Arduino's serial
plotter, Edge Impulse's data forwarder): one line per reading, its numbers
separated by commas (or tabs or spaces; ``name:value`` fields as the plotter
takes them), so a sketch or script that prints readings needs nothing of
ulearn. Lines starting with ``#`` are ulearn's own, all optional:

``# ulearn-record rate=HZ channels=A,B,...``
    what the sampler measures (the first line of ulearn's sampler);
``# dropped N``
    N readings were not taken (the sampler fell behind): the time column
    jumps by N / rate;
``# end readings=N dropped=M``
    the sampler finished.

Any other line that is not all numbers (a banner, a message) is ignored and
counted; a line of numbers whose count differs from the first reading's is
malformed, dropped and counted.

:class:`Protocol` turns lines into (time, values), :class:`Recorder` labels
them and keeps the recording (appending a session to an existing one, saving
whole files every few seconds from a background thread), :class:`Keys` reads
label keys, :class:`SerialLines` reads a board's serial line, and
:func:`capture` is the loop joining them. Everything but :class:`SerialLines`
works without a board. The file format is :mod:`ulearn_host.recording`'s.
"""
import ast
import math
import os
import re
import select
import sys
import threading
import time
from collections import Counter

import numpy as np

from . import recording
from .userdata import FLOAT32_MAX

SAVE_EVERY = 5.0  # seconds between whole saves while recording
DEFAULT_SENSOR = "mpu6050.read"  # examples/mpu6050.py
DEFAULT_RATE = 50.0  # Hz, for ulearn's sampler
MAX_RATE = 10000.0  # Hz: beyond what a line per reading can carry
HEADER = "# ulearn-record"
_SAMPLER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sampler_board.py")
_NAME = re.compile(r"[^\s,=]([^,\n\r]*[^\s,])?$")  # a label or channel name


class Lost(Exception):
    """The serial line dropped while recording."""


# -- arguments

def check_sensor(expr):
    """The module to import on the board for the sensor expression `expr`.

    `expr` names a callable returning a reading (a tuple of numbers, or one
    number) as ``MODULE.NAME`` (``mpu6050.read``) or makes one with literal
    arguments, ``MODULE.NAME(ARGS)`` (``replay_sensor.Replay('/pen.csv')``).
    The first dotted name is the module. ValueError otherwise.
    """
    bad = ValueError("--sensor %r is not MODULE.CALLABLE or MODULE.FACTORY(ARGUMENTS), e.g. "
                     "mpu6050.read or replay_sensor.Replay('/pen.csv')" % (expr,))
    try:
        node = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError:
        raise bad from None
    if isinstance(node, ast.Call):
        try:
            for a in node.args + [k.value for k in node.keywords]:
                ast.literal_eval(a)
        except ValueError:
            raise bad from None
        if any(k.arg is None for k in node.keywords) or any(
                isinstance(a, ast.Starred) for a in node.args):
            raise bad
        node = node.func
    if not isinstance(node, ast.Attribute):
        raise bad
    while isinstance(node, ast.Attribute):
        node = node.value
    if not isinstance(node, ast.Name):
        raise bad
    return node.id


def sampler_code(sensor, rate, seconds=None, channels=()):
    """The code ``ulearn record`` runs on the board: sampler_board.py and its call."""
    module = check_sensor(sensor)
    with open(_SAMPLER, encoding="utf-8") as f:
        text = f.read()
    return text + "\nimport %s\nmain(%s, %r, %r, %r)\n" % (
        module, sensor.strip(), float(rate), float(seconds or 0), ",".join(channels))


def parse_channels(text):
    """Channel names from ``ax,ay,az``; ValueError when one is empty, repeated or reserved."""
    names = [n.strip() for n in text.split(",")]
    for n in names:
        if not _NAME.match(n) or n in ("time", "label", "session"):
            raise ValueError("--channels %r: %r is not a channel name (names are separated by "
                             "commas; time, label and session are taken)" % (text, n))
    if len(set(names)) != len(names):
        raise ValueError("--channels %r names a channel twice" % text)
    return names


def check_label(name, what="--label"):
    """`name` if it can be a label (not empty, no comma, no leading or trailing space)."""
    if not _NAME.match(name):
        raise ValueError("%s %r is not a label: a name without commas, not empty, without "
                         "spaces around it" % (what, name))
    return name


def parse_keys(text):
    """{key: label, or None to pause} from ``1=PEN,2=ABD,3=FEL,0=``: one character per key,
    a key with no label pauses; space always pauses. ValueError when malformed."""
    keys = {" ": None}
    for part in text.split(","):
        key, eq, label = part.partition("=")
        if not eq or len(key) != 1 or key in ("\r", "\n"):
            raise ValueError("--labels-from %r: %r is not KEY=LABEL (one character, e.g. "
                             "1=PEN,2=ABD,0= where 0 pauses)" % (text, part))
        if key in keys and key != " ":
            raise ValueError("--labels-from %r: key %r is given twice" % (text, key))
        keys[key] = check_label(label, "--labels-from") if label else None
    if all(v is None for v in keys.values()):
        raise ValueError("--labels-from %r gives no label" % text)
    return keys


def describe_keys(keys):
    """``1 PEN, 2 ABD, space pause`` for the user."""
    def name(k):
        return "space" if k == " " else k
    labels = ["%s %s" % (name(k), v) for k, v in keys.items() if v is not None]
    pauses = [name(k) for k, v in keys.items() if v is None]
    return ", ".join(labels) + ", %s pause" % " or ".join(pauses)


# -- the protocol

class Protocol:
    """Sampler lines as readings: ``feed(line, now)`` gives (time, values) for a reading.

    Parameters
    ----------
    rate : float
        Readings per second: reading k (counting the dropped ones) is at k / rate.
        0: unknown, the time is `now` (the host's arrival time) since the first reading;
        a ``# ulearn-record rate=`` header sets it.
    """

    def __init__(self, rate=0.0):
        self.rate = float(rate or 0)
        self.channels = None  # names the sampler announced or labelled its values with
        self.width = None  # values per reading: the first reading's count
        self.index = 0  # readings so far, dropped ones included
        self.readings = self.dropped = self.malformed = self.ignored = 0
        self.ended = False  # the sampler said "# end"
        self.t0 = None  # `now` of the first reading

    def feed(self, line, now=0.0):
        """The (time, values) of `line`, or None for a line that is not a reading."""
        line = line.strip()
        if not line:
            return None
        if line.startswith("#"):
            self._comment(line)
            return None
        values, names = _numbers(line)
        if values is None:
            self.ignored += 1
            return None
        if self.width is None:
            self.width = len(values)
            if names and self.channels is None:
                self.channels = names
        elif len(values) != self.width:
            self.malformed += 1
            return None
        if not all(math.isfinite(v) and abs(v) <= FLOAT32_MAX for v in values):
            self.malformed += 1
            return None
        if self.t0 is None:
            self.t0 = now
        t = self.index / self.rate if self.rate else now - self.t0
        self.index += 1
        self.readings += 1
        return t, values

    def _comment(self, line):
        words = line[1:].split()
        if line.startswith(HEADER):
            for w in words[1:]:
                key, _, value = w.partition("=")
                try:
                    if key == "rate" and float(value) > 0:
                        self.rate = float(value)
                except ValueError:
                    pass
                if key == "channels" and value and self.channels is None:
                    self.channels = value.split(",")
        elif words[:1] == ["dropped"] and len(words) == 2 and words[1].isdigit():
            self.index += int(words[1])
            self.dropped += int(words[1])
        elif words[:1] == ["end"]:
            self.ended = True


def _numbers(line):
    # (values, names or None) of a line of numbers, (None, None) for any other line
    line = line.rstrip(",;")
    fields = line.split(",") if "," in line else line.split()
    names, values = [], []
    for f in fields:
        name, colon, value = f.rpartition(":")
        try:
            values.append(float(value))
        except ValueError:
            return None, None
        names.append(name.strip() if colon else "")
    return values, (names if all(names) and len(set(names)) == len(names) else None)


# -- labels, sessions, saving

class Recorder:
    """The readings of one session, labelled, appended to the recording at `out`.

    Parameters
    ----------
    out : str
        ``DATA``, ``DATA.csv`` or ``DATA.npz``: both files are written. If a recording
        is there, this session is appended as session last + 1 (after :meth:`begin`
        checked the channels and rate agree); its rows are never lost.
    label : str or None
        The label of every reading, or None to start unlabelled (:meth:`press`).
    keys : dict or None
        {key: label or None} of :func:`parse_keys`.
    """

    def __init__(self, out, label=None, keys=None):
        self.out = recording.base(out)
        self.old = None
        there = [self.out + e for e in (".csv", ".npz") if os.path.exists(self.out + e)]
        for p in there:  # never written over: a feature table, say
            if not recording.is_recording(p):
                raise ValueError("%s is there and is not a recording (a recording's CSV header "
                                 "is time,CHANNEL...,label,session): choose another --out" % p)
        if there:
            self.old = recording.load(self.out)
        self.session = int(self.old.session.max()) + 1 if self.old and len(self.old.time) else 1
        self.label, self.keys = label, keys or {}
        self.channels, self.rate = None, 0.0
        self.time, self.values, self.labels = [], [], []
        self.unlabelled = 0
        self.saved = 0  # rows of this session in the files
        self._saver = None
        self._error = None  # of the background save

    @property
    def kept(self):
        """Readings kept in this session."""
        return len(self.time)

    def check(self, channels=None, rate=None):
        """ValueError when the recording at `out` has other channels or another rate."""
        if self.old is None:
            return
        if channels is not None and list(channels) != list(self.old.channels):
            raise ValueError("%s.csv has channels %s; this session's are %s: pass --channels %s, "
                             "or record into another --out" % (
                                 self.out, ",".join(self.old.channels), ",".join(channels),
                                 ",".join(self.old.channels)))
        if rate is not None and float(rate) != self.old.rate:
            have = "%g Hz" % self.old.rate if self.old.rate else "no rate (host time)"
            raise ValueError("%s.npz was recorded at %s, this session at %s: record at the "
                             "same rate or into another --out" % (
                                 self.out, have, "%g Hz" % rate if rate else "no rate"))

    def begin(self, width, channels=None, rate=0.0):
        """Fix the channels (`channels`, else the recording's if it has `width`, else
        ch0, ch1, ...) and rate, once the first reading came; ValueError if they
        disagree with the recording's."""
        if channels is not None and len(channels) != width:
            raise ValueError("the sampler gives %d values per reading, the channels are %d (%s)"
                             % (width, len(channels), ",".join(channels)))
        if channels is None:
            old = self.old.channels if self.old is not None else []
            channels = old if len(old) == width else ["ch%d" % i for i in range(width)]
        self.check(channels, rate)
        self.channels, self.rate = list(channels), float(rate or 0)

    def press(self, key):
        """Switch to the label of `key` (a key not in the map is ignored)."""
        if key in self.keys:
            self.label = self.keys[key]

    def add(self, t, values):
        """One reading at time `t`: kept under the current label, else counted."""
        if self.label is None:
            self.unlabelled += 1
            return
        self.time.append(t)
        self.values.append(values)
        self.labels.append(self.label)

    def counts(self):
        """{label: readings kept} of this session."""
        return dict(Counter(self.labels))

    def whole(self):
        """The recording with this session appended."""
        n = len(self.time)
        new = recording.Recording(
            np.array(self.time, np.float64),
            np.array(self.values, np.float32).reshape(n, len(self.channels)),
            np.array(self.labels, dtype=str), np.full(n, self.session, np.int32),
            list(self.channels), self.rate)
        return new if self.old is None else recording.concat(self.old, new)

    def save_soon(self):
        """Start saving the whole recording in the background (unless a save is running or
        nothing new came); an error of the last background save is raised here."""
        self._raise()
        if self._saver is not None and self._saver.is_alive():
            return
        if self.kept == self.saved:
            return
        rec, n = self.whole(), self.kept
        self._saver = threading.Thread(target=self._save, args=(rec, n), name="ulearn-save")
        self._saver.start()

    def save(self):
        """Save now (after any background save), when there is something new; returns
        whether the files hold every reading kept."""
        if self._saver is not None:
            self._saver.join()
        self._raise()
        if self.channels is not None and self.kept > self.saved:
            self._save(self.whole(), self.kept)
            self._raise()
        return self.kept == self.saved

    def _save(self, rec, n):
        try:
            recording.write(self.out, rec)
            self.saved = n
        except Exception as e:  # noqa: BLE001 -- handed to the main thread
            self._error = e

    def _raise(self):
        e, self._error = self._error, None
        if e is not None:
            raise e


# -- keys

class Keys:
    """Keys typed while recording, from `stream` (default stdin): on a terminal one at a
    time as typed (cbreak mode; :meth:`close` restores the terminal), else (a pipe)
    as the lines come. A context manager."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdin
        self.fd = self.stream.fileno()
        self.tty = os.isatty(self.fd)
        self._saved = None
        self._done = False
        self._queue = []
        if os.name == "nt" and not self.tty:  # no select on Windows pipes: a reader thread
            threading.Thread(target=self._reader, daemon=True).start()
        elif self.tty and os.name != "nt":
            import termios
            import tty
            self._saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd)

    def poll(self):
        """The keys typed since the last poll (a str), without waiting."""
        if os.name == "nt":
            if self.tty:
                import msvcrt
                out = ""
                while msvcrt.kbhit():
                    out += msvcrt.getwch()
                return out
            out, self._queue = "".join(self._queue), []
            return out
        out = b""
        while not self._done and select.select([self.fd], [], [], 0)[0]:
            data = os.read(self.fd, 256)
            if not data:
                self._done = True  # end of the pipe
            out += data
        return out.decode("utf-8", "replace")

    def _reader(self):
        for line in self.stream:
            self._queue.append(line)

    def close(self):
        """Restore the terminal."""
        if self._saved is not None:
            import termios
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            self._saved = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# -- the serial line

class SerialLines:
    """Lines from a board's serial line (pyserial's object, as ``Board.t.serial``).

    raw=True: the output of a program the raw REPL runs, up to its end marker; then
    ``done`` is set and ``error`` holds what the program raised (text, empty when it
    ended well). raw=False: whatever the line carries, until :meth:`stop`.
    """

    def __init__(self, serial, raw=True, wait=0.1):
        self.serial, self.raw = serial, raw
        self.serial.timeout = wait
        self.done, self.error = False, None
        self.interrupted = False  # we sent Ctrl-C
        self._buf, self._err = b"", None
        self._mid_line = not raw  # listening starts anywhere in a line: skip to its end

    def read(self):
        """The whole lines that came (waiting up to `wait` s for some); Lost when the line
        dropped."""
        from serial import SerialException
        try:
            data = self.serial.read(max(1, self.serial.in_waiting))
        except (SerialException, OSError) as e:
            raise Lost(str(e) or type(e).__name__) from e
        return self._lines(data)

    def _lines(self, data):
        if self._err is not None:  # after the first end marker: the error text
            self._err += data
            if b"\x04" in self._err:
                self.error = self._err.split(b"\x04", 1)[0].decode("utf-8", "replace")
                self.done = True
            return []
        self._buf += data
        if self._mid_line:
            if b"\n" not in self._buf:
                self._buf = b""
                return []
            self._buf = self._buf.split(b"\n", 1)[1]
            self._mid_line = False
        if self.raw and b"\x04" in self._buf:
            self._buf, rest = self._buf.split(b"\x04", 1)
            self._buf += b"\n"
            self._err = b""
            self._lines(rest)
        *lines, self._buf = self._buf.split(b"\n")
        return [ln.decode("utf-8", "replace").rstrip("\r") for ln in lines]

    def interrupt(self):
        """Ctrl-C to the board's program (in the raw REPL; on --listen's line, nothing)."""
        if not self.raw:
            return
        self.interrupted = True
        try:
            self.serial.write(b"\x03")
        except OSError:
            pass  # the line is gone: nothing to stop

    def drain(self, timeout=3.0):
        """The lines still coming before the program ends (raw REPL), at most `timeout` s."""
        out = []
        deadline = time.monotonic() + timeout
        while self.raw and not self.done and time.monotonic() < deadline:
            try:
                out += self.read()
            except Lost:
                break
        return out


# -- the loop

class Outcome:
    """How a capture ended: ``how`` is "end" (the sampler finished, or --seconds),
    "interrupted" (Ctrl-C), "lost" (the serial line dropped) or "error" (the
    board's program raised: ``error`` is its last traceback line)."""

    def __init__(self):
        self.how, self.error, self.started, self.elapsed = "end", None, None, 0.0
        self.received = 0  # readings received (kept or not)

    def measured_rate(self):
        """Readings per second as they arrived, or None before two came."""
        if self.received < 2 or self.elapsed <= 0:
            return None
        return (self.received - 1) / self.elapsed


def capture(source, proto, rec, keys=None, seconds=None, channels=None, show=None,
            clock=time.monotonic):
    """Read `source` (a :class:`SerialLines`, or anything with its read/interrupt/drain/done/
    error) into `rec` through `proto` until the sampler ends, `seconds` of recording
    time pass, Ctrl-C, or the line drops; saves every SAVE_EVERY s and at the end.

    Returns an :class:`Outcome`. ValueError when the readings do not fit the recording
    (channels, rate): nothing of this session is written then.
    """
    out = Outcome()
    next_save = clock() + SAVE_EVERY
    try:
        try:
            while not source.done:
                lines = source.read()
                now = clock()
                if keys is not None:
                    for k in keys.poll():
                        rec.press(k)
                over = False  # `seconds` of recording time passed
                for line in lines:
                    r = proto.feed(line, now)
                    if r is None:
                        continue
                    if seconds and r[0] >= seconds:
                        over = True
                        break
                    if rec.channels is None:
                        try:
                            rec.begin(proto.width, channels or proto.channels, proto.rate)
                        except ValueError:
                            source.interrupt()
                            source.drain()
                            raise
                    if out.started is None:
                        out.started = now
                    out.received += 1
                    out.elapsed = now - out.started
                    rec.add(*r)
                if proto.ended and not source.raw:
                    break
                if seconds and not proto.rate and out.started is not None:
                    over = over or now - out.started >= seconds  # also when nothing comes
                if over:
                    if source.raw:  # a program of the user's: stop it
                        source.interrupt()
                        for line in source.drain():
                            proto.feed(line, now)  # read after the end: not kept
                    break
                if now >= next_save:
                    rec.save_soon()
                    next_save = now + SAVE_EVERY
                if show is not None:
                    show(rec, proto, out)
        except KeyboardInterrupt:
            out.how = "interrupted"
            source.interrupt()
            for line in source.drain():
                r = proto.feed(line, clock())
                if r is not None and rec.channels is not None:
                    rec.add(*r)
    except Lost:
        out.how = "lost"
    if source.done and source.error:
        error = last_line(source.error)
        if not (source.interrupted and error.startswith("KeyboardInterrupt")):
            out.how, out.error = "error", error  # not just our Ctrl-C
    rec.save()
    return out


def last_line(text):
    """The last non-empty line of a traceback."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""
