"""Tests for the board-side window features (device/ulearn/features.py)."""

from array import array

import numpy as np
import pytest

from ulearn_dev import tier3
from ulearn import features as F


def reference(window):
    """numpy reference: axis-major [mean, std, min, max] + magnitude mean/std."""
    w = np.asarray(window, dtype=np.float64)
    out = []
    for a in range(w.shape[1]):
        col = w[:, a]
        out += [col.mean(), col.std(), col.min(), col.max()]
    if w.shape[1] >= 3:
        mag = np.sqrt((w[:, :3] ** 2).sum(axis=1))
        out += [mag.mean(), mag.std()]
    return np.array(out)


def f32(window):
    """The window as the float32 values a Windower ring stores."""
    return np.asarray(window, dtype=np.float32).astype(np.float64).tolist()


@pytest.mark.parametrize("n_axes, expected", [(1, 4), (2, 8), (3, 14), (6, 26), (9, 38)])
def test_n_features(n_axes, expected):
    assert F.n_features(n_axes) == expected
    assert len(F.feature_names(n_axes)) == expected


def test_n_features_rejects_zero_axes():
    with pytest.raises(ValueError):
        F.n_features(0)


def test_feature_names_layout():
    names = F.feature_names(3, ["x", "y", "z"])
    assert names[:5] == ["x_mean", "x_std", "x_min", "x_max", "y_mean"]
    assert names[-2:] == ["mag_mean", "mag_std"]
    with pytest.raises(ValueError):
        F.feature_names(3, ["x"])


@pytest.mark.parametrize("n_axes", [1, 2, 3, 6])
@pytest.mark.parametrize("n", [1, 2, 7, 100])
def test_window_features_match_numpy(n_axes, n):
    rng = np.random.default_rng(n * 10 + n_axes)
    loc = rng.uniform(-5, 5, n_axes)
    w = rng.normal(loc=loc, scale=rng.uniform(0.1, 3, n_axes), size=(n, n_axes))
    got = F.window_features(w.tolist())
    assert isinstance(got, list) and len(got) == F.n_features(n_axes)
    np.testing.assert_allclose(got, reference(w), rtol=1e-12, atol=1e-12)


def test_window_features_accepts_tuples_arrays_and_ints():
    w = [(1, 2, 3), (4, 5, 6), (7, 8, 10)]
    ref = reference(w)
    np.testing.assert_allclose(F.window_features(w), ref, rtol=1e-12)
    wa = [array("f", s) for s in w]
    np.testing.assert_allclose(F.window_features(wa), ref, rtol=1e-6)


def test_constant_window_has_zero_std():
    w = [[1.5, -2.0, 0.25]] * 50
    got = F.window_features(w)
    assert got[1] == 0.0 and got[5] == 0.0 and got[9] == 0.0
    assert abs(got[13]) < 1e-12  # magnitude mean is not exact: sum of sqrt
    assert got[2] == got[3] == 1.5


def test_float32_values_with_large_offset():
    # two-pass std stays accurate where sum-of-squares would cancel
    rng = np.random.default_rng(1)
    w = (1000.0 + 0.01 * rng.normal(size=(100, 3))).astype(np.float32)
    got = F.window_features(f32(w))
    np.testing.assert_allclose(got, reference(w.astype(np.float64)), rtol=1e-9)


@pytest.mark.parametrize("kind", ["list", "array"])
def test_out_is_filled_and_returned(kind):
    rng = np.random.default_rng(2)
    w = rng.normal(size=(20, 6)).tolist()
    nf = F.n_features(6)
    out = [0.0] * nf if kind == "list" else array("f", [0.0] * nf)
    res = F.window_features(w, out)
    assert res is out
    tol = 1e-12 if kind == "list" else 1e-6
    np.testing.assert_allclose(list(out), reference(w), rtol=tol, atol=tol)


def test_out_wrong_length():
    with pytest.raises(ValueError, match="out has length"):
        F.window_features([[1.0, 2.0]], [0.0] * 3)


def test_bad_sample_length_raises():
    with pytest.raises(ValueError, match="sample 2 has 2 values, expected 3"):
        F.window_features([[1, 2, 3], [1, 2, 3], [1, 2]])
    with pytest.raises(ValueError, match="empty"):
        F.window_features([])
    w = F.Windower(3, 4, 2)
    with pytest.raises(ValueError, match="sample has 4 values, expected 3"):
        w.push([1, 2, 3, 4])
    assert w.count == 0  # rejected sample is not stored


def test_windower_rejects_bad_parameters():
    for args in [(0, 4, 1), (3, 0, 1), (3, 4, 0)]:
        with pytest.raises(ValueError):
            F.Windower(*args)
    with pytest.raises(ValueError, match="no samples"):
        F.Windower(3, 4, 1).features()


@pytest.mark.parametrize("size, step", [(4, 1), (4, 2), (5, 5), (3, 7), (10, 3), (1, 1)])
def test_windower_ready_counts(size, step):
    w = F.Windower(2, size, step)
    ready = [i + 1 for i in range(60) if w.push((float(i), -float(i)))]
    expected = list(range(size, 61, step))
    assert ready == expected


def test_windower_time_order_across_wrap():
    size, step, n_axes = 8, 3, 6
    rng = np.random.default_rng(3)
    stream = rng.normal(size=(57, n_axes)) * [1, 2, 3, 0.5, 0.1, 10]
    w = F.Windower(n_axes, size, step)
    out = array("f", [0.0] * F.n_features(n_axes))
    n_windows = 0
    for t, sample in enumerate(stream.tolist()):
        if w.push(sample):
            n_windows += 1
            expect = f32(stream[t + 1 - size : t + 1])
            # ring contents come back oldest first, even after wrapping
            assert w.window() == expect
            got = w.features()
            # bit-identical to the stateless function on the same float32 window
            assert got == F.window_features(expect)
            np.testing.assert_allclose(got, reference(expect), rtol=1e-12, atol=1e-12)
            assert w.features(out) is out
            np.testing.assert_allclose(list(out), got, rtol=1e-6, atol=1e-6)
    assert n_windows == (57 - size) // step + 1


def test_windower_partial_and_reset():
    w = F.Windower(3, 5, 5)
    w.push((1, 2, 3))
    w.push((3, 4, 5))
    assert w.count == 2
    np.testing.assert_allclose(w.features(), reference([(1, 2, 3), (3, 4, 5)]))
    w.reset()
    assert w.count == 0 and w.window() == []
    ready = [w.push((i, i, i)) for i in range(5)]
    assert ready == [False] * 4 + [True]


# ------------------------------------------------------------- real interpreters

def test_on_the_board(mp):
    """Tier 3, the whole matrix (array('f') and float32 maths differ by port)."""
    wf, ready, last, order, err = tier3.check_scenario("features", mp, tol=1e-6)
    w = [[0.5 * i, -1.0 * i, i * i % 7, 1.0, 2.0 + i % 3, 3.0] for i in range(23)]
    np.testing.assert_allclose(wf, reference(w), rtol=1e-6, atol=1e-6)  # float32 on the board
    assert ready == [10, 14, 18, 22]
    assert order == f32(w[13:23])  # last 10 samples, oldest first
    # last window: samples 12..21 (ready after the 22nd push); out is float32
    np.testing.assert_allclose(last, reference(f32(w[12:22])), rtol=1e-6, atol=1e-5)
    assert err == "sample has 2 values, expected 6"
