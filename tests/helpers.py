"""Small helpers shared by the device tests."""
import random


def snapshot(ul, learner):
    """Everything a learner holds, as plain Python values."""
    K = ul.backend.K
    return (learner.config(), learner.state(), [K.tolist(a) for a in learner.arrays()])


def reloaded(ul, learner, tmp_path):
    """The learner saved and loaded back, checked to hold everything it held."""
    path = str(tmp_path / "reloaded.npz")
    ul.save(learner, path)
    back = ul.load(path)
    assert snapshot(ul, back) == snapshot(ul, learner)
    return back


def blobs(n, n_features=4, n_classes=3, spread=0.5, seed=0):
    """A reproducible stream of Gaussian blobs: [(x, y), ...]."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        y = rnd.randrange(n_classes)
        out.append(([rnd.gauss(y * (1 + j % 2), spread) for j in range(n_features)], y))
    return out


def close(a, b, tol):
    return len(a) == len(b) and all(abs(u - v) <= tol * (1 + abs(v)) for u, v in zip(a, b))
