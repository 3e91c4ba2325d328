"""Widening a hidden layer (ulearn.grow) and counting FLOPs (ulearn_host.anatomy, host-side).

Widening must leave the network's function unchanged on every backend and in
a real MicroPython interpreter; the FLOP counts must equal hand counts.
"""
import math
import types

import pytest

from ulearn_dev import devicepkg
from ulearn_dev import tier3
from ulearn_host import anatomy
from helpers import close

XS = [[0.5, -1.0, 2.0, 0.1], [-0.3, 0.8, -1.5, 1.2], [1.0, 1.0, -1.0, -2.0], [0.0, 0.2, 0.4, -0.6]]


def net(ul, hidden=5, act="relu", n_out=6, rows=3, seed=3):
    """Dense(4, hidden, act) -> Dense(hidden, n_out) head using `rows` rows."""
    K, Dense, rng = ul.backend.K, ul.layers.Dense, ul.rng.Rng(seed)
    a, b = Dense(4, hidden, act), Dense(hidden, n_out)
    for layer in (a, b):
        layer.init_glorot(rng)
        K.set_row(layer.b, 0, 0, [rng.uniform(-0.5, 0.5) for _ in range(layer.n_out)])
    b.rows = rows
    return a, b


def probs(ul, a, b):
    K = ul.backend.K
    out = []
    for x in XS:
        z = b.forward(a.forward(K.load_vec(x, K.vec(a.n_in))))
        out += K.tolist(K.softmax(z, b.rows, K.vec(b.n_out)))[:b.rows]
    return out


def arrays(ul, *layers):
    return [ul.backend.K.tolist(x) for layer in layers for x in layer.arrays()]


@pytest.mark.parametrize("width", [6, 10, 17])
@pytest.mark.parametrize("act", ["relu", "tanh", "linear"])
def test_widen_preserves_the_function(ul, width, act):
    a, b = net(ul, act=act)
    before, old = probs(ul, a, b), arrays(ul, a, b)
    a2, b2 = ul.grow.widen(a, b, width, ul.rng.Rng(7))
    assert (a2.n_in, a2.n_out, a2.rows, a2.act) == (4, width, width, act)
    assert (b2.n_in, b2.n_out, b2.rows, b2.act) == (width, 6, 3, "linear")
    K = ul.backend.K
    assert [len(K.tolist(x)) for x in a2.arrays() + b2.arrays()] == [4 * width, width, 6 * width, 6]
    assert close(probs(ul, a2, b2), before, 1e-5)
    assert arrays(ul, a, b) == old  # the old layers are untouched
    # every new unit is a copy of an old one (same incoming weights and bias)
    W, bias = K.tolist(a2.W), K.tolist(a2.b)
    rows = [W[4 * j:4 * j + 4] + [bias[j]] for j in range(width)]
    assert rows[:5] == [K.tolist(a.W)[4 * j:4 * j + 4] + [K.tolist(a.b)[j]] for j in range(5)]
    assert all(r in rows[:5] for r in rows[5:])


def test_repeated_growth(ul):
    a, b = net(ul, hidden=3)
    before = probs(ul, a, b)
    rng = ul.rng.Rng(11)
    for width in (4, 8, 9, 20):
        a, b = ul.grow.widen(a, b, width, rng)
        assert (a.n_out, b.n_in, b.rows) == (width, width, 3)
        assert close(probs(ul, a, b), before, 1e-5)


def test_bad_arguments_are_refused_and_nothing_changes(ul):
    a, b = net(ul)
    Dense, widen = ul.layers.Dense, ul.grow.widen
    rng = ul.rng.Rng(5)
    old, seed = arrays(ul, a, b), rng.s
    for width in (5, 4, 0, -3, 7.0, "9", None):
        with pytest.raises(ValueError, match="width"):
            widen(a, b, width, rng)
    with pytest.raises(ValueError, match="do not chain"):
        widen(a, Dense(6, 3), 8, rng)
    with pytest.raises(ValueError, match="Dense"):
        widen(ul.layers.Frozen(4, 5), b, 8, rng)
    with pytest.raises(ValueError, match="noise"):
        widen(a, b, 8, rng, noise=-1.0)
    a.rows = 4
    with pytest.raises(ValueError, match="rows"):
        widen(a, b, 8, rng)
    a.rows = 5
    assert arrays(ul, a, b) == old and rng.s == seed
    assert (a.n_out, b.n_in, b.rows) == (5, 5, 3)


def loss(ul, a, b, x, y):
    K = ul.backend.K
    z = b.forward(a.forward(K.load_vec(x, K.vec(4))))
    return -math.log(K.tolist(K.softmax(z, b.rows, K.vec(b.n_out)))[y])


def learn(ul, a, b, x, y, opt):
    K = ul.backend.K
    z = b.forward(a.forward(K.load_vec(x, K.vec(4))))
    g = K.softmax(z, b.rows, K.vec(b.n_out))
    g[y] -= 1.0
    a.backward(b.backward(g, opt, True), opt, False)


@pytest.mark.parametrize("noise", [0.0, 0.05])
def test_training_continues_after_growth(ul, noise):
    opt = ul.optim.SGD(0.1, momentum=0.5, weight_decay=1e-4, clip=5.0)
    a, b = net(ul)
    for layer in (a, b):
        opt.init(layer)
    for _ in range(3):
        learn(ul, a, b, XS[0], 1, opt)
    before = probs(ul, a, b)
    a2, b2 = ul.grow.widen(a, b, 9, ul.rng.Rng(2), noise=noise, opt=opt)
    K = ul.backend.K
    assert all(set(K.tolist(m)) == {0.0} for m in (a2.U, a2.u, b2.U, b2.u))
    assert close(probs(ul, a2, b2), before, 1e-5 if noise == 0.0 else 0.2)
    for y in (1, 2):
        start = loss(ul, a2, b2, XS[1], y)
        learn(ul, a2, b2, XS[1], y, opt)
        assert loss(ul, a2, b2, XS[1], y) < start


def test_copies_drift_apart_with_training(ul):
    # unequal output shares give a unit and its copy different gradients:
    # without noise, after training no two units compute the same thing
    opt = ul.optim.SGD(0.1, momentum=0.5)
    a, b = net(ul, hidden=3)
    a2, b2 = ul.grow.widen(a, b, 12, ul.rng.Rng(2), opt=opt)
    K = ul.backend.K
    rows = [tuple(K.tolist(a2.W)[j * 4:(j + 1) * 4]) for j in range(12)]
    assert len(set(rows)) == 3  # right after growing: 12 units, 3 distinct
    for i in range(30):
        learn(ul, a2, b2, XS[i % len(XS)], i % 3, opt)
    rows = [K.tolist(a2.W)[j * 4:(j + 1) * 4] for j in range(12)]
    gaps = [max(abs(u - v) for u, v in zip(rows[i], rows[j]))
            for i in range(12) for j in range(i)]
    assert min(gaps) > 1e-4, min(gaps)


def test_widen_a_classifiers_hidden_layer(ul, tmp_path):
    # the learner's own hidden -> head pair; the checkpoint records the new width
    from helpers import blobs
    clf = ul.Classifier(4, 3, hidden=4, optimizer=ul.SGD(0.05, momentum=0.5, clip=5.0))
    stream = blobs(300)
    for x, y in stream[:30]:
        clf.learn_one(x, y)
    before = [clf.predict_proba_one(x) for x in XS]
    clf.hidden, clf.head = ul.grow.widen(clf.hidden, clf.head, 8, ul.rng.Rng(4), opt=clf.optimizer)
    after = [clf.predict_proba_one(x) for x in XS]
    assert all(close([q[k] for k in p], list(p.values()), 1e-5) for p, q in zip(before, after))
    assert clf.config()["hidden"] == 8
    for x, y in stream[30:200]:
        clf.learn_one(x, y)
    path = str(tmp_path / "grown.npz")
    ul.save(clf, path)
    back = ul.load(path)
    assert back.hidden.n_out == 8 and [back.predict_proba_one(x) for x in XS] == [
        clf.predict_proba_one(x) for x in XS]
    assert sum(clf.predict_one(x) == y for x, y in stream[200:]) > 85  # of 100


def test_grow_bytes_counts_the_new_arrays(ul):
    a, b = net(ul)
    opt = ul.optim.SGD(0.1, momentum=0.5)
    K = ul.backend.K
    for momentum in (True, False):
        a2, b2 = ul.grow.widen(a, b, 12, ul.rng.Rng(1), opt=opt if momentum else None)
        held = a2.arrays() + b2.arrays() + [a2._y, a2._gin, b2._y, b2._gin]
        assert ul.grow.grow_bytes(4, 12, 6, momentum) == 4 * sum(len(K.tolist(x)) for x in held)


# -- FLOPs

def fl():
    return devicepkg.use("numpy")


def test_classifier_flops_by_hand():
    ul = fl()
    ext = [ul.Frozen(4, 6, "relu"), ul.Frozen(6, 5, "tanh", int8=True)]
    clf = ul.Classifier(4, 3, extractor=ext,
                        optimizer=ul.SGD(0.1, momentum=0.5, weight_decay=0.01, clip=5.0))
    for y in "abc":
        clf.learn_one([1.0, 2.0, 3.0, 4.0], y)
    f = anatomy.learner_flops(clf)
    standardize = 2 * 4
    extractor = (2 * 24 + 6) + (2 * 30 + 5 + 5)  # relu compares; int8 scales, tanh
    head = 2 * 15
    softmax = 5 * 3 - 1
    assert f["inference"] == standardize + extractor + head + softmax == 176
    scaler = 11 * 4
    # clip norms (3 + 5 MACs), decay (15), lr * g (3), momentum (2 MACs per
    # weight and bias: 2 * 18), p - onehot (1)
    backward = 2 * (3 + 5) + 15 + 3 + 2 * 2 * 18 + 1
    assert f["train_step"] == scaler + 176 + backward == 327
    assert f["macs"] == {"inference": 24 + 30 + 15, "train_step": 24 + 30 + 15 + 8 + 36}
    assert f["breakdown"]["head_backward"] == backward
    assert sum(f["breakdown"].values()) == f["train_step"]
    # replayed samples are embeddings: only the head part repeats
    assert anatomy.learner_flops(clf, replay_k=3)["train_step"] == 327 + 3 * (head + softmax + backward)


def test_hidden_layer_flops_by_hand():
    ul = fl()
    head = ul.Dense(8, 3)
    learner = types.SimpleNamespace(
        n_features=4, scaler=None, extractor=[ul.Frozen(4, 5, "tanh")],
        hidden=ul.Dense(5, 8, "relu"), head=head, optimizer=ul.SGD(0.1))
    f = anatomy.learner_flops(learner)
    assert f["inference"] == (40 + 5) + (80 + 8) + 48 + 14 == 195
    head_b = 2 * (24 + 27) + 3 + 1  # input gradient, plain SGD, lr * g, onehot
    hidden_b = 8 + 2 * 48 + 8  # relu gradient, plain SGD, lr * g; no input gradient
    assert f["train_step"] == 195 + head_b + hidden_b == 413
    assert anatomy.learner_flops(learner, replay_k=2)["train_step"] == 413 + 2 * (88 + 48 + 14 + 106 + 112)
    real = ul.Classifier(4, 3, extractor=[ul.Frozen(4, 5, "tanh")], hidden=8,
                         standardize=False, optimizer=ul.SGD(0.1))
    assert anatomy.learner_flops(real) == f
    learner.hidden = None
    head2 = ul.Dense(5, 3)
    learner.head = head2
    assert anatomy.learner_flops(learner)["train_step"] == 45 + 2 * 15 + 14 + 2 * 18 + 3 + 1


def test_flops_scale_as_expected():
    F = anatomy
    assert F.forward(10, 7) == (70, 0) and F.forward(20, 7)[0] == 2 * F.forward(10, 7)[0]
    assert F.forward(10, 7, "relu", int8=True) == (70, 14)
    assert F.flops(F.backward(10, 4, input_grad=True)) - F.flops(F.backward(10, 4, input_grad=False)) == 80
    plain, mom = F.sgd(10, 4), F.sgd(10, 4, momentum=0.9)
    assert mom[0] == 2 * plain[0] == 2 * 4 * 11
    assert F.sgd(10, 4, weight_decay=0.1)[1] - plain[1] == 40
    ul = fl()
    clf = ul.Classifier(6, 5, extractor=[ul.Frozen(6, 8, "relu")], optimizer=ul.SGD(0.1, momentum=0.5))
    step = [anatomy.learner_flops(clf, replay_k=k)["train_step"] for k in range(4)]
    assert [s - step[0] for s in step] == [k * (step[1] - step[0]) for k in range(4)]
    rows = [anatomy.learner_flops(clf, rows=r)["macs"]["inference"] for r in (1, 2, 3)]
    assert rows[1] - rows[0] == rows[2] - rows[1] == 8  # one head row: 8 MACs
    with pytest.raises(ValueError):
        anatomy.learner_flops(clf, replay_k=-1)


# -- tier 3: real interpreters

def test_widen_on_the_board(mp):
    """The whole matrix: widening keeps the function and matches CPython."""
    *before_after, weights = tier3.check_scenario("widen", mp, tol=1e-6)
    for p in before_after[1:]:
        assert close(p, before_after[0], 1e-5)
    assert len(before_after) == 4 and len(weights) == 19 * 4 + 6 * 19
