"""The data, what each model is pre-trained on, and the held-out domains a
board adapts to: their units (a new subject; a set of classes), and the
support and query rows of a unit for a seed."""
import numpy as np

from ulearn_host import datasets as D
from ulearn_host import tasks as TK

from . import settings as S

RAW = {}  # dataset -> its rows, as loaded
DATA = {}  # (domain, phase) -> {"bundle": path, "units": {name: unit}, ...}; filled before forking

WATCH_VAL = (6, 7)  # training subjects held out of the tuning model, to tune on


def load(domains, quick):
    """Load what `domains` need into RAW; returns, per dataset, its sizes for the page."""
    info = {}
    if "watch" in domains:
        X, y, groups, rec = D.watch_windows(size=100, step=50, return_recording=True)
        pos = np.zeros(len(y), np.int64)  # a window's index within its recording
        for r in np.unique(rec):
            idx = np.flatnonzero(rec == r)
            pos[idx] = np.arange(len(idx))
        RAW["watch"] = dict(X=X, y=y, subject=groups, rec=rec, pos=pos,
                            names=list(TK.load_task("watch").names))
        test = [int(s) for s in TK.WATCH_TEST_SUBJECTS]
        train = sorted(set(groups.tolist()) - set(test))
        info["watch"] = dict(rows=len(y), train=train, test=test, val=list(WATCH_VAL),
                             tune_train=[s for s in train if s not in WATCH_VAL])
    if any(d.startswith("fashion") for d in domains):
        d = D.load_fashion_mnist()
        rng = np.random.default_rng(12345)
        itr, ite = np.arange(len(d.y_train)), np.arange(len(d.y_test))
        if quick:
            itr = _per_class(d.y_train, S.QUICK["fashion_train"], rng)
            ite = _per_class(d.y_test, S.QUICK["queries"], rng)
        Xtr, ytr = pool(d.X_train[itr]), d.y_train[itr]
        val = np.zeros(len(ytr), bool)
        for c in range(10):  # a stratified 1/6 of the training rows
            idx = rng.permutation(np.flatnonzero(ytr == c))
            val[idx[: len(idx) // 6]] = True
        RAW["fashion"] = dict(Xtr=Xtr[~val], ytr=ytr[~val], Xval=Xtr[val], yval=ytr[val],
                              Xte=pool(d.X_test[ite]), yte=d.y_test[ite],
                              names=list(D.FASHION_MNIST_CLASSES))
        f = RAW["fashion"]
        info["fashion"] = dict(pretrain=len(f["ytr"]), val=len(f["yval"]), test=len(f["yte"]), names=f["names"])
    return info


def _per_class(y, n, rng):
    return np.sort(np.concatenate([rng.permutation(np.flatnonzero(y == c))[:n] for c in np.unique(y)]))


def pool(X):
    f = S.POOL
    s = 28 // f
    return (X.reshape(len(X), s, f, s, f).mean(axis=(2, 4)).reshape(len(X), s * s) / 255.0).astype(np.float32)


def shift(X):
    # images moved right by SHIFT_PX pixels, the background filling in on the left
    s = 28 // S.POOL
    img = X.reshape(len(X), s, s)
    out = np.zeros_like(img)
    out[:, :, S.SHIFT_PX:] = img[:, :, :-S.SHIFT_PX]
    return out.reshape(len(X), s * s)


def pretrain_rows(model, phase):
    """(X, y, n_classes) a model is pre-trained on (raw inputs: the host
    standardises them)."""
    if model == "watch":
        w = RAW["watch"]
        held = set(TK.WATCH_TEST_SUBJECTS) | (set(WATCH_VAL) if phase == "tune" else set())
        m = ~np.isin(w["subject"], sorted(held))
        return w["X"][m], w["y"][m], 7
    f = RAW["fashion"]  # one model for both phases: tuning and test rows are held out
    m = f["ytr"] < 5
    return f["Xtr"][m], f["ytr"][m], 5


def units(domain, phase):
    """{unit name: (X raw, y, rec, pos)} of a domain; rec/pos: recording and
    window index, to keep query windows apart from support windows (None
    where rows are independent images)."""
    if domain == "watch":
        w = RAW["watch"]
        subjects = WATCH_VAL if phase == "tune" else TK.WATCH_TEST_SUBJECTS
        out = {}
        for s in subjects:
            m = w["subject"] == s
            out["subject %d" % s] = (w["X"][m], w["y"][m], w["rec"][m], w["pos"][m])
        return out
    f = RAW["fashion"]
    X, y = (f["Xval"], f["yval"]) if phase == "tune" else (f["Xte"], f["yte"])
    if domain == "fashion_new":
        m = y >= 5
        return {"classes 5-9": (X[m], y[m], None, None)}
    m = y < 5
    return {"classes 0-4, shifted": (shift(X[m]), y[m], None, None)}


def draw(unit, seed, cap=None):
    """Support (K_SHOT rows per class) and query rows of a unit for a seed.
    Watch: query windows overlapping a support window (its neighbours in the
    same recording) are left out. cap: at most this many query rows."""
    y, rec, pos = unit["y"], unit["rec"], unit["pos"]
    rng = np.random.default_rng([seed, unit["id"]])
    sup = np.concatenate([rng.choice(np.flatnonzero(y == c), S.K_SHOT, replace=False)
                          for c in np.unique(y)])
    keep = np.ones(len(y), bool)
    keep[sup] = False
    if rec is not None:
        for i in sup:
            keep[(rec == rec[i]) & (np.abs(pos - pos[i]) <= 1)] = False
    query = np.flatnonzero(keep)
    if cap is not None and len(query) > cap:
        query = np.sort(rng.choice(query, cap, replace=False))
    return rng.permutation(sup), query


def order(n, seed, epoch):
    """The order of the support set's n rows in pass `epoch`."""
    return np.random.default_rng([seed, 1000 + epoch]).permutation(n)
