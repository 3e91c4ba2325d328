"""The learners against their floors on CPython: time per step on the
pure-Python path (and numpy, for reference), and ulab operations and heap
bytes per step counted by the strict ulab emulation."""
import statistics
import time
from array import array

import numpy as np

from ulearn_dev import devicepkg


def _spread(v):
    return statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0.0


def timings(path, rows, steps, runs):
    """µs per step (mean, std over runs) of learn/predict, the learner's and
    the floor's on the pure-Python path and the learner's on numpy; and
    whether learner and floor end with the same bytes in every array."""
    from .floor_py import Floor
    X, y, idx = rows
    out = {}
    py = devicepkg.use("python")
    clf, fl = py.load(path), Floor(py.load(path))
    xs = [array("f", r) for r in X]
    t = {k: [] for k in ("learn", "flearn", "predict", "fpredict")}
    pc, n = time.perf_counter, len(xs)
    for r in range(runs):  # learner and floor alternate over the same rows
        span = [(xs[(r * steps + s) % n], y[(r * steps + s) % n], idx[(r * steps + s) % n])
                for s in range(steps)]
        a = pc()
        for x, label, _ in span:
            clf.learn_one(x, label)
        b = pc()
        for x, _, i in span:
            fl.learn(x, i)
        c = pc()
        for x, _, _ in span:
            clf.predict_one(x)
        d = pc()
        for x, _, _ in span:
            fl.predict(x)
        e = pc()
        for k, v in zip(t, (b - a, c - b, d - c, e - d)):
            t[k].append(v / steps * 1e6)
    out["python"] = {k: _spread(v) for k, v in t.items()}
    out["same"] = [bytes(a) for a in clf.arrays()] == [bytes(a) for a in fl.clf.arrays()]
    npk = devicepkg.use("numpy")
    clf = npk.load(path)
    xs = [np.asarray(r, np.float32) for r in X]
    tl, tp = [], []
    for r in range(runs):
        span = [(xs[(r * steps + s) % n], y[(r * steps + s) % n]) for s in range(steps)]
        a = pc()
        for x, label in span:
            clf.learn_one(x, label)
        b = pc()
        for x, _ in span:
            clf.predict_one(x)
        tl.append((b - a) / steps * 1e6)
        tp.append((pc() - b) / steps * 1e6)
    out["numpy"] = {"learn": _spread(tl), "predict": _spread(tp)}
    return out


def ulab_counts(path, rows, steps):
    """ulab operations and bytes per step, learner and floor, over the same
    `steps` rows (ulab ndarray inputs); the largest weight difference."""
    from .floor_ulab import Floor
    X, y, idx = rows
    ul = devicepkg.use("ulab")
    from ulab import _counter
    from ulab import numpy as unp
    clf, fl = ul.load(path), Floor(ul.load(path))
    xs = [unp.array(r) for r in X[:steps]]
    out = {}
    for what, run in (("learn", lambda: [clf.learn_one(x, v) for x, v in zip(xs, y)]),
                      ("flearn", lambda: [fl.learn(x, i) for x, i in zip(xs, idx)]),
                      ("predict", lambda: [clf.predict_one(x) for x in xs]),
                      ("fpredict", lambda: [fl.predict(x) for x in xs])):
        with _counter.count() as c:
            run()
        out[what] = (c.ops / steps, c.bytes / steps)
    diff = scale = 0.0
    for a, b in zip(clf.arrays(), fl.clf.arrays()):
        a, b = np.asarray(a.tolist(), float), np.asarray(b.tolist(), float)
        if a.size:
            diff, scale = max(diff, float(np.max(np.abs(a - b)))), max(scale, float(np.max(np.abs(a))))
    out["diff"], out["scale"] = diff, scale
    devicepkg.use("numpy")
    return out
