"""Labelled tasks the host trains on and streams to boards.

A task is a real dataset as the board sees it (features, label names) with a
fixed train/test split: the watch exercises split by subject (subjects 1-7
train, 8-10 test: new wearers), digits by a seeded stratified 70/30 cut.
"""
import os
from collections import namedtuple

import numpy as np

from . import datasets, userdata

NAMES = ("watch", "digits")  # the built-in tasks

Task = namedtuple("Task", ["X", "y", "names", "split", "info"])
Task.__doc__ = """X float32 (n, d); y int64 indexes names; split "train"/"test" per row;
info: JSON metadata for bundles (dataset, feature recipe)."""

WATCH_TEST_SUBJECTS = (8, 9, 10)


def load_task(name, target="label"):
    """The task called `name` ("watch" or "digits"), or a feature table of your own: a
    CSV or .npz file (:mod:`ulearn_host.userdata`; ``target``: a CSV's label column),
    split 70/30 per class as digits is."""
    if name == "watch":
        data = datasets.load_watch()
        X, y, groups = datasets.watch_windows(size=100, step=50, data=data)
        split = np.where(np.isin(groups, WATCH_TEST_SUBJECTS), "test", "train")
        info = {"dataset": "watch", "features": {"recipe": "ulearn.features.window_features",
                                                 "n_axes": 6, "size": 100, "step": 50,
                                                 "rate_hz": data.sample_rate}}
        return Task(X, y, list(data.label_names), split, info)
    if name == "digits":
        X, y = datasets.load_digits()
        return Task(X, y, [str(c) for c in range(10)], _split(y),
                    {"dataset": "digits", "features": {"recipe": "8x8 pixels, 0-16"}})
    if os.path.exists(name) or name.lower().endswith((".csv", ".npz")):
        X, labels, columns = userdata.load_table(name, target)
        names = sorted(set(labels))
        y = np.array([names.index(v) for v in labels])
        return Task(X, y, names, _split(y), {"dataset": os.path.basename(name),
                                             "features": {"columns": columns}})
    raise ValueError("unknown task %r; choose from: %s, or give a CSV or .npz file"
                     % (name, ", ".join(NAMES)))


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
