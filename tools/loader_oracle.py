# The loaders' contract, checked where a file is loaded: CPython (any backend of
# ulearn_dev.devicepkg) or a real MicroPython interpreter (tools/soak_loaders.py
# sends this file there). A file is refused with the loader's own error class
# (checkpoint: CheckpointError; stream: ValueError), or it loads into something
# that works: finite outputs, one learning step that stays finite, and a save
# that loads again. check() never raises: anything else is a "violation".
#
# Plain MicroPython-compatible Python: no f-strings, no typing, no numpy.
import json

INF = float("inf")


class Violation(Exception):
    pass


def _fail(what):
    raise Violation(what)


def _finite(v, what):
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not -INF < v < INF:
        _fail("%s is %r, not a finite number" % (what, v))


def _input(learner, k=0):
    # a valid input row, different for each k: within a standard deviation or so of the
    # learner's input statistics (a reading like the ones it learned from), within +-1e15
    n = learner.n_features
    d = [((i * 7 + k * 3) % 11 - 5) * 0.25 for i in range(n)]
    sc = learner.scaler
    if sc is None:
        return d
    from ulearn.backend import K
    mean, var = K.tolist(sc.mean), K.tolist(sc.var)
    return [max(-1e15, min(1e15, mean[i] + d[i] * var[i] ** 0.5)) for i in range(n)]


def _close(a, b, what):
    if abs(a - b) > 1e-4 * (1 + abs(b)):
        _fail("%s: %r after a save and load, %r before" % (what, a, b))


def _outputs(learner, x):
    # what the learner answers for x, every value checked finite
    if learner.kind == "AnomalyDetector":
        s = learner.score_one(x)
        _finite(s, "score_one")
        if learner.is_anomaly(x) not in (True, False):
            _fail("is_anomaly is not a bool")
        return {"score": s}
    p = learner.predict_proba_one(x)
    if not learner.labels:
        if p not in (None, {}):
            _fail("predict_proba_one without labels gave %r" % (p,))
        return {}
    if not isinstance(p, dict) or len(p) != len(learner.labels):
        _fail("predict_proba_one gave %r for labels %r" % (p, learner.labels))
    total = 0.0
    for k in p:
        _finite(p[k], "probability of %r" % (k,))
        if not -1e-6 <= p[k] <= 1 + 1e-6:
            _fail("probability of %r is %r" % (k, p[k]))
        total += p[k]
    if abs(total - 1) > 1e-3:
        _fail("probabilities sum to %r" % total)
    if learner.predict_one(x) not in learner.labels:
        _fail("predict_one is not one of the labels")
    return p


def _learn(learner, x, new=False):
    # one step on a known label (new: on a new one, when there is room: growth, a head row)
    if learner.kind == "AnomalyDetector":
        learner.learn_one(x)
        return
    labels = learner.labels
    if new and len(labels) < learner.capacity:
        y = "new"
        while y in labels:
            y += "!"
        learner.learn_one(x, y)
    else:
        learner.learn_one(x, labels[0] if labels else 0)


# what a learning step that blew up the numbers leaves (nan or inf outputs, a save with
# values past the loader's limits), or a step the learner refused, unchanged, because the
# crafted values make a typical reading's embedding too large or overflow float32
_DIVERGED = ("not a finite number", "inputs must be", "outside [", "not finite",
             "overflow float32", "too far outside the input statistics")


def _step(learner, x, x2, new=False):
    # learn x2, then the outputs on x; a numeric blow-up is "diverged", anything else raises
    try:
        _learn(learner, x2, new)
        return _outputs(learner, x)
    except Exception as e:
        what = str(e) if isinstance(e, Violation) else "%s: %s" % (type(e).__name__, e)
        for w in _DIVERGED:
            if w in what:
                raise Diverged(what)
        raise Violation("learning: " + what)


class Diverged(Exception):
    pass


def _learner(path, scratch):
    from ulearn import checkpoint
    try:
        meta = checkpoint.read_meta(path)
    except checkpoint.CheckpointError:
        meta = None
    try:
        learner = checkpoint.load(path)
    except checkpoint.CheckpointError as e:
        return "refused", str(e)
    if not isinstance(meta, dict):
        _fail("read_meta refused a file that load() took")
    x, x2 = _input(learner), _input(learner, 1)
    _outputs(learner, x)
    try:
        before = _step(learner, x, x2)
        checkpoint.save(learner, scratch)
        try:
            back = checkpoint.load(scratch)
        except checkpoint.CheckpointError as e:
            if any(w in str(e) for w in _DIVERGED):
                raise Diverged(str(e))
            raise Violation("its own save was refused: %s" % e)
        if back.kind != learner.kind or back.n_features != learner.n_features:
            _fail("a save and load changed the learner's kind or width")
        after = _outputs(back, x)
        for k in before:
            if k not in after:
                _fail("a save and load lost output %r" % (k,))
            _close(after[k], before[k], "output %r" % (k,))
        _step(back, x2, x, True)
    except Diverged as e:
        return "diverged", str(e)
    return "works", ""


def _same(a, b):
    return a == b or (a != a and b != b)  # nan in a stream is data, not damage


def _stream(path, scratch):
    from ulearn import stream
    try:
        s = stream.Stream(path)
        rows = [r for r in s]
    except ValueError as e:  # a damaged file, or a label with no name
        return "refused", str(e)
    if len(rows) != len(s):
        _fail("%d rows iterated, len() is %d" % (len(rows), len(s)))
    names = s.names
    for x, y in rows:
        if not isinstance(x, tuple) or len(x) != s.d:
            _fail("a row is %r, not %d floats" % (x, s.d))
        for v in x:
            if not isinstance(v, float):
                _fail("a row holds %r" % (v,))
        if names is None and not isinstance(y, int):
            _fail("a label is %r" % (y,))
    if not rows:
        return "works", ""
    x, y = s.row(len(rows) - 1)
    if y != rows[-1][1] or not all(_same(u, v) for u, v in zip(x, rows[-1][0])):
        _fail("row() disagrees with iterating")
    y = [names.index(r[1]) for r in rows] if names is not None else [r[1] for r in rows]
    stream.save(scratch, [r[0] for r in rows], y, names)
    again = [r for r in stream.Stream(scratch)]
    for a, b in zip(again, rows):
        if a[1] != b[1] or len(a[0]) != len(b[0]):
            _fail("a save and load changed a row")
        for u, v in zip(a[0], b[0]):
            if not _same(u, v):
                _fail("a save and load changed %r to %r" % (v, u))
    return "works", ""


def check(kind, path, scratch):
    """(verdict, detail) for the file at path: ("refused", the loader's message), ("works",
    ""), ("diverged", what) (it loaded into a learner that worked, and a learning step on a
    valid sample broke it: nan, a refused sample or a save past the loader's limits; the
    sample contract's business) or ("violation", what broke the loader's contract). kind: "stream" or a checkpoint's
    ("checkpoint", "bundle", "replay"); scratch: a path it may write."""
    try:
        if kind == "stream":
            return _stream(path, scratch)
        return _learner(path, scratch)
    except Violation as e:
        return "violation", str(e)
    except Exception as e:  # the contract allows no other exception
        return "violation", "%s: %s" % (type(e).__name__, e)


def run(cases, out=print):
    """check() each of cases, [(kind, path, scratch)], printing one JSON line per case."""
    import gc
    for kind, path, scratch in cases:
        v, detail = check(kind, path, scratch)
        out(json.dumps([v, detail[:300]]))
        gc.collect()
