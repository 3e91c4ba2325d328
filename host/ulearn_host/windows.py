"""Raw sensor readings -> windows of features, computed as a board computes them.

What ``--data PATH --window N --hop H`` accepts, besides a feature table:

- a recording from ``ulearn record`` (``DATA.csv`` or ``DATA.npz``, see
  :mod:`ulearn_host.recording`);
- a CSV of readings: a column per channel, optionally a time column (``time``
  in seconds, ``timestamp`` in milliseconds as Edge Impulse writes it, or
  ``seconds_elapsed``) and a label column (``--target``); without one, the
  label is the file name up to its first ``.`` (``wave.1.csv`` is ``wave``,
  as Edge Impulse names its samples);
- a folder of such CSV files, each its own session; Edge Impulse's export, with
  ``training/`` and ``testing/`` folders (and ``info.labels`` files), keeps
  Edge Impulse's split.

Each stretch of readings with one session and one label (a *segment*) goes
through the device package's own :class:`ulearn.Windower`, a reading at a
time, so a window never spans two sessions or two labels and its features are
the ones the board computes from the same readings.

The split keeps overlapping windows on one side. Per class: with two sessions
or more, the last ~30% of its sessions (in recording order; file-name order
for a folder) are test, at least one on each side; with one session, the last
~30% of each segment's windows are test and the training windows that overlap
the first test window are left out of both (split "gap": ``--split all`` has them).
"""
import csv
import json
import os
from collections import namedtuple

import numpy as np

from . import recording, userdata

TEST_FRACTION = 0.3
# time columns of a CSV of readings, lower case -> seconds per unit
TIME_COLUMNS = {"time": 1.0, "seconds_elapsed": 1.0, "timestamp": 0.001}
PARTS = {"training": "train", "testing": "test"}  # Edge Impulse's export folders
RECIPE = "ulearn.features.window_features"

Segment = namedtuple("Segment", ["readings", "label", "session", "file", "part"])
Segment.__doc__ = """readings float32 (n, c) in time order; label str; session int (one per
recording session or file); file: where it came from; part: "train"/"test" when the data
brings its own split (Edge Impulse's folders), else None."""

Windows = namedtuple("Windows", ["X", "labels", "split", "info"])
Windows.__doc__ = """X float32 (n, n_features); labels str (n,); split "train", "test" or "gap"
(n,: a training window overlapping a test window, in neither);
info: JSON metadata (the data, the feature recipe, the split rule)."""


def kind(path, window=None):
    """What `path` holds: "folder", "recording" (``ulearn record``), "readings" (a CSV with a
    time column, or any CSV when a `window` is given) or "table" (features and labels)."""
    if os.path.isdir(path):
        return "folder"
    if not os.path.exists(path):  # a recording's base name?
        b = recording.base(path)
        return "recording" if any(recording.is_recording(b + e) for e in (".npz", ".csv")) \
            else "table"
    if recording.is_recording(path):
        return "recording"
    if str(path).lower().endswith(".npz"):
        return "table"
    header = _header(path)
    if window or any(h.strip().lower() in TIME_COLUMNS for h in header):
        return "readings"
    return "table"


def load(path, window, hop=None, target="label", classes=True):
    """The windows of the readings at `path` (a recording, a CSV of readings or a folder of
    them): :class:`Windows`. ``hop`` defaults to ``window`` (back to back, as
    ``ulearn.Windower``'s step). Raises ValueError naming the file, row and column of what
    is wrong, or (with ``classes``, for training) a single class or a class with too few
    windows for the split; FileNotFoundError for a missing path."""
    window, hop = check_sizes(window, hop)
    segs, channels, rate = segments(path, target)
    X, labels, seg, start = features(segs, len(channels), window, hop)
    if not len(labels):
        longest = max((len(s.readings) for s in segs), default=0)
        raise ValueError("%s: no segment (one session, one label) is as long as a window of "
                         "%d readings; the longest has %d" % (path, window, longest))
    if segs[0].part:  # every segment has one then
        split, rule = np.array([segs[k].part for k in seg]), "its training/ and testing/ folders"
    else:
        split = time_split(labels, np.array([segs[k].session for k in seg]), seg, start, window)
        rule = "per class: the last 30% of its sessions, or of each segment's windows"
    if classes:
        check_split(path, labels, split, [segs[k].session for k in seg], window, hop)
    info = {"dataset": os.path.basename(os.path.normpath(str(path))),
            "data": {"path": str(path), "target": target, "window": window, "hop": hop},
            "features": {"recipe": RECIPE, "n_axes": len(channels), "size": window,
                         "step": hop, "rate_hz": rate, "channels": list(channels)},
            "split": rule}
    return Windows(X, labels, split, info)


def check_sizes(window, hop):
    """(window, hop) as ints, hop defaulting to window; ValueError on nonsense."""
    if window is None:
        raise ValueError("give --window N (readings per window) and --hop H (readings between "
                         "window starts) to turn readings into windows of features")
    if window < 2:
        raise ValueError("--window must be 2 readings or more, got %d" % window)
    hop = window if hop is None else hop
    if hop < 1:
        raise ValueError("--hop must be 1 reading or more, got %d" % hop)
    return int(window), int(hop)


# ------------------------------------------------------------------ reading

def segments(path, target="label"):
    """``(segments, channels, rate)`` of a recording, CSV of readings or folder of them;
    rate in Hz, 0 when unknown."""
    if os.path.isdir(path):
        files = _folder(path)
        labels = _info_labels(path)
        recs = []
        for f, part in files:
            label, category = labels.get(os.path.basename(f), (None, None))
            recs.append((f, part or category, _read(f, target, label)))
        if any(p for _, p, _ in recs) and not all(p for _, p, _ in recs):
            f = next(f for f, p, _ in recs if not p)
            raise ValueError("%s is in neither training/ nor testing/, as the other files of "
                             "%s are" % (f, path))
    else:
        b = recording.base(path)
        if os.path.isfile(path):
            rec = _read(path, target)
        elif os.path.isfile(b + ".npz") or os.path.isfile(b + ".csv"):
            rec = recording.load(path)  # a recording's base name
        else:
            raise FileNotFoundError(2, "No such file or directory", str(path))
        recs = [(str(path), None, rec)]
    first = recs[0]
    out, session = [], 0
    for f, part, rec in recs:
        if list(rec.channels) != list(first[2].channels):
            raise ValueError("%s has %d channels (%s); %s has %d (%s): every file needs the "
                             "same" % (f, len(rec.channels), ",".join(rec.channels), first[0],
                                       len(first[2].channels), ",".join(first[2].channels)))
        for s, a, b in _runs(rec):
            out.append(Segment(rec.readings[a:b], str(rec.label[a]), session + s, f, part))
        session += int(rec.session.max()) + 1 if len(rec.session) else 1
    return out, list(first[2].channels), _rate([r for _, _, r in recs])


def _folder(path):
    # the CSV files under path, sorted, each with its part ("train"/"test") when in
    # training/ or testing/
    found = []
    for root, dirs, names in os.walk(path):
        dirs.sort()
        for n in sorted(names):
            if n.lower().endswith(".csv"):
                part = PARTS.get(os.path.basename(root).lower()) if root != path else None
                found.append((os.path.join(root, n), part))
    if not found:
        raise ValueError("%s has no CSV file (a recording, or readings: one file per recording)"
                         % path)
    return found


def _info_labels(path):
    # Edge Impulse's info.labels files under path: {file name: (label, part)}
    out = {}
    for root, dirs, names in os.walk(path):
        if "info.labels" not in names:
            continue
        f = os.path.join(root, "info.labels")
        try:
            with open(f, encoding="utf-8") as fh:
                files = json.load(fh).get("files", [])
            for e in files:
                lab = e.get("label") or {}
                out[os.path.basename(e["path"])] = (
                    lab.get("label") if lab.get("type") == "label" else None,
                    PARTS.get(e.get("category")))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise ValueError("%s is not an Edge Impulse info.labels file: %s" % (f, e))
    return out


def _read(path, target, label=None):
    # one file as a Recording: a ulearn recording, or a CSV of readings
    try:
        if recording.is_recording(path):
            return recording.load(path)
        if str(path).lower().endswith(".npz"):
            raise ValueError("%s is a feature table (X, y), not readings: give it without "
                             "--window" % path)
        return _readings_csv(path, target, label)
    except UnicodeDecodeError:
        raise ValueError("%s is not a text CSV file" % path)
    except csv.Error as e:
        raise ValueError("%s is not a readable CSV file: %s" % (path, e))


def _header(path):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            return next(csv.reader(f), [])
    except (UnicodeDecodeError, csv.Error):
        return []


def _readings_csv(path, target, label=None):
    # channels, and optionally a time column, a label column and a session column; the
    # label else from `label` (info.labels) or the file name
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError("%s is empty: it needs a header row, then a row per reading" % path)
    header = [h.strip() for h in rows[0]]
    low = [h.lower() for h in header]
    t = next((i for i, h in enumerate(low) if h in TIME_COLUMNS), None)
    lab = header.index(target) if target in header else None
    ses = low.index("session") if "session" in low else None  # else the file is one session
    chans = [i for i in range(len(header)) if i not in (t, lab, ses)]
    if not chans:
        raise ValueError("%s has no channel column (its columns: %s)" % (path, ", ".join(header)))
    if lab is None:
        label = label or os.path.basename(path).split(".")[0]
        if not label:
            raise ValueError("%s: no label: no column %r and no file name before the first '.'"
                             % (path, target))
    n = len(rows) - 1
    time, readings, labels = np.zeros(n), np.zeros((n, len(chans)), np.float32), []
    session = np.ones(n, np.int32)
    unit = TIME_COLUMNS[low[t]] if t is not None else 0.0
    for r, row in enumerate(rows[1:], 1):
        if len(row) != len(header):
            raise ValueError("%s, row %d: %d values, the header has %d"
                             % (path, r, len(row), len(header)))
        where = "%s, row %d, column %%r" % (path, r)
        if t is not None:
            time[r - 1] = userdata.number(row[t], where % header[t]) * unit
        for j, i in enumerate(chans):
            readings[r - 1, j] = userdata.number(row[i], where % header[i])
        if ses is not None:
            v = row[ses].strip()
            if not v.isdigit() or int(v) < 1:
                raise ValueError((where % header[ses]) + ": %r is not a session number (1, 2, "
                                 "...)" % v)
            session[r - 1] = int(v)
        if lab is not None:
            v = row[lab].strip()
            if not v:
                raise ValueError((where % target) + ": no label")
            labels.append(v)
    labels = np.array(labels if lab is not None else [label] * n, dtype=str)
    return recording.Recording(time, readings, labels, session,
                               [header[i] for i in chans], 0.0)


def _runs(rec):
    # (session, start, end) of each run of rows with one session and one label
    n = len(rec.label)
    if not n:
        return []
    change = np.flatnonzero((rec.label[1:] != rec.label[:-1])
                            | (rec.session[1:] != rec.session[:-1]))
    bounds = [0, *(change + 1).tolist(), n]
    return [(int(rec.session[a]), a, b) for a, b in zip(bounds[:-1], bounds[1:])]


def _rate(recs):
    # the recordings' rate (Hz), else the median interval of their time columns; 0 unknown
    for r in recs:
        if r.rate:
            return float(r.rate)
    dt = []
    for r in recs:
        d = np.diff(r.time)[np.diff(r.session) == 0] if len(r.time) > 1 else []
        dt.extend(v for v in np.asarray(d).tolist() if v > 0)
    return round(1.0 / float(np.median(dt)), 3) if dt else 0.0


# ------------------------------------------------------------------ windows

def features(segs, n_axes, window, hop):
    """Each segment's readings pushed one at a time through ``ulearn.Windower(n_axes,
    window, hop)`` (reset per segment), the features taken when a window completes:
    ``(X float32 (n, n_features), labels str (n,), segment (n,), start (n,))``, start the
    index in its segment of a window's first reading."""
    from ulearn import Windower
    w = Windower(n_axes, window, hop)
    rows, labels, seg, start = [], [], [], []
    out = [0.0] * w.n_features
    for k, s in enumerate(segs):
        w.reset()
        for t, reading in enumerate(s.readings.tolist()):  # exact float32 values
            if w.push(reading):
                rows.append(list(w.features(out)))
                labels.append(s.label)
                seg.append(k)
                start.append(t + 1 - window)
    X = np.asarray(rows, np.float32).reshape(len(rows), w.n_features)
    return X, np.array(labels, dtype=str), np.array(seg, int), np.array(start, int)


def time_split(labels, session, seg, start, window):
    """"train", "test" or "gap" per window: per class, the last ~30% of its sessions when it
    has two or more (at least one each side), else the last ~30% of each segment's windows,
    with the training windows that overlap the first test window dropped."""
    split = np.full(len(labels), "train", dtype=object)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        sessions = list(dict.fromkeys(session[idx].tolist()))  # in recording order
        if len(sessions) >= 2:
            k = min(max(1, int(round(TEST_FRACTION * len(sessions)))), len(sessions) - 1)
            split[idx[np.isin(session[idx], sessions[-k:])]] = "test"
            continue
        for s in np.unique(seg[idx]):
            j = idx[seg[idx] == s]  # in time order
            k = int(round(TEST_FRACTION * len(j)))
            if k == 0:
                continue
            first = start[j[-k]]
            split[j[-k:]] = "test"
            before = j[:-k]
            split[before[start[before] + window > first]] = "gap"
    return split.astype(str)


def check_split(path, labels, split, sessions, window, hop):
    """ValueError unless there are two classes or more, each with windows on both sides."""
    names = sorted(set(labels.tolist()))
    if len(names) < 2:
        raise ValueError("%s has one class only (%r); a classifier needs two classes or more"
                         % (path, names[0]))
    sessions = np.asarray(sessions)
    for c in names:
        m = labels == c
        tr, te = int(np.sum(m & (split == "train"))), int(np.sum(m & (split == "test")))
        if not tr or not te:
            raise ValueError("%s: class %r has %d training and %d test windows (of %d readings, "
                             "every %d; %d session%s): the split needs one each side; record "
                             "more of it, or give a smaller --window or --hop"
                             % (path, c, tr, te, window, hop, len(set(sessions[m].tolist())),
                                "" if len(set(sessions[m].tolist())) == 1 else "s"))
