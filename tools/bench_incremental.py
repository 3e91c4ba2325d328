#!/usr/bin/env python
"""Class-incremental benchmark of ulearn: replay memory and a growing model.

Reproduces the setting of Rüb, Tuchel, Sikora and Mueller-Gritschneder
(2024, "A Continual and Incremental Learning Approach for TinyML On-device
Training Using Dataset Distillation and Model Size Adaption"): a replay
memory of 1% of the data, built on the host by dataset distillation, against
random and herding 1% sets, naive fine-tuning and joint training; and a
model that grows (Net2Net widening) against a fixed large one, in FLOPs.
Not a timed test: it measures and reports, and a missed target is reported
as measured. Run from the repository root::

    python tools/bench_incremental.py                 # full run, Markdown on stdout
    python tools/bench_incremental.py --quick         # smoke run (~1 minute)
    python tools/bench_incremental.py --out docs/incremental.md --plot docs/img

Streams: Split-digits (5 tasks x 2 classes), Split-Fashion-MNIST (5 x 2,
images averaged down to 7x7), the smartwatch exercises (4 tasks: 2, 2, 2, 1
classes). Two paths: the board path (the device package's Classifier, one
sample at a time, learn_one with its int8 replay memory, on CPython/numpy)
and the host path (the same trainable layers on minibatches through
ulearn_host.batch), plus a shortened board-path run inside the real
MicroPython interpreter (tools/mpvm) checked against CPython's pure-Python
path. Hyperparameters are chosen on a validation split carved out of the
training data; the test split is used once, for the reported runs.

Progress bars go to stderr; the Markdown goes to stdout (and --out).
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    # one BLAS thread per worker: multi-threaded BLAS made the small matrix
    # products of the distillation up to 50x slower, at random, on 2 cores
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT / "tests"), str(ROOT)):  # devicepkg; tools.mpvm
    if p not in sys.path:
        sys.path.insert(0, p)

import devicepkg  # noqa: E402
from tools.benchkit import command_line, machine, ms, note, pool_map, save_small, table  # noqa: E402
from ulearn_host import batch  # noqa: E402
from ulearn_host import datasets as D  # noqa: E402
from ulearn_host import tasks as TK  # noqa: E402
from ulearn_host.distill import replay_set  # noqa: E402
from ulearn_host.progress import progress  # noqa: E402

# ---------------------------------------------------------------- settings

FRACTION = 0.01  # replay budget: max(1, round(1% of each class's training rows))
HIDDEN = 64  # the fixed (large) model's trainable relu layer, every stream
EXT_WIDTH = 32  # the candidate frozen extractor (trained on the first task only)
EXT_EPOCHS = 30

# board path: per-sample SGD as the project suggests (momentum 0.5, clip 5);
# lr and replay_k (replayed samples per new sample) chosen on validation
BOARD_MOM, BOARD_CLIP = 0.5, 5.0
BOARD_LR = (0.01, 0.02, 0.05)
BOARD_K = (1, 2, 4)
# host path: minibatches of 32 new rows (+ k * 32 replayed rows drawn from the
# replay memory), train.py's defaults (momentum 0.9, weight decay 1e-4)
HOST_MOM, HOST_WD, HOST_BS = 0.9, 1e-4, 32
HOST_LR = (0.02, 0.05, 0.1)
HOST_K = (1, 3)
HOST_EPOCHS = {"digits": 10, "watch": 10, "fashion": 5}  # per task (joint: the same on all data)
HOST_DEFAULT = dict(lr=0.05, k=3)  # the front-end comparison runs before tuning
# adaptive model: starts at `start` units, grows by `step` when a new class
# arrives and when replay accuracy < `below`, up to HIDDEN
ADAPT_GRID = [dict(start=s, step=g, below=b) for s in (8, 16) for g in (4, 8) for b in (0.0, 0.9)]
ADAPT_TOL = 0.015  # "within 1.5 points" (target, and the selection rule on validation)
BUDGET_SWEEP = (0.02, 0.05, 0.10)
SWEEP_STREAMS = ("digits", "watch")

QUICK = dict(board_lr=(0.02, 0.05), board_k=(1, 2), host_lr=(0.05,), host_k=(1, 3),
             adapt=[dict(start=8, step=4, below=0.0), dict(start=16, step=8, below=0.9)],
             fashion_train=300, fashion_test=100, sweep=(0.05,))

STREAM_ORDER = ("digits", "fashion", "watch")
STREAM_NAMES = {"digits": "Split-digits", "fashion": "Split-Fashion-MNIST (7x7)",
                "watch": "Split-watch exercises"}
METHODS_BOARD = ("none", "reservoir", "random", "herding", "dm", "joint")
METHODS_HOST = ("none", "random", "herding", "dm", "joint")
REPLAY_METHODS = ("random", "herding", "dm")
METHOD_NAMES = {
    "none": "no replay (naive fine-tuning)",
    "reservoir": "reservoir only (board picks, no host)",
    "random": "random 1%",
    "herding": "herding 1%",
    "dm": "distilled (dm) 1%",
    "joint": "joint training (all tasks' data at once)",
    "adaptive": "adaptive model, distilled 1%",
}
FE_NAMES = {"raw": "raw inputs (no extractor)", "ext1": "extractor trained on task 1",
            "raw14": "raw 14x14 pixels (reference)"}

# ---------------------------------------------------------------- helpers


def msd(values):
    v = [float(x) for x in values]
    return statistics.fmean(v), (statistics.stdev(v) if len(v) > 1 else 0.0)


def gflops(x):
    return "%.2f" % (x / 1e9)


# ---------------------------------------------------------------- data

DATA = {}  # (stream, phase) -> dict; filled before forking: workers inherit it
REPLAY = {}  # replay-set cache, filled by a pool stage before the runs that use it


def _strat(y, frac, rng):
    # a stratified subset: mask of about frac of each class
    m = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        m[idx[: int(round(frac * len(idx)))]] = True
    return m


def _per_class(y, n, rng):
    return np.sort(np.concatenate([rng.permutation(np.flatnonzero(y == c))[:n] for c in np.unique(y)]))


def pool2(X, f):
    # average f x f blocks of 28x28 images, scaled to [0, 1]
    s = 28 // f
    return (X.reshape(len(X), s, f, s, f).mean(axis=(2, 4)).reshape(len(X), s * s) / 255.0).astype(np.float32)


def load_data(streams, quick):
    """Pre-scaled inputs of each stream, per phase: "tune" (train' -> validation)
    and "final" (train -> test). Pixels are divided by their full scale (16,
    255); watch features are standardised with the first task's training mean
    and std (the statistics a bundle would carry)."""
    info = {}
    for s in streams:
        if s == "digits":
            t = TK.load_task("digits")
            X = (t.X / 16.0).astype(np.float32)
            tr = t.split == "train"
            Xtr, ytr, Xte, yte = X[tr], t.y[tr], X[~tr], t.y[~tr]
            val = _strat(ytr, 0.2, np.random.default_rng(12345))
            tasks_ = [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
            names = t.names
            extra = {}
            how = "scikit-learn digits, the project's 70/30 split; validation: a stratified 20% of train"
        elif s == "fashion":
            d = D.load_fashion_mnist()
            rng = np.random.default_rng(12345)
            itr, ite = np.arange(60000), np.arange(10000)
            if quick:
                itr = _per_class(d.y_train, QUICK["fashion_train"], rng)
                ite = _per_class(d.y_test, QUICK["fashion_test"], rng)
            Xtr, ytr = pool2(d.X_train[itr], 4), d.y_train[itr]
            Xte, yte = pool2(d.X_test[ite], 4), d.y_test[ite]
            val = _strat(ytr, 1 / 6, rng)
            tasks_ = [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
            names = list(D.FASHION_MNIST_CLASSES)
            # the 14x14 reference front end (validation only)
            extra = {"raw14": (pool2(d.X_train[itr], 2), None)}
            how = ("Debian dataset-fashion-mnist, 28x28 averaged to 7x7; the standard 60000/10000 "
                   "split; validation: a stratified 1/6 of train")
        else:
            t = TK.load_task("watch")
            _, _, groups = D.watch_windows(size=100, step=50)
            tr = t.split == "train"
            Xtr, ytr, Xte, yte = t.X[tr], t.y[tr], t.X[~tr], t.y[~tr]
            val = np.isin(groups[tr], (6, 7))
            tasks_ = [[0, 1], [2, 3], [4, 5], [6]]
            names = t.names
            extra = {}
            how = ("seglearn watch windows (2 s, 1 s hop, 26 features), the project's split: train "
                   "subjects 1-7, test 8-10; validation: subjects 6 and 7")
        for phase in ("tune", "final"):
            if phase == "tune":
                a, ya, b, yb = Xtr[~val], ytr[~val], Xtr[val], ytr[val]
            else:
                a, ya, b, yb = Xtr, ytr, Xte, yte
            a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
            if s == "watch":
                first = np.isin(ya, tasks_[0])
                mu, sd = a[first].mean(0), a[first].std(0)
                sd = np.where(sd > 0, sd, 1.0)
                a, b = ((a - mu) / sd).astype(np.float32), ((b - mu) / sd).astype(np.float32)
            entry = dict(Xtr=a, ytr=ya, Xev=b, yev=yb, tasks=tasks_, names=names,
                         n_classes=len(names), fe={})
            if phase == "tune" and "raw14" in extra:
                X14 = extra["raw14"][0]
                entry["raw14"] = (X14[~val], X14[val])
            DATA[s, phase] = entry
        info[s] = dict(how=how, tasks=tasks_, names=names, d=Xtr.shape[1],
                       n=(int((~val).sum()), int(val.sum()), len(ytr), len(yte)))
    return info


def fit_extractor(X, y, seed=0):
    """A relu layer (EXT_WIDTH units) trained with a softmax head on the first
    task's rows only, with the device's Dense on batch kernels; returns (W, b)."""
    ul = devicepkg.use("numpy")
    from ulearn.rng import Rng
    cls = np.unique(y)
    yy = np.searchsorted(cls, y)
    h = ul.Dense(X.shape[1], EXT_WIDTH, "relu", kern=batch)
    h.init_glorot(Rng(seed + 7))
    hd = ul.Dense(EXT_WIDTH, len(cls), kern=batch)
    hd.init_glorot(Rng(seed + 8))
    opt = ul.SGD(0.05, momentum=0.9, weight_decay=1e-4)
    opt.init(h)
    opt.init(hd)
    rng = np.random.default_rng(seed)
    for _ in range(EXT_EPOCHS):
        p = rng.permutation(len(X))
        for s in range(0, len(p), 32):
            b = p[s:s + 32]
            g = batch.softmax(hd.forward(h.forward(X[b])), len(cls), None)
            g[np.arange(len(b)), yy[b]] -= 1.0
            g = hd.backward(g, opt, True)
            h.backward(g, opt, False)
    return np.array(h.W, np.float32), np.array(h.b, np.float32)


def set_front_end(stream, phase, fe):
    """Embedded train/eval rows (the trainable part's input space: what the
    replay memory stores) for front end `fe`; extractor weights in ["ext"]."""
    d = DATA[stream, phase]
    if fe in d["fe"]:
        return
    if fe == "raw":
        d["fe"][fe] = dict(Etr=d["Xtr"], Eev=d["Xev"], ext=None, Xtr=d["Xtr"], Xev=d["Xev"])
    elif fe == "raw14":
        a, b = d["raw14"]
        d["fe"][fe] = dict(Etr=a, Eev=b, ext=None, Xtr=a, Xev=b)
    else:
        first = np.isin(d["ytr"], d["tasks"][0])
        W, b = fit_extractor(d["Xtr"][first], d["ytr"][first])
        emb = lambda X: np.maximum(X @ W.T + b, 0.0).astype(np.float32)  # noqa: E731
        d["fe"][fe] = dict(Etr=emb(d["Xtr"]), Eev=emb(d["Xev"]), ext=(W, b), Xtr=d["Xtr"], Xev=d["Xev"])


def budget(y, classes, fraction):
    # rows the replay memory needs for these classes (distill._budget's rule)
    out = 0
    for c in classes:
        n = int(np.sum(y == c))
        out += min(n, max(1, int(round(fraction * n))))
    return out


# ---------------------------------------------------------------- replay sets


def replay_key(stream, phase, fe, method, fraction, seed, t):
    return (stream, phase, fe, method, fraction, seed, t)


def replay_job(key):
    stream, phase, fe, method, fraction, seed, t = key
    d = DATA[stream, phase]
    f = d["fe"][fe]
    idx = np.flatnonzero(np.isin(d["ytr"], d["tasks"][t]))
    t0 = time.time()
    Xs, ys = replay_set(f["Etr"][idx], d["ytr"][idx], method, fraction=fraction,
                        seed=1000 * seed + t)
    return Xs, ys, time.time() - t0


def make_replay_sets(keys, n_proc):
    todo = sorted(set(k for k in keys if k not in REPLAY))
    for k, r in zip(todo, pool_map(replay_job, todo, n_proc, "replay sets", " runs")):
        REPLAY[k] = r


def replay_keys(stream, phase, fe, methods, fraction, seeds):
    T = len(DATA[stream, phase]["tasks"])
    # the set of the last task is never used (nothing is trained after it)
    return [replay_key(stream, phase, fe, m, fraction, s, t)
            for m in methods if m in REPLAY_METHODS for s in seeds for t in range(T - 1)]


# ---------------------------------------------------------------- FLOPs


_FLOPS = {}


def flops_of(ul, d_in, n_classes, width, rows, k, has_ext):
    """learner_flops of a Classifier of these sizes: (inference, train step,
    forward of the trainable part). k: replayed samples trained per step."""
    key = (d_in, n_classes, width, rows, k, has_ext)
    if key not in _FLOPS:
        from ulearn.flops import learner_flops
        ext = None
        if has_ext:
            ext = [ul.Frozen(d_in, EXT_WIDTH, "relu")]
        clf = ul.Classifier(d_in, n_classes, extractor=ext, standardize=False, hidden=width,
                            replay=1, replay_k=max(k, 0),
                            optimizer=ul.SGD(0.01, momentum=BOARD_MOM, clip=BOARD_CLIP))
        f = learner_flops(clf, replay_k=k, rows=rows)
        b = f["breakdown"]
        _FLOPS[key] = (f["inference"], f["train_step"], b["hidden"] + b["head"])
    return _FLOPS[key]


# ---------------------------------------------------------------- board path


def evaluate_board(clf, E, y, tasks_, upto):
    row = np.full(len(tasks_), np.nan)
    for j in range(upto + 1):
        idx = np.flatnonzero(np.isin(y, tasks_[j]))
        row[j] = np.mean([clf.predict_one(E[i]) == y[i] for i in idx])
    return row


def board_run(job):
    """One board-path run: the device Classifier, one sample at a time."""
    path, stream, phase, fe, method, cfg, seed, fraction = job
    cfg = dict(cfg)
    ul = devicepkg.use("numpy")
    d = DATA[stream, phase]
    f = d["fe"][fe]
    Xtr, ytr, Xev, yev, tasks_ = f["Xtr"], d["ytr"], f["Xev"], d["yev"], d["tasks"]
    rng = np.random.default_rng(seed)
    ext = None
    if f["ext"] is not None:
        W, b = f["ext"]
        ext = [ul.Frozen(W.shape[1], W.shape[0], "relu").set_weights(W, b)]
    adaptive = method == "adaptive"
    replay_m = "dm" if method in ("adaptive", "small") else method
    cap = budget(ytr, range(d["n_classes"]), fraction) if replay_m not in ("none", "joint") else 0
    k = cfg["k"] if cap else 0
    width = cfg["start"] if method in ("adaptive", "small") else HIDDEN
    grow = dict(grow_step=cfg["step"], max_hidden=HIDDEN, grow_below=cfg["below"]) if adaptive else {}
    clf = ul.Classifier(Xtr.shape[1], d["n_classes"], extractor=ext, standardize=False,
                        optimizer=ul.SGD(cfg["lr"], momentum=BOARD_MOM, clip=BOARD_CLIP),
                        hidden=width, replay=cap, replay_k=max(k, 1), seed=seed + 1, **grow)
    seqs = [sorted(c for t in tasks_ for c in t)] if method == "joint" else tasks_
    A = np.full((len(seqs), len(tasks_)), np.nan)
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
            if adaptive and cfg["below"] and (clf.n_seen - 1) % cap == 0:
                checks += clf.replay.n * flops_of(ul, Xtr.shape[1], d["n_classes"], w, clf.head.rows,
                                                  k, ext is not None)[2]
        if replay_m in REPLAY_METHODS and t < len(seqs) - 1:
            Xs, ys, _ = REPLAY[replay_key(stream, phase, fe, replay_m, fraction, seed, t)]
            mem_X += [r for r in Xs]
            mem_y += [int(v) for v in ys]
            clf.load_replay(mem_X, mem_y)  # the union of the sets so far
        A[t] = evaluate_board(clf, Xev, yev, tasks_,
                              len(tasks_) - 1 if method == "joint" else t)
    secs = time.time() - t0
    train = checks
    for (w, rows, kk), c in counts.items():
        train += c * flops_of(ul, Xtr.shape[1], d["n_classes"], w, rows, kk, ext is not None)[1]
    inf = flops_of(ul, Xtr.shape[1], d["n_classes"], clf.hidden.n_out, d["n_classes"], k,
                   ext is not None)[0]
    return dict(A=A, train_flops=train, inf_flops=inf, sizes=sizes, secs=secs, n=n,
                width=clf.hidden.n_out, cap=cap)


# ---------------------------------------------------------------- host path


def host_run(job):
    """One host-path run: the same trainable part (Dense relu + head) trained
    on minibatches with the device layer code on batch kernels."""
    path, stream, phase, fe, method, cfg, seed, fraction = job
    cfg = dict(cfg)
    ul = devicepkg.use("numpy")
    from ulearn.grow import widen
    from ulearn.rng import Rng
    d = DATA[stream, phase]
    f = d["fe"][fe]
    Etr, ytr, Eev, yev, tasks_ = f["Etr"], d["ytr"], f["Eev"], d["yev"], d["tasks"]
    rng = np.random.default_rng(seed)
    adaptive = method == "adaptive"
    replay_m = "dm" if method in ("adaptive", "small") else method
    width = cfg["start"] if method in ("adaptive", "small") else HIDDEN
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
    seqs = [sorted(c for t in tasks_ for c in t)] if method == "joint" else tasks_
    A = np.full((len(seqs), len(tasks_)), np.nan)
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
            if adaptive and len(order) > 1 and h.n_out + cfg["step"] <= HIDDEN:
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
            Xs, ys, _ = REPLAY[replay_key(stream, phase, fe, replay_m, fraction, seed, t)]
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


# ---------------------------------------------------------------- metrics


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


# ---------------------------------------------------------------- stages


def grid(args):
    if args.quick:
        return QUICK["board_lr"], QUICK["board_k"], QUICK["host_lr"], QUICK["host_k"], QUICK["adapt"]
    return BOARD_LR, BOARD_K, HOST_LR, HOST_K, ADAPT_GRID


def ts(stream, tseeds):
    # Fashion-MNIST is tuned with the first tuning seed only: its validation
    # split has 10000 rows, and its board runs are most of the run time
    return tseeds[:1] if stream == "fashion" else tseeds


def stage_front_end(args, streams, tseeds, md):
    """Which front end: validation accuracy on the host path (default settings)."""
    cands = {"digits": ("raw", "ext1"), "fashion": ("raw", "ext1", "raw14"), "watch": ("raw", "ext1")}
    jobs_ = []
    for s in streams:
        for fe in cands[s]:
            set_front_end(s, "tune", fe)
    keys = []
    for s in streams:
        for fe in cands[s]:
            keys += replay_keys(s, "tune", fe, REPLAY_METHODS, FRACTION, ts(s, tseeds))
    make_replay_sets(keys, args.jobs)
    for s in streams:
        for fe in cands[s]:
            for m in ("joint",) + REPLAY_METHODS:
                for sd in ts(s, tseeds):
                    jobs_.append(job("host", s, "tune", fe, m, HOST_DEFAULT, sd))
    res = dict(zip(jobs_, pool_map(run_job, jobs_, args.jobs, "front ends", " runs")))
    chosen, rows = {}, []
    for s in streams:
        best = None
        for fe in cands[s]:
            acc = {m: np.mean(finals([res[job("host", s, "tune", fe, m, HOST_DEFAULT, sd)]
                                      for sd in ts(s, tseeds)])) for m in ("joint",) + REPLAY_METHODS}
            score = np.mean([acc[m] for m in REPLAY_METHODS])
            rows.append([STREAM_NAMES[s], FE_NAMES[fe]] + ["%.3f" % acc[m] for m in ("joint",) + REPLAY_METHODS]
                        + ["%.3f" % score])
            if fe != "raw14" and (best is None or score > best[0]):
                best = (score, fe)
        chosen[s] = best[1]
    md.append("### Front end (validation)\n")
    md.append("Host path, settings fixed before tuning (lr %g, k %d, %s epochs per task), %s; "
              "average accuracy after the last task on the validation split. The extractor candidate is a "
              "%d-unit relu layer trained (with a throw-away 2-class head, %d epochs) on the first task's "
              "training rows only; frozen, it is what a bundle would ship. Chosen per stream: the best mean "
              "over the three 1%% replay rows (the 14x14 Fashion-MNIST row is a reference only, decided before "
              "measuring: %s).\n"
              % (HOST_DEFAULT["lr"], HOST_DEFAULT["k"], "/".join("%s %d" % kv for kv in HOST_EPOCHS.items()),
                 tune_words(streams, tseeds), EXT_WIDTH, EXT_EPOCHS,
                 fashion_memory() if "fashion" in streams else "not run"))
    md.append(table(["stream", "front end", "joint", "random 1%", "herding 1%", "dm 1%",
                     "mean of the 1% rows"], rows) + "\n")
    md.append("Chosen: " + "; ".join("%s: %s" % (STREAM_NAMES[s], FE_NAMES[chosen[s]]) for s in streams)
              + ".\n")
    return chosen


def tune_words(streams, tseeds):
    w = "mean over tuning seed(s) %s" % ", ".join(map(str, tseeds))
    if "fashion" in streams and len(tseeds) > 1:
        w += " (Fashion-MNIST: seed %d only; its validation split has 10000 rows)" % tseeds[0]
    return w


def stage_tune(args, streams, fe, tseeds, md):
    blr, bk, hlr, hk, _ = grid(args)
    keys = []
    for s in streams:
        set_front_end(s, "tune", fe[s])
        keys += replay_keys(s, "tune", fe[s], REPLAY_METHODS, FRACTION, ts(s, tseeds))
    make_replay_sets(keys, args.jobs)
    cfgs = {}
    for s in streams:
        for m in METHODS_BOARD:
            ks = bk if m not in ("none", "joint") else (0,)
            cfgs["board", s, m] = [dict(lr=lr, k=k) for lr in blr for k in ks]
        for m in METHODS_HOST:
            ks = hk if m in REPLAY_METHODS else (0,)
            cfgs["host", s, m] = [dict(lr=lr, k=k) for lr in hlr for k in ks]
    jobs_ = [job(p, s, "tune", fe[s], m, c, sd) for (p, s, m), cs in cfgs.items() for c in cs for sd in ts(s, tseeds)]
    # longest first: better packing on the workers
    jobs_.sort(key=lambda j: (j[1] != "fashion", j[0] != "board"))
    res = dict(zip(jobs_, pool_map(run_job, jobs_, args.jobs, "tuning", " runs")))
    best, val = {}, {}
    for (p, s, m), cs in cfgs.items():
        scored = []
        for c in cs:
            acc = float(np.mean(finals([res[job(p, s, "tune", fe[s], m, c, sd)] for sd in ts(s, tseeds)])))
            scored.append((acc, c))
            val[p, s, m, tuple(sorted(c.items()))] = acc
        acc, c = max(scored, key=lambda a: a[0])
        best[p, s, m] = c
        val[p, s, m] = acc
    md.append("### Tuned settings (validation)\n")
    md.append("Each row's settings are chosen separately, by its average accuracy after the last task on the "
              "validation split (%s; their draws differ from the reported seeds'); the test split is not "
              "looked at. Board grid: lr %s x replay_k %s (momentum %g, clip %g); "
              "host grid: lr %s x k %s (k: replayed rows per new row in a minibatch; momentum %g, weight decay "
              "%g, batches of %d). Every cell of the grids is below, the chosen one in bold.\n"
              % (tune_words(streams, tseeds), list(blr), list(bk), BOARD_MOM, BOARD_CLIP,
                 list(hlr), list(hk), HOST_MOM, HOST_WD, HOST_BS))
    for p, methods in (("board", METHODS_BOARD), ("host", METHODS_HOST)):
        rows = []
        for s in streams:
            for m in methods:
                cells = []
                for c in cfgs[p, s, m]:
                    a = val[p, s, m, tuple(sorted(c.items()))]
                    lab = "lr %g" % c["lr"] + (", k %d" % c["k"] if c["k"] else "")
                    txt = "%s: %.3f" % (lab, a)
                    cells.append("**%s**" % txt if c == best[p, s, m] else txt)
                rows.append([STREAM_NAMES[s], METHOD_NAMES[m], "; ".join(cells)])
        md.append("%s path:\n" % p.capitalize())
        md.append(table(["stream", "row", "validation accuracy per setting"], rows) + "\n")
    return best, val, res


def stage_adapt_tune(args, streams, fe, tseeds, best, val, md):
    """Adaptive model on validation, with dm 1% and the dm row's lr/k."""
    *_, agrid = grid(args)
    jobs_ = []
    for p in ("board", "host"):
        for s in streams:
            for a in agrid:
                c = dict(best[p, s, "dm"], **a)
                jobs_ += [job(p, s, "tune", fe[s], "adaptive", c, sd) for sd in ts(s, tseeds)]
    jobs_.sort(key=lambda j: (j[1] != "fashion", j[0] != "board"))
    res = dict(zip(jobs_, pool_map(run_job, jobs_, args.jobs, "tuning the adaptive model", " runs")))
    chosen, rows = {}, []
    for p in ("board", "host"):
        for s in streams:
            fixed_acc = val[p, s, "dm"]
            scored = []
            for a in agrid:
                c = dict(best[p, s, "dm"], **a)
                rr = [res[job(p, s, "tune", fe[s], "adaptive", c, sd)] for sd in ts(s, tseeds)]
                scored.append((float(np.mean(finals(rr))), float(np.mean([r["train_flops"] for r in rr])),
                               a, float(np.mean([r["width"] for r in rr]))))
            ok = [x for x in scored if x[0] >= fixed_acc - ADAPT_TOL]
            pick = min(ok, key=lambda x: x[1]) if ok else max(scored, key=lambda x: x[0])
            chosen[p, s] = dict(best[p, s, "dm"], **pick[2])
            cells = []
            for acc, fl, a, w in scored:
                txt = "start %d, +%d, below %g: %.3f, %s GFLOP, ends at %.0f units" % (
                    a["start"], a["step"], a["below"], acc, gflops(fl), w)
                cells.append("**%s**" % txt if a == pick[2] else txt)
            rows.append([p, STREAM_NAMES[s], "%.3f" % fixed_acc, "<br>".join(cells)])
    md.append("Adaptive model (validation): the hidden layer starts at `start` units, grows by `step` (Net2Net "
              "widening, `Classifier.grow`) when a new class arrives and when replay accuracy is below "
              "`below` (board: checked every `replay` samples by the device code; host: after each epoch, on "
              "the replay rows), up to the fixed model's %d. Rule, fixed before the runs: among the settings "
              "within %.1f points of the fixed model's validation accuracy, the one with the fewest training "
              "FLOPs; if none is, the most accurate.\n" % (HIDDEN, 100 * ADAPT_TOL))
    md.append(table(["path", "stream", "fixed model (dm 1%)", "adaptive settings: validation accuracy, "
                     "training FLOPs over the stream, final width"], rows) + "\n")
    return chosen


def stage_final(args, streams, fe, seeds, best, adapt):
    keys = []
    for s in streams:
        set_front_end(s, "final", fe[s])
        keys += replay_keys(s, "final", fe[s], REPLAY_METHODS, FRACTION, seeds)
        if s in SWEEP_STREAMS:
            for fr in sweep_fracs(args):
                keys += replay_keys(s, "final", fe[s], REPLAY_METHODS, fr, seeds)
    make_replay_sets(keys, args.jobs)
    jobs_ = []
    for s in streams:
        for p, methods in (("board", METHODS_BOARD), ("host", METHODS_HOST)):
            for m in methods:
                jobs_ += [job(p, s, "final", fe[s], m, best[p, s, m], sd) for sd in seeds]
            jobs_ += [job(p, s, "final", fe[s], m, adapt[p, s], sd) for m in ("adaptive", "small")
                      for sd in seeds]
            if s in SWEEP_STREAMS:
                for fr in sweep_fracs(args):
                    for m in REPLAY_METHODS:
                        jobs_ += [job(p, s, "final", fe[s], m, best[p, s, m], sd, fr) for sd in seeds]
    order = sorted(jobs_, key=lambda j: (j[1] != "fashion", j[0] != "board"))
    res = dict(zip(order, pool_map(run_job, order, args.jobs, "test runs", " runs")))
    return res


def sweep_fracs(args):
    return QUICK["sweep"] if args.quick else BUDGET_SWEEP


# ---------------------------------------------------------------- MicroPython


def vm_stage(args, fe, best, seed=0):
    """Split-digits, first two tasks, a few hundred samples, board path with
    the dm set of task 1 loaded after it: in the MicroPython VM and on
    CPython's pure-Python kernels (and numpy), same stream, same settings."""
    from tools.mpvm import MicroPythonUnavailable, MicroPythonVM
    n_per = 40 if args.quick else 150
    d = DATA["digits", "final"]
    f = d["fe"][fe["digits"]]
    cfg = best["board", "digits", "dm"]
    rng = np.random.default_rng(seed)
    tasks_ = d["tasks"][:2]
    stream = []
    for cls in tasks_:
        idx = rng.permutation(np.flatnonzero(np.isin(d["ytr"], cls)))[:n_per]
        stream.append(([[float(v) for v in f["Xtr"][i]] for i in idx], [int(d["ytr"][i]) for i in idx]))
    Xs, ys, _ = REPLAY[replay_key("digits", "final", fe["digits"], "dm", FRACTION, seed, 0)]
    rep = ([[float(v) for v in r] for r in Xs], [int(v) for v in ys])
    te = np.flatnonzero(np.isin(d["yev"], tasks_[0] + tasks_[1]))
    test = ([[float(v) for v in f["Xev"][i]] for i in te], [int(d["yev"][i]) for i in te])
    cap = budget(d["ytr"], tasks_[0] + tasks_[1], FRACTION)
    ext = f["ext"]
    spec = dict(d=len(test[0][0]), n_classes=4, lr=cfg["lr"], k=cfg["k"], hidden=HIDDEN, cap=cap,
                seed=seed + 1, mom=BOARD_MOM, clip=BOARD_CLIP,
                ext=None if ext is None else [ext[0].tolist(), ext[1].tolist()])
    out = dict(n=2 * n_per, n_test=len(te), cap=cap, cfg=cfg)

    def cpython(backend):
        ul = devicepkg.use(backend)
        e = None
        if ext is not None:
            e = [ul.Frozen(ext[0].shape[1], ext[0].shape[0], "relu").set_weights(*spec["ext"])]
        clf = ul.Classifier(spec["d"], spec["n_classes"], extractor=e, standardize=False,
                            optimizer=ul.SGD(spec["lr"], momentum=spec["mom"], clip=spec["clip"]),
                            hidden=spec["hidden"], replay=cap, replay_k=spec["k"], seed=spec["seed"])
        t0 = time.time()
        for t, (X, y) in enumerate(stream):
            for x, lab in progress(list(zip(X, y)), "CPython %s, task %d" % (backend, t + 1)):
                clf.learn_one(x, lab)
            if t == 0:
                clf.load_replay(*rep)
        dt = time.time() - t0
        pred = [clf.predict_one(x) for x in test[0]]
        probs = [clf.predict_proba_one(x) for x in test[0][:20]]
        return pred, probs, dt

    py_pred, py_probs, py_dt = cpython("python")
    np_pred, np_probs, _ = cpython("numpy")
    out["python"] = (py_pred, py_dt)
    out["numpy"] = np_pred
    out["acc_python"] = float(np.mean(np.array(py_pred) == np.array(test[1])))
    out["acc_numpy"] = float(np.mean(np.array(np_pred) == np.array(test[1])))
    out["np_vs_py_agree"] = int(sum(a == b for a, b in zip(np_pred, py_pred)))
    try:
        vm = MicroPythonVM(timeout=600)
    except MicroPythonUnavailable as e:
        out["error"] = str(e).splitlines()[0]
        return out
    with vm:
        out["version"] = vm.exec("import sys; print(sys.version)").strip()
        vm.put_tree(str(devicepkg.DEVICE / "ulearn"), "/lib/ulearn")
        vm.write_file("/spec.json", json.dumps(spec))
        vm.write_file("/rep.json", json.dumps(rep))
        vm.exec("import json, time, gc\nfrom array import array\nimport ulearn\n"
                "S = json.load(open('/spec.json'))\n"
                "ext = None\n"
                "if S['ext']:\n"
                "    W, B = S['ext']\n"
                "    ext = [ulearn.Frozen(len(W[0]), len(W), 'relu').set_weights(W, B)]\n"
                "    del W, B\n"
                "clf = ulearn.Classifier(S['d'], S['n_classes'], extractor=ext, standardize=False,"
                " optimizer=ulearn.SGD(S['lr'], momentum=S['mom'], clip=S['clip']), hidden=S['hidden'],"
                " replay=S['cap'], replay_k=S['k'], seed=S['seed'])\n"
                "del S\n")
        learn_ms, chunk = 0, 25
        for t, (X, y) in enumerate(stream):
            for a in progress(range(0, len(X), chunk), "MicroPython VM, task %d (chunks of %d)" % (t + 1, chunk)):
                vm.write_file("/chunk.json", json.dumps([X[a:a + chunk], y[a:a + chunk]]))
                ms_ = vm.exec("X, Y = json.load(open('/chunk.json'))\nt = time.ticks_ms()\n"
                              "for i in range(len(Y)): clf.learn_one(X[i], Y[i])\n"
                              "print(time.ticks_diff(time.ticks_ms(), t))\ndel X, Y\ngc.collect()\n")
                learn_ms += int(ms_.split()[-1])
            if t == 0:
                vm.exec("R = json.load(open('/rep.json'))\nclf.load_replay(R[0], R[1])\ndel R\n")
        pred = []
        for a in progress(range(0, len(test[0]), 60), "MicroPython VM, test (chunks of 60)"):
            vm.write_file("/test.json", json.dumps(test[0][a:a + 60]))
            pred += json.loads(vm.exec("X = json.load(open('/test.json'))\n"
                                       "print(json.dumps([clf.predict_one(x) for x in X]))\ndel X\n"))
        vm.write_file("/test.json", json.dumps(test[0][:20]))
        vm_probs = json.loads(vm.exec("X = json.load(open('/test.json'))\n"
                                      "print(json.dumps([clf.predict_proba_one(x) for x in X]))\n"))
    out["vm"] = pred
    out["acc_vm"] = float(np.mean(np.array(pred) == np.array(test[1])))
    out["vm_vs_py_agree"] = int(sum(a == b for a, b in zip(pred, py_pred)))
    out["vm_ms_per_learn"] = learn_ms / (2 * n_per)
    diff = 0.0
    for p, q in zip(vm_probs, py_probs):
        for lab, v in q.items():
            diff = max(diff, abs(p[str(lab)] - v))
    out["max_prob_diff"] = diff
    devicepkg.use("numpy")
    return out


# ---------------------------------------------------------------- report


def curve_cells(rr, T):
    cs = [metrics(r["A"]) for r in rr]
    if len(cs[0]["curve"]) == 1:
        return [""] * (T - 1) + [ms([c["final"] for c in cs])]
    return [ms([c["curve"][i] for c in cs]) for i in range(T)]


def report_results(streams, fe, seeds, best, adapt, res, md):
    sel = lambda p, s, m, c, fr=FRACTION: [res[job(p, s, "final", fe[s], m, c, sd, fr)] for sd in seeds]  # noqa: E731
    summary = {}
    for s in streams:
        d = DATA[s, "final"]
        T = len(d["tasks"])
        md.append("### %s\n" % STREAM_NAMES[s])
        for p, methods in (("board", METHODS_BOARD), ("host", METHODS_HOST)):
            rows = []
            for m in methods + ("adaptive",):
                c = adapt[p, s] if m == "adaptive" else best[p, s, m]
                rr = sel(p, s, m, c)
                cs = [metrics(r["A"]) for r in rr]
                fg = "n/a" if cs[0]["forgetting"] is None else ms([x["forgetting"] for x in cs])
                bw = "n/a" if cs[0]["bwt"] is None else ms([x["bwt"] for x in cs], "%+.3f")
                lab = "lr %g" % c["lr"] + (", k %d" % c["k"] if c.get("k") and m != "none" else "")
                if m == "adaptive":
                    lab += ", start %d +%d, below %g" % (c["start"], c["step"], c["below"])
                name = METHOD_NAMES[m] if m != "dm" else METHOD_NAMES[m] + " (fixed %d)" % HIDDEN
                rows.append(["**%s**" % name if m == "dm" else name] + curve_cells(rr, T)
                            + [fg, bw, lab, "%.1f" % np.mean([r["secs"] for r in rr])])
                summary[p, s, m] = [x["final"] for x in cs]
            md.append("%s path (%s), average accuracy on the tasks seen so far after each task; the last "
                      "column of the curve is the average accuracy after the last task:\n"
                      % (p.capitalize(), "device Classifier, learn_one per sample, one pass" if p == "board"
                         else "batch kernels, %d epochs per task" % HOST_EPOCHS[s]))
            md.append(table(["row"] + ["after task %d" % (i + 1) for i in range(T)]
                            + ["forgetting", "BWT", "settings", "s per run"], rows) + "\n")
        # accuracy matrices
        md.append("<details><summary>Accuracy matrices, %s (mean over seeds; row i: after training task i, "
                  "column j: accuracy on task j's test classes)</summary>\n" % STREAM_NAMES[s])
        for p, methods in (("board", METHODS_BOARD), ("host", METHODS_HOST)):
            for m in methods + ("adaptive",):
                c = adapt[p, s] if m == "adaptive" else best[p, s, m]
                A = np.mean([r["A"] for r in sel(p, s, m, c)], axis=0)
                rows = [["after task %d" % (i + 1) if A.shape[0] > 1 else "after all data"]
                        + ["" if np.isnan(v) else "%.3f" % v for v in A[i]] for i in range(A.shape[0])]
                md.append("%s path, %s:\n" % (p, METHOD_NAMES[m]))
                md.append(table([""] + ["task %d %s" % (j + 1, "/".join(d["names"][c_] for c_ in t))
                                        for j, t in enumerate(d["tasks"])], rows) + "\n")
        md.append("</details>\n")
    return summary


def report_flops(streams, fe, seeds, best, adapt, res, md):
    ul = devicepkg.use("numpy")
    out = {}
    rows, size_rows = [], []
    for p in ("board", "host"):
        for s in streams:
            d = DATA[s, "final"]
            fx = [res[job(p, s, "final", fe[s], "dm", best[p, s, "dm"], sd)] for sd in seeds]
            ad = [res[job(p, s, "final", fe[s], "adaptive", adapt[p, s], sd)] for sd in seeds]
            sm = [res[job(p, s, "final", fe[s], "small", adapt[p, s], sd)] for sd in seeds]
            fa, aa, sa = finals(fx), finals(ad), finals(sm)
            ft, at = np.mean([r["train_flops"] for r in fx]), np.mean([r["train_flops"] for r in ad])
            fi, ai = np.mean([r["inf_flops"] for r in fx]), np.mean([r["inf_flops"] for r in ad])
            st = np.mean([r["train_flops"] for r in sm])
            out[p, s] = dict(fixed=fa, adaptive=aa, small=sa, train_ratio=at / ft, inf_ratio=ai / fi,
                             small_ratio=st / ft, start=adapt[p, s]["start"])
            rows.append([p, STREAM_NAMES[s], ms(fa), ms(aa), "%+.3f" % (np.mean(aa) - np.mean(fa)),
                         gflops(ft), gflops(at), "%.0f%%" % (100 * at / ft), "%d" % fi, "%.0f" % ai,
                         "%.0f%%" % (100 * ai / fi), ms([r["width"] for r in ad], "%.0f"),
                         "%d: %s, %.0f%%" % (adapt[p, s]["start"], ms(sa), 100 * st / ft)])
            has_ext = fe[s] == "ext1"
            d_in = d["Xtr"].shape[1]
            k = best[p, s, "dm"]["k"] if p == "board" else 0
            widths = sorted(set(w for r in ad for w, _ in r["sizes"]))
            first = {}
            for r in ad:
                for w, n in r["sizes"]:
                    first.setdefault(w, []).append(n)
            cells = []
            for w in widths + ([HIDDEN] if HIDDEN not in widths else []):
                inf, tr, _ = flops_of(ul, d_in, d["n_classes"], w, d["n_classes"], k, has_ext)
                tag = "fixed" if w == HIDDEN else ""
                when = ("%.0f" % np.mean(first[w])) if w in first else "-"
                cells.append([p, STREAM_NAMES[s], str(w), "%d of %d" % (len(first.get(w, [])), len(seeds)),
                              when, str(inf), str(tr), tag])
            size_rows += cells
    md.append(table(["path", "stream", "fixed %d: accuracy" % HIDDEN, "adaptive: accuracy", "difference",
                     "fixed: training GFLOP", "adaptive: training GFLOP", "ratio", "fixed: FLOPs/inference",
                     "adaptive: FLOPs/inference (final)", "ratio", "adaptive: final width",
                     "reference: fixed at the start width (accuracy, training FLOPs ratio)"], rows) + "\n")
    md.append("The last column is not a tuned row: a fixed model of the adaptive model's start width, same "
              "settings, never grown, to tell what growing adds.\n")
    md.append("Training FLOPs: the sum over the whole stream of `ulearn.flops.learner_flops` at the size the "
              "model had at each step (board: each learn_one with its replay_k replayed samples, none while the "
              "memory is empty, plus the replay-accuracy checks that drive growth; host: forward + backward per "
              "row of every minibatch, new and replayed rows, counted as the per-sample kernels would, plus the "
              "per-epoch replay-accuracy checks). Every size the models pass through, with all classes present "
              "(`learner_flops(learner, rows=classes)`; board train step includes replay_k replayed samples, "
              "host: one sample):\n")
    md.append(table(["path", "stream", "hidden units", "reached in (seeds)", "at sample (mean)",
                     "FLOPs/inference", "FLOPs/train step", ""], size_rows) + "\n")
    return out


def plots(outdir, streams, fe, seeds, best, adapt, res, sweep):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    colors = {"none": "C3", "reservoir": "C5", "random": "C1", "herding": "C2", "dm": "C0",
              "joint": "k", "adaptive": "C4"}
    fig, axes = plt.subplots(2, len(streams), figsize=(4.2 * len(streams), 6.4), squeeze=False)
    for col, s in enumerate(streams):
        T = len(DATA[s, "final"]["tasks"])
        for row, (p, methods) in enumerate((("board", METHODS_BOARD), ("host", METHODS_HOST))):
            ax = axes[row][col]
            for m in methods + ("adaptive",):
                c = adapt[p, s] if m == "adaptive" else best[p, s, m]
                cs = np.array([metrics(res[job(p, s, "final", fe[s], m, c, sd)]["A"])["curve"] for sd in seeds])
                mu, sd_ = cs.mean(0), cs.std(0, ddof=1) if len(cs) > 1 else np.zeros(cs.shape[1])
                if m == "joint":
                    ax.axhline(mu[0], color="k", ls="--", lw=0.9, label=METHOD_NAMES[m])
                    continue
                x = np.arange(1, T + 1)
                ax.plot(x, mu, marker="o", ms=3, color=colors[m], lw=1.2, label=METHOD_NAMES[m],
                        ls=":" if m == "adaptive" else "-")
                ax.fill_between(x, mu - sd_, mu + sd_, color=colors[m], alpha=0.15, lw=0)
            ax.set_title("%s, %s path" % (STREAM_NAMES[s], p), fontsize=9)
            ax.set_xticks(range(1, T + 1))
            ax.set_ylim(0, 1.02)
            ax.grid(alpha=0.3)
            if row == 1:
                ax.set_xlabel("after task")
            if col == 0:
                ax.set_ylabel("average accuracy, tasks seen")
    axes[0][0].legend(fontsize=6.5, loc="lower left")
    fig.suptitle("Class-incremental streams: mean ± std over %d seeds" % len(seeds), fontsize=10)
    fig.tight_layout()
    pth = outdir / "incremental_curves.png"
    save_small(fig, pth, 80)
    plt.close(fig)
    written.append(pth)
    ms_ = ("none", "random", "herding", "dm")
    fig, axes = plt.subplots(len(streams), len(ms_), figsize=(2.6 * len(ms_), 2.5 * len(streams)), squeeze=False)
    for r_, s in enumerate(streams):
        for c_, m in enumerate(ms_):
            ax = axes[r_][c_]
            A = np.mean([res[job("board", s, "final", fe[s], m, best["board", s, m], sd)]["A"] for sd in seeds], 0)
            ax.imshow(np.nan_to_num(A, nan=np.nan), vmin=0, vmax=1, cmap="viridis")
            for i in range(A.shape[0]):
                for j in range(A.shape[1]):
                    if not np.isnan(A[i, j]):
                        ax.text(j, i, "%.2f" % A[i, j], ha="center", va="center", fontsize=6,
                                color="w" if A[i, j] < 0.6 else "k")
            ax.set_title("%s\n%s" % (STREAM_NAMES[s], METHOD_NAMES[m]), fontsize=7)
            ax.set_xticks(range(A.shape[1]))
            ax.set_xticklabels(["T%d" % (j + 1) for j in range(A.shape[1])], fontsize=6)
            ax.set_yticks(range(A.shape[0]))
            ax.set_yticklabels(["after T%d" % (i + 1) for i in range(A.shape[0])], fontsize=6)
    fig.suptitle("Board path accuracy matrices (mean over seeds)", fontsize=10)
    fig.tight_layout()
    pth = outdir / "incremental_matrices.png"
    save_small(fig, pth, 80)
    plt.close(fig)
    written.append(pth)
    if sweep:
        sw = [s for s in streams if s in SWEEP_STREAMS]
        fig, axes = plt.subplots(1, 2 * len(sw), figsize=(3.3 * 2 * len(sw), 3.0), squeeze=False)
        for i, (s, p) in enumerate([(s, p) for s in sw for p in ("board", "host")]):
            ax = axes[0][i]
            for m in REPLAY_METHODS:
                fr = sorted(sweep[p, s, m])
                mu = [np.mean(sweep[p, s, m][f]) for f in fr]
                sd_ = [np.std(sweep[p, s, m][f], ddof=1) if len(seeds) > 1 else 0 for f in fr]
                ax.errorbar([100 * f for f in fr], mu, yerr=sd_, marker="o", ms=3, capsize=2,
                            color=colors[m], label=METHOD_NAMES[m])
            ax.axhline(np.mean(sweep[p, s, "joint"]), color="k", ls="--", lw=0.9, label=METHOD_NAMES["joint"])
            ax.set_xscale("log")
            ax.set_xticks([100 * f for f in fr])
            ax.set_xticklabels(["%g%%" % (100 * f) for f in fr])
            ax.set_title("%s, %s path" % (STREAM_NAMES[s], p), fontsize=8)
            ax.set_xlabel("replay budget (of each class's training rows)", fontsize=7)
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel("average accuracy after the last task", fontsize=7)
        axes[0][0].legend(fontsize=6, loc="lower right")
        fig.tight_layout()
        pth = outdir / "incremental_budget.png"
        save_small(fig, pth, 80)
        plt.close(fig)
        written.append(pth)
    return written


# ---------------------------------------------------------------- main


def environment():
    return "CPython %s, numpy %s; %s" % (platform.python_version(), np.__version__, machine())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=None, help="seeds of the test runs (default 5; 3 with --quick)")
    ap.add_argument("--tune-seeds", type=int, default=None,
                    help="seeds of the validation runs (default 2; 1 with --quick)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: Fashion-MNIST cut to %d/%d rows per class, small grids"
                    % (QUICK["fashion_train"], QUICK["fashion_test"]))
    ap.add_argument("--streams", default=",".join(STREAM_ORDER),
                    help="comma-separated subset of: %s" % ", ".join(STREAM_ORDER))
    ap.add_argument("--no-vm", action="store_true", help="skip the MicroPython VM run")
    ap.add_argument("--out", help="also write the Markdown to this file")
    ap.add_argument("--plot", metavar="DIR", help="write PNG plots (matplotlib) to this directory")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    args = ap.parse_args(argv)
    streams = [s.strip() for s in args.streams.split(",") if s.strip()]
    bad = [s for s in streams if s not in STREAM_ORDER]
    if bad or not streams:
        ap.error("unknown stream(s) %s; choose from %s" % (bad, ", ".join(STREAM_ORDER)))
    streams = [s for s in STREAM_ORDER if s in streams]
    n_seeds = args.seeds if args.seeds is not None else (3 if args.quick else 5)
    n_tune = args.tune_seeds if args.tune_seeds is not None else (1 if args.quick else 2)
    if n_seeds < 1 or n_tune < 1:
        ap.error("--seeds and --tune-seeds must be >= 1")
    seeds = list(range(n_seeds))
    tseeds = [100 + i for i in range(n_tune)]
    t_start = time.time()
    cmd = command_line()
    print("$ " + cmd, flush=True)
    devicepkg.use("numpy")
    note("loading datasets")
    info = load_data(streams, args.quick)

    md = ["# ulearn class-incremental benchmark\n",
          "Reproduce from the repository root (≈ {elapsed} on the machine below):\n",
          "```\n%s\n```\n" % cmd,
          "Environment: %s; %d worker process(es), one BLAS thread each. Test seeds: %s; tuning seeds: %s.%s\n"
          % (environment(), args.jobs, ", ".join(map(str, seeds)), ", ".join(map(str, tseeds)),
             " **Quick (smoke) run: Fashion-MNIST cut to %d training / %d test rows per class, small grids; "
             "not the reference figures.**" % (QUICK["fashion_train"], QUICK["fashion_test"])
             if args.quick else ""),
          "{summary}\n"]
    md += setup_text(streams, info, args)
    md.append("## 1. Choices made on the validation split\n")
    stage_t = {}
    t_prev = [time.time()]

    def lap(name):
        t = time.time()
        stage_t[name] = t - t_prev[0]
        t_prev[0] = t
        note("  %s: %.0f s" % (name, stage_t[name]))

    lap("loading data")
    note("stage 1: front ends (validation)")
    fe = stage_front_end(args, streams, tseeds, md)
    lap("front ends")
    note("stage 2: tuning (validation)")
    best, val, _ = stage_tune(args, streams, fe, tseeds, md)
    lap("tuning")
    note("stage 3: tuning the adaptive model (validation)")
    adapt = stage_adapt_tune(args, streams, fe, tseeds, best, val, md)
    lap("tuning the adaptive model")
    note("stage 4: test runs")
    res = stage_final(args, streams, fe, seeds, best, adapt)
    lap("test runs")
    md.append("## 2. Results on the test split\n")
    md.append("Mean ± std over %d seeds (a seed sets the model's initialisation, the stream order within "
              "each task, the replay sets' draws and the memory's reservoir; the class order is fixed). "
              "*Forgetting*: accuracy on a task right after learning it minus the final accuracy on it, "
              "averaged over all tasks but the last (the last is never forgotten). *BWT* (backward transfer, "
              "Lopez-Paz and Ranzato 2017): the mean of final minus just-learned accuracy over the same tasks; "
              "with these definitions BWT = -forgetting, both shown as asked. Joint training is evaluated once, "
              "after all the data, and shown in the last column.\n" % len(seeds))
    summary = report_results(streams, fe, seeds, best, adapt, res, md)
    md.append("## 3. Fixed large model vs adaptive (growing) model\n")
    md.append("Both with the distilled 1%% replay memory and the dm row's tuned lr and replay_k; the fixed "
              "model is the dm row of section 2 (%d hidden units).\n" % HIDDEN)
    fl = report_flops(streams, fe, seeds, best, adapt, res, md)
    sweep = {}
    sw_streams = [s for s in streams if s in SWEEP_STREAMS]
    if sw_streams:
        md.append("## 4. Replay budget: what closes the gap to joint training\n")
        md.append("The same runs (each row's tuned settings from the 1%% budget, not retuned) with the replay "
                  "memory at %s of each class's training rows. Average accuracy after the last task:\n"
                  % ", ".join("%g%%" % (100 * f) for f in (FRACTION,) + tuple(sweep_fracs(args))))
        rows = []
        for s in sw_streams:
            for p in ("board", "host"):
                sweep[p, s, "joint"] = summary[p, s, "joint"]
                for m in REPLAY_METHODS:
                    sweep[p, s, m] = {FRACTION: summary[p, s, m]}
                    cells = [ms(summary[p, s, m])]
                    for fr in sweep_fracs(args):
                        v = finals([res[job(p, s, "final", fe[s], m, best[p, s, m], sd, fr)] for sd in seeds])
                        sweep[p, s, m][fr] = v
                        cells.append(ms(v))
                    rows.append([STREAM_NAMES[s], p, METHOD_NAMES[m].replace(" 1%", "")] + cells
                                + [ms(summary[p, s, "joint"])])
        fracs = (FRACTION,) + tuple(sweep_fracs(args))
        md.append(table(["stream", "path", "replay set"] + ["%g%%" % (100 * f) for f in fracs] + ["joint"],
                        rows) + "\n")
        caps = []
        for s in sw_streams:
            d = DATA[s, "final"]
            caps.append("%s: %s rows" % (STREAM_NAMES[s], ", ".join(
                "%d at %g%%" % (budget(d["ytr"], range(d["n_classes"]), f), 100 * f)
                for f in (FRACTION,) + tuple(sweep_fracs(args)))))
        md.append("Replay memory sizes: " + "; ".join(caps) + ".\n")
    vm = None
    if "digits" in streams and not args.no_vm:
        note("stage 5: MicroPython VM")
        vm = vm_stage(args, fe, best)
        lap("MicroPython VM")
        md.append("## 5. The board path inside MicroPython\n")
        md += vm_text(vm)
    if args.plot:
        written = plots(args.plot, streams, fe, seeds, best, adapt, res, sweep)
        rel = Path(args.out).parent if args.out else Path(".")
        md.append("## Plots\n")
        for pth in written:
            md.append("![%s](%s)\n" % (pth.stem, os.path.relpath(pth, rel)))
    md[4] = summary_text(streams, seeds, summary, fl, sweep, vm, args)
    elapsed = time.time() - t_start
    md[1] = md[1].replace("{elapsed}", "%.0f s" % elapsed)
    md[3] = md[3].rstrip("\n") + " Run time per stage: %s; total %.0f s.\n" % (
        ", ".join("%s %.0f s" % kv for kv in stage_t.items()), elapsed)
    text = "\n".join(md)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
        note("wrote " + args.out)
    note("done in %.0f s" % elapsed)


def fashion_memory():
    # bytes of the 1% replay memory (int8 row + scale + label) and of the
    # trainable relu layer with its momentum buffers, at 7x7 and at 14x14
    if ("fashion", "final") not in DATA:
        return "Fashion-MNIST not run"
    d = DATA["fashion", "final"]
    cap = budget(d["ytr"], range(d["n_classes"]), FRACTION)
    kb = lambda n: "%.0f KB" % (n / 1024)  # noqa: E731
    return ("at 7x7 the 1%% replay memory (%d rows) takes %s and the %d-unit trainable layer with momentum %s; "
            "at 14x14 they would take %s and %s, next to a 264 KB RP2040's heap"
            % (cap, kb(cap * (49 + 8)), HIDDEN, kb(8 * (49 * HIDDEN + HIDDEN)), kb(cap * (196 + 8)),
               kb(8 * (196 * HIDDEN + HIDDEN))))


def setup_text(streams, info, args):
    md = ["## Setup\n"]
    rows = []
    for s in streams:
        i = info[s]
        tasks_ = " / ".join("{" + ", ".join(i["names"][c] for c in t) + "}" for t in i["tasks"])
        d = DATA[s, "final"]
        cap = budget(d["ytr"], range(d["n_classes"]), FRACTION)
        rows.append([STREAM_NAMES[s], tasks_, "%d / %d / %d / %d" % i["n"], str(i["d"]),
                     "%d rows, %d B" % (cap, cap * (i["d"] + 8)), i["how"]])
    md.append(table(["stream", "tasks (in order)", "train' / validation / train / test rows", "inputs",
                     "replay memory at 1% (int8 rows + scale + label)", "data"], rows) + "\n")
    md.append(
        "* **Inputs** are scaled on the host with fixed constants, so every row sees the same front end and "
        "the replay memory's stored rows stay valid: pixels divided by their full scale (16 for digits, 255 "
        "for Fashion-MNIST), watch features standardised with the first task's training mean and std (what a "
        "bundle carries). The Classifier runs with `standardize=False` (with a replay memory its scaler would "
        "be frozen anyway). Fashion-MNIST is averaged from 28x28 to **7x7** (49 inputs), for the board's "
        "memory: %s.\n" % fashion_memory())
    md.append(
        "* **Model**: [frozen front end] -> trainable `hidden` relu layer (%d units; the adaptive model starts "
        "smaller and grows) -> softmax head with a row per class seen so far. The front end (none, or an "
        "extractor trained on the first task only) is chosen on validation, below. The replay memory lives in "
        "the trainable part's input space (what the board stores).\n" % HIDDEN)
    md.append(
        "* **Board path**: `ulearn.Classifier(d, classes, hidden=%d, replay=M, replay_k=k, "
        "optimizer=SGD(lr, momentum=%g, clip=%g), standardize=False, seed=s+1)` on CPython/numpy, each task's "
        "training rows once, shuffled, through `learn_one`. M is the 1%% budget of the whole stream, allocated "
        "up front as on a board. **How the 1%% set reaches the memory** (chosen): after the board has learned "
        "a task, the host builds that task's set (`ulearn_host.distill.replay_set(X_task, y_task, method, "
        "fraction=0.01)`, in the stored space) and the board's memory receives the union of the sets of all "
        "tasks so far (`load_replay`, which replaces the contents). While a task is learned, `learn_one` also "
        "offers every new sample to the memory: the slots the union does not fill (the budget of the tasks "
        "still to come) take the current task's samples by the class-balanced reservoir, and the loaded rows "
        "are never evicted (the old classes are never the largest). So each learn_one trains on the new sample "
        "and on k rows drawn uniformly from the memory (old classes' sets plus current-task samples). The "
        "*reservoir only* row is what a board does without a host: the same memory, filled only by the "
        "reservoir. *No replay* and *joint* have no memory; joint sees all tasks' rows shuffled in one stream, "
        "once.\n" % (HIDDEN, BOARD_MOM, BOARD_CLIP))
    md.append(
        "* **Host path**: the same trainable part (`ulearn.Dense` relu + head, the device's layer code) on "
        "`ulearn_host.batch` kernels, SGD with momentum %g and weight decay %g, %s epochs per task; each "
        "minibatch holds %d of the task's rows and k x %d rows drawn from the replay memory (the union of the "
        "previous tasks' sets; the current task needs none: all its rows are there). Joint: the same epochs over "
        "all the data at once. The head gets rows in order of class arrival, as on the board; for the adaptive "
        "model the hidden layer is widened with the device's `ulearn.grow.widen`.\n"
        % (HOST_MOM, HOST_WD, "/".join("%s %d" % kv for kv in HOST_EPOCHS.items()), HOST_BS, HOST_BS))
    md.append(
        "* **Replay sets**: *random* (rows drawn per class), *herding* (iCaRL: rows whose running mean tracks "
        "the class mean) and *dm* (distribution matching: synthetic rows moved so that their mean embedding "
        "under a fresh random relu network matches the real rows'; `replay_set` defaults: 1000 iterations, "
        "lr 0.1, width 128, batches of 256 per class; not tuned), each with 1% of every class's training rows "
        "(at least 1: Split-digits gets 1 row per class). The set of task t is built from task t's rows only, "
        "once it has been seen (as in Rüb et al.). The set of the last task is not built: nothing is trained "
        "after it.\n")
    return md


def vm_text(vm):
    md = []
    if "error" in vm:
        md.append("Not run: %s\n" % vm["error"])
        return md
    c = vm["cfg"]
    md.append("Split-digits, the first two tasks ({0, 1} then {2, 3}), %d training samples (%d per task, seed 0's "
              "order), board path with the digits dm row's settings (hidden %d, lr %g, replay_k %d, a %d-row "
              "memory that receives task 1's distilled set after task 1), then all %d test rows of classes "
              "0-3. The device package is copied into MicroPython's WebAssembly port (%s; no ulab: pure-Python "
              "kernels) as tests/test_micropython.py does, and the same stream runs on CPython with the "
              "pure-Python kernels and with numpy.\n"
              % (vm["n"], vm["n"] // 2, HIDDEN, c["lr"], c["k"], vm["cap"], vm["n_test"], vm["version"]))
    rows = [["MicroPython VM (pure Python kernels)", "%.4f" % vm["acc_vm"],
             "%d / %d" % (vm["vm_vs_py_agree"], vm["n_test"]), "%.1f" % vm["vm_ms_per_learn"]],
            ["CPython, pure-Python kernels", "%.4f" % vm["acc_python"], "-",
             "%.2f" % (1000 * vm["python"][1] / vm["n"])],
            ["CPython, numpy kernels", "%.4f" % vm["acc_numpy"],
             "%d / %d" % (vm["np_vs_py_agree"], vm["n_test"]), "-"]]
    md.append(table(["where", "test accuracy (classes 0-3)", "predictions equal to CPython pure-Python",
                     "ms per learn_one"], rows) + "\n")
    md.append("Largest difference of a class probability between the VM and CPython's pure-Python path on the "
              "first 20 test rows: %.2g. %s\n"
              % (vm["max_prob_diff"], "The final accuracies match." if vm["acc_vm"] == vm["acc_python"]
                 else "**The final accuracies differ.**"))
    return md


def summary_text(streams, seeds, summary, fl, sweep, vm, args):
    show = []
    mean = lambda v: float(np.mean(v))  # noqa: E731
    sd = lambda v: float(np.std(v, ddof=1)) if len(v) > 1 else 0.0  # noqa: E731
    for p in ("board", "host"):
        for s in streams:
            show.append("%s %s: no replay %.3f, random %.3f, herding %.3f, dm %.3f, joint %.3f"
                        % (STREAM_NAMES[s], p, mean(summary[p, s, "none"]), mean(summary[p, s, "random"]),
                           mean(summary[p, s, "herding"]), mean(summary[p, s, "dm"]), mean(summary[p, s, "joint"])))
    targets = []
    if "digits" in streams:
        for p in ("board", "host"):
            dm, jt = summary[p, "digits", "dm"], summary[p, "digits", "joint"]
            gap = mean(jt) - mean(dm)
            ok = gap <= 0.03
            fix = ""
            if not ok and (p, "digits", "dm") in sweep:
                sw = sweep[p, "digits", "dm"]
                fr = [f for f in sorted(sw) if mean(jt) - mean(sw[f]) <= 0.03]
                top = max(sw)
                fix = (" A budget of %g%% closes it (%.3f)." % (100 * fr[0], mean(sw[fr[0]])) if fr else
                       " No budget up to %g%% closes it (%.3f there)." % (100 * top, mean(sw[top])))
            targets.append(["dm 1%% within 3 points of joint training, Split-digits, %s path" % p,
                            "dm %s vs joint %s: %.1f points behind" % (ms(dm), ms(jt), 100 * gap),
                            ("**met**" if ok else "**missed**") + fix])
            for other in ("random", "herding"):
                o = summary[p, "digits", other]
                margin = mean(dm) - mean(o)
                spread = sd(dm) + sd(o)
                ok2 = margin > spread and len(seeds) >= 3
                targets.append(["dm 1%% ahead of %s 1%% by more than the spread (%d seeds), Split-digits, %s path"
                                % (other, len(seeds), p),
                                "%s vs %s: +%.1f points, spread (sum of the two stds) %.1f points"
                                % (ms(dm), ms(o), 100 * margin, 100 * spread),
                                "**met**" if ok2 else "**missed**"])
    for p in ("board", "host"):
        for s in streams:
            f = fl[p, s]
            diff = mean(f["adaptive"]) - mean(f["fixed"])
            ok = f["train_ratio"] <= 0.5 and diff >= -ADAPT_TOL
            oki = f["inf_ratio"] <= 0.5 and diff >= -ADAPT_TOL
            targets.append(["adaptive model <= 50%% of the fixed model's FLOPs within 1.5 points, %s, %s path"
                            % (STREAM_NAMES[s], p),
                            "accuracy %+.1f points; training FLOPs %.0f%%, inference FLOPs (final) %.0f%% "
                            "(reference, a fixed model of the start width %d: %+.1f points at %.0f%% of the "
                            "training FLOPs)"
                            % (100 * diff, 100 * f["train_ratio"], 100 * f["inf_ratio"], f["start"],
                               100 * (mean(f["small"]) - mean(f["fixed"])), 100 * f["small_ratio"]),
                            "training: **%s**; inference: **%s**"
                            % ("met" if ok else "missed", "met" if oki else "missed")])
    lines = ["**Summary.** Average accuracy after the last task (test split, mean over %d seeds): "
             % len(seeds) + "; ".join(show) + "."]
    gaps = ["%s %s %.1f" % (STREAM_NAMES[s], p, 100 * (mean(summary[p, s, "joint"]) - mean(summary[p, s, "dm"])))
            for p in ("board", "host") for s in streams]
    lines.append("Points by which joint training is ahead of the distilled 1%% memory: %s (negative: dm "
                 "ahead)." % ", ".join(gaps))
    bd = {s: (mean(summary["board", s, "dm"]), mean(summary["board", s, "joint"])) for s in streams}
    above = ["%s (%.3f vs %.3f)" % ((STREAM_NAMES[s],) + bd[s]) for s in streams if bd[s][0] >= bd[s][1]]
    if above:
        lines.append("On the board path joint training is one pass of the same learner over all the data, "
                     "not a ceiling: the distilled memory finishes level with or above it on %s, its stored "
                     "rows being trained on again and again; the host path's joint row (several epochs) is "
                     "the real upper bound." % ", ".join(above))
    better = ["%s (%s vs %s)" % (STREAM_NAMES[s], ms(summary["board", s, "reservoir"]),
                                 ms(summary["board", s, "random"]))
              for s in streams if mean(summary["board", s, "reservoir"]) > mean(summary["board", s, "random"])]
    if better:
        lines.append("The board's own reservoir, with no host, finishes above the host's random 1%% set, on "
                     "average, on %s. "
                     "A likely reason: the reservoir fills the whole memory with the old classes' samples from "
                     "the start and gives up slots only as new classes arrive, whereas with the host's sets the "
                     "slots of the tasks still to come hold current-task samples, so until the last task the "
                     "old classes have fewer rows." % ", ".join(better))
    if vm and "error" not in vm:
        lines.append("In the MicroPython VM the shortened Split-digits board run ends at %.4f test accuracy, "
                     "CPython's pure-Python path at %.4f (%d of %d predictions equal)."
                     % (vm["acc_vm"], vm["acc_python"], vm["vm_vs_py_agree"], vm["n_test"]))
    out = "\n".join(lines) + "\n\n**Targets** (from the issue; std: sample std over seeds):\n\n"
    out += table(["target", "measured", "verdict"], targets) + "\n"
    return out


if __name__ == "__main__":
    main()
