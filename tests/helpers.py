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


def watch_replay(label, subject=1, side=1):
    """The smartwatch recording of exercise `label` by `subject` (arm `side`) as the text
    examples/replay_sensor.py replays: a line of six comma-separated numbers per reading."""
    from ulearn_host.datasets import load_watch
    d = load_watch()
    k = next(i for i in range(len(d.labels)) if d.label_names[d.labels[i]] == label
             and d.subject[i] == subject and d.side[i] == side)
    return "".join(",".join("%.6g" % v for v in row) + "\n" for row in d.recordings[k])
