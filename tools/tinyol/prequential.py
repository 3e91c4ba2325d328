"""Section 1 runs: every learner predicts, then learns, each sample of seeded
streams (in a process pool); trivial baselines; time per sample; and the
batch softmax ceiling. run() keeps, per seed, every figure the page shows."""
import sys
import time

import numpy as np
from tqdm import tqdm
from ulearn_host import evaluate

from ulearn_dev import devicepkg
from ulearn_dev.benchkit import note, pool_map

from .data import DATA, dataset_of, stream_order
from .settings import (BASELINES, CLF_SGD, EVERY, GRID_LR, GRID_MOM, LEARNERS, MAIN, QUICK_GRID_LR,
                       QUICK_GRID_MOM, STREAMS, TAIL)


class Baseline:
    """A trivial stream baseline (no features used): *nochange* predicts the
    previous sample's label, *majority* the most frequent label so far."""

    def __init__(self, kind):
        self.kind, self.prev, self.counts = kind, None, {}

    def predict_one(self, x):
        if self.kind == "nochange" or not self.counts:
            return self.prev
        return max(self.counts, key=self.counts.get)

    def learn_one(self, x, y):
        self.prev = y
        self.counts[y] = self.counts.get(y, 0) + 1


def make_learner(kind, d, lr, momentum=0.0):
    if kind in BASELINES:
        return Baseline(kind)
    if kind == "ulearn":
        ul = devicepkg.use("numpy")
        return ul.Classifier(d["X"].shape[1], d["n_classes"], optimizer=ul.SGD(
            lr, momentum, CLF_SGD["weight_decay"], CLF_SGD["clip"]), standardize=True)
    from river import linear_model, multiclass, optim, preprocessing
    if kind == "river_ovr":
        head = multiclass.OneVsRestClassifier(linear_model.LogisticRegression(
            optimizer=optim.SGD(lr), intercept_lr=lr))
    else:
        head = linear_model.SoftmaxRegression(optimizer=optim.SGD(lr))
    return preprocessing.StandardScaler() | head


def prequential_task(task):
    # one learner (or baseline) on one seeded stream: per-sample correctness (predict, then learn)
    stream, seed, kind, lr, mom = task
    d = dataset_of(stream)
    model = make_learner(kind, d, lr, mom)
    idx = stream_order(stream, seed)
    rows = d["X"] if kind == "ulearn" else d["dicts"]
    return evaluate.prequential(model, (rows[i] for i in idx), [int(v) for v in d["y"][idx]])


def recording_position(stream, seed):
    # position of every stream sample within its recording (0 = first window)
    r = DATA["watch"]["rec"][stream_order(stream, seed)]
    pos = np.zeros(len(r), dtype=int)
    for n in range(1, len(r)):
        pos[n] = pos[n - 1] + 1 if r[n] == r[n - 1] else 0
    return pos


def time_learners():
    # µs per predict_one and per learn_one: one run per learner and dataset (seed 0, i.i.d. order), alone
    res = {}
    for stream in ("watch_iid", "digits"):
        d = dataset_of(stream)
        idx = stream_order(stream, 0)
        for kind in LEARNERS:
            _, lr, mom = MAIN[kind]
            model = make_learner(kind, d, lr, mom)
            xs = [d["X"][i] for i in idx] if kind == "ulearn" else [d["dicts"][i] for i in idx]
            ys = [int(d["y"][i]) for i in idx]
            tp = tl = 0.0
            pc = time.perf_counter
            for x, t in zip(tqdm(xs, desc="timing %s %s" % (kind, stream), file=sys.stderr,
                                 disable=None, leave=False), ys):
                a = pc()
                model.predict_one(x)
                b = pc()
                model.learn_one(x, t)
                tl += pc() - b
                tp += b - a
            res.setdefault(stream, {})[kind] = [tp / len(xs) * 1e6, tl / len(xs) * 1e6]
    return res


def ceilings(seeds):
    # batch softmax (multinomial logistic regression) on standardised features
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def score(X, y, cv, groups=None):
        return float(cross_val_score(model(), X, y, groups=groups, cv=cv).mean())

    def model():
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name in ("watch", "digits"):
            d = DATA[name]
            X, y = d["X"].astype(np.float64), d["y"]
            bar = tqdm(seeds, desc="ceiling " + name, file=sys.stderr, disable=None, leave=False)
            c = out[name] = {"cv": [score(X, y, StratifiedKFold(5, shuffle=True, random_state=s)) for s in bar]}
            if name == "watch":
                c["group"] = [score(X, y, StratifiedGroupKFold(5, shuffle=True, random_state=s), d["rec"])
                              for s in seeds]
            c["resub"] = float(model().fit(X, y).score(X, y))
    return out


def grid_configs(quick):
    # (learner, lr, momentum) of every run: the grid, plus the MAIN settings
    lrs = QUICK_GRID_LR if quick else GRID_LR
    moms = QUICK_GRID_MOM if quick else GRID_MOM
    configs = [("ulearn", lr, m) for lr in lrs for m in moms]
    configs += [(k, lr, 0.0) for k in ("river_ovr", "river_softmax") for lr in lrs]
    return configs + [c for c in MAIN.values() if c not in configs]


def run(args, seeds):
    """(figures, curves): section 1's figures, per seed (JSON-ready: streams,
    recordings, timing, ceilings, grid); curves[stream, learner] the
    cumulative accuracy along the stream (seeds x samples), for the plot."""
    configs = grid_configs(args.quick)
    note("section 1: timing (single process)")
    timing = time_learners()
    note("section 1: ceilings")
    ceil = ceilings(seeds)
    kinds, main = LEARNERS + BASELINES, dict(MAIN, **{b: (b, 0.0, 0.0) for b in BASELINES})
    tasks = [(s, seed, k, lr, m) for s in STREAMS for (k, lr, m) in configs + [main[b] for b in BASELINES]
             for seed in seeds]
    note("section 1: %d prequential runs" % len(tasks))
    runs = {}
    for t, ok in zip(tasks, pool_map(prequential_task, tasks, args.jobs, "prequential")):
        runs.setdefault(t[:1] + t[2:], []).append(ok)

    def oks(s, k):  # per-seed correctness of a learner at its MAIN setting, or of a baseline
        return runs[(s,) + main[k]]
    curves = {(s, k): np.array([np.cumsum(o) / np.arange(1, len(o) + 1) for o in oks(s, k)])
              for s in STREAMS for k in kinds}
    streams = {}
    for s in STREAMS:
        n = len(stream_order(s, seeds[0]))
        marks = list(range(EVERY[s], n, EVERY[s])) + [n]
        streams[s] = dict(n=n, features=int(dataset_of(s)["X"].shape[1]), classes=dataset_of(s)["n_classes"],
                          marks=marks, tail_n=min(TAIL[s], n),
                          acc={k: [[float(c[m - 1]) for m in marks] for c in curves[s, k]] for k in kinds},
                          tail={k: [float(o[-TAIL[s]:].mean()) for o in oks(s, k)] for k in kinds})
    pos = [recording_position("watch_rec", seed) for seed in seeds]
    recordings = {k: [[float(o[ps == j].mean()) for j in range(5)] + [float(o[ps >= 5].mean())]
                      for o, ps in zip(oks("watch_rec", k), pos)] for k in kinds}
    grid = [dict(learner=k, lr=lr, momentum=m, final={s: [float(o.mean()) for o in runs[s, k, lr, m]]
                                                      for s in STREAMS}) for k, lr, m in configs]
    return dict(streams=streams, recordings=recordings, timing=timing, ceilings=ceil, grid=grid), curves
