"""The online autoencoder anomaly scorer on every CPython backend."""
import math
import random


def normal_stream(n, seed=0):
    # 4 correlated channels on a 1-D manifold plus noise
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        t = rnd.gauss(0, 1)
        out.append([t, 2 * t + rnd.gauss(0, 0.1), -t + rnd.gauss(0, 0.1), rnd.gauss(0, 0.1)])
    return out


def trained(ul, k=3.0):
    det = ul.AnomalyDetector(4, hidden=2, optimizer=ul.SGD(0.02), k=k)
    for x in normal_stream(2000):
        det.learn_one(x)
    return det


def test_reconstruction_error_falls_while_learning(ul):
    det = ul.AnomalyDetector(4, hidden=2, optimizer=ul.SGD(0.02))
    probe = normal_stream(200, seed=5)
    before = sum(det.score_one(x) for x in probe)
    for x in normal_stream(2000):
        det.learn_one(x)
    assert sum(det.score_one(x) for x in probe) < 0.3 * before


def test_off_manifold_points_are_anomalies(ul):
    det = trained(ul)
    normal = normal_stream(300, seed=7)
    odd = [[t, -2 * t, t, 0.0] for t in (1.0, 1.5, -2.0, 2.5)]
    false_alarms = sum(det.is_anomaly(x) for x in normal)
    assert all(det.is_anomaly(x) for x in odd)
    assert false_alarms <= 0.05 * len(normal)


def test_threshold_is_mean_plus_k_std_of_learned_log_scores(ul):
    det = ul.AnomalyDetector(4, hidden=2, k=2.5, alpha=1e-9, warmup=10)
    logs = [math.log(det.learn_one(x) + 1e-12) for x in normal_stream(100)]
    mean = sum(logs) / len(logs)
    std = math.sqrt(sum((s - mean) ** 2 for s in logs) / len(logs))
    assert math.isclose(det.threshold, math.exp(mean + 2.5 * std) - 1e-12, rel_tol=1e-6)


def test_threshold_forgets_at_rate_alpha(ul):
    def threshold_after_change(alpha):
        det = ul.AnomalyDetector(4, hidden=2, alpha=alpha, warmup=10, standardize=False)
        for x in normal_stream(500):
            det.learn_one(x)
        for x in normal_stream(200, seed=9):
            det.learn_one([3 * v for v in x])  # the process got louder
        return det.threshold
    # forgetting follows the louder process; the cumulative statistics lag behind
    assert threshold_after_change(0.05) > threshold_after_change(1e-9)


def test_no_alarm_during_warmup(ul):
    det = ul.AnomalyDetector(4, hidden=2, warmup=20)
    for x in normal_stream(19):
        det.learn_one(x)
    assert det.threshold == math.inf
    assert not det.is_anomaly([100.0, -100.0, 100.0, -100.0])


def test_score_is_the_mean_squared_reconstruction_error(ul):
    det = ul.AnomalyDetector(3, hidden=2, standardize=False)
    K = ul.backend.K
    x = K.load_vec([0.5, -1.0, 2.0], K.vec(3))
    r = K.tolist(det.dec.forward(det.enc.forward(x)))
    expected = sum((a - b) ** 2 for a, b in zip(r, [0.5, -1.0, 2.0])) / 3
    assert math.isclose(det.score_one([0.5, -1.0, 2.0]), expected, rel_tol=1e-5)
    assert math.isclose(det.learn_one([0.5, -1.0, 2.0]), expected, rel_tol=1e-5)
    assert det.score_one([0.5, -1.0, 2.0]) < expected


def test_gradient_matches_finite_differences(ul):
    # the backward pass through decoder and encoder against numerical slopes
    det = ul.AnomalyDetector(3, hidden=2, standardize=False, optimizer=ul.SGD(1e-3))
    K = ul.backend.K
    x = [0.3, -0.8, 1.1]
    W0 = K.tolist(det.enc.W)
    eps = 1e-2
    slopes = []
    for k in range(len(W0)):
        vals = []
        for sign in (1, -1):
            w = list(W0)
            w[k] += sign * eps
            K.fill(det.enc.W, w)
            vals.append(det.score_one(x))
        slopes.append((vals[0] - vals[1]) / (2 * eps))
    K.fill(det.enc.W, W0)
    det.learn_one(x)
    step = [(a - b) / 1e-3 for a, b in zip(W0, K.tolist(det.enc.W))]
    assert all(abs(s - g) <= 2e-3 + 0.02 * abs(s) for s, g in zip(slopes, step)), (slopes, step)
