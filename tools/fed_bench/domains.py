"""The data as devices: per domain and phase the meta-training clients
(SimClient, their own rows) and the held-out devices a federation's
initialisation adapts to, the support and query rows of a held-out device
for a seed, and the factory of the learner every device runs."""
import numpy as np

import ulearn
from ulearn_host import datasets as D
from ulearn_host import tasks as TK
from ulearn_host.fed import SimClient, params

from . import settings as S

# (domain, phase) -> {"clients", "devices": {name: device}, "d", "n_out"}; phase
# "tune" (validation devices) or "final" (test devices); filled before forking
DATA = {}
SIDES = {0: "left", 1: "right"}


def load(domains, quick):
    """Fill DATA for `domains`; returns per domain the figures the page describes it with."""
    facts = {}
    if "watch" in domains:
        facts["watch"] = _watch()
    if "digits" in domains:
        t = TK.load_task("digits")
        tr, te = t.split == "train", t.split == "test"
        facts["digits"] = _subsets("digits", t.X[tr] / 16.0, t.y[tr], t.X[te] / 16.0, t.y[te], quick)
    if "fashion" in domains:
        f = D.load_fashion_mnist()
        facts["fashion"] = _subsets("fashion", pool(f.X_train), f.y_train, pool(f.X_test), f.y_test, quick)
    for dom in domains:
        facts[dom].update(_sizes(dom))
    return facts


def _sizes(dom):
    """Clients, devices and their rows; support and query rows (seed 0); the model and theta."""
    d, tune = DATA[dom, "final"], DATA[dom, "tune"]
    n_c, n_d = [len(c.y) for c in d["clients"]], [len(v["y"]) for v in d["devices"].values()]
    theta = params.get(factory(dom, "final", 0)())
    return dict(clients=len(n_c), client_rows=[min(n_c), max(n_c)], devices=len(n_d), device_rows=[min(n_d), max(n_d)],
                tune_clients=len(tune["clients"]), tune_devices=len(tune["devices"]),
                query_mean=float(np.mean([len(draw(v, 0)[1]) for v in d["devices"].values()])),
                d=d["d"], n_out=d["n_out"], weights=int(sum(t.size for t in theta)), theta_bytes=params.nbytes(theta))


def pool(X):
    f, s = S.POOL, 28 // S.POOL
    return (X.reshape(len(X), s, f, s, f).mean(axis=(2, 4)).reshape(len(X), s * s) / 255.0).astype(np.float32)


def scaler(X):
    """Standardise with the meta-training rows' mean and std; the std is
    floored at a tenth of its mean over the inputs, so an input constant on
    every client (digits' border pixels) cannot blow up on a new device."""
    mean, sd = X.mean(axis=0), X.std(axis=0)
    sd = np.maximum(sd, 0.1 * sd.mean())
    return lambda A: ((A - mean) / sd).astype(np.float32)


def _watch():
    data = D.load_watch()
    X, y, subject, rec = D.watch_windows(size=100, step=50, data=data, return_recording=True)
    side = data.side[rec]
    pos = np.zeros(len(y), np.int64)  # a window's index within its recording
    for r in np.unique(rec):
        pos[rec == r] = np.arange(np.sum(rec == r))
    test = list(TK.WATCH_TEST_SUBJECTS)
    for phase, held in (("tune", list(S.WATCH_VAL)), ("final", test)):
        train = sorted(set(subject.tolist()) - set(test) - set(held))
        std = scaler(X[np.isin(subject, train)])
        clients, devices = [], {}
        for s in train + held:
            for k in (0, 1):
                m = (subject == s) & (side == k)
                name = "subject %d, %s" % (s, SIDES[k])
                if s in train:
                    clients.append(SimClient(name, std(X[m]), y[m]))
                else:
                    devices[name] = dict(X=std(X[m]), y=y[m], rec=rec[m], pos=pos[m], id=len(devices))
        DATA["watch", phase] = dict(clients=clients, devices=devices, d=X.shape[1], n_out=7, train=train,
                                    held=held)
    return dict(windows=len(y), train=DATA["watch", "final"]["train"], test=test,
                tune_train=DATA["watch", "tune"]["train"], val=list(S.WATCH_VAL))


def _subsets(dom, Xtr, ytr, Xte, yte, quick):
    """Class-subset devices of an image dataset: meta-training clients from
    5/6 of the training rows, validation devices from the other (stratified)
    1/6, test devices from the test rows."""
    rng = np.random.default_rng(12345)
    val = np.zeros(len(ytr), bool)
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(ytr == c))
        val[idx[: len(idx) // 6]] = True
    cfg = S.DEVICES[dom]
    n_clients, n_held = (S.QUICK["clients"], S.QUICK["held"]) if quick else (cfg["clients"], cfg["held"])
    rows = [_task(rng, ytr, ~val, cfg["rows"]) for _ in range(n_clients)]
    std = scaler(Xtr[np.concatenate([i for i, _ in rows])])
    clients = [SimClient("device %d" % k, std(Xtr[i]), slot) for k, (i, slot) in enumerate(rows)]
    for phase, X, y, keep in (("tune", Xtr, ytr, val), ("final", Xte, yte, np.ones(len(yte), bool))):
        devices = {}
        for k in range(n_held):
            i, slot = _task(rng, y, keep, cfg["held_rows"])
            devices["%s device %d" % ("validation" if phase == "tune" else "test", k)] = dict(
                X=std(X[i]), y=slot, rec=None, pos=None, id=k)
        DATA[dom, phase] = dict(clients=clients, devices=devices, d=Xtr.shape[1], n_out=S.N_WAY)
    return dict(train_rows=len(ytr), val_rows=int(val.sum()), test_rows=len(yte), rows=cfg["rows"],
                held_rows=cfg["held_rows"])


def _task(rng, y, keep, per_class):
    """An N_WAY-way task: row indexes among `keep` of N_WAY random classes
    (per_class rows each, None: all), and each row's output slot (the
    classes in a random order)."""
    classes = rng.choice(10, S.N_WAY, replace=False)
    idx = [np.flatnonzero(keep & (y == c)) for c in classes]
    idx = [rng.choice(i, per_class, replace=False) if per_class else i for i in idx]
    return np.concatenate(idx), np.repeat(np.arange(S.N_WAY), [len(i) for i in idx])


def draw(dev, seed):
    """Support (SUPPORT rows, the first of a seeded shuffle of the device's
    rows) and query (the rest, at most QUERY_CAP) of a held-out device.
    Watch: query windows overlapping a support window (its neighbours in
    the same recording) are left out."""
    rng = np.random.default_rng([seed, dev["id"]])
    order = rng.permutation(len(dev["y"]))
    sup = order[: S.SUPPORT]
    keep = np.ones(len(order), bool)
    keep[sup] = False
    if dev["rec"] is not None:
        for i in sup:
            keep[(dev["rec"] == dev["rec"][i]) & (np.abs(dev["pos"] - dev["pos"][i]) <= 1)] = False
    query = np.flatnonzero(keep)
    if len(query) > S.QUERY_CAP:
        query = np.sort(rng.choice(query, S.QUERY_CAP, replace=False))
    return sup, query


def factory(dom, phase, seed):
    """make(): a fresh learner of the domain, its initial weights from `seed`."""
    d = DATA[dom, phase]

    def make():
        clf = ulearn.Classifier(d["d"], d["n_out"], hidden=S.HIDDEN, standardize=False, seed=seed + 1,
                                optimizer=ulearn.SGD(0.05, momentum=S.MOMENTUM, clip=S.CLIP))
        for c in range(d["n_out"]):
            clf.add_class(c)
        return clf
    return make
