"""One adaptation on the board path: the bundle loaded by the device code
(CPython, numpy kernels), the selection, `epochs` passes over the support
set one sample at a time through learn_one, then predict_one on the query."""
import time


from ulearn_dev import devicepkg
from ulearn_host import evaluate

from . import domains as DM
from . import settings as S


def job(domain, phase, unit, method, frac, lr, epochs, seed):
    if method in ("none", "head", "full"):
        frac = None  # no budget to spend
    if method == "none":
        lr = epochs = None
    return (domain, phase, unit, method, frac, lr, epochs, seed)


def budget(d, method, frac):
    """Bytes a method may spend: full fine-tuning's cost, or `frac` of it."""
    return d["full"]["bytes"] if method == "full" else int(frac * d["full"]["bytes"])


def prepare(ul, d, unit, method, frac, lr, seed):
    """The bundle, ready to train: loaded, warmed up when its head lacks the
    support's labels, its update selected. Returns (clf, support X, support
    y, selection or None)."""
    sup, _ = DM.draw(unit, seed, None)
    X, y = [unit["X"][i] for i in sup], [int(unit["y"][i]) for i in sup]
    clf = ul.load(d["bundle"])
    clf.optimizer.lr = lr if lr is not None else clf.optimizer.lr
    if d["warm"] and method not in ("none", "cold"):
        for _ in range(S.WARMUP):
            for x, t in zip(X, y):
                clf.learn_one(x, t)
    sel = None
    if method in S.SPARSE + ("cold", "full"):
        how = "fisher" if method in ("cold", "full") else method
        sel = clf.select_updates(X, y, budget(d, method, frac), method=how, seed=seed)
    return clf, X, y, sel


def run(jb):
    domain, phase, name, method, frac, lr, epochs, seed = jb
    ul = devicepkg.use("numpy")
    d = DM.DATA[domain, phase]
    unit = d["units"][name]
    t0 = time.time()
    try:
        clf, X, y, sel = prepare(ul, d, unit, method, frac, lr, seed)
    except ValueError as e:  # a budget too small for even one channel
        return dict(error=str(e))
    for e in range(epochs or 0):
        for i in DM.order(len(y), seed, e):
            clf.learn_one(X[i], y[i])
    secs = time.time() - t0
    _, query = DM.draw(unit, seed, d["cap"])
    Xq, yq = unit["X"][query], unit["y"][query]
    acc = float(evaluate.holdout(clf, Xq, yq)[0])
    cost = sel["cost"] if sel else d["head"]
    counts = [len(p) for p in sel["picks"]] if sel else [0] * len(d["dims"])
    return dict(acc=acc, bytes=cost["bytes"], macs=cost["macs"], counts=counts, secs=secs,
                n_query=len(yq))
