"""Bad input gets a clear exception and leaves the learner as it was."""
import math

import pytest

from helpers import blobs, snapshot


def learners(ul):
    clf = ul.Classifier(4, 3, optimizer=ul.SGD(0.05, momentum=0.5))
    det = ul.AnomalyDetector(4, hidden=2)
    for x, y in blobs(30, n_classes=2):
        clf.learn_one(x, y)
        det.learn_one(x)
    return clf, det


BAD_X = [
    ([1.0, 2.0, 3.0], ValueError, "x has 3 values, expected 4"),
    ([1.0, 2.0, 3.0, 4.0, 5.0], ValueError, "x has 5 values, expected 4"),
    ([1.0, math.nan, 3.0, 4.0], ValueError, r"x\[1\] is nan: inputs must be finite"),
    ([1.0, 2.0, math.inf, 4.0], ValueError, r"x\[2\] is inf: inputs must be finite"),
    ([1.0, 2.0, 3.0, -math.inf], ValueError, r"x\[3\] is -inf"),
    ([1.0, "2", 3.0, 4.0], TypeError, r"x\[1\] is '2', not a number"),
    ([None, 2.0, 3.0, 4.0], TypeError, r"x\[0\] is None, not a number"),
    ([1.0, 2.0, [3.0], 4.0], TypeError, r"x\[2\] is \[3.0\], not a number"),
    # a glitching sensor: once in the input statistics, one such value made every weight nan
    ([1.0, 2e19, 3.0, 4.0], ValueError, r"x\[1\] is 2e\+19: inputs must be within \+-1e\+15"),
    ([1.0, 2.0, 3.0, -1.5e15], ValueError, r"x\[3\] is -1.5e\+15: inputs must be within"),
    ([1e39, 2.0, 3.0, 4.0], ValueError, r"x\[0\] is 1e\+39: inputs must be within"),
    ([1.0, 10 ** 30, 3.0, 4.0], ValueError, r"x\[1\] is 1e\+30: inputs must be within"),
]


@pytest.mark.parametrize("x,exc,msg", BAD_X, ids=[b[2][:24] for b in BAD_X])
def test_bad_x_is_refused_and_changes_nothing(ul, x, exc, msg):
    clf, det = learners(ul)
    before = snapshot(ul, clf), snapshot(ul, det)
    for call in (lambda: clf.learn_one(x, 0), lambda: clf.learn_one(x, 2),
                 lambda: clf.predict_one(x), lambda: clf.predict_proba_one(x),
                 lambda: det.learn_one(x), lambda: det.score_one(x),
                 lambda: det.is_anomaly(x)):
        with pytest.raises(exc, match=msg):
            call()
    assert (snapshot(ul, clf), snapshot(ul, det)) == before


def test_label_beyond_capacity_is_refused_and_changes_nothing(ul):
    clf, _ = learners(ul)
    clf.learn_one([0.0] * 4, "third")
    before = snapshot(ul, clf)
    with pytest.raises(ValueError, match="label 'fourth' would be class 4, beyond capacity 3"):
        clf.learn_one([0.0] * 4, "fourth")
    with pytest.raises(ValueError, match="beyond capacity 3"):
        clf.add_class(99)
    assert snapshot(ul, clf) == before


def test_inputs_at_the_limit_are_taken_and_the_learner_stays_usable(ul):
    clf, det = learners(ul)
    for x in ([1e15, -1e15, 0.0, 1.0], [1e14] * 4):
        clf.learn_one(x, 0)
        det.learn_one(x)
    for x, y in blobs(200, n_classes=2, seed=1):  # then ordinary readings again
        clf.learn_one(x, y)
        det.learn_one(x)
    p = clf.predict_proba_one([0.0, 1.0, 0.0, 1.0])
    assert all(math.isfinite(v) for v in p.values()) and abs(sum(p.values()) - 1) < 1e-4
    assert math.isfinite(det.score_one([0.0, 1.0, 0.0, 1.0]))


def test_numpy_integer_labels_are_ints(ul):
    np = pytest.importorskip("numpy")
    clf, _ = learners(ul)  # labels 0 and 1
    known = list(clf.labels)
    clf.learn_one([0.0] * 4, np.int64(1))  # the known class 1, not a new one
    clf.learn_one([0.0] * 4, np.int32(2))
    assert clf.labels == known + [2] and all(type(v) is int for v in clf.labels)
    assert clf.predict_one([0.0] * 4) in (0, 1, 2)


@pytest.mark.parametrize("y", [1.5, None, (1,), [0]])
def test_label_of_wrong_type_is_refused(ul, y):
    clf, _ = learners(ul)
    before = snapshot(ul, clf)
    with pytest.raises(TypeError, match="must be an int or a str"):
        clf.learn_one([0.0] * 4, y)
    assert snapshot(ul, clf) == before


def test_bad_x_with_a_new_label_adds_no_class(ul):
    clf, _ = learners(ul)
    with pytest.raises(ValueError):
        clf.learn_one([math.nan] * 4, "new")
    assert "new" not in clf.labels


@pytest.mark.parametrize("kw,msg", [
    ({"lr": -0.1}, "SGD lr must be a finite number >= 0"),
    ({"lr": math.nan}, "SGD lr must be a finite number >= 0"),
    ({"momentum": 1.0}, "SGD momentum must be < 1"),
    ({"clip": "big"}, "SGD clip must be a finite number"),
])
def test_bad_optimizer_settings(ul, kw, msg):
    with pytest.raises(ValueError, match=msg):
        ul.SGD(**kw)


@pytest.mark.parametrize("args,msg", [
    ((0, 3), "n_features must be an int >= 1"),
    ((4, 0), "capacity must be an int >= 1"),
    ((4.0, 3), "n_features must be an int >= 1"),
])
def test_bad_classifier_construction(ul, args, msg):
    with pytest.raises(ValueError, match=msg):
        ul.Classifier(*args)


def test_bad_layer_activation(ul):
    with pytest.raises(ValueError, match="activation 'gelu' is not one of"):
        ul.Frozen(3, 2, act="gelu")
