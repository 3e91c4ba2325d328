#!/usr/bin/env python
"""Class-incremental benchmark of ulearn: replay memory and a growing model.

The setting of Rüb et al. (2024, "A Continual and Incremental Learning Approach for TinyML
On-device Training Using Dataset Distillation and Model Size Adaption"): a 1% replay memory
built on the host by dataset distillation, against random and herding sets, no replay and
joint training, and a model that grows (Net2Net) against a fixed one, in FLOPs; on three
class-incremental streams, on the board path (the device Classifier, one sample at a time),
the host path (minibatches) and in real MicroPython. Settings are tuned on validation data;
a missed target is reported as measured. From the repository root::

    python tools/bench_incremental.py --json docs/incremental.json --out docs/incremental.md --plot docs/img
    python tools/bench_incremental.py --quick       # smoke run (a few minutes)
    python tools/bench_incremental.py --render docs/incremental.json --out docs/incremental.md

--json writes the result (every figure, per seed); render() makes the page from it alone.
"""
from ulearn_dev import benchenv  # noqa: F401  first: BLAS threads, the device package on numpy

import time
from pathlib import Path

import numpy as np

from ulearn_dev.benchkit import Laps, ms, note, provenance, publish, table, tuned_arguments
from ulearn_dev.incremental import settings as S
from ulearn_dev.incremental.runs import metrics
from ulearn_dev.incremental.settings import FE_NAMES, METHOD_NAMES, PATHS, REPLAY_METHODS, STREAM_NAMES
from ulearn_host.report import headline

TITLE = "ulearn class-incremental benchmark"
SOURCE = {"digits": "scikit-learn digits, the project's 70/30 split; validation: a stratified 20% of train",
          "fashion": "Debian dataset-fashion-mnist, 28x28 averaged to 7x7; the standard 60000/10000 split; "
                     "validation: a stratified 1/6 of train",
          "watch": "seglearn watch windows (2 s, 1 s hop, 26 features), the project's split: train subjects "
                   "1-7, test 8-10; validation: subjects 6 and 7"}


def main(argv=None):
    def extra(ap):
        ap.add_argument("--no-board", action="store_true", help="skip the run on real MicroPython")

    def draw(folder, res):
        from ulearn_dev.incremental.plots import plots
        return plots(folder, res)
    args = tuned_arguments(__doc__, S, "Fashion-MNIST cut to %d/%d rows per class, small grids"
                           % (S.QUICK["fashion_train"], S.QUICK["fashion_test"]), extra, argv)
    publish(args, measure, render, draw)


def measure(args):
    """Run every stage; the result as a JSON-ready dict (benchkit's format)."""
    from ulearn_dev.incremental import data, stages
    from ulearn_dev.incremental.board import board_stage
    streams, seeds, tseeds, lap = args.domains, args.seeds, args.tune_seeds, Laps()
    note("loading datasets")
    data.load_data(streams, args.quick)
    lap("loading data")
    fe, fe_val = stages.front_end(args, streams, tseeds)
    lap("front ends")
    tuned = stages.tune(args, streams, fe, tseeds)
    lap("tuning")
    adapt = stages.adapt_tune(args, streams, fe, tseeds, tuned)
    lap("tuning the adaptive model")
    runs, sweep, sizes = stages.final(args, streams, fe, seeds, tuned, adapt)
    lap("test runs")
    board = None
    if "digits" in streams and not args.no_board:
        board = board_stage(args.quick, fe["digits"], tuned["board"]["digits"]["dm"]["best"])
        lap("MicroPython")
    fracs = (S.FRACTION,) + tuple(S.sweep_fracs(args))
    info = {}  # per stream: class names, tasks, inputs, train' / validation / train / test rows, memories
    for s in streams:
        t, d = data.DATA[s, "tune"], data.DATA[s, "final"]
        info[s] = dict(names=list(d["names"]), tasks=d["tasks"], d=d["Xtr"].shape[1],
                       n=[len(t["ytr"]), len(t["yev"]), len(d["ytr"]), len(d["yev"])],
                       caps={"%g" % f: data.budget(d["ytr"], range(d["n_classes"]), f) for f in fracs})
    blr, bk, hlr, hk, agrid = S.grid(args)
    config = dict(streams=streams, tune_seeds=tseeds, jobs=args.jobs, fraction=S.FRACTION, hidden=S.HIDDEN,
                  extractor=dict(width=S.EXT_WIDTH, epochs=S.EXT_EPOCHS),
                  board=dict(lr=list(blr), k=list(bk), momentum=S.BOARD_MOM, clip=S.BOARD_CLIP),
                  host=dict(lr=list(hlr), k=list(hk), momentum=S.HOST_MOM, weight_decay=S.HOST_WD,
                            batch=S.HOST_BS, epochs=S.HOST_EPOCHS, before_tuning=S.HOST_DEFAULT),
                  adapt_grid=agrid, adapt_tol=S.ADAPT_TOL, sweep=list(fracs[1:]),
                  fashion_rows_per_class=[S.QUICK["fashion_train"], S.QUICK["fashion_test"]] if args.quick
                  else None)
    return dict(benchmark="incremental", title=TITLE, **provenance(), elapsed=time.time() - lap.start,
                stages=lap.secs, quick=args.quick, seeds=seeds, config=config,
                data=dict(streams=info, front_end=dict(chosen=fe, val=fe_val), tuning=tuned, adapt=adapt,
                          runs=runs, sweep=sweep, sizes=sizes, board=board))


# -- the page: render(res) -----------------------------------------------------------------------------

def mean(v):
    return float(np.mean(v))


def ahead(a, b):
    """How far the mean of a is above that of b."""
    return mean(a) - mean(b)


def bold(text, yes):
    return "**%s**" % text if yes else text


def block(header, rows):
    """A table as a page block."""
    return table(header, rows) + "\n"


def adapt_label(a):
    # e.g. "start 8, +4, on new classes and below 0.9", "start 8, +4, only below 0.9"
    when = ["on new classes"] if a["on_class"] else ["only"]
    when += ["below %g" % a["below"]] if a["below"] else []
    return "start %d, +%d, %s" % (a["start"], a["step"], (" and " if a["on_class"] else " ").join(when))


def settings_label(c, m=None):
    lab = "lr %g" % c["lr"] + (", k %d" % c["k"] if c.get("k") and m != "none" else "")
    return lab + (", " + adapt_label(c) if m == "adaptive" else "")


def render(res):
    """The page's Markdown, from the result alone; fills in res["summary"],
    res["headline"] and res["targets"] (what ulearn report shows)."""
    c, d, seeds = res["config"], res["data"], res["seeds"]
    # each row's average accuracy after the last task, per seed, by (path, stream) in page order
    fin = {(p, s): {m: [metrics(np.array(A))["final"] for A in r["A"]] for m, r in d["runs"][p][s].items()}
           for p, _ in PATHS for s in c["streams"]}
    _summarise(res, fin)
    quick = (" **Quick (smoke) run: Fashion-MNIST cut to %d training / %d test rows per class, small grids; "
             "not the reference figures.**" % tuple(c["fashion_rows_per_class"]) if res["quick"] else "")
    md = ["# %s\n" % res["title"],
          "Reproduce from the repository root (≈ %.0f s on the machine below):\n" % res["elapsed"],
          "```\n%s\n```\n" % res["command"],
          "Environment: %s; %d worker process(es), one BLAS thread each. Commit %s, %s. Test seeds: %s; "
          "tuning seeds: %s.%s Run time per stage: %s; total %.0f s.\n"
          % (res["environment"], c["jobs"], res["commit"], res["date"], ", ".join(map(str, seeds)),
             ", ".join(map(str, c["tune_seeds"])), quick,
             ", ".join("%s %.0f s" % kv for kv in res["stages"].items()), res["elapsed"])]
    md += headline(res) + _setup(c, d["streams"]) + _validation(c, d) + _results(c, d, seeds)
    md += _flops(c, d, seeds, fin) + (_sweep(d, fin) if d["sweep"] else [])
    md += _board(c, d["board"]) if d["board"] is not None else []
    plots = ["![%s](%s)\n" % (Path(p).stem, p) for p in res.get("plots") or ()]
    return "\n".join(md + (["## Plots\n"] + plots if plots else []))


def _summarise(res, fin):
    c, runs, seeds, tol = res["config"], res["data"]["runs"], res["seeds"], res["config"]["adapt_tol"]
    res["summary"] = (
        "Average accuracy after the last task on the test split (mean ± std over %d seeds) of a learner "
        "trained on each stream's tasks in turn, on the board path (the device Classifier, one sample at a "
        "time, one pass) and the host path (the same layers on minibatches), with no replay, the board's own "
        "reservoir, or a %g%% replay memory built on the host (random, herding, or distilled: dm); joint "
        "training sees all tasks' data at once. The targets are the issue's; std is the sample std over "
        "seeds.%s" % (len(seeds), 100 * c["fraction"],
                      " Quick run: not the reference figures." if res["quick"] else ""))
    res["headline"] = [dict(
        caption="Average accuracy after the last task (test split, mean ± std over %d seeds); last column: "
                "joint minus dm, in points" % len(seeds),
        columns=["stream", "path", "no replay", "reservoir only", "random 1%", "herding 1%", "dm 1%", "joint",
                 "joint - dm"],
        rows=[[STREAM_NAMES[s], p] + [ms(f[m]) if m in f else "-" for m in S.METHODS_BOARD]
              + ["%.1f" % (100 * ahead(f["joint"], f["dm"]))] for (p, s), f in fin.items()])]
    res["targets"] = targets = []
    for p, _ in PATHS if "digits" in c["streams"] else ():
        f, sw = fin[p, "digits"], res["data"]["sweep"][p]["digits"]["dm"]
        dm, jt, gap = f["dm"], f["joint"], ahead(f["joint"], f["dm"])
        closes = [fr for fr in sorted(sw, key=float) if ahead(jt, sw[fr]) <= 0.03]
        top = closes[0] if closes else max(sw, key=float)
        budget = ("; a budget of %g%% closes it (%.3f)" if closes
                  else "; no budget up to %g%% closes it (%.3f there)") % (100 * float(top), mean(sw[top]))
        targets.append(dict(target="dm 1%% within 3 points of joint training, Split-digits, %s path" % p,
                            measured="dm %s vs joint %s: %.1f points behind%s"
                                     % (ms(dm), ms(jt), 100 * gap, "" if gap <= 0.03 else budget),
                            met=gap <= 0.03))
        for other in ("random", "herding"):
            margin = ahead(dm, f[other])
            spread = sum(float(np.std(v, ddof=1)) if len(v) > 1 else 0.0 for v in (dm, f[other]))  # 2 stds
            targets.append(dict(
                target="dm 1%% ahead of %s 1%% by more than the spread (%d seeds), Split-digits, %s path"
                       % (other, len(seeds), p),
                measured="%s vs %s: +%.1f points, spread (sum of the two stds) %.1f points"
                         % (ms(dm), ms(f[other]), 100 * margin, 100 * spread),
                met=margin > spread and len(seeds) >= 3))
    for (p, s), f in fin.items():
        r, diff = runs[p][s], ahead(f["adaptive"], f["dm"])
        ref = (" (reference, a fixed model of the start width %d: %+.1f points at %.0f%% of the training "
               "FLOPs)" % (r["small"]["cfg"]["start"], 100 * ahead(f["small"], f["dm"]),
                           100 * mean(r["small"]["train_flops"]) / mean(r["dm"]["train_flops"])))
        for what, key, final, extra in (("training", "train_flops", "", ref),
                                        ("inference", "inf_flops", " (final model)", "")):
            ratio = mean(r["adaptive"][key]) / mean(r["dm"][key])
            targets.append(dict(
                target="adaptive model <= 50%% of the fixed model's %s FLOPs within %.1f points, %s, %s path"
                       % (what, 100 * tol, STREAM_NAMES[s], p),
                measured="accuracy %+.1f points; %s FLOPs%s %.0f%%%s"
                         % (100 * diff, what, final, 100 * ratio, extra),
                met=ratio <= 0.5 and diff >= -tol))


def _setup(c, info):
    cap = {s: i["caps"]["%g" % c["fraction"]] for s, i in info.items()}
    rows = [[STREAM_NAMES[s], " / ".join("{%s}" % ", ".join(i["names"][k] for k in t) for t in i["tasks"]),
             "%d / %d / %d / %d" % tuple(i["n"]), str(i["d"]),
             "%d rows, %d B" % (cap[s], cap[s] * (i["d"] + 8)), SOURCE[s]] for s, i in info.items()]
    b, h, H = c["board"], c["host"], c["hidden"]
    mem = "Fashion-MNIST not run"
    if "fashion" in cap:  # the memory, then the layer with momentum, at 7x7 and at 14x14 inputs
        n = cap["fashion"]
        kb = ["%.0f KB" % (size / 1024) for px in (49, 196) for size in (n * (px + 8), 8 * (px * H + H))]
        mem = ("at 7x7 the 1%% replay memory (%d rows) takes %s and the %d-unit trainable layer with "
               "momentum %s; at 14x14 they would take %s and %s, next to a 264 KB RP2040's heap"
               % (n, kb[0], H, kb[1], kb[2], kb[3]))
    return [
        "## Setup\n",
        block(["stream", "tasks (in order)", "train' / validation / train / test rows", "inputs",
               "replay memory at 1% (int8 rows + scale + label)", "data"], rows),
        "* **Inputs** are scaled on the host with fixed constants (pixels by their full scale, watch "
        "features by the first task's training mean and std, as a bundle carries), so stored replay rows "
        "stay valid; the Classifier runs with `standardize=False`. Fashion-MNIST is averaged to **7x7** (49 "
        "inputs) for the board's memory: %s.\n" % mem,
        "* **Model**: [frozen front end: none, or an extractor trained on the first task; chosen on "
        "validation] -> trainable relu layer (`hidden`, %d units; the adaptive model starts smaller and "
        "grows) -> softmax head with a row per class seen so far. The replay memory stores rows of the "
        "trainable part's input.\n" % H,
        "* **Board path**: `ulearn.Classifier(d, classes, hidden=%d, replay=M, replay_k=k, optimizer=SGD(lr, "
        "momentum=%g, clip=%g), standardize=False, seed=s+1)` on CPython/numpy, each task's rows once, "
        "shuffled, through `learn_one`, which also trains on k rows drawn from the memory; M is the 1%% "
        "budget of the whole stream. After each task the host builds that task's replay set "
        "(`ulearn_host.distill.replay_set`) and `load_replay` gives the memory the union of the sets so far; "
        "the slots still free take current-task samples by the class-balanced reservoir. *Reservoir only* is "
        "that memory without a host; *no replay* and *joint* (all tasks' rows shuffled, once) have none.\n"
        % (H, b["momentum"], b["clip"]),
        "* **Host path**: the same layers (`ulearn.Dense`) on `ulearn_host.batch` kernels, SGD with momentum "
        "%g and weight decay %g, %s epochs per task, minibatches of %d task rows plus k x %d rows from the "
        "replay memory; joint: the same epochs over all the data. The adaptive model grows with "
        "`ulearn.grow.widen` on the board's triggers.\n"
        % (h["momentum"], h["weight_decay"], "/".join("%s %d" % kv for kv in h["epochs"].items()), h["batch"],
           h["batch"]),
        "* **Replay sets**: *random* (rows per class), *herding* (iCaRL) and *dm* (distribution matching: "
        "synthetic rows whose mean random-network embedding matches the real rows'; `replay_set` defaults, "
        "not tuned), 1% of every class's training rows (at least 1); task t's set is built from task t's "
        "rows only, once seen, as in Rüb et al.\n"]


def _validation(c, d):
    from ulearn_dev.incremental.stages import fe_score
    b, h, fe = c["board"], c["host"], d["front_end"]
    tw = "mean over tuning seed(s) %s" % ", ".join(map(str, c["tune_seeds"]))
    if "fashion" in c["streams"] and len(c["tune_seeds"]) > 1:
        tw += " (Fashion-MNIST: seed %d only; its validation split has 10000 rows)" % c["tune_seeds"][0]
    md = ["## 1. Choices made on the validation split\n", "### Front end (validation)\n",
          "Host path with settings fixed before tuning (lr %g, k %d), %s: average accuracy after the last "
          "task on the validation split. The extractor candidate is a %d-unit relu layer trained (%d epochs) "
          "on the first task's rows only. The front end with the best mean of the three 1%% rows is chosen; "
          "the 14x14 Fashion-MNIST row is a reference only (too large for a board).\n"
          % (h["before_tuning"]["lr"], h["before_tuning"]["k"], tw, c["extractor"]["width"],
             c["extractor"]["epochs"]),
          block(["stream", "front end", "joint", "random 1%", "herding 1%", "dm 1%", "mean of the 1% rows"],
                [[STREAM_NAMES[s], FE_NAMES[f]] + ["%.3f" % np.mean(v[m]) for m in ("joint", *REPLAY_METHODS)]
                 + ["%.3f" % fe_score(v)] for s, fes in fe["val"].items() for f, v in fes.items()]),
          "Chosen: %s.\n" % "; ".join("%s: %s" % (STREAM_NAMES[s], FE_NAMES[f])
                                      for s, f in fe["chosen"].items()),
          "### Tuned settings (validation)\n",
          "Each row's settings are chosen by its average accuracy after the last task on the validation "
          "split (%s); the test split is not looked at. Board grid: lr %s x replay_k %s; host grid: lr %s x "
          "k %s. The chosen setting in bold.\n" % (tw, b["lr"], b["k"], h["lr"], h["k"])]
    for p, _ in PATHS:
        md += ["%s path:\n" % p.capitalize(), block(["stream", "row", "validation accuracy per setting"], [
            [STREAM_NAMES[s], METHOD_NAMES[m], "; ".join(
                bold("%s: %.3f" % (settings_label(x["cfg"]), np.mean(x["val"])), x["cfg"] == t["best"])
                for x in t["tried"])] for s, ts in d["tuning"][p].items() for m, t in ts.items()])]
    rows = [[p, STREAM_NAMES[s], "%.3f" % max(np.mean(x["val"]) for x in d["tuning"][p][s]["dm"]["tried"]),
             "<br>".join(bold("%s: %.3f, %.2f GFLOP, ends at %.0f units" % (
                 adapt_label(t["adapt"]), np.mean(t["val"]), np.mean(t["train_flops"]) / 1e9,
                 np.mean(t["width"])), t["adapt"] == a["pick"]) for t in a["tried"])]
            for p, _ in PATHS for s, a in d["adapt"][p].items()]
    return md + [
        "Adaptive model (validation; dm 1%%, the dm row's lr and k): the hidden layer starts at `start` "
        "units and grows by `step`, up to %d, by Net2Net widening (`Classifier.grow`, which keeps the "
        "function), when a new class arrives (*on new classes*) and/or when replay accuracy is below `below` "
        "(board: checked every `replay` samples; host: after each epoch). Chosen: the setting with the "
        "fewest training FLOPs within %.1f points of the fixed model's validation accuracy (if none, the "
        "most accurate).\n" % (c["hidden"], 100 * c["adapt_tol"]),
        block(["path", "stream", "fixed model (dm 1%)", "adaptive settings: validation accuracy, training "
               "FLOPs over the stream, final width"], rows)]


def _results(c, d, seeds):
    md = ["## 2. Results on the test split\n",
          "Mean ± std over %d seeds (a seed sets the initialisation, the order within each task, the replay "
          "sets and the reservoir; the class order is fixed). Per task: average accuracy on the tasks seen "
          "so far; joint training is evaluated once, after all the data. *Forgetting*: accuracy on a task "
          "right after learning it minus its final accuracy, averaged over all tasks but the last; *BWT* "
          "(backward transfer, Lopez-Paz and Ranzato 2017) is its negative here. On the board path joint "
          "training is one pass, not a ceiling: the memory's rows are trained on again and again. The "
          "reservoir can beat random 1%%: it fills the whole memory with old classes' samples from the "
          "start.\n" % len(seeds)]
    for s in c["streams"]:
        i, mats = d["streams"][s], []
        T = len(i["tasks"])
        tasks = ["task %d %s" % (j + 1, "/".join(i["names"][k] for k in t)) for j, t in enumerate(i["tasks"])]
        md.append("### %s\n" % STREAM_NAMES[s])
        for p, methods in PATHS:
            rows = []
            for m in methods + ("adaptive",):
                r = d["runs"][p][s][m]
                cs = [metrics(np.array(A)) for A in r["A"]]
                per = {k: [x[k] for x in cs] for k in cs[0]}  # each metric over the seeds
                if per["bwt"][0] is None:  # joint: one evaluation
                    cells = [""] * (T - 1) + [ms(per["final"]), "n/a", "n/a"]
                else:
                    cells = [ms(v) for v in zip(*per["curve"])]
                    cells += [ms(per["forgetting"]), ms(per["bwt"], "%+.3f")]
                name = bold(METHOD_NAMES[m] + (" (fixed %d)" % c["hidden"] if m == "dm" else ""), m == "dm")
                rows.append([name] + cells + [settings_label(r["cfg"], m), "%.1f" % np.mean(r["secs"])])
                A = np.mean(r["A"], axis=0)
                mats += ["%s path, %s:\n" % (p, METHOD_NAMES[m]), block([""] + tasks, [
                    ["after task %d" % (n + 1) if len(A) > 1 else "after all data"]
                    + ["" if np.isnan(v) else "%.3f" % v for v in a] for n, a in enumerate(A)])]
            how = ("device Classifier, learn_one per sample, one pass" if p == "board"
                   else "batch kernels, %d epochs per task" % c["host"]["epochs"][s])
            md += ["%s path (%s):\n" % (p.capitalize(), how),
                   block(["row"] + ["after task %d" % (j + 1) for j in range(T)]
                         + ["forgetting", "BWT", "settings", "s per run"], rows)]
        md += ["<details><summary>Accuracy matrices, %s (mean over seeds; row i: after training task i, "
               "column j: accuracy on task j's test classes)</summary>\n" % STREAM_NAMES[s]]
        md += mats + ["</details>\n"]
    return md


def _flops(c, d, seeds, fin):
    rows, size_rows, H = [], [], c["hidden"]
    for (p, s), f in fin.items():
        fx, ad, sm = (d["runs"][p][s][m] for m in ("dm", "adaptive", "small"))
        ft, at, st = (mean(x["train_flops"]) for x in (fx, ad, sm))
        fi, ai = mean(fx["inf_flops"]), mean(ad["inf_flops"])
        rows.append([p, STREAM_NAMES[s], ms(f["dm"]), ms(f["adaptive"]),
                     "%+.3f" % ahead(f["adaptive"], f["dm"]), "%.2f" % (ft / 1e9), "%.2f" % (at / 1e9),
                     "%.0f%%" % (100 * at / ft), "%d" % fi, "%.0f" % ai, "%.0f%%" % (100 * ai / fi),
                     ms(ad["width"], "%.0f"),
                     "%d: %s, %.0f%%" % (sm["cfg"]["start"], ms(f["small"]), 100 * st / ft)])
        for w, inf, tr in d["sizes"][p][s]:
            first = [n for run in ad["sizes"] for w_, n in run if w_ == w]  # when each seed got there
            size_rows.append([p, STREAM_NAMES[s], str(w), "%d of %d" % (len(first), len(seeds)),
                              "%.0f" % np.mean(first) if first else "-", str(inf), str(tr),
                              "fixed" if w == H else ""])
    return ["## 3. Fixed large model vs adaptive (growing) model\n",
            "Both with the distilled 1%% memory and the dm row's tuned lr and replay_k; the fixed model is "
            "the dm row of section 2 (%d hidden units). The last column is not a tuned row: a fixed model of "
            "the adaptive model's start width, never grown, to tell what growing adds.\n" % H,
            block(["path", "stream", "fixed %d: accuracy" % H, "adaptive: accuracy", "difference",
                   "fixed: training GFLOP", "adaptive: training GFLOP", "ratio", "fixed: FLOPs/inference",
                   "adaptive: FLOPs/inference (final)", "ratio", "adaptive: final width",
                   "reference: fixed at the start width (accuracy, training FLOPs ratio)"], rows),
            "Training FLOPs: the sum over the stream of `ulearn_host.anatomy.learner_flops` at the model's "
            "size at each step (board: each learn_one with its replay_k replayed samples, none while the "
            "memory is empty; host: forward + backward for every row of every minibatch, new and replayed; "
            "both with the replay-accuracy checks that drive growth). Every size the adaptive models pass "
            "through, with all classes present (board train step: with replay_k replayed samples; host: one "
            "sample):\n",
            block(["path", "stream", "hidden units", "reached in (seeds)", "at sample (mean)",
                   "FLOPs/inference", "FLOPs/train step", ""], size_rows)]


def _sweep(d, fin):
    sw = d["sweep"]
    fracs = sorted(next(iter(sw["board"].values()))["dm"], key=float)
    rows = [[STREAM_NAMES[s], p, METHOD_NAMES[m].replace(" 1%", "")] + [ms(sw[p][s][m][f]) for f in fracs]
            + [ms(fin[p, s]["joint"])] for s in sw["board"] for p, _ in PATHS for m in REPLAY_METHODS]
    caps = ["%s: %s rows" % (STREAM_NAMES[s], ", ".join("%d at %g%%" % (d["streams"][s]["caps"][f],
                                                                         100 * float(f)) for f in fracs))
            for s in sw["board"]]
    return ["## 4. Replay budget: what closes the gap to joint training\n",
            "The test runs again with larger replay memories, as a share of each class's training rows (each "
            "row's settings tuned at 1%, not retuned). Average accuracy after the last task:\n",
            block(["stream", "path", "replay set"] + ["%g%%" % (100 * float(f)) for f in fracs] + ["joint"],
                  rows),
            "Replay memory sizes: %s.\n" % "; ".join(caps)]


def _board(c, run):
    md = ["## 5. The board path on real MicroPython\n"]
    if "error" in run:
        return md + ["Not run: %s\n" % run["error"]]
    kernels = {"python": "pure Python", "ulab": "ulab", "numpy": "numpy"}
    cpython = {"python": "CPython, pure-Python kernels", "ulab": "CPython, ulab emulation",
               "numpy": "CPython, numpy kernels"}

    def row(name, r, board):
        if "error" in r:
            return [name, "-", "not run: %s" % r["error"], "-", "-", "-", "-"]
        return [name, kernels[r["backend"]], "%.4f" % r["acc"],
                "%d / %d (%s)" % (r["agree"], run["n_test"], cpython[r["ref"]]) if "agree" in r else "-",
                "%.2g" % r["max_prob_diff"] if "max_prob_diff" in r else "-", "%.2f" % r["ms_per_learn"],
                "%s B" % format(r["heap"], ",") if board else "-"]

    versions = "; ".join(sorted(set(r["version"] for r in run["boards"].values() if "version" in r))) or "-"
    rows = [row("MicroPython " + t, r, True) for t, r in run["boards"].items()]
    rows += [row(cpython[b], run["cpython"][b], False) for b in kernels]
    return md + [
        "Split-digits, the first two tasks ({0, 1} then {2, 3}), %d training samples (%d per task, seed 0's "
        "order), board path with the digits dm row's settings (hidden %d, lr %g, replay_k %d, a %d-row "
        "memory receiving task 1's distilled set after task 1), then all %d test rows of classes 0-3; in "
        "MicroPython's unix port built 32-bit with float32 (%s; GC heap fixed at %d KB, the package as .mpy; "
        "`unix32`: pure-Python kernels, `unix32-ulab`: ulab) and on CPython, all reading the same stream "
        "files. A board row's reference is CPython on the same kernels, a CPython row's CPython's "
        "pure-Python kernels; MicroPython computes in float32 where those compute in float64, so "
        "probabilities may differ in a float32's last places.\n"
        % (run["n"], run["n"] // 2, c["hidden"], run["cfg"]["lr"], run["cfg"]["k"], run["cap"], run["n_test"],
           versions, run["heap_kb"]),
        block(["where", "kernels", "test accuracy (classes 0-3)", "predictions equal to the reference's",
               "largest probability difference (first 20 test rows)", "ms per learn_one",
               "live heap after the run"], rows)]


if __name__ == "__main__":
    main()
