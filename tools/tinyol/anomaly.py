"""Section 2 runs: the AnomalyDetector decides, then learns, along Shuttle and
KDD-TSAD 135 (every seed, grid setting and learning policy, in a process
pool), scored in the workers: precision / recall / F1 of the flags, ROC AUC
of the scores and, on KDD-TSAD 135, the event measures (detected, first
flag, false alarms, UCR hit)."""
import numpy as np
from ulearn_host import datasets as D

from ulearn_dev import devicepkg
from ulearn_dev.benchkit import note, pool_map

from .data import DATA, shuttle
from .settings import AD, KDD_ANOM, KDD_GRID, KDD_TEST_START, KDD_W, POLICIES, SHUTTLE_GRID


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


def prf(y, flag):
    tp = int(np.sum(flag & (y == 1)))
    fp = int(np.sum(flag & (y == 0)))
    fn = int(np.sum(~flag & (y == 1)))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return dict(p=p, r=r, f=f)


def auc(y, s):
    from sklearn.metrics import roc_auc_score
    return float(roc_auc_score(y, s))


def kdd_labels(W):
    # end point of every scored window, and whether the window overlaps the anomaly
    ends = np.arange(KDD_TEST_START, len(DATA["kdd"].test))
    lab = (ends >= KDD_ANOM[0]) & (ends - W + 1 <= KDD_ANOM[1])
    return ends, lab


def shuttle_task(task):
    seed, hidden, k, policy = task
    X, y = shuttle()
    score, flag, _ = detect_stream(make_detector(X.shape[1], seed, hidden, k), X, policy)
    return dict(prf(y, flag), auc=auc(y, score.astype(np.float32)), flagged=float(flag.mean() * 100))


def kdd_task(task):
    # (metrics, (score, threshold) when kept for the plot)
    seed, variant, W, hidden, k, policy, keep = task
    series = DATA["kdd"].test.astype(np.float64)
    first = 0
    if variant == "diff":
        series, first = np.concatenate([[0.0], np.diff(series)]), 1  # first usable point
    det = make_detector(W, seed, hidden, k)
    for w in D.sliding_windows(series[first:KDD_TEST_START], W):  # the train part, one pass
        det.learn_one(w)
    test = D.sliding_windows(series[KDD_TEST_START - W + 1:], W)  # windows ending at 1200..7500
    score, flag, thr = detect_stream(det, test, policy, keep)
    ends, lab = kdd_labels(W)
    hit = np.flatnonzero(flag & lab)
    fa = (flag & ~lab).astype(np.int8)
    top = int(np.argmax(score))
    # UCR archive convention: the top-scoring location within 100 points of the anomaly
    ucr = ends[top] >= KDD_ANOM[0] - 100 and ends[top] - W + 1 <= KDD_ANOM[1] + 100
    m = dict(prf(lab.astype(int), flag), auc=auc(lab.astype(int), score), detected=len(hit) > 0,
             first=int(ends[hit[0]]) if len(hit) else None, fa=int(fa.sum()),
             fa_events=int(np.sum(np.diff(np.concatenate([[0], fa])) == 1)), ucr=bool(ucr), top=int(ends[top]))
    return m, ((score, thr) if keep else None)


def _dispatch(t):
    kind, task = t
    return shuttle_task(task) if kind == "s" else kdd_task(task)


def _per_seed(results):
    return {key: [r[key] for r in results] for key in results[0]}


def run(args, seeds):
    """(figures, traces): per grid point and policy, every metric per seed
    (JSON-ready); traces[variant, policy] = (score, threshold) along KDD-TSAD
    135 of the first seed at the main setting, for the plot."""
    main = dict(hidden=AD["hidden"], k=AD["k"])
    grid = list(SHUTTLE_GRID) if not args.quick else [dict(hidden=AD["hidden"], k=k) for k in (2.0, 3.0)]
    grid += [main] if main not in grid else []
    tasks = [("s", (seed, g["hidden"], g["k"], pol)) for g in grid for pol in POLICIES for seed in seeds]
    kgrid = []
    if "kdd" in DATA:
        kgrid = KDD_GRID if not args.quick else [dict(variant=v, W=KDD_W, k=AD["k"]) for v in ("raw", "diff")]
    tasks += [("k", (seed, g["variant"], g["W"], AD["hidden"], g["k"], pol,
                     seed == seeds[0] and g["W"] == KDD_W and g["k"] == AD["k"]))
              for g in kgrid for pol in POLICIES for seed in seeds]
    note("section 2: %d runs" % len(tasks))
    out = iter(pool_map(_dispatch, tasks, args.jobs, "anomaly"))
    _, ys = shuttle()
    res = dict(shuttle=dict(n=len(ys), rate=float(ys.mean()), limit=DATA["limits"].get("shuttle"), rows=[
        dict(g, policy=pol, **_per_seed([next(out) for _ in seeds])) for g in grid for pol in POLICIES]))
    if "kdd" not in DATA:
        return dict(res, kdd=dict(error=DATA["kdd_error"])), {}
    rows, traces = [], {}
    for g in kgrid:
        for pol in POLICIES:
            mm = [next(out) for _ in seeds]
            rows.append(dict(g, policy=pol, **_per_seed([m for m, _ in mm])))
            for _, trace in mm:
                if trace is not None:
                    traces[g["variant"], pol] = trace
    n = len(DATA["kdd"].test)
    return dict(res, kdd=dict(n_test=n - KDD_TEST_START, last=n - 1, rows=rows)), traces
