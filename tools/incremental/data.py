"""The streams' data and what is built from it once: per-phase splits, the
front ends (raw inputs or a frozen extractor) and the replay sets. DATA and
REPLAY are filled in the main process before a pool forks, so the workers
inherit them; read them through this module."""
import numpy as np

from ulearn_dev import devicepkg
from ulearn_dev.benchkit import pool_map
from ulearn_host import batch
from ulearn_host import datasets as D
from ulearn_host import tasks as TK
from ulearn_host.distill import replay_set

from .settings import EXT_EPOCHS, EXT_WIDTH, QUICK, REPLAY_METHODS

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
    for s in streams:
        tasks_, X14 = [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]], None
        if s == "fashion":
            d = D.load_fashion_mnist()
            rng = np.random.default_rng(12345)
            itr, ite = np.arange(60000), np.arange(10000)
            if quick:
                itr = _per_class(d.y_train, QUICK["fashion_train"], rng)
                ite = _per_class(d.y_test, QUICK["fashion_test"], rng)
            Xtr, ytr, Xte, yte = pool2(d.X_train[itr], 4), d.y_train[itr], pool2(d.X_test[ite], 4), d.y_test[ite]
            val = _strat(ytr, 1 / 6, rng)
            names = list(D.FASHION_MNIST_CLASSES)
            X14 = pool2(d.X_train[itr], 2)  # the 14x14 reference front end (validation only)
        else:
            t = TK.load_task(s)
            tr = t.split == "train"
            X = (t.X / 16.0).astype(np.float32) if s == "digits" else t.X
            Xtr, ytr, Xte, yte, names = X[tr], t.y[tr], X[~tr], t.y[~tr], t.names
            if s == "digits":
                val = _strat(ytr, 0.2, np.random.default_rng(12345))
            else:  # validation: subjects 6 and 7
                val = np.isin(D.watch_windows(size=100, step=50)[2][tr], (6, 7))
                tasks_ = [[0, 1], [2, 3], [4, 5], [6]]
        for phase, (a, ya, b, yb) in (("tune", (Xtr[~val], ytr[~val], Xtr[val], ytr[val])),
                                      ("final", (Xtr, ytr, Xte, yte))):
            a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
            if s == "watch":
                first = np.isin(ya, tasks_[0])
                mu, sd = a[first].mean(0), a[first].std(0)
                sd = np.where(sd > 0, sd, 1.0)
                a, b = ((a - mu) / sd).astype(np.float32), ((b - mu) / sd).astype(np.float32)
            DATA[s, phase] = dict(Xtr=a, ytr=ya, Xev=b, yev=yb, tasks=tasks_, names=names, n_classes=len(names),
                                  fe={})
            if phase == "tune" and X14 is not None:
                DATA[s, phase]["raw14"] = (X14[~val], X14[val])


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


def replay_key(stream, phase, fe, method, fraction, seed, t):
    return (stream, phase, fe, method, fraction, seed, t)


def replay_job(key):
    stream, phase, fe, method, fraction, seed, t = key
    d = DATA[stream, phase]
    f = d["fe"][fe]
    idx = np.flatnonzero(np.isin(d["ytr"], d["tasks"][t]))
    return replay_set(f["Etr"][idx], d["ytr"][idx], method, fraction=fraction, seed=1000 * seed + t)


def make_replay_sets(keys, n_proc):
    todo = sorted(set(k for k in keys if k not in REPLAY))
    for k, r in zip(todo, pool_map(replay_job, todo, n_proc, "replay sets", " runs")):
        REPLAY[k] = r


def replay_keys(stream, phase, fe, methods, fraction, seeds):
    T = len(DATA[stream, phase]["tasks"])
    # the set of the last task is never used (nothing is trained after it)
    return [replay_key(stream, phase, fe, m, fraction, s, t)
            for m in methods if m in REPLAY_METHODS for s in seeds for t in range(T - 1)]
