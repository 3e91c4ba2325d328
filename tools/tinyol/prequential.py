"""Section 1 runs: every learner predicts, then learns, each sample of seeded
streams (in a process pool); trivial baselines; time per sample; and the
batch softmax ceiling."""
import sys
import time

import devicepkg
import numpy as np
from tqdm import tqdm

from tools.benchkit import note, pool_map

from .data import DATA, dataset_of, stream_order
from .settings import (BASELINES, CLF_SGD, GRID_LR, GRID_MOM, LEARNERS, MAIN, QUICK_GRID_LR,
                       QUICK_GRID_MOM, STREAMS)


def make_learner(kind, d, lr, momentum=0.0):
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
    # one learner on one seeded stream: per-sample correctness (predict, then learn)
    stream, seed, kind, lr, mom = task
    d = dataset_of(stream)
    model = make_learner(kind, d, lr, mom)
    idx = stream_order(stream, seed)
    ok = np.zeros(len(idx), dtype=bool)
    X, y, dicts = d["X"], d["y"], d["dicts"]
    if kind == "ulearn":
        for n, i in enumerate(idx):
            t = int(y[i])
            ok[n] = model.predict_one(X[i]) == t
            model.learn_one(X[i], t)
    else:
        for n, i in enumerate(idx):
            t = int(y[i])
            ok[n] = model.predict_one(dicts[i]) == t
            model.learn_one(dicts[i], t)
    return ok


def baseline_ok(stream, seed, kind):
    # per-sample correctness of a trivial stream baseline (no features used)
    y = dataset_of(stream)["y"][stream_order(stream, seed)]
    ok = np.zeros(len(y), dtype=bool)
    counts = {}
    prev = None
    for n, t in enumerate(y.tolist()):
        if kind == "nochange":
            ok[n] = prev == t
        else:
            ok[n] = bool(counts) and max(counts, key=counts.get) == t
        prev = t
        counts[t] = counts.get(t, 0) + 1
    return ok


def recording_positions(stream, seeds):
    # for each seed: position of every stream sample within its recording (0 = first window)
    out = []
    rec = DATA["watch"]["rec"]
    for seed in seeds:
        r = rec[stream_order(stream, seed)]
        pos = np.zeros(len(r), dtype=int)
        for n in range(1, len(r)):
            pos[n] = pos[n - 1] + 1 if r[n] == r[n - 1] else 0
        out.append(pos)
    return out


def time_learners():
    # one run per learner and dataset (seed 0, i.i.d. order), single process
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
            res[stream, kind] = (tp / len(xs) * 1e6, tl / len(xs) * 1e6)
    return res


def ceilings(seeds):
    # batch softmax (multinomial logistic regression) on standardised features
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def model():
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name in ("watch", "digits"):
            d = DATA[name]
            X, y = d["X"].astype(np.float64), d["y"]
            cv = [cross_val_score(model(), X, y, cv=StratifiedKFold(5, shuffle=True, random_state=s)).mean()
                  for s in tqdm(seeds, desc="ceiling " + name, file=sys.stderr, disable=None, leave=False)]
            out[name, "cv"] = cv
            if name == "watch":
                out[name, "group"] = [cross_val_score(
                    model(), X, y, groups=d["rec"],
                    cv=StratifiedGroupKFold(5, shuffle=True, random_state=s)).mean() for s in seeds]
            out[name, "resub"] = model().fit(X, y).score(X, y)
    return out


def grid_configs(quick):
    # (learner, lr, momentum) of every run: the grid, plus the MAIN settings
    lrs = QUICK_GRID_LR if quick else GRID_LR
    moms = QUICK_GRID_MOM if quick else GRID_MOM
    configs = [("ulearn", lr, m) for lr in lrs for m in moms]
    configs += [(k, lr, 0.0) for k in ("river_ovr", "river_softmax") for lr in lrs]
    for c in MAIN.values():
        if c not in configs:
            configs.append(c)
    return configs


def oks(r, stream, kind):
    # per-seed correctness arrays of a learner (at its MAIN setting) or a baseline
    return r["runs"][(stream,) + MAIN[kind]] if kind in LEARNERS else r["base"][stream, kind]


def run(args, seeds):
    """Every measurement of section 1: configs, timing, ceil, runs
    ((stream, learner, lr, momentum) -> per-seed correctness), base
    (baselines), pos (recording positions, watch_rec) and curves
    (cumulative accuracy, seeds x samples)."""
    t0 = time.time()
    configs = grid_configs(args.quick)
    note("section 1: timing (single process)")
    timing = time_learners()
    note("section 1: ceilings")
    ceil = ceilings(seeds)
    tasks = [(s, seed, k, lr, m) for s in STREAMS for (k, lr, m) in configs for seed in seeds]
    note("section 1: %d prequential runs" % len(tasks))
    runs = {}
    for t, ok in zip(tasks, pool_map(prequential_task, tasks, args.jobs, "prequential")):
        runs.setdefault(t[:1] + t[2:], []).append(ok)
    r = dict(configs=configs, timing=timing, ceil=ceil, runs=runs,
             base={(s, b): [baseline_ok(s, seed, b) for seed in seeds] for s in STREAMS for b in BASELINES},
             pos=recording_positions("watch_rec", seeds))
    r["curves"] = {(s, k): np.array([np.cumsum(o) / np.arange(1, len(o) + 1) for o in oks(r, s, k)])
                   for s in STREAMS for k in LEARNERS + BASELINES}
    note("section 1 done in %.0f s" % (time.time() - t0))
    return r
