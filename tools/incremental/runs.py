"""One run of a stream: the board path (the device Classifier, one sample at
a time) or the host path (minibatches on batch kernels), with its training
and inference FLOPs; and the metrics of a run's accuracy matrix."""
import time

import numpy as np

from ulearn_dev import devicepkg
from ulearn_host import batch, evaluate

from . import data
from .settings import (BOARD_CLIP, BOARD_MOM, EXT_WIDTH, FRACTION, HIDDEN, HOST_BS, HOST_EPOCHS, HOST_MOM,
                       HOST_WD, REPLAY_METHODS)

_FLOPS = {}


def flops_of(ul, d_in, n_classes, width, rows, k, has_ext):
    """learner_flops of the board Classifier of these sizes (its config, built by
    ulearn_host.anatomy): (inference, train step, forward of the trainable part).
    k: replayed samples trained per step. `ul`: unused, kept for the callers."""
    key = (d_in, n_classes, width, rows, k, has_ext)
    if key not in _FLOPS:
        from ulearn_host import anatomy
        ext = [{"n_in": d_in, "n_out": EXT_WIDTH, "act": "relu", "int8": False}] if has_ext else []
        config = {"n_features": d_in, "capacity": n_classes, "extractor": ext, "hidden": width,
                  "standardize": False, "stats_window": 0,
                  "optimizer": {"lr": 0.01, "momentum": BOARD_MOM, "weight_decay": 0.0,
                                "clip": BOARD_CLIP}}
        f = anatomy.learner_flops({"kind": "Classifier", "config": config}, replay_k=k, rows=rows)
        b = f["breakdown"]
        _FLOPS[key] = (f["inference"], f["train_step"], b["hidden"] + b["head"])
    return _FLOPS[key]


def _prepare(job):
    # what both paths take from a job: the phase's data, the front end, the
    # settings, the replay sets' method, the start width, the class sequence
    # (joint: all classes at once) and an empty accuracy matrix
    _, stream, phase, fe, method, cfg, _, _ = job
    cfg = dict(cfg)
    d = data.DATA[stream, phase]
    small = method in ("adaptive", "small")
    seqs = [sorted(c for t in d["tasks"] for c in t)] if method == "joint" else d["tasks"]
    return (d, d["fe"][fe], cfg, "dm" if small else method, cfg["start"] if small else HIDDEN, seqs,
            np.full((len(seqs), len(d["tasks"])), np.nan))


def _replay_set(job, method, t):
    # rows and labels of task t's replay set, built by data.make_replay_sets
    _, stream, phase, fe, _, _, seed, fraction = job
    return data.REPLAY[data.replay_key(stream, phase, fe, method, fraction, seed, t)]


def board_run(job):
    """One board-path run: the device Classifier, one sample at a time."""
    method, seed, fraction = job[4], job[6], job[7]
    d, f, cfg, replay_m, width, seqs, A = _prepare(job)
    ul = devicepkg.use("numpy")
    Xtr, ytr, Xev, yev, tasks_ = f["Xtr"], d["ytr"], f["Xev"], d["yev"], d["tasks"]
    rng = np.random.default_rng(seed)
    ext = None
    if f["ext"] is not None:
        W, b = f["ext"]
        ext = [ul.Frozen(W.shape[1], W.shape[0], "relu").set_weights(W, b)]
    adaptive = method == "adaptive"
    cap = data.budget(ytr, range(d["n_classes"]), fraction) if replay_m not in ("none", "joint") else 0
    k = cfg["k"] if cap else 0
    grow = dict(grow_step=cfg["step"], max_hidden=HIDDEN, grow_below=cfg["below"],
                grow_on_class=cfg["on_class"]) if adaptive else {}
    clf = ul.Classifier(Xtr.shape[1], d["n_classes"], extractor=ext, standardize=False,
                        optimizer=ul.SGD(cfg["lr"], momentum=BOARD_MOM, clip=BOARD_CLIP),
                        hidden=width, replay=cap, replay_k=max(k, 1), seed=seed + 1, **grow)
    counts, checks, sizes = {}, 0.0, [(width, 0)]
    mem_X, mem_y = [], []
    t0 = time.time()
    n = 0
    for t, cls in enumerate(seqs):
        idx = rng.permutation(np.flatnonzero(np.isin(ytr, cls)))
        for i in idx:
            had = clf.replay is not None and clf.replay.n > 0
            clf.learn_one(Xtr[i], int(ytr[i]))
            n += 1
            w = clf.hidden.n_out
            key = (w, clf.head.rows, k if had else 0)
            counts[key] = counts.get(key, 0) + 1
            if w != sizes[-1][0]:
                sizes.append((w, n))
            if adaptive and cfg["below"] and clf.n_seen % cap == 0:
                checks += clf.replay.n * flops_of(ul, Xtr.shape[1], d["n_classes"], w, clf.head.rows,
                                                  k, ext is not None)[2]
        if replay_m in REPLAY_METHODS and t < len(seqs) - 1:
            Xs, ys = _replay_set(job, replay_m, t)
            mem_X += [r for r in Xs]
            mem_y += [int(v) for v in ys]
            clf.load_replay(mem_X, mem_y)  # the union of the sets so far
        A[t] = evaluate.per_task(clf, Xev, yev, tasks_,
                                 len(tasks_) - 1 if method == "joint" else t)
    secs = time.time() - t0
    train = checks
    for (w, rows, kk), c in counts.items():
        train += c * flops_of(ul, Xtr.shape[1], d["n_classes"], w, rows, kk, ext is not None)[1]
    inf = flops_of(ul, Xtr.shape[1], d["n_classes"], clf.hidden.n_out, d["n_classes"], k,
                   ext is not None)[0]
    return dict(A=A, train_flops=train, inf_flops=inf, sizes=sizes, secs=secs, n=n,
                width=clf.hidden.n_out, cap=cap)


def host_run(job):
    """One host-path run: the same trainable part (Dense relu + head) trained
    on minibatches with the device layer code on batch kernels."""
    stream, method, seed = job[1], job[4], job[6]
    d, f, cfg, replay_m, width, seqs, A = _prepare(job)
    ul = devicepkg.use("numpy")
    from ulearn.grow import widen
    from ulearn.rng import Rng
    Etr, ytr, Eev, yev, tasks_ = f["Etr"], d["ytr"], f["Eev"], d["yev"], d["tasks"]
    rng = np.random.default_rng(seed)
    adaptive = method == "adaptive"
    h = ul.Dense(Etr.shape[1], width, "relu", kern=batch)
    h.init_glorot(Rng(seed + 1))
    head = ul.Dense(width, d["n_classes"], kern=batch)
    head.rows = 0
    opt = ul.SGD(cfg["lr"], momentum=HOST_MOM, weight_decay=HOST_WD)
    opt.init(h)
    opt.init(head)
    k = cfg.get("k", 0) if replay_m in REPLAY_METHODS else 0
    epochs = HOST_EPOCHS[stream]
    memX = np.zeros((0, Etr.shape[1]), np.float32)
    memy = np.zeros(0, np.int64)
    order = {}  # class -> head row, in order of arrival (as on the board)
    rows_of = np.zeros(d["n_classes"], np.int64)
    sizes, train = [(width, 0)], 0.0
    n_seen = 0
    has_ext = f["ext"] is not None
    d_in = d["Xtr"].shape[1] if has_ext else Etr.shape[1]

    def grow_to(w):
        nonlocal h, head
        h, head = widen(h, head, w, Rng(seed + 1 + w), opt=opt)
        sizes.append((w, n_seen))

    def fwd(X):
        return head.forward(h.forward(X))

    t0 = time.time()
    for t, cls in enumerate(seqs):
        for c in cls:  # new classes get head rows; growth as on the board
            order[c] = len(order)
            rows_of[c] = order[c]
            head.rows = len(order)
            if adaptive and cfg["on_class"] and len(order) > 1 and h.n_out + cfg["step"] <= HIDDEN:
                grow_to(h.n_out + cfg["step"])
        idx = np.flatnonzero(np.isin(ytr, cls))
        for _ in range(epochs):
            perm = rng.permutation(idx)
            for s in range(0, len(perm), HOST_BS):
                b = perm[s:s + HOST_BS]
                X, y = Etr[b], rows_of[ytr[b]]
                if k and len(memy):
                    r = rng.integers(0, len(memy), k * len(b))
                    X = np.concatenate([X, memX[r]])
                    y = np.concatenate([y, rows_of[memy[r]]])
                g = batch.softmax(fwd(X), head.rows, None)
                g[np.arange(len(y)), y] -= 1.0
                g = head.backward(g, opt, True)
                h.backward(g, opt, False)
                n_seen += len(b)
                train += len(y) * flops_of(ul, d_in, d["n_classes"], h.n_out, head.rows, 0, has_ext)[1]
            if adaptive and cfg["below"] and len(memy):
                acc = np.mean(np.argmax(fwd(memX), 1) == rows_of[memy])
                train += len(memy) * flops_of(ul, d_in, d["n_classes"], h.n_out, head.rows, 0, has_ext)[2]
                if acc < cfg["below"] and h.n_out + cfg["step"] <= HIDDEN:
                    grow_to(h.n_out + cfg["step"])
        if replay_m in REPLAY_METHODS and t < len(seqs) - 1:
            Xs, ys = _replay_set(job, replay_m, t)
            memX = np.concatenate([memX, Xs])
            memy = np.concatenate([memy, ys])
        P = np.argmax(fwd(Eev), 1)
        inv = {r: c for c, r in order.items()}
        pred = np.array([inv[int(p)] for p in P])
        upto = len(tasks_) - 1 if method == "joint" else t
        for j in range(upto + 1):
            m = np.isin(yev, tasks_[j])
            A[t, j] = np.mean(pred[m] == yev[m])
    secs = time.time() - t0
    inf = flops_of(ul, d_in, d["n_classes"], h.n_out, d["n_classes"], 0, has_ext)[0]
    return dict(A=A, train_flops=train, inf_flops=inf, sizes=sizes, secs=secs, n=n_seen,
                width=h.n_out, cap=len(memy))


def run_job(job):
    return board_run(job) if job[0] == "board" else host_run(job)


def job(path, stream, phase, fe, method, cfg, seed, fraction=FRACTION):
    return (path, stream, phase, fe, method, tuple(sorted(cfg.items())), seed, fraction)


def metrics(A):
    """Average accuracy after the last task; forgetting (accuracy right after
    learning task j minus final accuracy on j, mean over all but the last
    task); backward transfer (Lopez-Paz and Ranzato: mean of final minus
    just-learned accuracy over the same tasks, i.e. -forgetting here);
    average accuracy over the tasks seen so far after each task."""
    final = float(np.mean(A[-1]))
    if A.shape[0] == 1:  # joint: one evaluation
        return dict(final=final, forgetting=None, bwt=None, curve=[final])
    T = A.shape[0]
    fg = float(np.mean([A[j, j] - A[-1, j] for j in range(T - 1)]))
    bwt = float(np.mean([A[-1, j] - A[j, j] for j in range(T - 1)]))
    curve = [float(np.mean(A[i, :i + 1])) for i in range(T)]
    return dict(final=final, forgetting=fg, bwt=bwt, curve=curve)


def finals(results):
    return [metrics(r["A"])["final"] for r in results]
