"""Section 3 measurements: one learn_one / predict_one of the
microcontroller-sized model on CPython (numpy and pure Python), in the real
MicroPython interpreter (time and heap), and ulab operations and bytes from
the strict ulab emulation."""
import json
import statistics
import sys
import time

import devicepkg
import numpy as np
from tqdm import tqdm

from tools.benchkit import note

from .settings import COST_CLASSES, COST_HID, COST_IN, COST_SGD, COST_STEPS, QUICK_COST_STEPS


def cost_model_data(n_x):
    rng = np.random.default_rng(7)
    W = (rng.standard_normal((COST_HID, COST_IN)) * np.sqrt(2.0 / COST_IN)).astype(np.float32)
    b = (0.1 * rng.standard_normal(COST_HID)).astype(np.float32)
    X = rng.standard_normal((n_x, COST_IN)).astype(np.float32)
    return W.tolist(), b.tolist(), X, [i % COST_CLASSES for i in range(n_x)]


def build_cost_model(ul, W, b, int8):
    fr = ul.Frozen(COST_IN, COST_HID, "relu", int8).set_weights(W, b)
    return ul.Classifier(COST_IN, COST_CLASSES, extractor=[fr], optimizer=ul.SGD(
        COST_SGD["lr"], COST_SGD["momentum"], COST_SGD["weight_decay"], COST_SGD["clip"]))


def time_cpython(backend, int8, steps, repeats=3):
    from array import array
    ul = devicepkg.use(backend)
    W, b, X, Y = cost_model_data(steps + 20)
    xs = list(X) if backend == "numpy" else [array("f", r.tolist()) for r in X]
    clf = build_cost_model(ul, W, b, int8)
    for i in range(20):  # every class seen: the head is at its full 10 rows
        clf.learn_one(xs[i], Y[i])
    tl, tp = [], []
    pc = time.perf_counter
    for _ in range(repeats):
        a = pc()
        for i in range(20, steps + 20):
            clf.learn_one(xs[i], Y[i])
        tl.append((pc() - a) / steps * 1e6)
        a = pc()
        for i in range(20, steps + 20):
            clf.predict_one(xs[i])
        tp.append((pc() - a) / steps * 1e6)
    return statistics.median(tl), statistics.median(tp)


def ulab_counts(int8):
    ul = devicepkg.use("ulab")
    from ulab import _counter
    from ulab import numpy as unp
    W, b, X, Y = cost_model_data(40)
    clf = build_cost_model(ul, W, b, int8)
    xs = [unp.array([float(v) for v in r]) for r in X]
    for i in range(20):
        clf.learn_one(xs[i], Y[i])
    out = {}
    with _counter.count() as c:
        clf.learn_one(xs[20], Y[20])
    out["learn"] = (c.ops, c.bytes)
    with _counter.count() as c:
        clf.predict_one(xs[21])
    out["predict"] = (c.ops, c.bytes)
    with _counter.count() as c:
        clf.learn_one(X[22].tolist(), Y[22])
    out["learn_list"] = (c.ops, c.bytes)
    return out


def vm_measure(steps, n_runs):
    from tools.mpvm import MicroPythonUnavailable, MicroPythonVM
    res = {}
    try:
        vm = MicroPythonVM(timeout=600)
    except MicroPythonUnavailable as e:
        res["error"] = str(e)
        return res
    W, b, X, Y = cost_model_data(steps + 20)
    with vm:
        res["version"] = vm.exec("import sys; print(sys.version)").strip()
        vm.put_tree(str(devicepkg.DEVICE / "ulearn"), "/lib/ulearn")
        vm.write_file("/bench.json", json.dumps({"W": W, "b": b, "X": X.tolist(), "Y": Y}))
        vm.exec("import gc, json, time\nfrom array import array\n"
                "d = json.load(open('/bench.json'))\n"
                "XS = [array('f', r) for r in d['X']]\nYS = d['Y']\nW = d['W']\nB = d['b']\n"
                "del d\n")
        vm.exec("from ulearn import Classifier, SGD, Frozen")
        res["gc_disable_flag"] = vm.exec("gc.disable(); print(gc.isenabled()); gc.enable()").strip()
        for int8 in (False, True):
            r = {}
            vm.exec("clf = None; fr = None")
            m0 = vm.mem_alloc()
            vm.exec("fr = Frozen(%d, %d, 'relu', %s).set_weights(W, B)\n"
                    "clf = Classifier(%d, %d, extractor=[fr], optimizer=SGD(%r, %r, %r, %r))\n"
                    % (COST_IN, COST_HID, int8, COST_IN, COST_CLASSES, COST_SGD["lr"],
                       COST_SGD["momentum"], COST_SGD["weight_decay"], COST_SGD["clip"]))
            r["live"] = vm.mem_alloc() - m0
            vm.exec("for i in range(20): clf.learn_one(XS[i], YS[i])")
            r["live_after"] = vm.mem_alloc() - m0
            for what, call in (("learn", "clf.learn_one(XS[i], YS[i])"),
                               ("predict", "clf.predict_one(XS[i])")):
                times, heaps, wall = [], [], []
                for _ in range(n_runs):
                    vm.exec("gc.collect()")  # runs when this call returns
                    a = time.perf_counter()
                    out = vm.exec(
                        "gc.disable()\na = gc.mem_alloc()\nt = time.ticks_us()\n"
                        "for i in range(20, %d): %s\n"
                        "dt = time.ticks_diff(time.ticks_us(), t)\nb = gc.mem_alloc()\ngc.enable()\n"
                        "print(dt, b - a)\n" % (steps + 20, call))
                    wall.append((time.perf_counter() - a) / steps * 1e6)
                    dt, db = out.split()
                    times.append(int(dt) / steps)
                    heaps.append(int(db) / steps)
                r[what] = (statistics.median(times), statistics.median(heaps), statistics.median(wall))
            res[int8] = r
    return res


def run(quick):
    """Every measurement of section 3: steps (the step counts used), cp
    ((backend, int8) -> (learn µs, predict µs)), counts (int8 -> ulab
    counts) and vm (int8 -> VM figures, or "error")."""
    t0 = time.time()
    steps = QUICK_COST_STEPS if quick else COST_STEPS
    note("section 3: CPython timings")
    cp = {}
    for int8 in tqdm((False, True), desc="CPython timing", file=sys.stderr, disable=None, leave=False):
        cp["numpy", int8] = time_cpython("numpy", int8, steps["numpy"])
        cp["python", int8] = time_cpython("python", int8, steps["python"])
    note("section 3: ulab emulation counts")
    counts = {int8: ulab_counts(int8) for int8 in (False, True)}
    note("section 3: MicroPython VM")
    vm = vm_measure(steps["vm"], steps["vm_runs"])
    devicepkg.use("numpy")
    note("section 3 done in %.0f s" % (time.time() - t0))
    return dict(steps=steps, cp=cp, counts=counts, vm=vm)
