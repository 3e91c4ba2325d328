"""``ulearn export``: a trained model -> the bundle a board loads.

The bundle is a ulearn checkpoint (numpy .npz: meta.json + .npy arrays) of a
``ulearn.Classifier``: the frozen extractor layers (float32, or int8 with one
scale per row), the head with room for new classes (`capacity`), the input
statistics, the labels, the optimizer the board learns with, and metadata
(format version, feature size, capacity, what it was trained on).
"""
import os

import numpy as np

import ulearn
from ulearn.checkpoint import read_meta

from .train import classifier


def export(model, out, int8=False, capacity=None, optimizer=None, stats_window=0):
    """Write the bundle for `model` (a ``ulearn train`` output) to `out`; returns its meta."""
    meta = read_meta(str(model))
    if meta["kind"] != "Classifier":
        raise ValueError("%s holds a %s; export takes a trained Classifier"
                         % (model, meta["kind"]))
    clf = ulearn.load(str(model))
    hidden = [(_weights(layer), np.asarray(layer.b), layer.act) for layer in clf.extractor]
    rows = clf.head.rows
    head = (np.asarray(clf.head.W)[:rows], np.asarray(clf.head.b)[:rows])
    sc = clf.scaler
    stats = (sc.mean, sc.var, sc.count) if sc else None
    new = classifier(hidden, head, clf.labels, stats, capacity=capacity or clf.capacity,
                     int8=int8, optimizer=optimizer or clf.optimizer,
                     stats_window=stats_window)
    info = dict(meta.get("info") or {})
    info["bundle"] = {"from": os.path.basename(str(model)), "int8": int8,
                      "capacity": new.capacity}
    ulearn.save(new, str(out), info)
    return read_meta(str(out))


def _weights(layer):
    # float weights of a Frozen layer (int8 ones scaled back)
    W = np.asarray(layer.W, dtype=np.float32)
    return W * np.asarray(layer.scale)[:, None] if layer.int8 else W

