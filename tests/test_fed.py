"""Federated meta-learning on the host (ulearn_host.fed): update rules by hand,
clients' costs, resumable rounds, and an initialisation that adapts faster."""
import numpy as np
import pytest

from ulearn_dev import devicepkg
from helpers import blobs


@pytest.fixture(autouse=True)
def on_numpy():
    devicepkg.use("numpy")


def make():
    import ulearn
    clf = ulearn.Classifier(4, 3, hidden=6, standardize=False,
                            optimizer=ulearn.SGD(0.05, momentum=0.5), seed=2)
    for c in range(3):
        clf.add_class(c)
    return clf


def device(seed, shift):
    """A device's data: the blob classes, moved by its own offset."""
    data = blobs(120, seed=seed)
    return np.array([x for x, _ in data]) + shift, [y for _, y in data]


def clients(n=6):
    from ulearn_host.fed import SimClient
    return [SimClient("d%d" % i, *device(i, 0.6 * (i % 3))) for i in range(n)]


def test_update_rules_by_hand():
    from ulearn_host.fed import FedAvg, Reptile, TinyReptile
    theta = [np.zeros(2, np.float32), np.ones((1, 2), np.float32)]
    a = [np.array([2.0, 4.0]), np.array([[3.0, 3.0]])]
    b = [np.array([4.0, 0.0]), np.array([[1.0, 5.0]])]
    t = TinyReptile(beta=0.5).aggregate(theta, [(a, 20)], 0, 10)
    assert np.allclose(t[0], [1.0, 2.0]) and np.allclose(t[1], [[2.0, 2.0]])
    t = TinyReptile(beta=0.5).aggregate(theta, [(a, 20)], 5, 10)  # beta anneals: 0.25
    assert np.allclose(t[0], [0.5, 1.0])
    t = Reptile(beta=1.0).aggregate(theta, [(a, 20), (b, 20)], 0, 10)  # the mean step
    assert np.allclose(t[0], [3.0, 2.0]) and np.allclose(t[1], [[2.0, 4.0]])
    t = FedAvg().aggregate(theta, [(a, 30), (b, 10)], 0, 10)  # weighted by samples
    assert np.allclose(t[0], [2.5, 3.0]) and np.allclose(t[1], [[2.5, 3.5]])
    assert theta[0].tolist() == [0.0, 0.0]  # the old theta is left alone


def test_theta_round_trip_and_mismatch():
    from ulearn_host.fed import params
    clf = make()
    theta = params.get(clf)
    assert [t.shape for t in theta] == [(6, 4), (6,), (3, 6), (3,)]
    other = make()
    other.learn_one([1.0, 2.0, 3.0, 4.0], 1)
    params.put(other, theta)
    assert all(np.array_equal(a, b) for a, b in zip(params.get(other), theta))
    assert not other.head.U.any()  # momentum restarts
    before = params.get(other)
    with pytest.raises(ValueError, match="shape"):
        params.put(other, theta[:3] + [np.zeros(4, np.float32)])
    with pytest.raises(ValueError, match="theta has 2 arrays, the learner has 4"):
        params.put(other, theta[:2])
    assert all(np.array_equal(a, b) for a, b in zip(params.get(other), before))


def test_client_costs_online_and_with_stored_data():
    from ulearn_host.anatomy import learner_flops
    from ulearn_host.fed import params
    c = clients(1)[0]
    theta = params.get(make())
    rng = np.random.default_rng(0)
    phi, n, online = c.fit(theta, make, {"mode": "online", "steps": 7, "lr": 0.05}, rng)
    step = learner_flops(make())["macs"]["train_step"]
    model = 4 * 2 * (6 * 4 + 6 + 3 * 6 + 3)  # weights and momentum buffers
    assert n == 7 and online == {"steps": 7, "macs": 7 * step, "peak_bytes": model + 4 * 4 + 4}
    phi, n, stored = c.fit(theta, make, {"mode": "epochs", "epochs": 2, "lr": 0.05}, rng)
    assert n == 240 and stored["peak_bytes"] == model + 120 * 4 * 4 + 120 * 4
    assert not all(np.array_equal(a, b) for a, b in zip(phi, theta))


def test_rounds_are_reproducible_and_resume():
    from ulearn_host.fed import TinyReptile, run
    cs = clients()
    saved = {}
    full, hist = run(TinyReptile(steps=5), make, cs, 8, seed=3,
                     on_round=lambda r, t, _: saved.update({r: t}))
    assert len(hist) == 8 and all(len(h["clients"]) == 1 for h in hist)
    again, _ = run(TinyReptile(steps=5), make, cs, 8, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(full, again))
    # stopped after round 3: rounds 4..7 from the saved theta end where one run does
    resumed, rest = run(TinyReptile(steps=5), make, cs, 8, seed=3, theta=saved[3], start=4)
    assert [h["round"] for h in rest] == [4, 5, 6, 7]
    assert all(np.array_equal(a, b) for a, b in zip(full, resumed))
    other, _ = run(TinyReptile(steps=5), make, cs, 8, seed=4)
    assert not all(np.array_equal(a, b) for a, b in zip(full, other))


def test_meta_learned_initialisations_adapt_faster_than_scratch():
    from ulearn_host.fed import FedAvg, TinyReptile, adapt_curve, params, pooled, run
    cs = clients()
    X, y = device(99, 0.6)  # a new device
    curves = {}
    for name, theta in (
            ("scratch", params.get(make())),
            ("tinyreptile", run(TinyReptile(steps=20), make, cs, 60)[0]),
            ("fedavg", run(FedAvg(per_round=3), make, cs, 10)[0]),
            ("transfer", pooled(make, cs, 2, 0.05))):
        curves[name] = adapt_curve(make, theta, X[:50], y[:50], X[50:], y[50:], lr=0.05)
    for name in ("tinyreptile", "fedavg", "transfer"):
        assert curves[name][5] > curves["scratch"][5] + 0.2, curves


def test_bad_federations_are_refused():
    from ulearn_host.fed import FedAvg, Reptile, SimClient, TinyReptile, adapt_curve, params, run
    with pytest.raises(ValueError, match="needs clients"):
        run(TinyReptile(), make, [], 3)
    with pytest.raises(ValueError, match="asks 5 clients per round, there are 2"):
        run(Reptile(per_round=5), make, clients(2), 3)
    with pytest.raises(ValueError, match="beta"):
        TinyReptile(beta=1.5)
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        TinyReptile(steps=0)
    with pytest.raises(ValueError, match="FedAvg needs"):
        FedAvg(epochs=0)
    with pytest.raises(ValueError, match="needs samples"):
        SimClient("x", np.zeros((3, 4)), [0, 1])
    X, y = device(1, 0.0)
    with pytest.raises(ValueError, match="10 support samples, the curve needs 50"):
        adapt_curve(make, params.get(make()), X[:10], y[:10], X[10:], y[10:], lr=0.05)


def test_a_lost_client_is_skipped_and_the_round_completes():
    from ulearn_host.fed import ClientLost, Reptile, TinyReptile, run

    class Dropped:
        name = "gone"

        def fit(self, *a):
            raise ClientLost("gone: connection lost")
    cs = clients(2) + [Dropped()]
    theta, hist = run(Reptile(per_round=3, steps=5), make, cs, 2)
    assert all(h["skipped"] == {"gone": "gone: connection lost"} and len(h["cost"]) == 2
               for h in hist)
    from ulearn_host.fed import params
    start = params.get(make())
    alone, hist = run(TinyReptile(steps=5), make, [Dropped()], 2)
    assert all(np.array_equal(a, b) for a, b in zip(alone, start))  # nobody trained: unchanged
