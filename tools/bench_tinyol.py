#!/usr/bin/env python
"""Benchmark of ulearn's TinyOL learners on real data: a JSON result, and the page rendered from it.

Section 1: prequential (predict, then learn) accuracy of ulearn's Classifier and
river's logistic regressions on smartwatch IMU windows and digits 8x8, against
a batch softmax; time per sample; the learning-rate grid. Section 2: the
AnomalyDetector on Shuttle and KDD-TSAD 135, decide then learn. Not a timed
test: a missed expectation is reported as measured. The runs are in
tools/tinyol/; the page is ``render(res)``. From the repository root::

    python tools/bench_tinyol.py --json docs/tinyol.json --out docs/benchmarks.md --plot docs/img
    python tools/bench_tinyol.py --quick            # smoke run: cut streams, small grids
    python tools/bench_tinyol.py --render docs/tinyol.json --out docs/benchmarks.md  # no measuring
"""
import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

from ulearn_dev import devicepkg
from ulearn_dev.benchkit import Laps, machine, ms, output_arguments, provenance, publish, table
from ulearn_dev.tinyol import anomaly, data, plots, prequential
from ulearn_dev.tinyol.settings import (AD, BASELINES, CLF_SGD, GRID_LR, GRID_MOM, KDD_ANOM, KDD_GRID,
                                        KDD_TEST_START, KDD_W, LEARNER_NAMES, LEARNERS, MAIN, POLICY_NAMES,
                                        RIVER_DEFAULT_LR, SHUTTLE_GRID, STREAM_NAMES, STREAMS)
from ulearn_host.report import headline

TITLE = "ulearn TinyOL benchmarks"
SUMMARY = ("ulearn's Classifier against river's online logistic regressions on three streams, predicting "
           "then learning each sample, with a batch softmax as the ceiling; the AnomalyDetector deciding, "
           "then learning, along Shuttle and KDD-TSAD 135. Mean ± std over %d seeds; the targets are this "
           "page's expectations, a miss reported as measured.")
PREQUENTIAL = (
    "## 1. Prequential streaming accuracy (predict, then learn)\n\n"
    "Each learner predicts each sample of the same stream, is scored, then learns it; accuracy is cumulative "
    "(*last N only*: over the last N samples). Mean ± std over {seeds} seeds; a seed sets the stream order "
    "only.\n\n"
    "* **ulearn Classifier**: `Classifier(n, n_classes, optimizer=SGD(lr={lr:g}, momentum={momentum:g}, "
    "weight_decay={weight_decay:g}, clip={clip:g}), standardize=True)`, numpy backend, float32 rows; one "
    "setting for every dataset, fixed after a one-seed look at lr 0.01/0.02/0.05/0.1 on the i.i.d. streams, "
    "before the grid was run.\n"
    "* **river OvR LogisticRegression** (`StandardScaler() | OneVsRestClassifier(LogisticRegression())`), "
    "**river SoftmaxRegression** (`StandardScaler() | SoftmaxRegression()`, no bias term): river defaults "
    "(SGD lr {river_lr:g}), fed dicts `{{i: float}}`.\n"
    "* **ceiling**: scikit-learn `StandardScaler() + LogisticRegression()` in batch, one accuracy per "
    "dataset: 5-fold stratified CV (seeds set the folds); for watch also grouped by recording (windows "
    "overlap by half, so plain folds leak); train-on-all / score-on-all (an optimistic bound).\n"
    "* **baselines**: *no-change* predicts the previous label, *majority* the most frequent so far.\n")
RECORDINGS = ("In recording order consecutive windows share their label (see no-change). Below: accuracy on "
              "the first windows of each recording, predicted before any of its windows was learned (1st) or "
              "after 1–4 of them, over the whole stream (early recordings included).\n")
TIMING = ("ulearn gets float32 rows, river dicts built beforehand (not timed). One run on a shared machine: "
          "timings vary from run to run.\n")
GRID = ("ulearn's `lr` is the step on the velocity: with momentum m the long-run step is lr / (1 - m); "
        "clip={clip:g}. river's LogisticRegression gets intercept_lr = lr. **Bold**: the setting of the "
        "tables above; best of grid: the highest mean per stream.\n")
ANOMALY = (
    "## 2. Anomaly detection (decide, then learn)\n\n"
    "`AnomalyDetector(n, hidden={hidden}, optimizer=SGD(lr={lr:g}, momentum={momentum:g}, clip={clip:g}), "
    "k={k:g}, alpha={alpha:g}, warmup={warmup}, seed=s)`, standardize=True, numpy backend, on both datasets "
    "(hidden and lr fixed after a one-seed look at Shuttle's first 20000 samples and KDD, not by best F1; "
    "the grids show the alternatives). Each sample is scored, flagged if above the adaptive `threshold` "
    "(as `is_anomaly`), then learned always or only if not flagged (the two policies); in the second the "
    "threshold sees only sub-threshold scores and can ratchet down. Precision / recall / F1: of the flags "
    "over the whole stream, warm-up (nothing flagged) included; ROC AUC: of the raw score, for context. "
    "Mean ± std over {seeds} seeds; **a seed changes only the detector's initialisation**, the streams are "
    "fixed.\n")
KDD = (
    "Windows of the last W points: the detector learns the train part (points 0–{train_end}) once, then runs "
    "over the {n_test} windows ending at t = {start} … {last}; those overlapping the anomaly are positive "
    "(W + {span}). **raw**: the values, standardised by the detector; **diff**: x[t] − x[t−1], *added after "
    "raw missed the anomaly on this series: chosen knowing the test series.* With diff, learning every "
    "sample, the threshold can jump above the anomaly once its first windows are learned (see the plot). "
    "Detected: seeds with a flagged positive window; first flag: its end t (the anomaly starts at {a0}); "
    "false alarms: flagged negative windows, and their runs; UCR hit: the top-scoring window lies within 100 "
    "points of the anomaly (the UCR archive's rule).\n")
DEVICE = ("The cost of a step on a board (time, heap, ulab operations): `python tools/bench_device.py`, "
          "[device.md](device.md).\n")
CEIL_CV = "ceiling: batch softmax, 5-fold CV (i.i.d. folds)"
CEIL_GROUP = "ceiling: batch softmax, 5-fold CV grouped by recording"
HEAD = ("# {title}\n\nReproduce from the repository root (≈ {elapsed:.0f} s on the machine below):\n\n"
        "```\n{command}\n```\n\nEnvironment: {environment}. Commit {commit}, {date}. Seeds: {seeds}.{quick} "
        "Run time per stage: {stages}.\n")
QUICK = " **Quick (smoke) run: cut streams, small grids.**"
QUICK_LIMITS = "**--quick run**: streams cut to the first %(watch)d (watch) / %(digits)d (digits) samples.\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=None, help="seeds per configuration (default 5; 2 with --quick)")
    ap.add_argument("--quick", action="store_true", help="fewer samples and a smaller grid (smoke run)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="worker processes for the accuracy runs (timings always run alone)")
    output_arguments(ap)
    args = ap.parse_args(argv)
    n_seeds = args.seeds if args.seeds is not None else (2 if args.quick else 5)
    if n_seeds < 1:
        ap.error("--seeds must be >= 1")
    # the plots are drawn while measuring: they need per-sample runs, which the result does not keep
    publish(args, lambda a: measure(a, list(range(n_seeds))), render)


def measure(args, seeds):
    """Run everything: the result in benchkit's format, but for what render() fills in."""
    import river
    import sklearn
    res = dict(benchmark="tinyol", title=TITLE, **provenance())
    res["environment"] = "CPython %s, numpy %s, river %s, scikit-learn %s; %s" % (
        platform.python_version(), np.__version__, river.__version__, sklearn.__version__, machine())
    lap = Laps()
    devicepkg.use("numpy")
    data.load_data(args.quick)  # before any pool forks: the workers inherit data.DATA
    pre, curves = prequential.run(args, seeds)
    lap("prequential")
    ano, traces = anomaly.run(args, seeds)
    lap("anomaly")
    written = plots.write(args.plot, curves, pre["ceilings"], traces, seeds) if args.plot else []
    if written:
        lap("plots")
    page_dir = os.path.dirname(os.path.abspath(args.out or "."))  # plot paths are relative to the page
    config = dict(classifier=CLF_SGD, river_lr=RIVER_DEFAULT_LR, grid_lr=GRID_LR, grid_momentum=GRID_MOM,
                  detector=AD, shuttle_grid=SHUTTLE_GRID, kdd_grid=KDD_GRID, kdd_w=KDD_W,
                  kdd_anomaly=KDD_ANOM, kdd_test_start=KDD_TEST_START, limits=data.DATA["limits"],
                  jobs=args.jobs)
    res.update(elapsed=round(time.time() - lap.start, 1), stages={k: round(v, 1) for k, v in lap.secs.items()},
               quick=args.quick, seeds=seeds, config=config, data=dict(pre, anomaly=ano),
               plots=[Path(os.path.relpath(os.path.abspath(p), page_dir)).as_posix() for p in written])
    return res


def render(res):
    """The page's Markdown from a result alone; fills in res's summary, headline and targets."""
    d, cf, seeds = res["data"], res["config"], res["seeds"]
    res.update(summary=SUMMARY % len(seeds), headline=_headline(d, cf, len(seeds)), targets=_targets(d, cf))
    md = [HEAD.format_map(dict(res, seeds=", ".join(map(str, seeds)), quick=QUICK if res["quick"] else "",
                               stages=", ".join("%s %.0f s" % kv for kv in res["stages"].items())))]
    md += headline(res) + [PREQUENTIAL.format(seeds=len(seeds), river_lr=cf["river_lr"], **cf["classifier"])]
    md += [QUICK_LIMITS % cf["limits"]] if res["quick"] else []
    for s in STREAMS:
        md += _stream(d, s)
    md += _timing(d["timing"]) + _grid(d["grid"], cf["classifier"])
    md += [ANOMALY.format(seeds=len(seeds), **cf["detector"])]
    md += _shuttle(d["anomaly"]["shuttle"], cf) + _kdd(d["anomaly"]["kdd"], cf) + [DEVICE]
    if res["plots"]:
        md += ["## Plots\n"] + ["![%s](%s)\n" % (Path(p).stem, p) for p in res["plots"]]
    return "\n".join(md)


def _mean(v):
    return float(np.mean(v))


def _final(st, k):
    return [a[-1] for a in st["acc"][k]]  # per seed, at the end of the stream


def _table(header, rows):  # and the blank line after it
    return table(header, rows) + "\n"


def _stream(d, s):
    st, ceil = d["streams"][s], d["ceilings"]["digits" if s == "digits" else "watch"]
    rows = [[("**%s**" if k in LEARNERS else "%s") % LEARNER_NAMES[k]] + [ms(v) for v in zip(*st["acc"][k])]
            + [ms(st["tail"][k])] for k in LEARNERS + BASELINES]
    ceilings = [(CEIL_CV, ms(ceil["cv"])), (CEIL_GROUP, "group" in ceil and ms(ceil["group"])),
                ("ceiling: batch softmax, train on all, score on all", "%.3f" % ceil["resub"])]
    rows += [[name, v] + [""] * len(st["marks"]) for name, v in ceilings if v]  # no grouped CV on digits
    md = ["### %s (%d samples, %d features, %d classes)\n"
          % (STREAM_NAMES[s], st["n"], st["features"], st["classes"]),
          _table(["learner"] + ["n=%d" % m for m in st["marks"]] + ["last %d only" % st["tail_n"]], rows)]
    if s == "watch_rec":
        rows = [[LEARNER_NAMES[k]] + [ms(v) for v in zip(*d["recordings"][k])] for k in LEARNERS + BASELINES]
        md += [RECORDINGS, _table(["learner", "1st window", "2nd", "3rd", "4th", "5th", "6th and later"],
                                  rows + [[CEIL_GROUP, ms(ceil["group"])] + [""] * 5])]
    return md


def _timing(timing):
    streams = ("watch_iid", "digits")
    rows = [[LEARNER_NAMES[k]] + ["%.1f" % v for s in streams for v in timing[s][k] + [sum(timing[s][k])]]
            for k in LEARNERS]
    header = ["%s %s µs" % (s, w) for s in ("watch", "digits") for w in ("predict", "learn", "total")]
    return ["### Time per sample on CPython (one run, seed 0, i.i.d. order)\n",
            _table(["learner"] + header, rows), TIMING]


def _grid(grid, classifier):
    rows = []
    for g in grid:
        bold = "**%s**" if (g["learner"], g["lr"], g["momentum"]) in MAIN.values() else "%s"
        mom = " (momentum %g)" % g["momentum"] if g["learner"] == "ulearn" else ""
        rows.append([bold % (LEARNER_NAMES[g["learner"]] + mom), bold % ("%g" % g["lr"])]
                    + [ms(g["final"][s]) for s in STREAMS])

    def best(k, s):  # learner k's best setting on stream s
        g = max((g for g in grid if g["learner"] == k), key=lambda g: np.mean(g["final"][s]))
        mom = ", mom %g" % g["momentum"] if k == "ulearn" else ""
        return "%s %.3f (lr %g%s)" % (s, np.mean(g["final"][s]), g["lr"], mom)
    return ["### Full learning-rate grid (final cumulative prequential accuracy, mean ± std over seeds)\n",
            GRID.format(**classifier), _table(["learner", "lr"] + [STREAM_NAMES[s] for s in STREAMS], rows),
            "".join("* best of grid, %s: %s\n" % (LEARNER_NAMES[k], "; ".join(best(k, s) for s in STREAMS))
                    for k in LEARNERS)]


def _at_main(rows, cf):
    # the rows at the detector's main setting (hidden and k; and W on KDD)
    ad, w = cf["detector"], cf["kdd_w"]
    return [r for r in rows if r.get("hidden", ad["hidden"]) == ad["hidden"] and r["k"] == ad["k"]
            and r.get("W", w) == w]


def _scores(r, bold=False):
    policy = ("**%s**" if bold else "%s") % POLICY_NAMES[r["policy"]]
    return [policy] + [ms(r[k]) for k in ("p", "r", "f", "auc")]


def _shuttle(sh, cf):
    hdr = ["policy", "precision", "recall", "F1", "ROC AUC (score)", "% flagged"]
    quick = " **--quick: first %d samples only.**" % sh["limit"] if sh["limit"] else ""
    return ["### Shuttle (%d samples x 9, %.2f%% anomalies, stored order)\n" % (sh["n"], 100 * sh["rate"]),
            "The stored order is already shuffled (river's copy of the ODDS stream).%s\n" % quick,
            _table(hdr, [_scores(r, True) + [ms(r["flagged"], "%.1f")] for r in _at_main(sh["rows"], cf)]),
            "Full grid on Shuttle (hidden x k; everything else as above):\n",
            _table(["hidden", "k"] + hdr, [["%d" % r["hidden"], "%g" % r["k"]] + _scores(r)
                                           + [ms(r["flagged"], "%.1f")] for r in sh["rows"]])]


def _kdd(kd, cf):
    a0, a1 = cf["kdd_anomaly"]
    md = ["### KDD-TSAD 135 (InternalBleeding16): one anomaly at points %d–%d\n" % (a0, a1)]
    if "error" in kd:
        return md + ["Not run: %s\n" % kd["error"]]

    def row(r):
        firsts = [f for f in r["first"] if f is not None]
        return _scores(r) + ["%d/%d" % (sum(r["detected"]), len(r["detected"])),
                             ms(firsts, "%.0f") if firsts else "never", ms(r["fa"], "%.1f"),
                             ms(r["fa_events"], "%.1f"), "%d/%d" % (sum(r["ucr"]), len(r["ucr"]))]
    hdr = ["policy", "precision", "recall", "F1", "ROC AUC", "detected", "first flag t",
           "false alarms (windows)", "false-alarm episodes", "UCR hit"]
    start = cf["kdd_test_start"]
    return md + [KDD.format(train_end=start - 1, start=start, n_test=kd["n_test"], last=kd["last"],
                            span=a1 - a0, a0=a0),
                 _table(["windows"] + hdr, [["%s, W=%d" % (r["variant"], r["W"])] + row(r)
                                            for r in _at_main(kd["rows"], cf)]),
                 "Full grid on KDD-TSAD 135 (hidden=%d; everything else as above):\n"
                 % cf["detector"]["hidden"],
                 _table(["windows", "W", "k"] + hdr,
                        [[r["variant"], "%d" % r["W"], "%g" % r["k"]] + row(r) for r in kd["rows"]])]


def _headline(d, cf, n_seeds):
    """The tables ulearn report shows: accuracy at the end of each stream (and over its last samples, and
    on unseen recordings) against the ceiling; the anomaly scores at the main setting."""
    st, ceil, ano = d["streams"], d["ceilings"], d["anomaly"]
    w, r, g = st["watch_iid"], st["watch_rec"], st["digits"]
    rows = [[LEARNER_NAMES[k]] + [ms(v) for v in (_final(w, k), w["tail"][k], _final(r, k),
                                                  [p[0] for p in d["recordings"][k]], _final(g, k),
                                                  g["tail"][k])] for k in LEARNERS + ("nochange",)]
    cv, group, cvd = ms(ceil["watch"]["cv"]), ms(ceil["watch"]["group"]), ms(ceil["digits"]["cv"])
    rows.append(["ceiling: batch softmax, 5-fold CV (by recording in recording order)",
                 cv, cv, group, group, cvd, cvd])
    scores = [["Shuttle"] + _scores(x) for x in _at_main(ano["shuttle"]["rows"], cf)]
    scores += [["KDD-TSAD 135, %s, W=%d" % (x["variant"], x["W"])] + _scores(x)
               for x in _at_main(ano["kdd"].get("rows", []), cf)]
    return [dict(caption="Prequential accuracy, mean ± std over %d seeds: at the end of each stream, over "
                 "its last samples, and on the first window of an unseen recording" % n_seeds,
                 columns=["learner", "watch i.i.d.", "last %d only" % w["tail_n"], "watch by recording",
                          "1st window of a recording", "digits", "last %d only" % g["tail_n"]], rows=rows),
            dict(caption="Anomaly detection at the main setting (hidden=%d, k=%g), mean ± std over %d seeds"
                 % (cf["detector"]["hidden"], cf["detector"]["k"], n_seeds),
                 columns=["dataset", "policy", "precision", "recall", "F1", "ROC AUC"], rows=scores)]


def _targets(d, cf):
    """The page's expectations, each met or missed as measured (None: not run)."""
    st, ceil, sh = d["streams"], d["ceilings"], d["anomaly"]["shuttle"]

    def near(what, ceiling, a, b):  # (target, measured, met)
        a, b = _mean(a), _mean(b)
        return ("%s within 0.01 of the batch ceiling (%s)" % (what, ceiling),
                "%.3f vs %.3f (%+.3f)" % (a, b, a - b), a >= b - 0.01)
    fin = {k: _mean(_final(st["watch_rec"], k)) for k in LEARNERS + ("nochange",)}
    best = max(LEARNERS, key=fin.get)
    f1 = {r["policy"]: _mean(r["f"]) for r in _at_main(sh["rows"], cf)}
    fr = [_mean(r["flagged"]) for r in sh["rows"] if r["policy"] == "normal"]
    out = [near("%s: ulearn over the last %d samples" % (STREAM_NAMES[s], st[s]["tail_n"]), "5-fold CV",
                st[s]["tail"]["ulearn"], ceil[c]["cv"])
           for s, c in (("watch_iid", "watch"), ("digits", "digits"))]
    out += [near("ulearn on the first window of an unseen recording", "CV by recording",
                 [p[0] for p in d["recordings"]["ulearn"]], ceil["watch"]["group"]),
            ("recording order: a learner beats the no-change baseline on cumulative accuracy",
             "%s %.3f vs %.3f" % (LEARNER_NAMES[best], fin[best], fin["nochange"]),
             fin[best] >= fin["nochange"]),
            ("Shuttle: learning only on unflagged samples does not lower F1",
             "F1 %.3f vs %.3f learning on every sample" % (f1["normal"], f1["all"]),
             f1["normal"] >= f1["all"]),
            ("Shuttle grid: learning only on unflagged flags at most 3x the anomaly rate",
             "%.1f%% to %.1f%% flagged (anomalies: %.1f%%)" % (min(fr), max(fr), 100 * sh["rate"]),
             max(fr) <= 3 * 100 * sh["rate"])]
    kdd = {(r["variant"], r["policy"]): r for r in _at_main(d["anomaly"]["kdd"].get("rows", []), cf)}
    for v, pol, least in (("raw", "all", 0), ("raw", "normal", 0), ("diff", "all", 0.6)):
        r = kdd.get((v, pol))
        hits = r and sum(r["detected"])
        out.append(("KDD-TSAD 135, %s windows (W=%d), %s: the anomaly flagged in every seed%s"
                    % (v, cf["kdd_w"], POLICY_NAMES[pol], ", window F1 >= %g" % least if least else ""),
                    "not run" if r is None else "flagged in %d/%d seeds, F1 %.3f"
                    % (hits, len(r["f"]), _mean(r["f"])),
                    None if r is None else hits == len(r["f"]) and _mean(r["f"]) >= least))
    return [dict(target=t, measured=m, met=met) for t, m, met in out]


if __name__ == "__main__":
    main()
