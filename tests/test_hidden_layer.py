"""A classifier with a trainable hidden layer between the extractor and the head."""
import math
import random

from ulearn_dev import devicepkg
from helpers import blobs, close, reloaded


def xor_stream(n, seed=0):
    # two classes no linear head separates: the signs of x0 and x1 agree or not
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        x = [rnd.uniform(-1, 1), rnd.uniform(-1, 1), rnd.gauss(0, 0.1)]
        out.append((x, "same" if x[0] * x[1] > 0 else "differ"))
    return out


def accuracy(clf, stream):
    return sum(clf.predict_one(x) == y for x, y in stream) / len(stream)


def test_hidden_layer_learns_what_a_head_alone_cannot(ul):
    train, test = xor_stream(3000), xor_stream(400, seed=1)
    heads = {}
    for hidden in (0, 16):
        clf = ul.Classifier(3, 2, hidden=hidden, optimizer=ul.SGD(0.05, momentum=0.5))
        for x, y in train:
            clf.learn_one(x, y)
        heads[hidden] = accuracy(clf, test)
    assert heads[0] < 0.7 and heads[16] > 0.9, heads


def test_gradients_match_finite_differences():
    ul = devicepkg.use("numpy")
    import numpy as np
    clf = ul.Classifier(3, 3, hidden=4, standardize=False, optimizer=ul.SGD(1e-3), seed=3)
    for c in "abc":
        clf.add_class(c)
    clf.head.W[:] = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    x, y = [0.4, -0.7, 1.1], "b"

    def loss():
        return -math.log(clf.predict_proba_one(x)[y])
    W0 = clf.hidden.W.copy()
    eps, num = 1e-2, np.zeros_like(W0)
    for idx in np.ndindex(*W0.shape):
        for sign in (1, -1):
            clf.hidden.W[idx] = W0[idx] + sign * eps
            num[idx] += sign * loss() / (2 * eps)
        clf.hidden.W[idx] = W0[idx]
    clf.learn_one(x, y)  # plain SGD: the step is lr times the gradient
    analytic = (W0 - clf.hidden.W) / 1e-3
    assert np.allclose(analytic, num, atol=2e-2), (analytic, num)


def run_hidden(ul):
    clf = ul.Classifier(6, 4, hidden=5, optimizer=ul.SGD(0.05, momentum=0.8, clip=2.0))
    probs = []
    for x, y in blobs(300, n_features=6, n_classes=4):
        probs.append(clf.predict_proba_one(x).get(y, 0.0))
        clf.learn_one(x, y)
    K = ul.backend.K
    return probs, [v for a in clf.arrays() for v in K.tolist(a)]


def test_backends_agree_with_a_hidden_layer():
    results = {b: run_hidden(devicepkg.use(b)) for b in devicepkg.BACKENDS}
    for b in ("ulab", "python"):
        for got, want in zip(results[b], results["numpy"]):
            assert close(got, want, 2e-4), b


def test_checkpoint_round_trip_with_a_hidden_layer(ul, tmp_path):
    clf = ul.Classifier(4, 3, hidden=6, optimizer=ul.SGD(0.05, momentum=0.5))
    for x, y in blobs(100):
        clf.learn_one(x, y)
    back = reloaded(ul, clf, tmp_path)
    x = [0.5, 1.0, 1.5, 2.0]
    assert back.predict_proba_one(x) == clf.predict_proba_one(x)
