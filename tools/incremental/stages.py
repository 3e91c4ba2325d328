"""The benchmark's run stages, each a batch of runs on the worker pool: the
front-end comparison, the tuning of every row, the tuning of the adaptive
model (all on validation), and the test runs. Each returns its figures as
JSON-ready data, per seed: ``[p][s][m]`` is path, stream, row."""
import numpy as np

from ulearn_dev import devicepkg
from ulearn_dev.benchkit import pool_map

from . import data
from .runs import finals, flops_of, job, run_job
from .settings import (ADAPT_TOL, FRACTION, FRONT_ENDS, HIDDEN, HOST_DEFAULT, PATHS, REPLAY_METHODS,
                       SWEEP_STREAMS, grid, sweep_fracs, ts)


def run(jobs_, what, n_proc):
    """{job: result}: the front ends and replay sets the jobs need are made
    first (in this process: the workers inherit them); Fashion-MNIST, then
    board runs, go first for better packing on the workers."""
    keys = []
    for path, s, phase, fe, m, _, seed, fraction in jobs_:
        data.set_front_end(s, phase, fe)
        m = "dm" if m in ("adaptive", "small") else m
        keys += data.replay_keys(s, phase, fe, (m,), fraction, (seed,))
    data.make_replay_sets(keys, n_proc)
    order = sorted(jobs_, key=lambda j: (j[1] != "fashion", j[0] != "board"))
    return dict(zip(order, pool_map(run_job, order, n_proc, what, " runs")))


def fe_score(val):
    """A front end's score: the mean over the three 1% replay rows of their
    mean validation accuracy."""
    return float(np.mean([np.mean(val[m]) for m in REPLAY_METHODS]))


def front_end(args, streams, tseeds):
    """Which front end: validation accuracy on the host path (default settings).
    Returns ({stream: chosen}, {stream: {front end: {row: accuracy per seed}}})."""
    rows = ("joint",) + REPLAY_METHODS
    jobs_ = [job("host", s, "tune", fe, m, HOST_DEFAULT, sd)
             for s in streams for fe in FRONT_ENDS[s] for m in rows for sd in ts(s, tseeds)]
    res = run(jobs_, "front ends", args.jobs)
    val = {s: {fe: {m: finals([res[job("host", s, "tune", fe, m, HOST_DEFAULT, sd)] for sd in ts(s, tseeds)])
                    for m in rows} for fe in FRONT_ENDS[s]} for s in streams}
    return {s: max((fe for fe in FRONT_ENDS[s] if fe != "raw14"), key=lambda fe: fe_score(val[s][fe]))
            for s in streams}, val


def tune(args, streams, fe, tseeds):
    """Every row's lr (and k) on validation: [p][s][m] = {"best": settings,
    "tried": [{"cfg": settings, "val": accuracy per seed}]}."""
    blr, bk, hlr, hk, _ = grid(args)
    cfgs = {}
    for s in streams:  # k: replayed rows per new one; 0 without a memory
        for (p, methods), lrs, ks in zip(PATHS, (blr, hlr), (bk, hk)):
            for m in methods:
                mem = m in REPLAY_METHODS or (p == "board" and m == "reservoir")
                cfgs[p, s, m] = [dict(lr=lr, k=k) for lr in lrs for k in (ks if mem else (0,))]
    res = run([job(p, s, "tune", fe[s], m, c, sd) for (p, s, m), cs in cfgs.items() for c in cs
               for sd in ts(s, tseeds)], "tuning", args.jobs)
    out = {}
    for (p, s, m), cs in cfgs.items():
        tried = [dict(cfg=c, val=finals([res[job(p, s, "tune", fe[s], m, c, sd)] for sd in ts(s, tseeds)]))
                 for c in cs]
        best = max(tried, key=lambda t: float(np.mean(t["val"])))
        out.setdefault(p, {}).setdefault(s, {})[m] = dict(best=best["cfg"], tried=tried)
    return out


def adapt_tune(args, streams, fe, tseeds, tuned):
    """The adaptive model on validation, with dm 1% and the dm row's lr/k:
    [p][s] = {"pick": adaptive settings, "tried": [{"adapt", "val",
    "train_flops", "width"}, per seed]}. Rule: among the settings within
    ADAPT_TOL of the fixed model's validation accuracy the one with the fewest
    training FLOPs; if none is, the most accurate."""
    *_, agrid = grid(args)
    res = run([job(p, s, "tune", fe[s], "adaptive", dict(tuned[p][s]["dm"]["best"], **a), sd)
               for p, _ in PATHS for s in streams for a in agrid for sd in ts(s, tseeds)],
              "tuning the adaptive model", args.jobs)
    out = {}
    for p, _ in PATHS:
        for s in streams:
            dm = tuned[p][s]["dm"]
            tried = []
            for a in agrid:
                c = dict(dm["best"], **a)
                rr = [res[job(p, s, "tune", fe[s], "adaptive", c, sd)] for sd in ts(s, tseeds)]
                tried.append(dict(adapt=a, val=finals(rr), train_flops=[r["train_flops"] for r in rr],
                                  width=[r["width"] for r in rr]))
            fixed = max(float(np.mean(t["val"])) for t in dm["tried"])
            ok = [t for t in tried if float(np.mean(t["val"])) >= fixed - ADAPT_TOL]
            pick = (min(ok, key=lambda t: float(np.mean(t["train_flops"]))) if ok
                    else max(tried, key=lambda t: float(np.mean(t["val"]))))
            out.setdefault(p, {})[s] = dict(pick=pick["adapt"], tried=tried)
    return out


def final(args, streams, fe, seeds, tuned, adapt):
    """The test runs: every row with its tuned settings, the adaptive model and
    its never-grown start width ("small"); the replay-budget sweep; the FLOPs
    of every width the adaptive model passes through. Returns (runs
    [p][s][m] = {"cfg", and per seed "A", "train_flops", "inf_flops", "secs",
    "width", "sizes"}, sweep [p][s][m][fraction] = final accuracy per seed,
    sizes [p][s] = [[width, FLOPs/inference, FLOPs/train step]])."""
    cfgs, sweep_jobs = {}, []
    for s in streams:
        for p, methods in PATHS:
            a = dict(tuned[p][s]["dm"]["best"], **adapt[p][s]["pick"])
            for m in methods + ("adaptive", "small"):
                cfgs[p, s, m] = a if m in ("adaptive", "small") else tuned[p][s][m]["best"]
            if s in SWEEP_STREAMS:
                sweep_jobs += [job(p, s, "final", fe[s], m, cfgs[p, s, m], sd, fr)
                               for fr in sweep_fracs(args) for m in REPLAY_METHODS for sd in seeds]
    res = run([job(p, s, "final", fe[s], m, c, sd) for (p, s, m), c in cfgs.items() for sd in seeds]
              + sweep_jobs, "test runs", args.jobs)
    runs, sweep, sizes = {}, {}, {}
    ul = devicepkg.use("numpy")
    for (p, s, m), c in cfgs.items():
        rr = [res[job(p, s, "final", fe[s], m, c, sd)] for sd in seeds]
        runs.setdefault(p, {}).setdefault(s, {})[m] = dict(
            cfg=c, A=[r["A"].tolist() for r in rr], **{k: [r[k] for r in rr] for k in (
                "train_flops", "inf_flops", "secs", "width", "sizes")})
        if m in REPLAY_METHODS and s in SWEEP_STREAMS:
            sweep.setdefault(p, {}).setdefault(s, {})[m] = {"%g" % fr: finals(
                [res[job(p, s, "final", fe[s], m, c, sd, fr)] for sd in seeds]) for fr in (FRACTION,)
                + tuple(sweep_fracs(args))}
        if m == "adaptive":  # FLOPs at every size, all classes present (board: with its replay_k)
            d = data.DATA[s, "final"]
            widths = sorted(set(w for r in rr for w, _ in r["sizes"]) | {HIDDEN})
            k = c["k"] if p == "board" else 0
            sizes.setdefault(p, {})[s] = [[w] + list(flops_of(ul, d["Xtr"].shape[1], d["n_classes"], w,
                                                               d["n_classes"], k, fe[s] == "ext1")[:2])
                                          for w in widths]
    return runs, sweep, sizes
