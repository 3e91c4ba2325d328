"""Labelled tasks the host trains on and streams to boards.

A task is a real dataset as the board sees it (features, label names) with a
fixed train/test split: the watch exercises split by subject (subjects 1-7
train, 8-10 test: new wearers), digits by a seeded stratified 70/30 cut.
"""
import os
from collections import namedtuple

import numpy as np

from . import datasets, recording, userdata, windows

NAMES = ("watch", "digits")  # the built-in tasks

Task = namedtuple("Task", ["X", "y", "names", "split", "info"])
Task.__doc__ = """X float32 (n, d); y int64 indexes names; split "train"/"test" per row ("gap"
for windows of readings left out of both: they overlap the test windows);
info: JSON metadata for bundles (dataset, feature recipe)."""

WATCH_TEST_SUBJECTS = (8, 9, 10)


def load_task(name, target="label", window=None, hop=None, classes=True):
    """The task called `name` ("watch" or "digits"), or data of your own at the path `name`:
    a feature table, a CSV or .npz file (:mod:`ulearn_host.userdata`; ``target``: a CSV's
    label column), split 70/30 per class as digits is; or raw readings (a ``ulearn record``
    recording, a CSV of readings, a folder of them: :mod:`ulearn_host.windows`) cut into
    windows of ``window`` readings every ``hop`` (default: ``window``), split so that no
    reading is on both sides. ``window`` and ``hop`` also resize the watch task's windows.
    ``classes=False`` lets readings hold one class, or a class on one side of the split only
    (a stream of a new gesture for a board to learn)."""
    if window is None and hop is not None:
        raise ValueError("--hop needs --window (readings per window)")
    if name == "watch":
        size, step = windows.check_sizes(window, hop) if window else (100, 50)
        data = datasets.load_watch()
        X, y, groups = datasets.watch_windows(size=size, step=step, data=data)
        split = np.where(np.isin(groups, WATCH_TEST_SUBJECTS), "test", "train")
        info = {"dataset": "watch", "data": {"path": "watch", "window": size, "hop": step},
                "features": {"recipe": windows.RECIPE, "n_axes": 6, "size": size,
                             "step": step, "rate_hz": data.sample_rate}}
        return Task(X, y, list(data.label_names), split, info)
    if name == "digits":
        _no_window(name, window)
        X, y = datasets.load_digits()
        return Task(X, y, [str(c) for c in range(10)], _split(y),
                    {"dataset": "digits", "data": {"path": "digits"},
                     "features": {"recipe": "8x8 pixels, 0-16"}})
    b = recording.base(name)
    pair = os.path.isfile(b + ".csv") or os.path.isfile(b + ".npz")  # a recording's base name
    if os.path.exists(name) or pair or name.lower().endswith((".csv", ".npz")):
        if not os.path.exists(name) and not pair:
            raise FileNotFoundError(2, "No such file or directory", name)
        kind = windows.kind(name, window)
        if kind == "table":
            _no_window(name, window)
            X, labels, columns = userdata.load_table(name, target)
            names = sorted(set(labels))
            y = np.array([names.index(v) for v in labels])
            return Task(X, y, names, _split(y), {"dataset": os.path.basename(name),
                                                 "data": {"path": name, "target": target},
                                                 "features": {"columns": columns}})
        if window is None:
            what = {"folder": "a folder", "recording": "a recording"}.get(
                kind, "a CSV (it has a time column)")
            raise ValueError("%s is %s of raw readings: give --window N (readings per window) "
                             "and --hop H (readings between window starts) to turn them into "
                             "windows of features" % (name, what))
        w = windows.load(name, window, hop, target, classes)
        names = sorted(set(w.labels.tolist()))
        y = np.array([names.index(v) for v in w.labels.tolist()], dtype=np.int64)
        return Task(w.X, y, names, w.split, w.info)
    raise ValueError("unknown task %r; choose from: %s, or give a CSV or .npz file or a folder"
                     % (name, ", ".join(NAMES)))


def _no_window(name, window):
    if window is not None:
        raise ValueError("%s is a table of features, not readings: give it without --window"
                         % name)


def _split(y):
    # a seeded 70/30 cut of each class, at least one row on each side
    rng = np.random.default_rng(0)
    split = np.full(len(y), "train", dtype=object)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        split[idx[: min(max(1, int(round(0.3 * len(idx)))), len(idx) - 1)]] = "test"
    return split.astype(str)


def select(task, split=None, classes=None):
    """Row indexes of `task` in `split` whose label name is in `classes`."""
    keep = np.ones(len(task.y), dtype=bool)
    if split is not None:
        keep &= task.split == split
    if classes is not None:
        ids = class_ids(task, classes)
        keep &= np.isin(task.y, ids)
    return np.flatnonzero(keep)


def class_ids(task, classes):
    """Indexes of the label names `classes`; ValueError names any unknown one."""
    unknown = [c for c in classes if c not in task.names]
    if unknown:
        raise ValueError("unknown class %s; %s has: %s" % (", ".join(map(repr, unknown)),
                         task.info["dataset"], ", ".join(task.names)))
    return [task.names.index(c) for c in classes]
