"""Labelled tasks the host trains on and streams to boards.

A task is a real dataset as the board sees it (features, label names) with a
fixed train/test split: the watch exercises split by subject (subjects 1-7
train, 8-10 test: new wearers), digits by a seeded stratified 70/30 cut.
"""
from collections import namedtuple

import numpy as np

from . import datasets

Task = namedtuple("Task", ["X", "y", "names", "split", "info"])
Task.__doc__ = """X float32 (n, d); y int64 indexes names; split "train"/"test" per row;
info: JSON metadata for bundles (dataset, feature recipe)."""

WATCH_TEST_SUBJECTS = (8, 9, 10)


def load_task(name):
    """The task called `name` ("watch" or "digits")."""
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
        rng = np.random.default_rng(0)
        split = np.full(len(y), "train", dtype=object)
        for c in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == c))
            split[idx[: int(round(0.3 * len(idx)))]] = "test"
        return Task(X, y, [str(c) for c in range(10)], split.astype(str),
                    {"dataset": "digits", "features": {"recipe": "8x8 pixels, 0-16"}})
    raise ValueError("unknown task %r; choose from: watch, digits" % (name,))


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
