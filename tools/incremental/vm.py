"""The board path inside MicroPython: a shortened Split-digits run in the
WebAssembly port (tools/mpvm), against the same run on CPython's pure-Python
and numpy kernels."""
import json
import time

import numpy as np

import devicepkg
from ulearn_host.progress import progress

from . import data
from .settings import BOARD_CLIP, BOARD_MOM, FRACTION, HIDDEN


def vm_stage(args, fe, best, seed=0):
    """Split-digits, first two tasks, a few hundred samples, board path with
    the dm set of task 1 loaded after it: in the MicroPython VM and on
    CPython's pure-Python kernels (and numpy), same stream, same settings."""
    from tools.mpvm import MicroPythonUnavailable, MicroPythonVM
    n_per = 40 if args.quick else 150
    d = data.DATA["digits", "final"]
    f = d["fe"][fe["digits"]]
    cfg = best["board", "digits", "dm"]
    rng = np.random.default_rng(seed)
    tasks_ = d["tasks"][:2]
    stream = []
    for cls in tasks_:
        idx = rng.permutation(np.flatnonzero(np.isin(d["ytr"], cls)))[:n_per]
        stream.append(([[float(v) for v in f["Xtr"][i]] for i in idx], [int(d["ytr"][i]) for i in idx]))
    Xs, ys = data.REPLAY[data.replay_key("digits", "final", fe["digits"], "dm", FRACTION, seed, 0)]
    rep = ([[float(v) for v in r] for r in Xs], [int(v) for v in ys])
    te = np.flatnonzero(np.isin(d["yev"], tasks_[0] + tasks_[1]))
    test = ([[float(v) for v in f["Xev"][i]] for i in te], [int(d["yev"][i]) for i in te])
    cap = data.budget(d["ytr"], tasks_[0] + tasks_[1], FRACTION)
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
            what = "MicroPython VM, task %d (chunks of %d)" % (t + 1, chunk)
            for a in progress(range(0, len(X), chunk), what):
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
