"""Recordings: a sensor's raw readings with their labels, as ``ulearn record`` writes them.

A recording is two files with one base name, holding the same rows:

``DATA.csv``
    a header ``time,<channel>,...,label,session``, then a row per reading: the
    seconds since its session began, the channel values, its label and its
    session (1, 2, ...: one per ``ulearn record`` run that added to the file);
``DATA.npz``
    ``time`` float64 (n,), ``readings`` float32 (n, channels), ``label`` str
    (n,), ``session`` int32 (n,), ``channels`` str (channels,) and ``rate``
    float64 (the nominal sampling rate in Hz; 0 when unknown).

Both are written whole (:mod:`ulearn_host.files`); a recording only grows, so
when a cut left one file older than the other, :func:`load` takes the longer.
"""
import csv
import io
import os
import zipfile
from collections import namedtuple

import numpy as np

from .files import write_atomic
from .userdata import number

Recording = namedtuple("Recording", ["time", "readings", "label", "session", "channels", "rate"])
Recording.__doc__ = """time float64 (n,) seconds; readings float32 (n, c); label str (n,);
session int32 (n,); channels: c names; rate: Hz, 0 when unknown."""

_FIXED = ("time", "label", "session")


def base(path):
    """The base name of a recording: ``DATA`` for ``DATA``, ``DATA.csv`` or ``DATA.npz``."""
    root, ext = os.path.splitext(str(path))
    return root if ext.lower() in (".csv", ".npz") else str(path)


def empty(channels, rate=0.0):
    """A recording with no rows yet."""
    return Recording(np.zeros(0), np.zeros((0, len(channels)), np.float32),
                     np.zeros(0, dtype=str), np.zeros(0, np.int32), list(channels), float(rate))


def is_recording(path):
    """Whether `path` is a recording (else, say, a feature table): an .npz with ``readings``,
    or a CSV whose header has ``time``, ``label`` and ``session`` columns."""
    try:
        if str(path).lower().endswith(".npz"):
            with zipfile.ZipFile(path) as z:
                return "readings.npy" in z.namelist()
        with open(path, newline="", encoding="utf-8-sig") as f:
            header = next(csv.reader(f), [])
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError):
        return False
    return set(_FIXED) <= {h.strip() for h in header}


def load(path):
    """The recording at `path` (a base name, or either file of the pair; of the two files
    the one with more rows). Raises ValueError naming the file, row and column of what is
    wrong, FileNotFoundError when neither file exists."""
    b = base(path)
    # .npz first: it has the rate; a pair file that is no recording (say a stream file written
    # as DATA.npz beside DATA.csv) is not read unless named
    found = [p for p in (b + ".npz", b + ".csv")
             if os.path.isfile(p) and (p == str(path) or is_recording(p))]
    if os.path.isfile(path) and str(path) not in found:
        found = [str(path)]  # a file of another name, e.g. one of a folder's
    if not found:
        raise FileNotFoundError(2, "No such file or directory", str(path))
    recs = [read(p) for p in found]
    return max(recs, key=lambda r: len(r.time))


def read(path):
    """One file of a recording (.csv or .npz), checked."""
    if str(path).lower().endswith(".npz"):
        return _read_npz(path)
    return _read_csv(path)


def _read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError("%s is empty: a recording starts with the header "
                         "time,CHANNEL...,label,session" % path)
    header = [h.strip() for h in rows[0]]
    missing = [c for c in _FIXED if c not in header]
    if missing:
        raise ValueError("%s: no column %s (a recording's header is time,CHANNEL...,label,"
                         "session; it has %s)" % (path, ", ".join(map(repr, missing)),
                                                  ", ".join(header)))
    at = {c: header.index(c) for c in _FIXED}
    chans = [i for i, h in enumerate(header) if h not in _FIXED]
    if not chans:
        raise ValueError("%s has no channel column" % path)
    n = len(rows) - 1
    time, readings = np.zeros(n), np.zeros((n, len(chans)), np.float32)
    label, session = [], np.zeros(n, np.int32)
    for r, row in enumerate(rows[1:], 1):
        if len(row) != len(header):
            raise ValueError("%s, row %d: %d values, the header has %d"
                             % (path, r, len(row), len(header)))
        where = "%s, row %d, column %%r" % (path, r)
        time[r - 1] = number(row[at["time"]], where % "time")
        for j, i in enumerate(chans):
            readings[r - 1, j] = number(row[i], where % header[i])
        lab = row[at["label"]].strip()
        if not lab:
            raise ValueError((where % "label") + ": no label")
        label.append(lab)
        s = row[at["session"]].strip()
        if not s.isdigit() or int(s) < 1:
            raise ValueError((where % "session") + ": %r is not a session number (1, 2, ...)" % s)
        session[r - 1] = int(s)
    return Recording(time, readings, np.array(label, dtype=str), session,
                     [header[i] for i in chans], 0.0)


def _read_npz(path):
    keys = Recording._fields
    try:
        with np.load(path, allow_pickle=False) as z:
            if any(k not in z.files for k in keys):
                raise ValueError("%s is not a recording: it needs arrays %s; it has %s"
                                 % (path, ", ".join(keys), ", ".join(z.files) or "none"))
            a = {k: z[k] for k in keys}
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError("%s is not a readable .npz file: %s" % (path, e))
    n = len(a["time"])
    c = len(a["channels"])
    if (a["readings"].shape != (n, c) or a["label"].shape != (n,) or a["session"].shape != (n,)
            or a["time"].ndim != 1 or a["channels"].ndim != 1):
        raise ValueError("%s: time, label, session must be (n,) and readings (n, %d); got "
                         "readings %s, label %s, session %s" % (path, c, a["readings"].shape,
                                                                a["label"].shape, a["session"].shape))
    try:
        readings = a["readings"].astype(np.float32)
        time = a["time"].astype(np.float64)
        session = a["session"].astype(np.int32)
        rate = float(a["rate"])
    except (TypeError, ValueError) as e:
        raise ValueError("%s: an array holds the wrong kind of values: %s" % (path, e))
    bad = np.argwhere(~np.isfinite(readings))
    if len(bad):
        r, j = bad[0]
        raise ValueError("%s, row %d, column %r: not finite" % (path, r + 1, str(a["channels"][j])))
    label = a["label"].astype(str)
    if n and (not label.all() or session.min() < 1):
        r = int(np.flatnonzero((label == "") | (session < 1))[0])
        raise ValueError("%s, row %d: no label or no session number" % (path, r + 1))
    return Recording(time, readings, label, session, [str(v) for v in a["channels"]], rate)


def concat(a, b):
    """`a` followed by `b`; ValueError when their channels differ."""
    if list(a.channels) != list(b.channels):
        raise ValueError("channels differ: %s has %s, the new readings %s"
                         % ("the recording", ",".join(a.channels), ",".join(b.channels)))
    return Recording(np.concatenate([a.time, b.time]),
                     np.concatenate([a.readings, b.readings]).astype(np.float32),
                     np.concatenate([a.label, b.label]).astype(str),
                     np.concatenate([a.session, b.session]).astype(np.int32),
                     list(a.channels), float(b.rate or a.rate))


def write(path, rec):
    """Both files of the recording `rec` at the base name of `path`, each written whole."""
    b = base(path)
    write_atomic(b + ".npz", _npz_bytes(rec))
    write_atomic(b + ".csv", _csv_bytes(rec))


def _npz_bytes(rec):
    buf = io.BytesIO()
    np.savez(buf, time=np.asarray(rec.time, np.float64),
             readings=np.asarray(rec.readings, np.float32), label=np.asarray(rec.label, str),
             session=np.asarray(rec.session, np.int32), channels=np.asarray(rec.channels, str),
             rate=np.float64(rec.rate))
    return buf.getvalue()


def _csv_bytes(rec):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["time", *rec.channels, "label", "session"])
    for t, row, lab, s in zip(rec.time, rec.readings, rec.label, rec.session):
        # %.9g: a float32 comes back exactly
        w.writerow(["%.6f" % t, *("%.9g" % v for v in row), lab, int(s)])
    return out.getvalue().encode()
