"""The datasets, loaded once into ``DATA`` in the parent process before any
pool forks (the workers inherit it), and the seeded streams over them."""
import numpy as np
from ulearn_host import datasets as D

from .settings import STREAMS

DATA = {}  # filled by load_data; only ever mutated, never rebound


def load_data(quick):
    X, y, groups, rec = D.watch_windows(return_recording=True)
    DATA["watch"] = dict(X=X, y=y, rec=rec, groups=groups, n_classes=7)
    Xd, yd = D.load_digits()
    DATA["digits"] = dict(X=Xd, y=yd, n_classes=10)
    for name in ("watch", "digits"):
        d = DATA[name]
        d["dicts"] = [{i: float(v) for i, v in enumerate(row)} for row in d["X"]]
    Xs, ys = D.load_shuttle()
    DATA["shuttle"] = dict(X=Xs, y=ys)
    try:
        DATA["kdd"] = D.load_kdd_tsad_135()
    except D.DatasetUnavailable as e:
        DATA["kdd_error"] = str(e)
    DATA["limits"] = dict(watch=1500, digits=600, shuttle=10000) if quick else {}


def stream_order(stream, seed):
    # sample indices of a stream; the seed picks the (recording) order
    rng = np.random.default_rng([seed, STREAMS.index(stream)])
    if stream == "watch_iid":
        idx = rng.permutation(len(DATA["watch"]["y"]))
    elif stream == "watch_rec":
        rec = DATA["watch"]["rec"]
        idx = np.concatenate([np.flatnonzero(rec == r) for r in rng.permutation(rec.max() + 1)])
    else:
        idx = rng.permutation(len(DATA["digits"]["y"]))
    lim = DATA["limits"].get("digits" if stream == "digits" else "watch")
    return idx[:lim] if lim else idx


def dataset_of(stream):
    return DATA["digits" if stream == "digits" else "watch"]


def shuttle():
    # Shuttle features and labels, cut to the --quick limit
    X, y = DATA["shuttle"]["X"], DATA["shuttle"]["y"]
    lim = DATA["limits"].get("shuttle")
    return (X[:lim], y[:lim]) if lim else (X, y)
