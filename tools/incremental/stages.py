"""The benchmark's run stages, each a batch of runs on the worker pool: the
front-end comparison, the tuning of every row, the tuning of the adaptive
model (all on validation), and the test runs."""
import numpy as np

from tools.benchkit import pool_map

from . import data
from .runs import finals, job, run_job
from .settings import (ADAPT_TOL, FRACTION, FRONT_ENDS, HOST_DEFAULT, METHODS_BOARD, METHODS_HOST,
                       REPLAY_METHODS, SWEEP_STREAMS, grid, sweep_fracs, ts)


def _longest_first(jobs_):
    # Fashion-MNIST, then board runs: better packing on the workers
    return sorted(jobs_, key=lambda j: (j[1] != "fashion", j[0] != "board"))


def stage_front_end(args, streams, tseeds):
    """Which front end: validation accuracy on the host path (default settings).
    Returns (chosen front end per stream, {(stream, fe): (accuracy per row,
    mean of the 1% rows)})."""
    keys = []
    for s in streams:
        for fe in FRONT_ENDS[s]:
            data.set_front_end(s, "tune", fe)
            keys += data.replay_keys(s, "tune", fe, REPLAY_METHODS, FRACTION, ts(s, tseeds))
    data.make_replay_sets(keys, args.jobs)
    rows_ = ("joint",) + REPLAY_METHODS
    jobs_ = [job("host", s, "tune", fe, m, HOST_DEFAULT, sd)
             for s in streams for fe in FRONT_ENDS[s] for m in rows_ for sd in ts(s, tseeds)]
    res = dict(zip(jobs_, pool_map(run_job, jobs_, args.jobs, "front ends", " runs")))
    chosen, scores = {}, {}
    for s in streams:
        best = None
        for fe in FRONT_ENDS[s]:
            acc = {m: np.mean(finals([res[job("host", s, "tune", fe, m, HOST_DEFAULT, sd)]
                                      for sd in ts(s, tseeds)])) for m in rows_}
            score = np.mean([acc[m] for m in REPLAY_METHODS])
            scores[s, fe] = (acc, score)
            if fe != "raw14" and (best is None or score > best[0]):
                best = (score, fe)
        chosen[s] = best[1]
    return chosen, scores


def stage_tune(args, streams, fe, tseeds):
    """Every row's lr (and k) on validation. Returns (best settings per (path,
    stream, row), validation accuracy per (path, stream, row[, settings]),
    the settings tried per (path, stream, row))."""
    blr, bk, hlr, hk, _ = grid(args)
    keys = []
    for s in streams:
        data.set_front_end(s, "tune", fe[s])
        keys += data.replay_keys(s, "tune", fe[s], REPLAY_METHODS, FRACTION, ts(s, tseeds))
    data.make_replay_sets(keys, args.jobs)
    cfgs = {}
    for s in streams:
        for m in METHODS_BOARD:
            ks = bk if m not in ("none", "joint") else (0,)
            cfgs["board", s, m] = [dict(lr=lr, k=k) for lr in blr for k in ks]
        for m in METHODS_HOST:
            ks = hk if m in REPLAY_METHODS else (0,)
            cfgs["host", s, m] = [dict(lr=lr, k=k) for lr in hlr for k in ks]
    jobs_ = _longest_first([job(p, s, "tune", fe[s], m, c, sd)
                            for (p, s, m), cs in cfgs.items() for c in cs for sd in ts(s, tseeds)])
    res = dict(zip(jobs_, pool_map(run_job, jobs_, args.jobs, "tuning", " runs")))
    best, val = {}, {}
    for (p, s, m), cs in cfgs.items():
        scored = []
        for c in cs:
            acc = float(np.mean(finals([res[job(p, s, "tune", fe[s], m, c, sd)] for sd in ts(s, tseeds)])))
            scored.append((acc, c))
            val[p, s, m, tuple(sorted(c.items()))] = acc
        acc, c = max(scored, key=lambda a: a[0])
        best[p, s, m] = c
        val[p, s, m] = acc
    return best, val, cfgs


def stage_adapt_tune(args, streams, fe, tseeds, best, val):
    """Adaptive model on validation, with dm 1% and the dm row's lr/k. Returns
    (chosen settings per (path, stream), {(path, stream): (picked adaptive
    settings, [(accuracy, training FLOPs, adaptive settings, final width)])})."""
    *_, agrid = grid(args)
    jobs_ = _longest_first([job(p, s, "tune", fe[s], "adaptive", dict(best[p, s, "dm"], **a), sd)
                            for p in ("board", "host") for s in streams for a in agrid
                            for sd in ts(s, tseeds)])
    res = dict(zip(jobs_, pool_map(run_job, jobs_, args.jobs, "tuning the adaptive model", " runs")))
    chosen, tried = {}, {}
    for p in ("board", "host"):
        for s in streams:
            scored = []
            for a in agrid:
                c = dict(best[p, s, "dm"], **a)
                rr = [res[job(p, s, "tune", fe[s], "adaptive", c, sd)] for sd in ts(s, tseeds)]
                scored.append((float(np.mean(finals(rr))), float(np.mean([r["train_flops"] for r in rr])),
                               a, float(np.mean([r["width"] for r in rr]))))
            ok = [x for x in scored if x[0] >= val[p, s, "dm"] - ADAPT_TOL]
            pick = min(ok, key=lambda x: x[1]) if ok else max(scored, key=lambda x: x[0])
            chosen[p, s] = dict(best[p, s, "dm"], **pick[2])
            tried[p, s] = (pick[2], scored)
    return chosen, tried


def stage_final(args, streams, fe, seeds, best, adapt):
    """The test runs: every row with its tuned settings, the adaptive model and
    its never-grown start width ("small"), and the replay-budget sweep."""
    keys = []
    for s in streams:
        data.set_front_end(s, "final", fe[s])
        keys += data.replay_keys(s, "final", fe[s], REPLAY_METHODS, FRACTION, seeds)
        if s in SWEEP_STREAMS:
            for fr in sweep_fracs(args):
                keys += data.replay_keys(s, "final", fe[s], REPLAY_METHODS, fr, seeds)
    data.make_replay_sets(keys, args.jobs)
    jobs_ = []
    for s in streams:
        for p, methods in (("board", METHODS_BOARD), ("host", METHODS_HOST)):
            for m in methods:
                jobs_ += [job(p, s, "final", fe[s], m, best[p, s, m], sd) for sd in seeds]
            jobs_ += [job(p, s, "final", fe[s], m, adapt[p, s], sd) for m in ("adaptive", "small")
                      for sd in seeds]
            if s in SWEEP_STREAMS:
                for fr in sweep_fracs(args):
                    for m in REPLAY_METHODS:
                        jobs_ += [job(p, s, "final", fe[s], m, best[p, s, m], sd, fr) for sd in seeds]
    order = _longest_first(jobs_)
    return dict(zip(order, pool_map(run_job, order, args.jobs, "test runs", " runs")))
