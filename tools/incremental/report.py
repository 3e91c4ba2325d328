"""The page's tables and their explanations, section by section: the
choices made on validation, the test results, fixed vs adaptive model, the
replay-budget sweep, the run on real MicroPython."""
import numpy as np

import devicepkg
from tools.benchkit import ms, table

from . import data
from .intro import fashion_memory
from .runs import finals, flops_of, job, metrics
from .settings import (ADAPT_TOL, BOARD_CLIP, BOARD_MOM, EXT_EPOCHS, EXT_WIDTH, FE_NAMES, FRACTION, HIDDEN,
                       HOST_BS, HOST_DEFAULT, HOST_EPOCHS, HOST_MOM, HOST_WD, METHOD_NAMES, METHODS_BOARD,
                       METHODS_HOST, REPLAY_METHODS, STREAM_NAMES, SWEEP_STREAMS, grid, grow_words,
                       sweep_fracs)


def gflops(x):
    return "%.2f" % (x / 1e9)


def adapt_label(a):
    # e.g. "start 8, +4, only below 0.9"
    return "start %d, +%d, %s" % (a["start"], a["step"], grow_words(a))


def tune_words(streams, tseeds):
    w = "mean over tuning seed(s) %s" % ", ".join(map(str, tseeds))
    if "fashion" in streams and len(tseeds) > 1:
        w += " (Fashion-MNIST: seed %d only; its validation split has 10000 rows)" % tseeds[0]
    return w


def front_end_text(streams, tseeds, chosen, scores, md):
    md.append("### Front end (validation)\n")
    md.append("Host path, settings fixed before tuning (lr %g, k %d, %s epochs per task), %s; average "
              "accuracy after the last task on the validation split. The extractor candidate is a %d-unit "
              "relu layer trained (with a throw-away 2-class head, %d epochs) on the first task's training "
              "rows only; frozen, it is what a bundle would ship. Chosen per stream: the best mean over the "
              "three 1%% replay rows (the 14x14 Fashion-MNIST row is a reference only, decided before "
              "measuring: %s).\n"
              % (HOST_DEFAULT["lr"], HOST_DEFAULT["k"], "/".join("%s %d" % kv for kv in HOST_EPOCHS.items()),
                 tune_words(streams, tseeds), EXT_WIDTH, EXT_EPOCHS,
                 fashion_memory() if "fashion" in streams else "not run"))
    rows = [[STREAM_NAMES[s], FE_NAMES[fe]] + ["%.3f" % acc[m] for m in ("joint",) + REPLAY_METHODS]
            + ["%.3f" % score] for (s, fe), (acc, score) in scores.items()]
    md.append(table(["stream", "front end", "joint", "random 1%", "herding 1%", "dm 1%",
                     "mean of the 1% rows"], rows) + "\n")
    md.append("Chosen: " + "; ".join("%s: %s" % (STREAM_NAMES[s], FE_NAMES[chosen[s]]) for s in streams)
              + ".\n")


def tune_text(args, streams, tseeds, best, val, cfgs, md):
    blr, bk, hlr, hk, _ = grid(args)
    md.append("### Tuned settings (validation)\n")
    md.append("Each row's settings are chosen separately, by its average accuracy after the last task on the "
              "validation split (%s; their draws differ from the reported seeds'); the test split is not "
              "looked at. Board grid: lr %s x replay_k %s (momentum %g, clip %g); host grid: lr %s x k %s "
              "(k: replayed rows per new row in a minibatch; momentum %g, weight decay %g, batches of %d). "
              "Every cell of the grids is below, the chosen one in bold.\n"
              % (tune_words(streams, tseeds), list(blr), list(bk), BOARD_MOM, BOARD_CLIP,
                 list(hlr), list(hk), HOST_MOM, HOST_WD, HOST_BS))
    for p, methods in (("board", METHODS_BOARD), ("host", METHODS_HOST)):
        rows = []
        for s in streams:
            for m in methods:
                cells = []
                for c in cfgs[p, s, m]:
                    a = val[p, s, m, tuple(sorted(c.items()))]
                    lab = "lr %g" % c["lr"] + (", k %d" % c["k"] if c["k"] else "")
                    txt = "%s: %.3f" % (lab, a)
                    cells.append("**%s**" % txt if c == best[p, s, m] else txt)
                rows.append([STREAM_NAMES[s], METHOD_NAMES[m], "; ".join(cells)])
        md.append("%s path:\n" % p.capitalize())
        md.append(table(["stream", "row", "validation accuracy per setting"], rows) + "\n")


def adapt_text(streams, val, tried, md):
    rows = []
    for p in ("board", "host"):
        for s in streams:
            pick, scored = tried[p, s]
            cells = []
            for acc, fl, a, w in scored:
                txt = "%s: %.3f, %s GFLOP, ends at %.0f units" % (adapt_label(a), acc, gflops(fl), w)
                cells.append("**%s**" % txt if a == pick else txt)
            rows.append([p, STREAM_NAMES[s], "%.3f" % val[p, s, "dm"], "<br>".join(cells)])
    md.append("Adaptive model (validation): the hidden layer starts at `start` units and grows by `step`, up "
              "to the fixed model's %d, by Net2Net widening (`Classifier.grow`: each new unit copies a "
              "random old one, and the copies of a unit get random unequal shares of its outgoing weights, "
              "so the function is kept and the copies drift apart under SGD). Two triggers: a new class "
              "arriving (*on new classes*, `grow_on_class=True`; *only* when False), and replay accuracy "
              "below `below` (board: checked every `replay` samples by the device code; host: after each "
              "epoch, on the replay rows; `below` 0: never checked). Settings with neither trigger are left "
              "out: they never grow, which is the start-width reference of section 3. Rule, fixed before "
              "the runs: among the settings within %.1f points of the fixed model's validation accuracy, "
              "the one with the fewest training FLOPs; if none is, the most accurate.\n"
              % (HIDDEN, 100 * ADAPT_TOL))
    md.append(table(["path", "stream", "fixed model (dm 1%)", "adaptive settings: validation accuracy, "
                     "training FLOPs over the stream, final width"], rows) + "\n")


def curve_cells(rr, T):
    cs = [metrics(r["A"]) for r in rr]
    if len(cs[0]["curve"]) == 1:
        return [""] * (T - 1) + [ms([c["final"] for c in cs])]
    return [ms([c["curve"][i] for c in cs]) for i in range(T)]


def report_results(streams, fe, seeds, best, adapt, res, md):
    def sel(p, s, m, c):
        return [res[job(p, s, "final", fe[s], m, c, sd)] for sd in seeds]

    md.append("## 2. Results on the test split\n")
    md.append("Mean ± std over %d seeds (a seed sets the model's initialisation, the stream order within "
              "each task, the replay sets' draws and the memory's reservoir; the class order is fixed). "
              "*Forgetting*: accuracy on a task right after learning it minus the final accuracy on it, "
              "averaged over all tasks but the last (the last is never forgotten). *BWT* (backward transfer, "
              "Lopez-Paz and Ranzato 2017): the mean of final minus just-learned accuracy over the same "
              "tasks; with these definitions BWT = -forgetting, both shown as asked. Joint training is "
              "evaluated once, after all the data, and shown in the last column.\n" % len(seeds))
    summary = {}
    for s in streams:
        d = data.DATA[s, "final"]
        T = len(d["tasks"])
        md.append("### %s\n" % STREAM_NAMES[s])
        for p, methods in (("board", METHODS_BOARD), ("host", METHODS_HOST)):
            rows = []
            for m in methods + ("adaptive",):
                c = adapt[p, s] if m == "adaptive" else best[p, s, m]
                rr = sel(p, s, m, c)
                cs = [metrics(r["A"]) for r in rr]
                fg = "n/a" if cs[0]["forgetting"] is None else ms([x["forgetting"] for x in cs])
                bw = "n/a" if cs[0]["bwt"] is None else ms([x["bwt"] for x in cs], "%+.3f")
                lab = "lr %g" % c["lr"] + (", k %d" % c["k"] if c.get("k") and m != "none" else "")
                if m == "adaptive":
                    lab += ", " + adapt_label(c)
                name = METHOD_NAMES[m] if m != "dm" else METHOD_NAMES[m] + " (fixed %d)" % HIDDEN
                rows.append(["**%s**" % name if m == "dm" else name] + curve_cells(rr, T)
                            + [fg, bw, lab, "%.1f" % np.mean([r["secs"] for r in rr])])
                summary[p, s, m] = [x["final"] for x in cs]
            md.append("%s path (%s), average accuracy on the tasks seen so far after each task; the last "
                      "column of the curve is the average accuracy after the last task:\n"
                      % (p.capitalize(), "device Classifier, learn_one per sample, one pass" if p == "board"
                         else "batch kernels, %d epochs per task" % HOST_EPOCHS[s]))
            md.append(table(["row"] + ["after task %d" % (i + 1) for i in range(T)]
                            + ["forgetting", "BWT", "settings", "s per run"], rows) + "\n")
        # accuracy matrices
        md.append("<details><summary>Accuracy matrices, %s (mean over seeds; row i: after training task i, "
                  "column j: accuracy on task j's test classes)</summary>\n" % STREAM_NAMES[s])
        for p, methods in (("board", METHODS_BOARD), ("host", METHODS_HOST)):
            for m in methods + ("adaptive",):
                c = adapt[p, s] if m == "adaptive" else best[p, s, m]
                A = np.mean([r["A"] for r in sel(p, s, m, c)], axis=0)
                rows = [["after task %d" % (i + 1) if A.shape[0] > 1 else "after all data"]
                        + ["" if np.isnan(v) else "%.3f" % v for v in A[i]] for i in range(A.shape[0])]
                md.append("%s path, %s:\n" % (p, METHOD_NAMES[m]))
                md.append(table([""] + ["task %d %s" % (j + 1, "/".join(d["names"][c_] for c_ in t))
                                        for j, t in enumerate(d["tasks"])], rows) + "\n")
        md.append("</details>\n")
    return summary


def report_flops(streams, fe, seeds, best, adapt, res, md):
    md.append("## 3. Fixed large model vs adaptive (growing) model\n")
    md.append("Both with the distilled 1%% replay memory and the dm row's tuned lr and replay_k; the fixed "
              "model is the dm row of section 2 (%d hidden units).\n" % HIDDEN)
    ul = devicepkg.use("numpy")
    out = {}
    rows, size_rows = [], []
    for p in ("board", "host"):
        for s in streams:
            d = data.DATA[s, "final"]
            fx = [res[job(p, s, "final", fe[s], "dm", best[p, s, "dm"], sd)] for sd in seeds]
            ad = [res[job(p, s, "final", fe[s], "adaptive", adapt[p, s], sd)] for sd in seeds]
            sm = [res[job(p, s, "final", fe[s], "small", adapt[p, s], sd)] for sd in seeds]
            fa, aa, sa = finals(fx), finals(ad), finals(sm)
            ft, at = np.mean([r["train_flops"] for r in fx]), np.mean([r["train_flops"] for r in ad])
            fi, ai = np.mean([r["inf_flops"] for r in fx]), np.mean([r["inf_flops"] for r in ad])
            st = np.mean([r["train_flops"] for r in sm])
            out[p, s] = dict(fixed=fa, adaptive=aa, small=sa, train_ratio=at / ft, inf_ratio=ai / fi,
                             small_ratio=st / ft, start=adapt[p, s]["start"])
            rows.append([p, STREAM_NAMES[s], ms(fa), ms(aa), "%+.3f" % (np.mean(aa) - np.mean(fa)),
                         gflops(ft), gflops(at), "%.0f%%" % (100 * at / ft), "%d" % fi, "%.0f" % ai,
                         "%.0f%%" % (100 * ai / fi), ms([r["width"] for r in ad], "%.0f"),
                         "%d: %s, %.0f%%" % (adapt[p, s]["start"], ms(sa), 100 * st / ft)])
            has_ext = fe[s] == "ext1"
            d_in = d["Xtr"].shape[1]
            k = best[p, s, "dm"]["k"] if p == "board" else 0
            widths = sorted(set(w for r in ad for w, _ in r["sizes"]))
            first = {}
            for r in ad:
                for w, n in r["sizes"]:
                    first.setdefault(w, []).append(n)
            cells = []
            for w in widths + ([HIDDEN] if HIDDEN not in widths else []):
                inf, tr, _ = flops_of(ul, d_in, d["n_classes"], w, d["n_classes"], k, has_ext)
                tag = "fixed" if w == HIDDEN else ""
                when = ("%.0f" % np.mean(first[w])) if w in first else "-"
                cells.append([p, STREAM_NAMES[s], str(w), "%d of %d" % (len(first.get(w, [])), len(seeds)),
                              when, str(inf), str(tr), tag])
            size_rows += cells
    md.append(table(["path", "stream", "fixed %d: accuracy" % HIDDEN, "adaptive: accuracy", "difference",
                     "fixed: training GFLOP", "adaptive: training GFLOP", "ratio", "fixed: FLOPs/inference",
                     "adaptive: FLOPs/inference (final)", "ratio", "adaptive: final width",
                     "reference: fixed at the start width (accuracy, training FLOPs ratio)"], rows) + "\n")
    md.append("The last column is not a tuned row: a fixed model of the adaptive model's start width, same "
              "settings, never grown, to tell what growing adds.\n")
    md.append("Training FLOPs: the sum over the whole stream of `ulearn_host.flops.learner_flops` at the size the "
              "model had at each step (board: each learn_one with its replay_k replayed samples, none while "
              "the memory is empty, plus the replay-accuracy checks that drive growth; host: forward + "
              "backward per row of every minibatch, new and replayed rows, counted as the per-sample kernels "
              "would, plus the per-epoch replay-accuracy checks). Every size the models pass through, with "
              "all classes present (`learner_flops(learner, rows=classes)`; board train step includes "
              "replay_k replayed samples, host: one sample):\n")
    md.append(table(["path", "stream", "hidden units", "reached in (seeds)", "at sample (mean)",
                     "FLOPs/inference", "FLOPs/train step", ""], size_rows) + "\n")
    return out


def report_sweep(args, streams, fe, seeds, best, summary, res, md):
    """Section 4, the replay-budget sweep. Returns {(path, stream, replay
    set): {fraction: final accuracies}}, plus (path, stream, "joint"): the
    joint row's final accuracies; empty when no stream is swept."""
    sweep = {}
    sw_streams = [s for s in streams if s in SWEEP_STREAMS]
    if not sw_streams:
        return sweep
    fracs = (FRACTION,) + tuple(sweep_fracs(args))
    md.append("## 4. Replay budget: what closes the gap to joint training\n")
    md.append("The same runs (each row's tuned settings from the 1%% budget, not retuned) with the replay "
              "memory at %s of each class's training rows. Average accuracy after the last task:\n"
              % ", ".join("%g%%" % (100 * f) for f in fracs))
    rows = []
    for s in sw_streams:
        for p in ("board", "host"):
            sweep[p, s, "joint"] = summary[p, s, "joint"]
            for m in REPLAY_METHODS:
                sweep[p, s, m] = {FRACTION: summary[p, s, m]}
                cells = [ms(summary[p, s, m])]
                for fr in sweep_fracs(args):
                    v = finals([res[job(p, s, "final", fe[s], m, best[p, s, m], sd, fr)] for sd in seeds])
                    sweep[p, s, m][fr] = v
                    cells.append(ms(v))
                rows.append([STREAM_NAMES[s], p, METHOD_NAMES[m].replace(" 1%", "")] + cells
                            + [ms(summary[p, s, "joint"])])
    md.append(table(["stream", "path", "replay set"] + ["%g%%" % (100 * f) for f in fracs] + ["joint"],
                    rows) + "\n")
    caps = []
    for s in sw_streams:
        d = data.DATA[s, "final"]
        caps.append("%s: %s rows" % (STREAM_NAMES[s], ", ".join(
            "%d at %g%%" % (data.budget(d["ytr"], range(d["n_classes"]), f), 100 * f) for f in fracs)))
    md.append("Replay memory sizes: " + "; ".join(caps) + ".\n")
    return sweep


BOARD_COLUMNS = ["where", "kernels", "test accuracy (classes 0-3)", "predictions equal to the reference's",
                 "largest probability difference (first 20 test rows)", "ms per learn_one",
                 "live heap after the run"]


KERNELS = {"python": "pure Python", "ulab": "ulab", "numpy": "numpy"}
CPYTHON = {"python": "CPython, pure-Python kernels", "ulab": "CPython, ulab emulation",
           "numpy": "CPython, numpy kernels"}


def board_row(name, r, n_test, board):
    # a row of the table: a board's (with its heap) or CPython's
    if "error" in r:
        return [name, "-", "not run: %s" % r["error"], "-", "-", "-", "-"]
    agree = "-" if "agree" not in r else "%d / %d (%s)" % (r["agree"], n_test, CPYTHON[r["ref"]])
    return [name, KERNELS[r["backend"]], "%.4f" % r["acc"], agree,
            "-" if "max_prob_diff" not in r else "%.2g" % r["max_prob_diff"], "%.2f" % r["ms_per_learn"],
            "%s B" % format(r["heap"], ",") if board else "-"]


def board_text(run):
    md = ["## 5. The board path on real MicroPython\n"]
    if "error" in run:
        md.append("Not run: %s\n" % run["error"])
        return md
    c, boards, cpy = run["cfg"], run["boards"], run["cpython"]
    versions = sorted(set(r["version"] for r in boards.values() if "version" in r))
    md.append("Split-digits, the first two tasks ({0, 1} then {2, 3}), %d training samples (%d per task, "
              "seed 0's order), board path with the digits dm row's settings (hidden %d, lr %g, replay_k %d, "
              "a %d-row memory that receives task 1's distilled set after task 1), then all %d test rows of "
              "classes 0-3. The same requests run in MicroPython's unix port built 32-bit with float32 (%s), "
              "its GC heap fixed at %d KB as on a board and the package at /lib/ulearn as .mpy: `unix32` has "
              "no ulab (the pure-Python kernels, as on stock firmware), `unix32-ulab` has ulab; and on CPython "
              "with the pure-Python kernels, the ulab emulation and numpy. Every side reads the samples from "
              "the same stream files (float32 rows). A board row's reference is CPython on the same kernels, "
              "a CPython row's is CPython's pure-Python kernels. MicroPython computes in float32 where "
              "CPython's pure-Python kernels compute in float64 between float32 arrays, so the probabilities "
              "may differ in the last places of a float32.\n"
              % (run["n"], run["n"] // 2, HIDDEN, c["lr"], c["k"], run["cap"], run["n_test"],
                 "; ".join(versions) or "-", run["heap_kb"]))
    rows = [board_row("MicroPython " + t, r, run["n_test"], True) for t, r in boards.items()]
    rows += [board_row(CPYTHON[b], cpy[b], run["n_test"], False) for b in ("python", "ulab", "numpy")]
    md.append(table(BOARD_COLUMNS, rows) + "\n")
    ran = [(t, r) for t, r in boards.items() if "error" not in r]
    differ = ["%s %.4f against %.4f" % (t, r["acc"], cpy[r["ref"]]["acc"]) for t, r in ran
              if r["acc"] != cpy[r["ref"]]["acc"]]
    if differ:
        md.append("**The final accuracies differ** from CPython's on the same kernels: %s.\n"
                  % "; ".join(differ))
    else:
        md.append("The final accuracies match CPython's on the same kernels (%s).\n"
                  % ", ".join(t for t, _ in ran))
    return md

