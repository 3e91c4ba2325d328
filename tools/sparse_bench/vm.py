"""One adaptation inside the real MicroPython interpreter (tools/mpvm),
against the same adaptation on CPython's pure-Python kernels: the same
bundle, support set, order and budget; same picks, same predictions?"""
import json
import time

import numpy as np

import devicepkg

from . import adapt
from . import domains as DM
from . import settings as S

DOMAIN, METHOD = "watch", "fisher"

_VM_CODE = """\
import json, time, gc, ulearn, ulearn.sparse
S = json.load(open('/spec.json'))
clf = ulearn.load('/bundle.npz')
clf.optimizer.lr = S['lr']
X, y = S['X'], S['y']
if S['warm']:
    for x, t in zip(X, y):
        clf.learn_one(x, t)
sel = o = t = i = x = None  # the names exist before the heap is measured
"""


def stage(best, quick, seed=0):
    """Returns the comparison as a dict (or {"error": ...} when the VM is missing)."""
    from tools.mpvm import MicroPythonUnavailable, MicroPythonVM
    d = DM.DATA[DOMAIN, "final"]
    name = next(iter(d["units"]))
    unit = d["units"][name]
    lr, epochs = best[DOMAIN, METHOD, S.TARGET_FRACTION]
    if quick:
        epochs = min(epochs, S.QUICK["vm_epochs"])
    _, query = DM.draw(unit, seed, None)
    query = query[: S.QUICK["vm_queries"] if quick else S.VM_QUERIES]
    Q = [[float(v) for v in unit["X"][i]] for i in query]
    out = dict(unit=name, seed=seed, lr=lr, epochs=epochs, n_query=len(Q), budget=adapt.budget(
        d, METHOD, S.TARGET_FRACTION))
    ref = {}
    for backend in ("python", "numpy"):
        ul = devicepkg.use(backend)
        t0 = time.time()
        clf, X, y, sel = adapt.prepare(ul, d, unit, METHOD, S.TARGET_FRACTION, lr, seed)
        orders = [DM.order(len(y), seed, e).tolist() for e in range(epochs)]
        for o in orders:
            for i in o:
                clf.learn_one(X[i], y[i])
        ref[backend] = dict(sel=sel, secs=time.time() - t0, pred=[clf.predict_one(q) for q in Q],
                            proba=[clf.predict_proba_one(q) for q in Q[:20]])
    devicepkg.use("numpy")
    py = ref["python"]
    out["python_ms_per_learn"] = 1000 * py["secs"] / max(1, len(y) * epochs)
    out["picks"], out["cost"] = py["sel"]["picks"], py["sel"]["cost"]
    out["np_agree"] = sum(a == b for a, b in zip(ref["numpy"]["pred"], py["pred"]))
    out["np_same_picks"] = ref["numpy"]["sel"]["picks"] == py["sel"]["picks"]
    yq = unit["y"][query]
    out["acc_python"] = float(np.mean(np.array(py["pred"]) == yq))
    out["n_learn"] = len(y) * epochs
    try:
        vm = MicroPythonVM(timeout=600)
    except MicroPythonUnavailable as e:
        out["error"] = str(e).splitlines()[0]
        return out
    spec = dict(lr=lr, warm=d["warm"], X=[[float(v) for v in x] for x in X], y=y)
    with vm:
        out["version"] = vm.exec("import sys; print(sys.version)").strip()
        vm.put_tree(str(devicepkg.DEVICE / "ulearn"), "/lib/ulearn")
        vm.write_file("/bundle.npz", open(d["bundle"], "rb").read())
        vm.write_file("/spec.json", json.dumps(spec))
        vm.exec(_VM_CODE + "clf.predict_one(X[0])\n")  # the code is loaded
        before = vm.mem_alloc()
        vm.exec("sel = clf.select_updates(X, y, %d, method=%r, seed=%d)" % (out["budget"], METHOD, seed))
        sel = vm.eval_json("sel")
        learn_ms = 0
        for o in orders:
            vm.write_file("/order.json", json.dumps(o))
            learn_ms += int(vm.exec("o = json.load(open('/order.json'))\nt = time.ticks_ms()\n"
                                    "for i in o:\n    clf.learn_one(X[i], y[i])\n"
                                    "print(time.ticks_diff(time.ticks_ms(), t))\n").split()[-1])
        vm.exec("sel = o = None")
        after = vm.mem_alloc()
        pred, proba = [], []
        for a in range(0, len(Q), 50):
            vm.write_file("/q.json", json.dumps(Q[a:a + 50]))
            pred += vm.eval_json("[clf.predict_one(x) for x in json.load(open('/q.json'))]")
        vm.write_file("/q.json", json.dumps(Q[:20]))
        proba = vm.eval_json("[clf.predict_proba_one(x) for x in json.load(open('/q.json'))]")
    out["vm_picks"], out["vm_cost"] = sel["picks"], sel["cost"]
    out["vm_agree"] = sum(a == b for a, b in zip(pred, py["pred"]))
    out["acc_vm"] = float(np.mean(np.array(pred) == yq))
    out["vm_ms_per_learn"] = learn_ms / max(1, out["n_learn"])
    out["max_prob_diff"] = max(abs(p[str(k)] - v) for p, q in zip(proba, py["proba"]) for k, v in q.items())
    out["heap"] = after - before
    out["heap_planned"] = devicepkg.use("numpy").sparse.allocated(
        d["dims"], [len(p) for p in out["picks"]], d["top"])
    return out
