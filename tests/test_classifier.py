"""The online classifier (TinyOL head) on every CPython backend."""
import math

import pytest

from helpers import blobs, snapshot


def accuracy(clf, stream):
    return sum(clf.predict_one(x) == y for x, y in stream) / len(stream)


def test_learns_a_stream(ul):
    clf = ul.Classifier(4, 3, optimizer=ul.SGD(0.05))
    for x, y in blobs(600):
        clf.learn_one(x, y)
    assert accuracy(clf, blobs(300, seed=1)) > 0.9


def test_knows_nothing_before_learning(ul):
    clf = ul.Classifier(4, 3)
    assert clf.predict_one([0, 0, 0, 0]) is None
    assert clf.predict_proba_one([0, 0, 0, 0]) == {}


def test_probabilities_sum_to_one(ul):
    clf = ul.Classifier(4, 5)
    for x, y in blobs(50):
        clf.learn_one(x, y)
    p = clf.predict_proba_one([1.0, 2.0, 1.0, 2.0])
    assert set(p) == {0, 1, 2}
    assert math.isclose(sum(p.values()), 1.0, rel_tol=1e-5)
    assert clf.predict_one([1.0, 2.0, 1.0, 2.0]) == max(p, key=p.get)


def test_new_label_adds_a_row_without_touching_learned_ones(ul):
    clf = ul.Classifier(4, 4)
    for x, y in blobs(200):
        clf.learn_one(x, y)
    K = ul.backend.K
    before = K.tolist(clf.head.W)[:3 * 4], K.tolist(clf.head.b)[:3]
    probe = [0.5, 1.0, 0.5, 1.0]
    old = clf.predict_proba_one(probe)
    assert clf.add_class("new") == 3
    assert (K.tolist(clf.head.W)[:3 * 4], K.tolist(clf.head.b)[:3]) == before
    new = clf.predict_proba_one(probe)
    assert set(new) == {0, 1, 2, "new"}
    # the old classes keep their ratios: the new row only takes a share
    ratio = old[0] / old[1]
    assert math.isclose(new[0] / new[1], ratio, rel_tol=1e-4)


def test_classes_arrive_at_run_time(ul):
    clf = ul.Classifier(4, 3, optimizer=ul.SGD(0.05))
    stream = blobs(900, n_classes=3)
    first = [(x, y) for x, y in stream[:300] if y < 2]
    for x, y in first:
        clf.learn_one(x, y)
    assert clf.labels == [0, 1] or clf.labels == [1, 0]
    for x, y in stream[300:]:
        clf.learn_one(x, y)
    assert sorted(clf.labels) == [0, 1, 2]
    assert accuracy(clf, blobs(300, seed=2)) > 0.85


def test_string_labels(ul):
    clf = ul.Classifier(2, 2)
    for _ in range(30):
        clf.learn_one([1.0, 0.0], "tap")
        clf.learn_one([0.0, 1.0], "swipe")
    assert clf.predict_one([1.0, 0.0]) == "tap"
    assert clf.predict_one([0.0, 1.0]) == "swipe"


def test_gradient_clipping_bounds_the_step(ul):
    clip, lr = 0.5, 0.1
    clf = ul.Classifier(3, 2, optimizer=ul.SGD(lr, clip=clip), standardize=False)
    clf.add_class(1)
    clf.learn_one([100.0, -200.0, 300.0], 0)
    K = ul.backend.K
    step2 = sum(v * v for v in K.tolist(clf.head.W)) + sum(v * v for v in K.tolist(clf.head.b))
    assert math.sqrt(step2) <= lr * clip * (1 + 1e-5)
    assert math.sqrt(step2) > 0.5 * lr * clip


def test_weight_decay_shrinks_weights(ul):
    def norm(wd):
        clf = ul.Classifier(4, 3, optimizer=ul.SGD(0.05, weight_decay=wd))
        for x, y in blobs(300):
            clf.learn_one(x, y)
        return sum(v * v for v in ul.backend.K.tolist(clf.head.W))
    assert norm(0.05) < 0.8 * norm(0.0)


def test_momentum_accelerates_the_same_steps(ul):
    def run(mom):
        clf = ul.Classifier(2, 2, optimizer=ul.SGD(0.01, momentum=mom), standardize=False)
        clf.add_class(0)
        clf.add_class(1)
        for _ in range(5):
            clf.learn_one([1.0, 0.0], 0)
        return ul.backend.K.tolist(clf.head.W)
    plain, heavy = run(0.0), run(0.9)
    assert heavy[0] > plain[0] > 0.0


def test_standardisation_tracks_running_mean_and_variance(ul):
    clf = ul.Classifier(4, 3)
    stream = blobs(500)
    for x, y in stream:
        clf.learn_one(x, y)
    K = ul.backend.K
    for j in range(4):
        col = [x[j] for x, _ in stream]
        mean = sum(col) / len(col)
        var = sum((v - mean) ** 2 for v in col) / len(col)
        assert math.isclose(K.tolist(clf.scaler.mean)[j], mean, rel_tol=1e-3, abs_tol=1e-4)
        assert math.isclose(K.tolist(clf.scaler.var)[j], var, rel_tol=1e-3)


def test_stats_window_follows_drift(ul):
    def mean_after_shift(window):
        clf = ul.Classifier(1, 2, stats_window=window)
        for i in range(400):
            clf.learn_one([0.0 if i < 200 else 10.0], i % 2)
        return ul.backend.K.tolist(clf.scaler.mean)[0]
    # forgetting at 1/50 per sample for 200 samples: 10 * (1 - 0.98 ** 200) = 9.82
    assert math.isclose(mean_after_shift(50), 10 * (1 - 0.98 ** 200), rel_tol=1e-4)
    assert math.isclose(mean_after_shift(0), 5.0, rel_tol=1e-4)


def _extractor(ul, int8):
    layer = ul.Frozen(4, 6, act="relu", int8=int8)
    W = [[((i * 7 + j * 3) % 11 - 5) / 7.0 for j in range(4)] for i in range(6)]
    return layer.set_weights(W, [0.1 * i for i in range(6)])


def _split_extractor(ul, int8):
    # relu([x, -x] * 0.9): keeps all information, so the head can learn as well
    layer = ul.Frozen(4, 8, act="relu", int8=int8)
    W = [[(0.9 if i < 4 else -0.9) * (j == i % 4) for j in range(4)] for i in range(8)]
    return layer.set_weights(W, [0.0] * 8)


@pytest.mark.parametrize("int8", [False, True])
def test_frozen_extractor_feeds_the_head(ul, int8):
    clf = ul.Classifier(4, 3, extractor=[_split_extractor(ul, int8)], optimizer=ul.SGD(0.05))
    assert clf.head.n_in == 8
    for x, y in blobs(600):
        clf.learn_one(x, y)
    assert accuracy(clf, blobs(300, seed=1)) > 0.85


def test_int8_extractor_matches_float_within_quantisation(ul):
    f32, i8 = _extractor(ul, False), _extractor(ul, True)
    x = ul.backend.K.load_vec([0.3, -1.2, 2.0, 0.7], ul.backend.K.vec(4))
    a, b = ul.backend.K.tolist(f32(x)), ul.backend.K.tolist(i8(x))
    # each weight is off by at most half a step of max|row| / 127
    assert all(abs(u - v) <= 0.5 / 127 * 5 / 7 * 4.2 + 1e-6 for u, v in zip(a, b))
    assert a != b


def test_extractor_must_fit_the_input(ul):
    with pytest.raises(ValueError, match="extractor\\[0\\] takes 4 inputs, gets 5"):
        ul.Classifier(5, 3, extractor=[_extractor(ul, False)])


def test_repr_names_the_configuration(ul):
    assert "capacity=3" in repr(ul.Classifier(4, 3))
    assert "Frozen(4, 6" in repr(_extractor(ul, True))


def test_learning_does_not_mutate_the_input(ul):
    clf = ul.Classifier(4, 3)
    x = [1.0, 2.0, 3.0, 4.0]
    clf.learn_one(x, 0)
    clf.predict_one(x)
    assert x == [1.0, 2.0, 3.0, 4.0]


def test_snapshot_is_stable_under_prediction(ul):
    clf = ul.Classifier(4, 3)
    for x, y in blobs(20):
        clf.learn_one(x, y)
    before = snapshot(ul, clf)
    clf.predict_proba_one([1, 2, 3, 4])
    assert snapshot(ul, clf) == before
