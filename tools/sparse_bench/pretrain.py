"""Host pre-training (numpy, ulearn_host.train) and the bundles a board
loads: an int8 frozen extractor and the head, saved with ulearn.save."""
import os
import time

import numpy as np

import devicepkg
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


def model_text():
    """A line per pre-trained model: rows, layers, seconds, source accuracy."""
    what = {("watch", "final"): "watch, for the test subjects", ("watch", "tune"): "watch, for tuning",
            ("fashion", "final"): "Fashion-MNIST, for tuning and test"}
    out = []
    for key in sorted(NETS, key=lambda k: (k[0] != "watch", k[1] != "final")):
        nt, secs = NETS[key]
        widths = [nt.layers[0].n_in] + [h.n_out for h in nt.layers]
        extra = ""
        if key[0] == "fashion":
            f = DM.RAW["fashion"]
            m = f["yte"] < 5
            extra = "; accuracy on the test rows of classes 0-4 %.3f, shifted %.3f" % (
                np.mean(nt.predict(f["Xte"][m]) == f["yte"][m]),
                np.mean(nt.predict(DM.shift(f["Xte"][m])) == f["yte"][m]))
        out.append("%s: %d rows, %s, %d epochs, %.1f s%s" % (
            what[key], len(DM.pretrain_rows(*key)[1]), " -> ".join(map(str, widths)),
            S.PRETRAIN_EPOCHS[key[0]], secs, extra))
    return out
