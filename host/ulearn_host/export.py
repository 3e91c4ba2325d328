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
from ulearn.checkpoint import _MAX_DIM, CheckpointError, _load, check_config, read_meta

from .files import atomic
from .train import classifier, embed

ROOM = 4  # head rows for new classes a bundle has by default, beyond the trained ones


def is_model(info):
    """True for the info of a model file from ``ulearn train`` (not exported): export writes
    info["bundle"], train does not. A checkpoint without info (``ulearn.save`` of one's own)
    counts as a bundle."""
    return isinstance(info, dict) and "bundle" not in info


def load_bundle(path):
    """The learner in the bundle at ``path``, loaded as a board's app loads it (every member's
    CRC checked, the default max_bytes); ValueError naming the file for a damaged one or a
    model not exported yet, OSError for a missing one."""
    try:  # not ulearn.load: its fallback to PATH.tmp would check another file
        learner = _load(str(path), ulearn.load.__defaults__[0])
    except CheckpointError as e:
        raise CheckpointError("%s: %s" % (path, e))
    if is_model(learner.info):
        raise ValueError("%s is a model from `ulearn train`, not a bundle: run `ulearn export "
                         "%s` first" % (path, path))
    return learner


def export(model, out, int8=False, capacity=None, optimizer=None, stats_window=0,
           trainable_last=False, replay=0, replay_k=1, distil=None, task=None, **grow):
    """Write the bundle for `model` (a ``ulearn train`` output) to `out`; returns its meta.

    The bundle is checked as a board loads it (the loader's limits, and ``ulearn.load``'s
    default max_bytes, which the board's app uses) before it replaces `out`: a ValueError
    leaves `out` as it was.

    Parameters
    ----------
    capacity : int, optional
        Head rows (default: the trained classes + ROOM, room for new ones).
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
    classes = len(clf.labels)
    if capacity is None:
        capacity = min(max(clf.capacity, classes + ROOM), _MAX_DIM)
    if capacity < classes:
        raise ValueError("capacity %d is below the %d trained classes" % (capacity, classes))
    if capacity > _MAX_DIM:
        raise ValueError("capacity %d is more than a board loads (at most %d classes)"
                         % (capacity, _MAX_DIM))
    _check(replay=replay, replay_k=replay_k, **grow)

    def build(replay_rows):
        return classifier(layers, head, clf.labels, stats, capacity=capacity,
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
    try:
        check_config(new.config(), "Classifier")
    except CheckpointError as e:
        raise ValueError("a board could not load this bundle: %s" % e)
    with atomic(out) as tmp:
        ulearn.save(new, tmp, info)
        try:
            ulearn.load(tmp)  # as a board loads it, before it replaces `out`
        except CheckpointError as e:
            raise ValueError("a board could not load this bundle: %s (lower --capacity or "
                             "--replay, or use --int8)" % str(e).split(": ", 1)[-1])
    return read_meta(str(out))


def _check(**settings):
    # settings against the board loader's limits, before allocating anything
    c = ulearn.checkpoint
    for key, hi in (("replay", c._MAX_REPLAY), ("replay_k", 64), ("grow_step", _MAX_DIM),
                    ("max_hidden", _MAX_DIM)):
        v = settings.get(key)
        if v is not None and not 0 <= v <= hi:
            raise ValueError("%s %d is beyond what a board loads (0 to %d)" % (key, v, hi))


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

