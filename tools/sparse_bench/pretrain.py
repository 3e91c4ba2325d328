"""Host pre-training (numpy, ulearn_host.train) and the bundles a board
loads: an int8 frozen extractor and the head, saved with ulearn.save."""
import os
import time

import numpy as np

from ulearn_dev import devicepkg
from ulearn_host import train as T

from . import domains as DM
from . import settings as S

NETS = {}  # (model, phase) -> (trained network, seconds)
LR_SAVED = 0.01  # the bundle's optimizer's lr; each run sets its own


def net(model, phase):
    key = (model, "final" if model == "fashion" else phase)  # Fashion: one model for both
    if key not in NETS:
        X, y, n = DM.pretrain_rows(model, key[1])
        t0 = time.time()
        NETS[key] = T.train(X, y, n, hidden=S.ARCH[model], epochs=S.PRETRAIN_EPOCHS[model], seed=0,
                            quiet=True), time.time() - t0
    return NETS[key][0]


def build(domains, phases, workdir, quick):
    """Pre-train what `domains` need and fill DM.DATA: per (domain, phase) the
    bundle's path, its costs, and the units with inputs standardised by the
    pre-training statistics (the board gets them so: `standardize=False`)."""
    ul = devicepkg.use("numpy")
    for phase in phases:
        for domain in domains:
            model = S.MODEL_OF[domain]
            nt = net(model, phase)
            *hidden, head = nt.layers
            layers = [(np.asarray(h.W), np.asarray(h.b), h.act) for h in hidden]
            n = np.asarray(head.W).shape[0]
            if domain == "fashion_new":  # a new task: the extractor, an empty 5-row head
                labels, hw = [], (np.zeros((0, head.n_in), np.float32), np.zeros(0, np.float32))
            else:
                labels, hw = list(range(n)), (np.asarray(head.W), np.asarray(head.b))
            clf = T.classifier(layers, hw, labels, None, capacity=n, int8=True,
                               optimizer=ul.SGD(LR_SAVED, momentum=S.MOMENTUM, clip=S.CLIP))
            path = os.path.join(workdir, "%s-%s.npz" % (domain, phase))
            ul.save(clf, path, {"domain": domain, "phase": phase})
            clf = ul.load(path)
            dims, top = clf._sparse_dims()
            units = {}
            for i, (name, (X, y, rec, pos)) in enumerate(DM.units(domain, phase).items()):
                Xs = np.asarray(nt.scaler.transform(np.asarray(X, np.float32), None), np.float32)
                units[name] = dict(X=Xs, y=y, rec=rec, pos=pos, id=i)
            DM.DATA[domain, phase] = dict(
                bundle=path, units=units, warm=not labels, dims=dims, top=top,
                full=ul.sparse.cost(dims, [m for _, m in dims], top),
                head=ul.sparse.cost(dims, [0] * len(dims), top),
                bundle_bytes=os.path.getsize(path),
                cap=S.QUICK["queries"] if quick else S.VAL_QUERIES if phase == "tune" else None)


def models():
    """Per pre-trained model: its rows, widths, epochs, seconds and (Fashion-MNIST) its
    accuracy on the test rows of classes 0-4, as they are and shifted."""
    out = []
    for key in sorted(NETS, key=lambda k: (k[0] != "watch", k[1] != "final")):
        nt, secs = NETS[key]
        acc = None
        if key[0] == "fashion":
            f = DM.RAW["fashion"]
            m = f["yte"] < 5
            acc = [float(np.mean(nt.predict(X) == f["yte"][m])) for X in (f["Xte"][m], DM.shift(f["Xte"][m]))]
        out.append(dict(model=key[0], phase=key[1], rows=len(DM.pretrain_rows(*key)[1]), secs=secs, acc=acc,
                        widths=[nt.layers[0].n_in] + [h.n_out for h in nt.layers], epochs=S.PRETRAIN_EPOCHS[key[0]]))
    return out


def domain(dom):
    """A test domain as the page shows it: rows per unit, classes, layers, costs."""
    d = DM.DATA[dom, "final"]
    return dict(units={n: len(u["y"]) for n, u in d["units"].items()}, dims=d["dims"], head=d["top"][-1][1],
                classes=len(np.unique(next(iter(d["units"].values()))["y"])), full=d["full"], last=d["head"])
