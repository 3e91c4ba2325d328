"""Compact replay sets (host/ulearn_host/distill.py): random, herding, distribution matching."""
import numpy as np
import pytest

from test_datasets import load  # noqa: F401 (also puts host/ and device/ on the path)
from ulearn_host import datasets
from ulearn_host.distill import METHODS, matching_loss, replay_set


@pytest.fixture(scope="module")
def digits():
    return load(datasets.load_digits)


def blobs(sizes=(4, 57, 203), d=5, seed=0):
    """Gaussian classes with distinct rows: class c centred at c."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(c, 1.0, (n, d)) for c, n in enumerate(sizes)])
    y = np.repeat(np.arange(len(sizes)), sizes)
    return X.astype(np.float32), y


def row_index(X, rows):
    """Index in X of each row of `rows` (-1 if absent)."""
    lookup = {r.tobytes(): i for i, r in enumerate(np.asarray(X, dtype=np.float32))}
    return np.array([lookup.get(r.tobytes(), -1) for r in np.asarray(rows, dtype=np.float32)])


def mean_gap(X, y, Xs, ys):
    """Mean over classes of the distance between the set's and the data's class means."""
    return np.mean([np.linalg.norm(Xs[ys == c].mean(0) - X[y == c].mean(0)) for c in np.unique(ys)])


# ---------------------------------------------------------------- budgets


@pytest.mark.parametrize("method", METHODS)
def test_budget_per_class(method):
    X, y = blobs()
    kw = dict(iterations=5) if method == "dm" else {}
    Xs, ys = replay_set(X, y, method, fraction=0.1, **kw)  # round(0.4) -> at least 1
    assert np.bincount(ys).tolist() == [1, 6, 20]
    assert Xs.shape == (27, 5) and Xs.dtype == np.float32 and ys.dtype == np.int64
    assert np.all(np.diff(ys) >= 0)  # grouped by class, ascending
    _, ys = replay_set(X, y, method, **kw)  # default 1%
    assert np.bincount(ys).tolist() == [1, 1, 2]
    _, ys = replay_set(X, y, method, per_class=10, **kw)  # capped at the class size
    assert np.bincount(ys).tolist() == [4, 10, 10]
    _, ys = replay_set(X, y, method, per_class=2, classes=[2, 0], **kw)
    assert ys.tolist() == [0, 0, 2, 2]


def test_budget_on_digits(digits):
    X, y = digits
    _, ys = replay_set(X, y, "random")
    n = np.bincount(y)
    assert np.bincount(ys).tolist() == [max(1, round(0.01 * k)) for k in n] == [2] * 10
    _, ys = replay_set(X, y, "herding", fraction=0.05)
    assert np.bincount(ys).tolist() == [round(0.05 * k) for k in n]


@pytest.mark.parametrize("method", ["random", "herding"])
def test_picks_are_distinct_real_rows_of_their_class(method):
    X, y = blobs()
    for fraction in (0.1, 1.0):
        Xs, ys = replay_set(X, y, method, fraction=fraction, seed=3)
        idx = row_index(X, Xs)
        assert np.all(idx >= 0) and len(set(idx.tolist())) == len(idx)
        assert np.array_equal(y[idx], ys)
    assert sorted(idx.tolist()) == list(range(len(X)))  # fraction 1: every row


# ---------------------------------------------------------------- herding


def test_herding_tracks_the_class_mean_better_than_random(digits):
    X, y = digits
    Xh, yh = replay_set(X, y, "herding", per_class=5)
    gaps = [mean_gap(X, y, *replay_set(X, y, "random", per_class=5, seed=s)) for s in range(10)]
    assert mean_gap(X, y, Xh, yh) < 0.5 * np.mean(gaps)
    # the first pick is the row nearest the class mean
    X0, y0 = replay_set(X, y, "herding", per_class=1)
    for c in range(10):
        rows = X[y == c]
        nearest = rows[np.argmin(((rows - rows.mean(0)) ** 2).sum(1))]
        assert np.array_equal(X0[c], nearest)


def test_herding_in_an_embedding():
    X, y = blobs()
    embed = lambda A: A[:, :2] * 10.0  # noqa: E731 (pick by the first two features only)
    Xe, ye = replay_set(X, y, "herding", per_class=4, embed=embed)
    Xr, yr = replay_set(X, y, "herding", per_class=4)
    assert mean_gap(embed(X), y, embed(Xe), ye) <= mean_gap(embed(X), y, embed(Xr), yr)
    assert np.all(row_index(X, Xe) >= 0)  # still rows of X, not of the embedding
    with pytest.raises(ValueError, match=r"embed\(X\) must return \(n, k\)"):
        replay_set(X, y, "herding", embed=lambda A: A[:10])
    replay_set(X, y, "dm", embed=lambda A: A[:10], iterations=2)  # dm ignores embed


# ---------------------------------------------------------------- distribution matching


def test_dm_matches_the_distribution_better_than_its_start(digits):
    X, y = digits
    for seed in (0, 1):
        X0, y0 = replay_set(X, y, "random", per_class=2, seed=seed)  # dm's starting rows
        Xd, yd = replay_set(X, y, "dm", per_class=2, seed=seed, iterations=300)
        assert np.array_equal(y0, yd)
        assert matching_loss(X, y, Xd, yd) < 0.3 * matching_loss(X, y, X0, y0)
        assert mean_gap(X, y, Xd, yd) < 0.6 * mean_gap(X, y, X0, y0)
        # synthetic, and inside the pixels' range
        assert np.all(row_index(X, Xd) == -1)
        assert np.all(Xd >= X.min(0)) and np.all(Xd <= X.max(0))


def test_dm_keeps_constant_features_and_the_range():
    X, y = blobs(sizes=(30, 30), d=4)
    X[:, 1] = 7.0  # constant feature: zero deviation
    Xd, yd = replay_set(X, y, "dm", per_class=3, iterations=50, lr=5.0)  # big steps hit the clip
    assert np.all(Xd[:, 1] == 7.0) and np.isfinite(Xd).all()
    assert np.all(Xd >= X.min(0)) and np.all(Xd <= X.max(0))


def test_matching_loss():
    X, y = blobs()
    assert matching_loss(X, y, X, y) == pytest.approx(0.0, abs=1e-12)
    Xs, ys = replay_set(X, y, "random", per_class=3)
    assert matching_loss(X, y, Xs, ys) > 0
    assert matching_loss(X, y, Xs, ys, seed=1) != matching_loss(X, y, Xs, ys, seed=2)
    with pytest.raises(ValueError, match="classes 5, 6, 7 have no rows in y"):
        matching_loss(X, y, Xs, ys + 5)
    with pytest.raises(ValueError, match="X_small has 2 features, X has 5"):
        matching_loss(X, y, Xs[:, :2], ys)


# ---------------------------------------------------------------- determinism, bad input


@pytest.mark.parametrize("method", METHODS)
def test_deterministic_for_a_seed(method):
    X, y = blobs()
    kw = dict(iterations=20) if method == "dm" else {}
    a = replay_set(X, y, method, fraction=0.1, seed=4, **kw)
    b = replay_set(X, y, method, fraction=0.1, seed=4, **kw)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    c = replay_set(X, y, method, fraction=0.1, seed=5, **kw)
    assert np.array_equal(a[0], c[0]) == (method == "herding")  # herding draws nothing


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(y=np.zeros(10, dtype=int)), r"y must hold one label per row of X: X has 264 rows"),
        (dict(y=np.zeros((264, 1), dtype=int)), "y must hold one label per row"),
        (dict(X=np.zeros(264)), r"X must be a non-empty \(n, d\) array"),
        (dict(X=np.zeros((0, 5)), y=np.zeros(0, dtype=int)), "X must be a non-empty"),
        (dict(X=np.full((264, 5), np.nan)), "NaN or infinite"),
        (dict(y=np.full(264, 0.5)), "labels must be integers"),
        (dict(y=np.array(["a"] * 264)), "labels must be integers"),
        (dict(fraction=0), r"fraction must be in \(0, 1\], got 0"),
        (dict(fraction=1.5), r"fraction must be in \(0, 1\], got 1.5"),
        (dict(fraction=-0.01), r"fraction must be in \(0, 1\]"),
        (dict(per_class=0), "per_class must be an integer >= 1, got 0"),
        (dict(per_class=2.5), "per_class must be an integer >= 1"),
        (dict(classes=[1, 3]), "class 3 has no rows in y"),
        (dict(classes=[]), "classes is empty"),
        (dict(method="kmeans"), "unknown method 'kmeans'; choose from: random, herding, dm"),
        (dict(lr=0), r"dm needs iterations >= 0, lr > 0, width >= 1 and batch >= 1; got 2, 0,"),
        (dict(batch=0), "dm needs iterations >= 0"),
        (dict(width=0), "dm needs iterations >= 0"),
    ],
)
def test_bad_input_raises_a_clear_value_error(kw, match):
    X, y = blobs()
    args = dict(X=X, y=y, method="dm", iterations=2)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        replay_set(**args)


def test_labels_as_whole_floats_and_per_class_overrides_fraction():
    X, y = blobs()
    _, ys = replay_set(X, y.astype(float), "random", fraction=5.0, per_class=2)
    assert ys.dtype == np.int64 and np.bincount(ys).tolist() == [2, 2, 2]
