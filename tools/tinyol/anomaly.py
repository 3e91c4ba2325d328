"""Section 2 runs: the AnomalyDetector decides, then learns, along Shuttle and
KDD-TSAD 135 (every seed, grid setting and learning policy, in a process pool)."""
import time

import devicepkg
import numpy as np
from ulearn_host import datasets as D

from tools.benchkit import note, pool_map

from .data import DATA, shuttle
from .settings import AD, KDD_GRID, KDD_TEST_START, KDD_W, POLICIES, SHUTTLE_GRID


def make_detector(n, seed, hidden, k):
    ul = devicepkg.use("numpy")
    return ul.AnomalyDetector(
        n, hidden, optimizer=ul.SGD(AD["lr"], AD["momentum"], 0.0, AD["clip"]),
        k=k, alpha=AD["alpha"], warmup=AD["warmup"], seed=seed)


def detect_stream(det, X, policy, keep_threshold=False):
    # prequential: decide with the current threshold (exactly is_anomaly), then learn
    n = len(X)
    score = np.empty(n)
    flag = np.zeros(n, dtype=bool)
    thr = np.empty(n) if keep_threshold else None
    for i in range(n):
        x = X[i]
        s = det.score_one(x)
        th = det.threshold
        score[i] = s
        flag[i] = s > th
        if thr is not None:
            thr[i] = th
        if policy == "all" or not flag[i]:
            det.learn_one(x)
    return score, flag, thr


def shuttle_task(task):
    seed, hidden, k, policy = task
    X, _ = shuttle()
    score, flag, _ = detect_stream(make_detector(X.shape[1], seed, hidden, k), X, policy)
    return score.astype(np.float32), flag


def kdd_series(variant):
    t = DATA["kdd"].test.astype(np.float64)
    if variant == "diff":
        return np.concatenate([[0.0], np.diff(t)]), 1  # first usable point
    return t, 0


def kdd_task(task):
    seed, variant, W, hidden, k, policy, keep = task
    series, first = kdd_series(variant)
    det = make_detector(W, seed, hidden, k)
    for w in D.sliding_windows(series[first:KDD_TEST_START], W):  # the train part, one pass
        det.learn_one(w)
    test = D.sliding_windows(series[KDD_TEST_START - W + 1:], W)  # windows ending at 1200..7500
    score, flag, thr = detect_stream(det, test, policy, keep)
    return score, flag, thr


def kdd_key(seed, g, policy, seeds):
    # the KDD task of one seed, grid point g and policy; the threshold is kept
    # (for the plot) in the first seed at the main setting
    keep = seed == seeds[0] and g["W"] == KDD_W and g["k"] == AD["k"]
    return (seed, g["variant"], g["W"], AD["hidden"], g["k"], policy, keep)


def _dispatch(t):
    kind, task = t
    return shuttle_task(task) if kind == "s" else kdd_task(task)


def run(args, seeds):
    """Every run of section 2: grid and kgrid (None without KDD), sres
    ((seed, hidden, k, policy) -> (score, flag)) and kres (kdd_key ->
    (score, flag, threshold or None))."""
    t0 = time.time()
    grid = SHUTTLE_GRID if not args.quick else [dict(hidden=AD["hidden"], k=k) for k in (2.0, 3.0)]
    if dict(hidden=AD["hidden"], k=AD["k"]) not in grid:
        grid.append(dict(hidden=AD["hidden"], k=AD["k"]))
    tasks = [(seed, g["hidden"], g["k"], pol) for g in grid for pol in POLICIES for seed in seeds]
    kgrid = None
    ktasks = []
    if "kdd" in DATA:
        kgrid = KDD_GRID if not args.quick else [dict(variant=v, W=KDD_W, k=AD["k"]) for v in ("raw", "diff")]
        ktasks = [kdd_key(seed, g, pol, seeds) for g in kgrid for pol in POLICIES for seed in seeds]
    note("section 2: %d Shuttle runs, %d KDD runs" % (len(tasks), len(ktasks)))
    res = pool_map(_dispatch, [("s", t) for t in tasks] + [("k", t) for t in ktasks], args.jobs, "anomaly")
    note("section 2 done in %.0f s" % (time.time() - t0))
    return dict(grid=grid, kgrid=kgrid, sres=dict(zip(tasks, res[:len(tasks)])),
                kres=dict(zip(ktasks, res[len(tasks):])))
