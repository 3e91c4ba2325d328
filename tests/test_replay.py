"""The replay memory (device/ulearn/replay.py) on the three CPython backends
and in the real MicroPython interpreter (tier 3)."""
import json
import math
import random
import struct

import pytest

from ulearn_dev import devicepkg
from ulearn_dev import tier3
from helpers import blobs, close

N = 6  # features of the test rows


def rows(n, seed=0, n_features=N):
    rnd = random.Random(seed)
    return [[rnd.uniform(-3.0, 3.0) for _ in range(n_features)] for _ in range(n)]


def make(ul, capacity=12, n_features=N, seed=1, max_classes=8):
    return ul.replay.Replay(capacity, n_features, seed=seed, max_classes=max_classes)


def snap(ul, r):
    K = ul.backend.K
    return json.dumps([r.config(), r.state(), [K.tolist(a) for a in r.arrays()]])


def stored(ul, r):
    """The rows in use, dequantised, with their labels and scales."""
    K = ul.backend.K
    out, got = K.vec(r.n_features), []
    scales = K.tolist(r.scale)
    for i in range(r.n):
        K.row_i8_to(r.X, i, r.n_features, scales[i], out)
        got.append((K.tolist(out), r._cls[i], scales[i]))
    return got


def feed(r, stream):
    return [r.add(x, y) for x, y in stream]


def imbalanced(n, probs, seed=0, n_features=N):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        u, c = rnd.random(), 0
        while c < len(probs) - 1 and u >= probs[c]:
            u -= probs[c]
            c += 1
        out.append(([c + rnd.gauss(0, 1) for _ in range(n_features)], c))
    return out


def test_quantisation_error_within_half_a_scale(ul):
    r = make(ul, capacity=20)
    X = rows(20, seed=3)
    X[0] = [0.0] * N  # an all-zero row stays zero
    X[1] = [1e-30, -2e-30, 0.0, 5e-31, 1e-30, 0.0]  # tiny values keep their scale
    r.load(X, [i % 5 for i in range(20)])
    for x, (got, label, s) in zip(X, stored(ul, r)):
        m = max(abs(v) for v in x)
        assert s == pytest.approx(m / 127.0 if m else 1.0, rel=1e-6)
        for a, b in zip(x, got):
            assert abs(a - b) <= s / 2 * (1 + 1e-5) + 1e-37, (x, got, s)


def test_add_stores_the_row_it_is_given_as_an_array(ul):
    # an array input may be used in place rather than copied (ulab, numpy):
    # the stored row must still be that input
    K = ul.backend.K
    r = make(ul, capacity=4)
    X = rows(4, seed=9)
    for i, x in enumerate(X):
        assert r.add(K.fill(K.vec(N), x), i % 2)
    for x, (got, label, s) in zip(X, stored(ul, r)):
        assert all(abs(a - b) <= s / 2 * (1 + 1e-5) for a, b in zip(x, got)), (x, got)


def test_load_then_sample_returns_only_loaded_rows(ul):
    K = ul.backend.K
    r = make(ul, capacity=10)
    X, y = rows(5, seed=4), [3, 0, 3, 1, 2]
    r.load(X, y)
    assert (r.n, len(r), r.count[:4], r.seen[:4]) == (5, 5, [1, 1, 1, 2], [1, 1, 1, 2])
    want = stored(ul, r)
    out, hits = K.vec(N), [0] * 5
    for _ in range(400):
        label = r.sample(out)
        got = K.tolist(out)
        i = [k for k in range(5) if want[k][0] == got]
        assert len(i) == 1 and y[i[0]] == label and isinstance(label, int)
        assert close(got, X[i[0]], want[i[0]][2])
        hits[i[0]] += 1
    assert min(hits) > 50  # uniform over the 5 rows: 80 expected each
    # a smaller load replaces everything, and the rows it frees are zeroed
    r.load(X[:2], [1, 1])
    assert (r.n, r.count[:4], r.seen[:4]) == (2, [0, 2, 0, 0], [0, 2, 0, 0])
    assert K.tolist(r.scale)[2:] == [0.0] * 8 and K.tolist(r.y) == [1.0, 1.0] + [0.0] * 8
    assert {r.sample(out) for _ in range(20)} == {1}
    r.load([], [])
    assert r.n == 0 and r.state()["count"] == []
    with pytest.raises(ValueError, match="empty"):
        r.sample(out)


def test_fills_then_keeps_classes_balanced(ul):
    r = make(ul, capacity=30, max_classes=5)
    # 70/20/7/3 %: the rare classes get their share once full
    stored_flags = feed(r, imbalanced(3000, [0.7, 0.2, 0.07, 0.03], seed=1))
    assert all(stored_flags[:30]) and not all(stored_flags)
    counts = r.count[:4]
    assert sum(counts) == r.n == 30 and max(counts) - min(counts) <= 1, counts
    assert r.state()["seen"] == r.seen[:4] and sum(r.seen) == 3000
    # a class that first appears late takes its share too
    feed(r, [(x, 4) for x, _ in imbalanced(40, [1.0], seed=2)])
    assert max(r.count[:5]) - min(r.count[:5]) <= 1, r.count
    # the labels stored match the counts
    hist = [0] * 5
    for _, label, _ in stored(ul, r):
        hist[label] += 1
    assert hist == r.count[:5]


def test_rows_are_a_uniform_sample_of_each_class(ul):
    # 20 seeds: class 0 seen ~600 times keeps 30 rows, class 1 seen ~300
    # times keeps 30; a sample's chance to survive does not depend on its age
    early, late = [0, 0], [0, 0]
    for seed in range(20):
        r = make(ul, capacity=60, seed=seed + 1, max_classes=2)
        rnd = random.Random(seed)
        ids = [0, 0]
        for t in range(900):
            c = 1 if rnd.random() < 1 / 3 else 0
            ids[c] += 1
            r.add([float(ids[c])] + [0.0] * (N - 1), c)  # id = the row's max
        first_half = [n // 2 for n in ids]
        for _, label, s in stored(ul, r):
            i = int(round(s * 127.0))
            (early if i <= first_half[label] else late)[label] += 1
        assert r.count[:2] == [30, 30]
    for c in (0, 1):
        assert 0.75 < early[c] / late[c] < 1.33, (c, early, late)


def run_all(ul):
    K = ul.backend.K
    r = make(ul, capacity=16, seed=7, max_classes=4)
    r.load(rows(4, seed=5), [0, 1, 0, 1])
    out, labels, values = K.vec(N), [], []
    for t, (x, y) in enumerate(imbalanced(600, [0.6, 0.25, 0.1, 0.05], seed=3)):
        labels.append(r.add(x, y))
        labels.append(r.sample(out))
        values += K.tolist(out)
    return labels, values, r.state(), [v for a in r.arrays() for v in K.tolist(a)]


def test_same_results_on_every_backend():
    results = {b: run_all(devicepkg.use(b)) for b in devicepkg.BACKENDS}
    ref = results["numpy"]
    for b in ("ulab", "python"):
        got = results[b]
        assert got[0] == ref[0] and got[2] == ref[2], b
        assert close(got[1], ref[1], 1e-6) and close(got[3], ref[3], 1e-6), b


def test_bad_input_raises_and_changes_nothing(ul):
    K = ul.backend.K
    r = make(ul, capacity=8, max_classes=3)
    feed(r, [(x, i % 3) for i, x in enumerate(rows(12, seed=6))])
    before = snap(ul, r)
    good = rows(1)[0]
    nan_last = rows(5) + [[1.0, float("nan")] + [0.0] * (N - 2)]
    cases = [
        (ValueError, "x has 5 values, expected 6", lambda: r.add(good[:5], 0)),
        (ValueError, "finite", lambda: r.add(good[:5] + [float("inf")], 0)),
        (ValueError, "finite", lambda: r.add(good[:5] + [float("nan")], 1)),
        (ValueError, "outside 0..2", lambda: r.add(good, 3)),
        (ValueError, "outside 0..2", lambda: r.add(good, -1)),
        (TypeError, "not an int label", lambda: r.add(good, "a")),
        (TypeError, "not an int label", lambda: r.add(good, 1.5)),
        (TypeError, "not a number", lambda: r.add(good[:5] + ["x"], 0)),
        (ValueError, "exceed the replay capacity of 8", lambda: r.load(rows(9), [0] * 9)),
        (ValueError, "X has 3 rows but y has 2", lambda: r.load(rows(3), [0, 1])),
        (ValueError, r"X\[5\]: x\[1\] is nan", lambda: r.load(nan_last, [0] * 6)),
        (ValueError, r"X\[1\]: x has 5 values", lambda: r.load([good, good[:5]], [0, 0])),
        (ValueError, r"y\[2\] = 7 is outside", lambda: r.load(rows(3), [0, 1, 7])),
        (ValueError, "out has 5 values", lambda: r.sample(K.vec(N - 1))),
        (ValueError, "does not match the stored labels",
         lambda: r.set_state(dict(r.state(), count=[4, 4, 0]))),
        (ValueError, "replay state n", lambda: r.set_state(dict(r.state(), n=9))),
        (ValueError, "needs n, seen, count and rng", lambda: r.set_state({"n": 1})),
    ]
    for exc, match, call in cases:
        with pytest.raises(exc, match=match):
            call()
        assert snap(ul, r) == before, match
    for bad in ((0, N), (4, 0), (4, N, "s"), (True, N)):
        with pytest.raises(ValueError):
            ul.replay.Replay(*bad)
    with pytest.raises(ValueError, match="max_classes"):
        ul.replay.Replay(4, N, max_classes=0)


def copy_arrays(ul, src, dst):
    # as checkpoint.save/load move them: raw bytes row by row, then set_row
    K = ul.backend.K
    layout = ul.replay.replay_layout("replay.", src.config())
    for (name, shape, code), a, b in zip(layout, src.arrays(), dst.arrays()):
        cols = 0 if len(shape) == 1 else shape[1]
        fmt = "<%d%s" % (shape[-1], "b" if code == "i1" else "f")
        for i in range(shape[0] if cols else 1):
            K.set_row(b, i, cols, struct.unpack(fmt, K.row_bytes(a, i, cols)))


def test_state_round_trip_continues_identically(ul):
    K = ul.backend.K
    stream = imbalanced(300, [0.5, 0.3, 0.2], seed=8)
    a = make(ul, capacity=10, seed=3, max_classes=6)
    feed(a, stream[:150])
    b = ul.replay.Replay.from_config(json.loads(json.dumps(a.config())))
    copy_arrays(ul, a, b)
    b.set_state(json.loads(json.dumps(a.state())))
    assert snap(ul, b) == snap(ul, a)
    outs = []
    for r in (a, b):
        out, seq = K.vec(N), []
        for x, y in stream[150:]:
            seq.append((r.add(x, y), r.sample(out), K.tolist(out)))
        outs.append((seq, snap(ul, r)))
    assert outs[0] == outs[1]


def test_layout_and_sizes(ul):
    K = ul.backend.K
    r = make(ul, capacity=7, n_features=5, max_classes=3)
    c = r.config()
    assert c == {"capacity": 7, "n_features": 5, "max_classes": 3, "seed": 1}
    layout = ul.replay.replay_layout("r.", c)
    assert [(n, s, k) for n, s, k in layout] == [
        ("r.X", (7, 5), "i1"), ("r.scale", (7,), "f4"), ("r.y", (7,), "f4")]
    for (_, shape, _), a in zip(layout, r.arrays()):
        assert len(K.tolist(a)) == math.prod(shape)
    size = {"i1": 1, "f4": 4}
    assert ul.replay.nbytes(c) == sum(size[k] * math.prod(s) for _, s, k in layout) == 91
    assert ul.replay.work_bytes(c) == 2 * 7 + 8 * 5 + 8 * 3


def test_sample_costs_four_ulab_operations():
    ul = devicepkg.use("ulab")
    from ulab import _counter
    K = ul.backend.K
    r = make(ul, capacity=32, n_features=16)
    feed(r, [(x, i % 4) for i, x in enumerate(rows(64, n_features=16))])
    out = K.vec(16)
    with _counter.count() as c:
        for _ in range(10):
            r.sample(out)
    # scale[r], the row view, the converting copy into out, out *= scale
    assert (c.ops, c.bytes) == (40, 10 * 3 * _counter.HEADER_BYTES)


def xorshift_before(s):
    """The xorshift32 state whose next state (ulearn.rng.Rng) is s."""
    for shift in (-5, 17, -13):  # undo the three steps, last first
        y = s
        for _ in range(32 // abs(shift) + 1):
            y = s ^ ((y << -shift) & 0xFFFFFFFF if shift < 0 else y >> shift)
        s = y
    return s


def test_integer_draws_are_the_float_draws_on_cpython():
    ul = devicepkg.use("python")
    a, b = ul.rng.Rng(3), ul.rng.Rng(3)
    for n in [1, 2, 3, 7, 48, 1000, 123457] * 50:
        assert a.below(n) == int(b.random() * n)
    a.s = xorshift_before(0xFFFFFFFF)
    assert a.below(5) == 4 and a.s == 0xFFFFFFFF


# -- tier 3: real interpreters

@tier3.on(("unix32", "py"))
def test_draws_stay_in_range_on_a_float32_board(mp):
    """One interpreter: float32 rounding is the same on every port. The top 128
    xorshift states make Rng.random() 1.0 there; replay draws must still land
    on a stored row (they once indexed one past the end)."""
    top = xorshift_before(0xFFFFFFFF)
    assert mp.exec("from ulearn.rng import Rng\ng = Rng()\ng.s = %d\nprint(g.random())" % top) \
        == "1.0\n"
    out = mp.exec(
        "from ulearn.backend import K\nfrom ulearn.replay import Replay\n"
        "r = Replay(4, 2, max_classes=2)\n"
        "for i in range(4):\n    r.add([i, i], 0)\n"
        "r._s[0] = %d\nprint(r.add([5.0, 5.0], 1), r.count[:2])\n"  # replaces a row of class 0
        "out = K.vec(2)\n"
        "r._s[0] = %d\nprint(r.sample(out), list(out))\n" % (top, top))
    assert out == "True [3, 1]\n1 [5.0, 5.0]\n"


def test_same_samples_on_the_board(mp):
    """Every interpreter and form draws the labels CPython draws (the whole matrix)."""
    data = tier3.ints(blobs(100, n_features=16, n_classes=5, seed=2))
    labels, state = tier3.check_scenario("replay_stream", mp, {"replay.json": data})
    assert len(labels) == 300 and sorted(set(labels)) == [0, 1, 2, 3, 4]
    assert state["n"] == 48 and sum(state["seen"]) == 300


@tier3.on(("unix32-ulab", "mpy"), ("unix32", "mpy"), ("cp-unix", "py"))
def test_heap_does_not_grow_on_the_board(mp):
    """One form per interpreter, as a board imports the package: the heap is the path's."""
    mp.write_file("/replay.json", json.dumps(tier3.ints(blobs(100, n_features=16, n_classes=5,
                                                                 seed=2))))
    mp.exec(
        "import json\n"
        "from ulearn.backend import K\n"
        "from ulearn.replay import Replay\n"
        "data = [([v / 256 for v in x], y) for x, y in json.load(open('/replay.json'))]\n"
        "r = Replay(48, 16, seed=5, max_classes=8)\n"
        "out = K.vec(16)\n"
        "t = 0\n"
        "def step():\n"
        "    global t\n"
        "    x, y = data[t % 100]\n"
        "    r.add(x, y)\n"
        "    r.sample(out)\n"
        "    t += 1\n")
    heap = tier3.heap_readings(mp, "step()", 10000, 500)
    assert mp.eval_json("t") == 10000
    assert heap == [heap[0]] * 20, heap
