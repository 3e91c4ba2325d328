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

from .files import atomic
from .train import classifier, embed


def export(model, out, int8=False, capacity=None, optimizer=None, stats_window=0,
           trainable_last=False, replay=0, replay_k=1, distil=None, task=None, **grow):
    """Write the bundle for `model` (a ``ulearn train`` output) to `out`; returns its meta.

    Parameters
    ----------
    trainable_last : bool
        Keep the model's last hidden layer trainable on the board (the layer
        that can grow: ``grow_step``, ``max_hidden``, ``grow_below``, ``grow_on_class`` in
        `grow`).
    replay : int
        Rows of the board's replay memory (0: none).
    replay_k : int
        Replayed samples trained on with each new sample.
    distil : dict, optional
        ``{"method": "dm"|"herding"|"random", "fraction": 0.01, "per_class": None,
        "seed": 0}``: fill the replay memory with a set made from the model's
        training data in the space the board stores (after its frozen layers);
        the memory grows to hold it.
    task : tasks.Task, optional
        The data that set is made from (default: the data the model's metadata names); its
        feature recipe goes into the bundle when the model has none.
    """
    meta = read_meta(str(model))
    if meta["kind"] != "Classifier":
        raise ValueError("%s holds a %s; export takes a trained Classifier"
                         % (model, meta["kind"]))
    clf = ulearn.load(str(model))
    layers = [(_weights(layer), np.asarray(layer.b), layer.act) for layer in clf.extractor]
    trainable = None
    if trainable_last:
        if not layers or layers[-1][2] != "relu":
            raise ValueError("%s has no relu hidden layer to keep trainable" % model)
        W, b, _ = layers.pop()
        trainable = (W, b)
    rows = clf.head.rows
    head = (np.asarray(clf.head.W)[:rows], np.asarray(clf.head.b)[:rows])
    sc = clf.scaler
    stats = (sc.mean, sc.var, sc.count) if sc else None

    def build(replay_rows):
        return classifier(layers, head, clf.labels, stats, capacity=capacity or clf.capacity,
                          int8=int8, optimizer=optimizer or clf.optimizer,
                          stats_window=stats_window, trainable=trainable, replay=replay_rows,
                          replay_k=replay_k, **grow)
    info = dict(meta.get("info") or {})
    if distil:
        Xs, ys = _distil(build(0), info, task, **distil)
        replay = max(replay, len(Xs))
    new = build(replay)
    if distil:
        new.load_replay(Xs, [new.labels[i] for i in ys])
    info["bundle"] = {"from": os.path.basename(str(model)), "int8": int8,
                      "capacity": new.capacity, "replay": dict(distil or {}, rows=replay)}
    with atomic(out) as tmp:
        ulearn.save(new, tmp, info)
    return read_meta(str(out))


def _distil(front, info, task=None, method="dm", fraction=0.01, per_class=None, seed=0):
    # the model's training rows, through the bundle's frozen front end, distilled
    from . import distill, tasks
    if task is None:
        spec = info.get("data") or ({"path": info["dataset"]} if "dataset" in info else None)
        if spec is None:
            raise ValueError("the model does not say which dataset it was trained on: give "
                             "--data")
        if spec["path"] not in tasks.NAMES and not os.path.exists(spec["path"]):
            raise ValueError("%s, the data the model was trained on, is not there: give --data"
                             % spec["path"])
        task = tasks.load_task(spec["path"], spec.get("target", "label"), spec.get("window"),
                               spec.get("hop"))
    if task.X.shape[1] != front.n_features:
        raise ValueError("the data has %d features per row; the model takes %d"
                         % (task.X.shape[1], front.n_features))
    if "features" not in info and task.info.get("features"):
        info["features"] = task.info["features"]
    rows = tasks.select(task, "train", front.labels)
    E = embed(front, task.X[rows])
    y = np.array([front.labels.index(task.names[v]) for v in task.y[rows]])
    return distill.replay_set(E, y, method=method, fraction=fraction, per_class=per_class,
                              seed=seed)


def _weights(layer):
    # float weights of a Frozen layer (int8 ones scaled back)
    W = np.asarray(layer.W, dtype=np.float32)
    return W * np.asarray(layer.scale)[:, None] if layer.int8 else W

