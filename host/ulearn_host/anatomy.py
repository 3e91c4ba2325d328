"""A learner's anatomy, read from the learner: its arrays, working vectors, the terms one
``learn_one``'s allocations scale with, and its arithmetic (FLOPs and MACs).

Host-side accounting: boards never import this module (it is not part of the device
package). Everything here is read from the device package's own definitions, so a new
array or layer shows up without a second list to update:

- the checkpointed arrays come from the learner's ``layout(config)``, the one definition
  the checkpoint writes and the loader checks (``Learner.arrays()`` resolves the same
  names on the object: "head.W" is ``learner.head.W``);
- the working vectors are the arrays a learner built from its config holds besides them,
  found by walking its objects;
- the step terms and FLOPs follow the trainable layers found there.

``source`` is a learner object, a bundle/checkpoint path, or a dict like its meta.json
(``{"kind": ..., "config": ...}``).

Example
-------
>>> from ulearn_host import anatomy
>>> a = anatomy.of("bundle.npz")                           # doctest: +SKIP
>>> [(p["name"], p["shape"], p["dtype"], p["bytes"]) for p in a["arrays"]][:1]  # doctest: +SKIP
[('head.W', (8, 26), 'f4', 832)]
>>> a["flops"]["train_step"], a["step_terms"]["passes"]  # doctest: +SKIP

FLOPs convention: a MAC is one multiply and one add into an accumulator (a dot product of
n terms that starts at the bias is n MACs, so biases cost nothing extra); FLOPs = 2 * MACs
+ every other elementwise operation, one each for an add, subtract, multiply, divide,
comparison (relu, max) or exp/tanh/sqrt. Counts follow the reference kernels (kern_py)
over the active rows; scalar work done once per call (the clip factor, 1/count), input
checks and copies are not counted. Each cost is a (macs, ops) pair.
"""
import json
import os
from array import array

from ulearn import checkpoint, npy, sparse, zipstore
from ulearn.base import embed_size

__all__ = ["of", "spec", "build", "arrays", "parts", "array_bytes", "npz_bytes", "working",
           "trained", "step_terms", "learner_flops", "sparse_costs", "describe"]


# -- the learner and its config

def _is_learner(source):
    return hasattr(source, "layout") and hasattr(source, "config") and hasattr(source, "kind")


def spec(source, capacity=None):
    """Kind, config, array layout and meta.json size of a learner, without building it.

    `capacity` replaces a Classifier's. Returns a dict: ``kind``, ``config``, ``widest``
    (the config with a growing hidden layer at its widest: what a board must hold),
    ``layout`` [(name, shape, dtype code)] of ``widest``, ``meta_bytes`` (meta.json as
    ``ulearn.save`` writes it) and ``path`` (None unless `source` is a file). Raises
    ulearn.CheckpointError, with the loader's own text, for anything the loader would refuse.
    """
    path = None
    if _is_learner(source):
        meta = {"format": checkpoint.FORMAT, "version": checkpoint.VERSION, "kind": source.kind,
                "config": source.config(), "state": source.state()}
        meta_bytes = len(json.dumps(meta))
    elif isinstance(source, dict):
        meta = dict(source, format=checkpoint.FORMAT, version=checkpoint.VERSION)
        meta.setdefault("state", {})
        if meta.get("kind") not in checkpoint.kinds():
            raise checkpoint.CheckpointError("unknown learner kind %r" % (meta.get("kind"),))
        meta_bytes = len(json.dumps(meta))
    else:
        path = os.fspath(source)
        meta = checkpoint.read_meta(path)  # the loader's checks, arrays not read
        with open(path, "rb") as f:
            meta_bytes = zipstore.members(f)["meta.json"][1]
    kind, c = meta["kind"], meta.get("config")
    c = dict(c) if isinstance(c, dict) else c
    if capacity is not None:
        if kind != "Classifier":
            raise ValueError("capacity applies to a Classifier, not an %s" % kind)
        c["capacity"] = capacity
    checkpoint.check_config(c, kind)
    widest = c  # the arrays for the width the hidden layer may grow to
    if c.get("grow_step") and c.get("max_hidden", 0) > c.get("hidden", 0):
        widest = dict(c, hidden=c["max_hidden"])
    return {"kind": kind, "config": c, "widest": widest,
            "layout": checkpoint.kinds()[kind].layout(widest), "meta_bytes": meta_bytes,
            "path": path}


def build(source):
    """The learner of `source`: a learner object as is, a file loaded (``ulearn.load``), a
    dict's config built new (zero arrays, as ``checkpoint.load`` makes it before filling)."""
    if _is_learner(source):
        return source
    if isinstance(source, dict):
        s = spec(source)
        return _fresh(s["kind"], s["config"])
    return checkpoint.load(os.fspath(source))


def _fresh(kind, config):
    return checkpoint.kinds()[kind].from_config(config)


# -- arrays

def _array(obj):
    # (shape, dtype code, data bytes, container) of an array the kernels or the package
    # make (numpy/ulab ndarray, array.array), else None
    if isinstance(obj, array):
        tc = obj.typecode
        code = ("f" if tc in "fd" else "u" if tc.isupper() else "i") + str(obj.itemsize)
        return (len(obj),), code, len(obj) * obj.itemsize, "array"
    shape, itemsize = getattr(obj, "shape", None), getattr(obj, "itemsize", None)
    if isinstance(shape, tuple) and isinstance(itemsize, int) and hasattr(obj, "dtype"):
        import numpy as np
        dt = np.asarray(obj).dtype
        n = 1
        for d in shape:
            n *= d
        return tuple(shape), "%s%d" % ("f" if dt.kind == "f" else dt.kind, dt.itemsize), \
            n * itemsize, "ndarray"
    return None


def _resolve(learner, name):
    # what a layout name or an owner's path names on the learner, as Learner.arrays() does
    obj = learner
    for part in name.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def _nbytes(shape, code):
    return npy.itemsize(code) * shape[0] * (shape[1] if len(shape) == 2 else 1)


def parts(layout, learner=None):
    """The arrays of a layout as dicts: ``name``, ``shape``, ``dtype`` (code), ``bytes``
    (data: what the board allocates), ``owner`` (the object holding it, e.g. "head",
    "extractor.0", "replay") and, given the learner, ``trained`` (it belongs to a layer
    ``learn_one`` trains)."""
    out = []
    for name, shape, code in layout:
        p = {"name": name, "shape": tuple(shape), "dtype": code, "bytes": _nbytes(shape, code),
             "owner": name.rsplit(".", 1)[0]}
        if learner is not None:
            p["trained"] = _is_dense(_resolve(learner, p["owner"]))
        out.append(p)
    return out


def arrays(source):
    """:func:`parts` of the arrays a checkpoint of `source` holds (its layout as it is now,
    not grown), read on the learner itself: ``trained`` is set."""
    learner = build(source) if not _is_learner(source) else source
    return parts(learner.layout(learner.config()), learner)


def array_bytes(layout):
    """{array name: data bytes} of a checkpoint layout: what the board allocates for each."""
    return {name: _nbytes(shape, code) for name, shape, code in layout}


def npz_bytes(layout, meta_bytes):
    """Size of the file ulearn.save writes for `layout` (a stored ZIP of .npy members)."""
    members = [("meta.json", meta_bytes)] + [
        (name + ".npy", len(npy.header(shape, code)) + n)
        for (name, shape, code), n in zip(layout, array_bytes(layout).values())]
    # local header (30) + name + data, central entry (46) + name; end record (22)
    return sum(76 + 2 * len(name) + size for name, size in members) + 22


# -- walking a learner's objects

def _ours(obj):
    return type(obj).__module__.split(".")[0] == "ulearn" and hasattr(obj, "__dict__")


def _walk(learner):
    # (path, object) of every array and package object reachable from the learner,
    # each once, in construction order
    seen = set()
    out = []

    def visit(obj, path):
        if id(obj) in seen:
            return
        if _array(obj) is not None or _ours(obj):
            seen.add(id(obj))
            out.append((path, obj))
            if _ours(obj):
                for k, v in vars(obj).items():
                    visit(v, path + "." + k if path else k)
        elif isinstance(obj, (list, tuple)):
            for i, v in enumerate(obj):
                visit(v, "%s.%d" % (path, i))

    visit(learner, "")
    return out


def _is_dense(obj):
    return type(obj).__name__ == "Dense" and _ours(obj)


def working(learner):
    """The arrays a learner holds besides its checkpointed ones (input copies, layer
    outputs and gradients, scratch rows): dicts ``name`` (attribute path, e.g. "head._y"),
    ``shape``, ``dtype``, ``bytes``, ``container`` ("ndarray": made by the kernels, a ulab
    array on ulab firmware; "array": an ``array.array`` on every firmware). Walk a learner
    fresh from its config (``of`` does): after steps, layers also hold their last inputs."""
    kept = set(id(a) for a in learner.arrays())
    out = []
    for path, obj in _walk(learner):
        info = _array(obj)
        if info is not None and id(obj) not in kept:
            shape, code, nbytes, container = info
            out.append({"name": path, "shape": shape, "dtype": code, "bytes": nbytes,
                        "container": container})
    return out


def trained(learner):
    """[(attribute path, Dense)] of the layers ``learn_one`` trains, input side first
    (hidden and head; encoder and decoder; a sparse update's rows)."""
    dense = [(path, obj) for path, obj in _walk(learner) if _is_dense(obj)]
    return sorted(dense, key=lambda d: not d[0].startswith("sparse."))  # stable: walk order


# -- what one learn_one allocates

def step_terms(learner, replay_k=None):
    """Sizes that one ``learn_one``'s allocations scale with (every class row in use):
    the input and the frozen layers once (``frozen_back``: weights a sparse update
    back-propagates through), then per trained pass (``passes``: the new sample and the
    `replay_k` replayed ones, default the learner's with a replay memory) the trained
    layers' ``layers``, ``weights`` (with biases), ``momentum``, ``decay``, ``clip``,
    ``rows`` and ``embed`` (their input width), and ``replay`` (the row the memory stores).
    ``ram_costs.json["step"]`` has bytes per unit of each, measured by tools/measure_ram.py."""
    rep = getattr(learner, "replay", None)
    if replay_k is None:
        replay_k = learner.replay_k if rep is not None else 0
    n, opt = learner.n_features, learner.optimizer
    t = {"const": 1, "inputs": n, "std_inputs": n if learner.scaler is not None else 0,
         "frozen_i8": 0, "frozen_f32": 0, "frozen_out": 0, "frozen_back": 0}
    sp = getattr(learner, "sparse", None)
    for i, f in enumerate(learner.extractor):
        t["frozen_i8" if f.int8 else "frozen_f32"] += f.n_in * f.n_out
        t["frozen_out"] += f.n_out
        if sp is not None and i > sp.low:
            t["frozen_back"] += f.n_in * f.n_out
    dense = [(d.n_in, d.n_out) for _, d in trained(learner)]
    k = 1 + replay_k
    w = sum((n_in + 1) * rows for n_in, rows in dense)  # weights and biases
    t.update(passes=k, layers=k * len(dense), weights=k * w,
             momentum=k * w if opt.momentum else 0,
             decay=k * sum(n_in * rows for n_in, rows in dense) if opt.weight_decay else 0,
             clip=k * sum(n_in + rows for n_in, rows in dense) if opt.clip else 0,
             rows=k * sum(rows for _, rows in dense), embed=k * learner.n_embed,
             replay=learner.n_embed if rep is not None else 0)
    return t


# -- the whole picture

def of(source, capacity=None, flops=True):
    """Everything about a learner: :func:`spec`'s fields, ``arrays`` (:func:`parts` of the
    layout, for the widest growth), ``working`` (:func:`working` of a learner built from
    that config), ``trained`` ([path, n_in, n_out, act] of its trained layers),
    ``step_terms`` (every class row in use) and, unless `flops` is False, ``flops``
    (:func:`learner_flops` of the learner itself: a file is loaded, a dict built)."""
    s = spec(source, capacity)
    fresh = _fresh(s["kind"], s["widest"])
    out = dict(s, arrays=parts(s["layout"], fresh), working=working(fresh),
               trained=[[p, d.n_in, d.n_out, d.act] for p, d in trained(fresh)],
               step_terms=step_terms(fresh))
    if flops:
        learner = _fresh(s["kind"], s["config"]) if capacity is not None else build(source)
        out["flops"] = learner_flops(learner)
    return out


def sparse_costs(learner):
    """The sparse-update dims of a Classifier (``dims``: (n_in, n_out) per frozen layer,
    ``top``: of the trainable layers above them) and ``ulearn.sparse.cost`` of training the
    head alone (``head_only``) and every channel (``full``)."""
    dims, top = learner._sparse_dims()
    return {"dims": dims, "top": top, "head_only": sparse.cost(dims, [0] * len(dims), top),
            "full": sparse.cost(dims, [m for _, m in dims], top)}


def describe(kind, c):
    """One line for a learner config, e.g. ``Classifier: 26 -> 32 (int8, relu) -> 8 classes``."""
    out = ["%d" % c["n_features"]] + ["%d (%s%s)" % (lc["n_out"], "int8, " * lc["int8"], lc["act"])
                                      for lc in c["extractor"]]
    if kind == "Classifier":
        if c.get("hidden"):
            out.append("%d (trainable, relu%s)" % (
                c["hidden"], ", grows to %d" % c["max_hidden"] if c.get("grow_step") else ""))
        out.append("%d classes" % c["capacity"])
        if c.get("replay"):
            out.append("replay memory of %d rows" % c["replay"])
    else:
        out += ["%d (tanh)" % c["hidden"], "%d" % embed_size(c)]
    return "%s: %s" % (kind, " -> ".join(out))


# -- arithmetic: costs as (macs, ops)

def flops(c):
    """FLOPs of a (macs, ops) cost: 2 * macs + ops."""
    return 2 * c[0] + c[1]


def add(*cs):
    """The sum of (macs, ops) costs."""
    return (sum(c[0] for c in cs), sum(c[1] for c in cs))


def times(c, k):
    """A (macs, ops) cost k times."""
    return (c[0] * k, c[1] * k)


def activation(act, n):
    """Ops of an activation over n values: relu one comparison, tanh one op, linear none."""
    return 0 if act == "linear" else n


def activation_grad(act, n):
    """Ops of an activation's gradient: g * (y > 0) one, g * (1 - y * y) three."""
    return {"linear": 0, "relu": n, "tanh": 3 * n}[act]


def forward(n_in, n_out, act="linear", int8=False):
    """A Frozen or Dense layer: affine (int8: one scale multiply per output), activation."""
    return (n_out * n_in, (n_out if int8 else 0) + activation(act, n_out))


def sgd(n_in, rows, momentum=0.0, weight_decay=0.0, clip=0.0):
    """One step on the rank-1 gradient g x^T of a rows x n_in layer and its bias.

    lr * g (rows ops); w -= (lr g_i) x_j is one MAC per weight, with momentum u = mu u +
    (lr g_i) x_j, w -= u is two; decay multiplies every weight once; clipping takes |g|^2
    and |x|^2 (rows + n_in MACs).
    """
    macs = (2 if momentum else 1) * rows * (n_in + 1)
    ops = rows + (rows * n_in if weight_decay else 0)
    if clip:
        macs += rows + n_in
    return (macs, ops)


def backward(n_in, rows, act="linear", input_grad=True, opt=None):
    """A trainable Dense: activation gradient, input gradient W^T g (when needed), then the
    optimizer's step (plain SGD when opt is None)."""
    c = sgd(n_in, rows, opt.momentum, opt.weight_decay, opt.clip) if opt else sgd(n_in, rows)
    return (c[0] + (rows * n_in if input_grad else 0), c[1] + activation_grad(act, rows))


def softmax(n):
    """max (n - 1 comparisons), subtract, exp, sum, divide."""
    return (0, 5 * n - 1 if n else 0)


def standardize(n):
    """(x - mean) * inv_std."""
    return (0, 2 * n)


def scaler_update(n):
    """Welford (8 ops per feature) and the cached 1 / sqrt(var + eps) (3)."""
    return (0, 11 * n)


def layer_forward(layer, rows=None):
    """forward() of a Frozen or Dense object (Dense: its active rows unless given)."""
    if rows is None:
        rows = getattr(layer, "rows", layer.n_out)
    return forward(layer.n_in, rows, layer.act, getattr(layer, "int8", False))


def learner_flops(learner, replay_k=None, rows=None):
    """FLOPs of a ulearn learner (or of a `source` :func:`build` makes one of): inference
    and ``learn_one`` ("train_step"); "breakdown" holds FLOPs per part, "macs" the MACs of
    inference and train_step.

    Classifier: inference is predict_proba_one. replay_k: each learn_one also trains on k
    replayed samples stored as embeddings, which skip standardisation, the scaler update
    and the extractor (default: the learner's replay_k when it has a replay memory, else 0;
    storing and sampling the memory is not counted). rows: active classes (default: the
    head's rows, or its capacity while it has none). A trainable `learner.hidden` Dense
    between extractor and head, if any, is trained through the head's input gradient; so
    are the trained rows of the frozen layers (sparse updates), through the extractor above
    them. AnomalyDetector: inference is score_one (reconstruction and its squared error);
    replay_k and rows do not apply.
    """
    if isinstance(learner, (dict, str, os.PathLike)):
        learner = build(learner)
    if getattr(learner, "kind", "Classifier") != "Classifier":  # duck-typed: a classifier
        if replay_k or rows is not None:
            raise ValueError("replay_k and rows apply to a Classifier, not an %s" % learner.kind)
        return _detector_flops(learner)
    if replay_k is None:
        replay_k = learner.replay_k if getattr(learner, "replay", None) is not None else 0
    if not isinstance(replay_k, int) or replay_k < 0:
        raise ValueError("replay_k must be an int >= 0, got %r" % (replay_k,))
    head, opt = learner.head, learner.optimizer
    hidden = getattr(learner, "hidden", None)
    sp = getattr(learner, "sparse", None)
    r = rows if rows is not None else (head.rows or head.n_out)
    part = _front(learner)
    part["hidden"] = layer_forward(hidden) if hidden is not None else (0, 0)
    part["head"] = layer_forward(head, r)
    part["softmax"] = softmax(r)
    inference = add(*part.values())
    part["scaler_update"] = (scaler_update(learner.n_features) if learner.scaler is not None
                             else (0, 0))
    hb = backward(head.n_in, r, head.act, hidden is not None or sp is not None, opt)
    part["head_backward"] = add(hb, (0, 1))  # p - onehot(y)
    part["hidden_backward"] = (backward(hidden.n_in, hidden.rows, hidden.act, sp is not None, opt)
                               if hidden is not None else (0, 0))
    part["sparse_backward"] = sparse_backward(learner.extractor, sp, opt) if sp else (0, 0)
    trained_part = ("hidden", "head", "softmax", "head_backward", "hidden_backward")
    part["replay"] = times(add(*[part[k] for k in trained_part]), replay_k)
    return _result(inference, part)


def _front(learner):
    # standardisation and the frozen extractor (with a sparse update's trained copies)
    sp = getattr(learner, "sparse", None)
    part = {"standardize": (standardize(learner.n_features) if learner.scaler is not None
                            else (0, 0))}
    for i, layer in enumerate(learner.extractor):
        part["extractor.%d" % i] = layer_forward(layer)
        if sp is not None and sp.rows[i] is not None:  # the trained copies run too
            part["extractor.%d" % i] = add(part["extractor.%d" % i], layer_forward(sp.rows[i]))
    return part


def _detector_flops(det):
    # score_one: front end, encoder, decoder, |r - f|^2 (m subtractions, m MACs); learn_one
    # adds the scaler update, g = (r - f) * 2/m (2m ops) and both layers' backward steps
    m, opt = det.n_embed, det.optimizer
    part = _front(det)
    part["enc"] = layer_forward(det.enc)
    part["dec"] = layer_forward(det.dec)
    part["score"] = (m, m)
    inference = add(*part.values())
    part["scaler_update"] = scaler_update(det.n_features) if det.scaler is not None else (0, 0)
    part["gradient"] = (0, 2 * m)
    part["dec_backward"] = backward(det.dec.n_in, det.dec.n_out, det.dec.act, True, opt)
    part["enc_backward"] = backward(det.enc.n_in, det.enc.n_out, det.enc.act, False, opt)
    return _result(inference, part)


def _result(inference, part):
    step = add(*part.values())
    return {"inference": flops(inference), "train_step": flops(step),
            "breakdown": {k: flops(c) for k, c in part.items()},
            "macs": {"inference": inference[0], "train_step": step[0]}}


def sparse_backward(layers, sp, opt):
    """From the top frozen layer down to the lowest with trained rows: each set of trained
    rows' backward step, and above the lowest, the frozen layer's activation gradient and
    input gradient W^T g (int8: g times the row scales first), plus the trained rows' input
    gradient."""
    c = (0, 0)
    for i in range(len(layers) - 1, sp.low - 1, -1):
        d, f = sp.rows[i], layers[i]
        if d is not None:
            c = add(c, backward(d.n_in, d.n_out, d.act, i > sp.low, opt))
        if i > sp.low:
            ops = activation_grad(f.act, f.n_out) + (f.n_out if f.int8 else 0)
            c = add(c, (f.n_in * f.n_out, ops + (f.n_in if d is not None else 0)))
    return c
