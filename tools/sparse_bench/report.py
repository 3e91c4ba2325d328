"""The Markdown page: setup, the settings chosen on validation, the test
results, the budget sweep, the targets, the check on real MicroPython."""
import statistics

import numpy as np

from tools.benchkit import ms, table

from . import domains as DM
from . import settings as S
from .stages import cells


def frac(f):
    return "1/%d" % round(1 / f)


def mean(v):
    return float(statistics.fmean(v))


def sd(v):
    return float(statistics.stdev(v)) if len(v) > 1 else 0.0


def accs(rr):
    return [r["acc"] for r in rr]


def b(n):
    return "{:,.0f}".format(n)


def layers(dims):
    return " -> ".join([str(dims[0][0])] + [str(m) for _, m in dims])


# ---------------------------------------------------------------- setup


def setup_text(domains, how, quick):
    md = ["## Setup\n"]
    rows = []
    for dom in domains:
        d = DM.DATA[dom, "final"]
        u = d["units"]
        rows.append([S.DOMAIN_NAMES[dom], ", ".join(u), "%d per class (%d rows)" % (
            S.K_SHOT, S.K_SHOT * len(np.unique(next(iter(u.values()))["y"]))),
            " / ".join(str(len(x["y"])) for x in u.values()),
            "%s (int8) -> head of %d" % (layers(d["dims"]), d["top"][-1][1]),
            b(d["full"]["bytes"]), b(d["head"]["bytes"])])
    md.append(table(["domain", "test units", "support (k-shot)", "rows per unit", "frozen extractor -> head",
                     "full fine-tuning: bytes", "last layer: bytes"], rows) + "\n")
    for k in ("watch", "fashion"):
        if k in how:
            md.append("* **%s**: %s\n" % ("Watch" if k == "watch" else "Fashion-MNIST", how[k]))
    md.append(
        "* **Models**: pre-trained on the host with `ulearn_host.train.train` (numpy minibatches through the "
        "device's layer code; momentum 0.9, weight decay 1e-4, batches of 32, seed 0), then exported with "
        "`ulearn_host.train.classifier(..., int8=True)` as a bundle: a `ulearn.Classifier` whose extractor is "
        "`ulearn.Frozen` relu layers with **int8** weights (one scale per row, what boards ship), saved with "
        "`ulearn.save` and loaded by every run with `ulearn.load`. Inputs are standardised on the host with "
        "the pre-training rows' mean and variance and the bundle has `standardize=False`: with the board's "
        "online scaler, passes over the support set would also move the input statistics, an adaptation "
        "no row here is meant to measure. Layer widths as the issue suggests (watch: 26 -> 64 -> 32 -> 16, "
        "three frozen layers; Fashion-MNIST at 14x14: 196 -> 64 -> 32), fixed before any run.\n")
    md.append(
        "* **Domains.** *Watch*: each test subject is a new wearer; the support set is %d windows per "
        "exercise from that subject, the query all of that subject's other windows except the neighbours "
        "of a support window in the same recording (2 s windows every 1 s overlap by half). *Fashion-MNIST, "
        "5 new classes*: a new task, 5-way, on the classes the extractor never saw (%s): the bundle carries "
        "the extractor and an empty 5-row head, the support set's labels get the rows (`select_updates` "
        "adds them, or learn_one); support %d per class and query the other rows of those classes, both "
        "from the test split (tuning: the validation split). *Fashion-MNIST, shifted images*: the 5 "
        "pre-training classes with the bundle's head, images moved right by %d pixels at 14x14 (4 at "
        "28x28; off-centre objects), support and query from the test split as above. A contrast-inverted "
        "domain was tried in a prototype and dropped: every row, full fine-tuning included, stayed at "
        "chance from 5 shots.\n"
        % (S.K_SHOT, ", ".join(DM.RAW["fashion"]["names"][5:]) if "fashion" in DM.RAW else "not run",
           S.K_SHOT, S.SHIFT_PX))
    md.append(
        "* **Board path**: every run is the device package on CPython with numpy kernels, as on a board: "
        "`clf = ulearn.load(bundle)`, the optimizer `SGD(lr, momentum=%g, clip=%g)`, then the selection "
        "(`clf.select_updates(X_support, y_support, budget_bytes, method=...)`), then E passes over the "
        "support set in a new random order each pass, one `learn_one` per sample, then `predict_one` on "
        "every query row. lr and E are chosen per row (method and budget) on the validation domains. "
        "Where the head starts empty (5 new classes), `select_updates` gives each new class the head row "
        "of a prototypical network (w = 2m, b = -|m|^2 for the mean m of its support samples' "
        "embeddings), so the Fisher potential has a gradient to measure; every row there also first makes "
        "%d head-only pass over the support set (*warm-up*) before it selects, and the row *Fisher "
        "selection, no warm-up* selects from the prototype rows alone.\n" % (S.MOMENTUM, S.CLIP, S.WARMUP))
    md.append(
        "* **Rows.** *Last layer only*: no selection, learn_one trains the head. *Full fine-tuning*: "
        "`select_updates` with a budget of `ulearn.sparse.cost(dims, [every channel], top)[\"bytes\"]`, "
        "so every channel of every frozen layer gets a float32 trainable copy. *Fisher / L2 / random "
        "selection*: `method=\"fisher\"` (TinyTrain's Fisher potential and layer score), `\"l2\"` (rows "
        "with the largest weights), `\"random\"` (random scores, drawn from the seed), all at the same "
        "budget, a fraction of full fine-tuning's bytes (%s; the targets use 1/10). *No adaptation*: the "
        "bundle as shipped, for reference.\n" % ", ".join(frac(f) for f in S.fractions(quick)))
    md.append(
        "* **Bytes and MACs** are `ulearn.sparse.cost` of one training step, as the selection computes "
        "them: float32 weights of the trained rows (and of the head, all its capacity rows), their "
        "gradients (the momentum velocity), the activations the backward pass reads, the gradient "
        "vectors and the trained rows' object headers; MACs of the backward pass. Ratios are to full fine-tuning's. The MicroPython section "
        "below measures what a selection really adds to the heap.\n")
    return md


# ---------------------------------------------------------------- tuning


def setting(c):
    return "-" if c is None else "-" if c[0] is None else "lr %g, %d passes" % c


def tuning_text(domains, val, best, quick, tseeds):
    lrs, eps = S.grid(quick)
    md = ["## 1. Settings chosen on the validation domains\n"]
    md.append(
        "Grid: lr %s x passes %s, for every row separately; chosen: the best mean validation accuracy over "
        "the validation units and tuning seeds %s (support draws and random selections differ from the "
        "test seeds'). The test domains are used once, with these settings. *Fisher, no warm-up* uses the "
        "Fisher row's setting.\n" % (list(lrs), list(eps), ", ".join(map(str, tseeds))))
    rows, grid_rows = [], []
    for dom in domains:
        for m, f in cells(dom, S.fractions(quick)):
            if m == "cold":
                continue
            c = best.get((dom, m, f))
            acc = val.get((dom, m, f) + (c or (None, None)))
            rows.append([S.DOMAIN_NAMES[dom], S.METHOD_NAMES[m], "-" if f is None else frac(f), setting(c),
                         "-" if acc is None else "%.3f" % acc])
            if m != "none":
                cs = []
                for lr in lrs:
                    cs.append(" ".join("n/a" if val.get((dom, m, f, lr, e)) is None else
                                       ("**%.3f**" if (lr, e) == c else "%.3f") % val[dom, m, f, lr, e]
                                       for e in eps))
                grid_rows.append([S.DOMAIN_NAMES[dom], S.SHORT[m], "-" if f is None else frac(f)] + cs)
    md.append(table(["domain", "row", "budget", "chosen", "validation accuracy"], rows) + "\n")
    chosen = [c for c in best.values() if c and c[0] is not None]
    edges = {"the smallest lr": lambda c: c[0] == lrs[0], "the largest lr": lambda c: c[0] == lrs[-1],
             "the fewest passes": lambda c: c[1] == eps[0], "the most passes": lambda c: c[1] == eps[-1]}
    md.append("Chosen settings on an edge of the grid: %s, of %d (the grid below shows how flat the "
              "validation accuracy is around them).\n"
              % (", ".join("%d at %s" % (sum(map(f, chosen)), k) for k, f in edges.items()), len(chosen)))
    md.append("<details><summary>Every cell of the grid (validation accuracy; per lr, the passes %s in "
              "order; chosen in bold)</summary>\n" % list(eps))
    md.append(table(["domain", "row", "budget"] + ["lr %g" % lr for lr in lrs], grid_rows) + "\n")
    md.append("</details>\n")
    return md


# ---------------------------------------------------------------- results


def row_cells(dom, m, f, rr):
    d = DM.DATA[dom, "final"]
    full = d["full"]
    by = mean([r["bytes"] for r in rr])
    mc = mean([r["macs"] for r in rr])
    cnt = np.mean([r["counts"] for r in rr], axis=0)
    return [ms(accs(rr)), "%s (%.1f%%)" % (b(by), 100 * by / full["bytes"]),
            "%s (%.1f%%)" % (b(mc), 100 * mc / full["macs"]),
            " / ".join("%.0f" % c if c == round(c) else "%.1f" % c for c in cnt)]


def results_text(domains, res, best, quick, seeds):
    md = ["## 2. Results on the test domains\n"]
    md.append(
        "Accuracy on the query rows, mean ± std over %d seeds (a seed draws the support set, the pass "
        "orders and the random selection's scores; for the watch, the accuracy of a seed is the mean over "
        "the test subjects). Bytes and MACs: mean over seeds and units; *channels*: trained rows per frozen "
        "layer, bottom first (mean). Budget rows: 1/10 of full fine-tuning's bytes.\n" % len(seeds))
    for dom in domains:
        d = DM.DATA[dom, "final"]
        md.append("### %s\n" % S.DOMAIN_NAMES[dom])
        rows = []
        for m, f in cells(dom, S.fractions(quick)):
            if f not in (None, S.TARGET_FRACTION):
                continue
            rr = res.get((dom, m, f))
            name = S.METHOD_NAMES[m] + ("" if f is None else ", " + frac(f))
            if not rr:
                rows.append([name, "budget too small for one channel", "", "", "", ""])
                continue
            rows.append([("**%s**" % name) if m == "fisher" else name] + row_cells(dom, m, f, rr)
                        + [setting(best[dom, m, f])])
        md.append(table(["row", "accuracy", "bytes (of full FT)", "backward MACs (of full FT)",
                         "channels (of %s)" % " / ".join(str(m) for _, m in d["dims"]), "settings"], rows) + "\n")
        md.append(paired_text(dom, res) + "\n")
        if len(d["units"]) > 1:
            names = list(d["units"])
            rows = []
            for m, f in cells(dom, S.fractions(quick)):
                rr = res.get((dom, m, f))
                if rr and f in (None, S.TARGET_FRACTION):
                    rows.append([S.METHOD_NAMES[m] + ("" if f is None else ", " + frac(f))]
                                + [ms([r["units"][u] for r in rr]) for u in names])
            md.append("<details><summary>Per test subject</summary>\n")
            md.append(table(["row"] + names, rows) + "\n")
            md.append("</details>\n")
    return md


def paired(dom, res, a, b_, f=S.TARGET_FRACTION):
    """Per-seed differences (same support set) of row a minus row b_."""
    ra, rb = res.get((dom, a, f)), res.get((dom, b_, None if b_ in ("full", "head", "none") else f))
    if not ra or not rb:
        return None
    return [x["acc"] - y["acc"] for x, y in zip(ra, rb)]


def paired_text(dom, res):
    parts = []
    for other in ("random", "l2", "head", "full"):
        v = paired(dom, res, "fisher", other)
        if v is not None:
            parts.append("%s %s points" % (S.SHORT[other], ms([100 * x for x in v], "%+.1f")))
    return ("Fisher selection at 1/10 minus each other row, seed by seed (the same support set): "
            + "; ".join(parts) + ".")


def sweep_text(domains, res, quick):
    fr = S.fractions(quick)
    md = ["## 3. Accuracy against the budget\n"]
    md.append("Each budget is a fraction of full fine-tuning's bytes; each cell its own tuned lr and passes. "
              "Cells: accuracy (mean ± std), then the mean bytes the selection used and the channels per "
              "layer.\n")
    rows = []
    for dom in domains:
        for m in S.SPARSE:
            cs = []
            for f in fr:
                rr = res.get((dom, m, f))
                if not rr:
                    cs.append("too small")
                    continue
                c = row_cells(dom, m, f, rr)
                cs.append("%s<br>%s B, %s" % (c[0], c[1].split(" ")[0], c[3]))
            rows.append([S.DOMAIN_NAMES[dom], S.SHORT[m]] + cs)
        ends = [ms(accs(res[dom, m, None])) + " at " + b(res[dom, m, None][0]["bytes"]) + " B"
                for m in ("head", "full")]
        rows.append([S.DOMAIN_NAMES[dom], "last layer; full FT", ends[0] + "; " + ends[1]] + [""] * (len(fr) - 1))
    md.append(table(["domain", "row"] + [frac(f) for f in fr], rows) + "\n")
    return md


# ---------------------------------------------------------------- findings


def findings_text(domains, res, quick):
    """What the tables show beyond the targets, computed from them."""
    md = ["## 4. Reading the results\n"]
    fr = S.fractions(quick)
    both = [(dom, f) for dom in domains for f in fr if all(res.get((dom, m, f)) for m in S.SPARSE)]
    same = [(dom, f) for dom, f in both
            if all(len({tuple(res[dom, m, f][i]["counts"]) for m in S.SPARSE}) == 1
                   for i in range(len(res[dom, "fisher", f])))]
    md.append(
        "* **Which layers.** In %d of %d (domain, budget) cells the three selections trained the same number "
        "of channels in every layer, seed by seed and unit by unit: they differed only in *which* channels. "
        "The layer score divides a layer's summed channel scores by its shares of the parameters and of "
        "the MACs; that factor differs up to %.0fx between the layers of these models, and random and L2 "
        "scores (all positive, of similar sums) are ordered by it alone; %s. A layer is then filled "
        "channel by channel, best first, until the next channel does not fit, and the next layer gets "
        "what is left.\n"
        % (len(same), len(both), max(_spread_of_norm(dom) for dom in domains),
           "the Fisher potential did not change that order in any cell" if len(same) == len(both) else
           "the Fisher potential changed it in the other cells"))
    hot = []
    for dom in domains:
        full = DM.DATA[dom, "final"]["full"]
        for f in fr:
            rr = res.get((dom, "fisher", f))
            if rr:
                pb = mean([r["bytes"] for r in rr]) / full["bytes"]
                pm = mean([r["macs"] for r in rr]) / full["macs"]
                if pm > 1.5 * pb:
                    hot.append("%s at %s: %.0f%% of the bytes, %.0f%% of the MACs" % (S.DOMAIN_NAMES[dom], frac(f),
                                                                                      100 * pb, 100 * pm))
    if hot:
        md.append("* **Bytes and MACs do not scale together.** A channel of a lower layer makes the backward "
                  "pass run through every layer above it (`W^T g`), so the first channel of a new lowest layer "
                  "costs a step in MACs: %s. The runs here set no MAC budget (`budget_macs`); a board short of "
                  "time would.\n" % "; ".join(hot))
    cold, warm = res.get(("fashion_new", "cold", S.TARGET_FRACTION)), res.get(("fashion_new", "fisher",
                                                                                S.TARGET_FRACTION))
    if cold and warm:
        md.append("* **Warm-up or prototypes alone.** On %s, selecting from the prototype head rows "
                  "alone (no head-only pass first) trains %s channels per layer (%s; bytes and MACs in "
                  "section 2) and reaches %s, against %s with one head-only pass first. (Before the "
                  "prototype rows, a new class's head row was zero, every channel's Fisher score was 0 "
                  "and this row reached 0.360 ± 0.070.)\n"
                  % (S.DOMAIN_NAMES["fashion_new"], " / ".join("%.0f" % c for c in cold[0]["counts"]),
                     "on every seed" if len({tuple(r["counts"]) for r in cold}) == 1 else "seed 0",
                     ms(accs(cold)), ms(accs(warm))))
    worse = [dom for dom in domains if res.get((dom, "none", None)) and res.get((dom, "head", None))
             and mean(accs(res[dom, "head", None])) < mean(accs(res[dom, "none", None]))]
    for dom in worse:
        md.append("* **Training the head alone can hurt.** On %s the last layer, trained with the setting "
                  "that was best on the validation subjects, ends below the bundle as shipped (%s vs %s): "
                  "from %d samples per class the head over-fits some subjects (per-subject table above).\n"
                  % (S.DOMAIN_NAMES[dom], ms(accs(res[dom, "head", None])), ms(accs(res[dom, "none", None])),
                     S.K_SHOT))
    return md


def _spread_of_norm(dom):
    dims = DM.DATA[dom, "final"]["dims"]
    w = [1.0 / ((n + 1) * m * n * m) for n, m in dims]
    return max(w) / min(w)


# ---------------------------------------------------------------- targets


def target_rows(domains, res, quick):
    """Rows of the targets table, and a dict of verdicts for the summary."""
    out, verdicts = [], {}
    f0 = S.TARGET_FRACTION
    for dom in domains:
        fi, fu, ra = res.get((dom, "fisher", f0)), res.get((dom, "full", None)), res.get((dom, "random", f0))
        if not fi or not fu:
            continue
        full = DM.DATA[dom, "final"]["full"]
        gap = mean(accs(fu)) - mean(accs(fi))
        ratio = max(r["max_bytes"] for r in fi) / full["bytes"]
        ok = gap <= S.TARGET_POINTS and ratio <= f0
        fix = ""
        if not ok:
            closing = [f for f in S.fractions(quick) if res.get((dom, "fisher", f))
                       and mean(accs(fu)) - mean(accs(res[dom, "fisher", f])) <= S.TARGET_POINTS]
            fix = (" Measured: a budget of %s closes it (%s, %.0f%% of the bytes)."
                   % (frac(closing[0]), ms(accs(res[dom, "fisher", closing[0]])),
                      100 * mean([r["bytes"] for r in res[dom, "fisher", closing[0]]]) / full["bytes"])
                   if closing else " No budget up to %s closes it." % frac(max(S.fractions(quick))))
        out.append(["Fisher within 1 point of full fine-tuning at <= 1/10 of its bytes, %s"
                    % S.DOMAIN_NAMES[dom],
                    "Fisher %s vs full %s: %+.1f points; %.1f%% of full FT's bytes (%s of %s), %.1f%% of its "
                    "backward MACs" % (ms(accs(fi)), ms(accs(fu)), -100 * gap, 100 * ratio,
                                       b(max(r["max_bytes"] for r in fi)), b(full["bytes"]),
                                       100 * mean([r["macs"] for r in fi]) / full["macs"]),
                    ("**met**" if ok else "**missed**") + fix])
        verdicts[dom, 1] = ok
        if not ra:
            continue
        margin = mean(accs(fi)) - mean(accs(ra))
        spread = sd(accs(fi)) + sd(accs(ra))
        ok2 = margin > spread and len(fi) >= 3
        pv = paired(dom, res, "fisher", "random")
        elsewhere = [frac(f) for f in S.fractions(quick) if f != f0 and res.get((dom, "fisher", f))
                     and res.get((dom, "random", f))
                     and mean(accs(res[dom, "fisher", f])) - mean(accs(res[dom, "random", f]))
                     > sd(accs(res[dom, "fisher", f])) + sd(accs(res[dom, "random", f]))]
        out.append(["Fisher ahead of random selection at equal budget (1/10) by more than the spread, %s"
                    % S.DOMAIN_NAMES[dom],
                    "%s vs %s: %+.1f points, spread (sum of the two stds) %.1f points; seed by seed %s points"
                    % (ms(accs(fi)), ms(accs(ra)), 100 * margin, 100 * spread,
                       ms([100 * x for x in pv], "%+.1f")),
                    ("**met**" if ok2 else "**missed**")
                    + ("" if ok2 else " Met at %s." % ", ".join(elsewhere) if elsewhere
                       else " Not met at any budget of the sweep either.")])
        verdicts[dom, 2] = ok2
    return out, verdicts


def headline(domains, res):
    """Accuracy, bytes and MACs per domain and row (1/10 budgets)."""
    rows = []
    for dom in domains:
        full = DM.DATA[dom, "final"]["full"]
        for m in S.methods_of(dom):
            f = S.TARGET_FRACTION if m in S.SPARSE + ("cold",) else None
            rr = res.get((dom, m, f))
            if not rr or m == "none":
                continue
            by, mc = mean([r["bytes"] for r in rr]), mean([r["macs"] for r in rr])
            rows.append([S.DOMAIN_NAMES[dom], S.SHORT[m] + ("" if f is None else " " + frac(f)),
                         ms(accs(rr)), "%s (%.1f%%)" % (b(by), 100 * by / full["bytes"]),
                         "%s (%.1f%%)" % (b(mc), 100 * mc / full["macs"])])
    return table(["domain", "row", "accuracy", "bytes (of full FT)", "backward MACs (of full FT)"], rows)


def summary_text(domains, res, quick, seeds, board):
    rows, verdicts = target_rows(domains, res, quick)
    lines = ["**Summary.** Test accuracy after adapting from %d samples per class, mean ± std over %d "
             "seeds; bytes and backward MACs of one training step (`ulearn.sparse.cost`), budgets at 1/10 "
             "of full fine-tuning's bytes:\n" % (S.K_SHOT, len(seeds)), headline(domains, res) + "\n"]
    met = sum(verdicts.values())
    lines.append("%d of %d targets met." % (met, len(verdicts)))
    if board and "error" not in board:
        ran = [(t, r) for t, r in board["boards"].items() if "error" not in r]
        lines[-1] += (" On real MicroPython (float32, %d KB heap) one Fisher adaptation (%s, %d learn_one) %s."
                      % (board["heap_kb"], board["unit"], board["n_learn"], "; ".join(
                          "on %s picks %s channels as CPython's %s path and predicts the same class for %d of "
                          "%d query rows" % (t, "the same" if r["same_picks"] else "**other**",
                                             "pure-Python" if r["ref"] == "python" else "ulab-emulation",
                                             r["agree"], board["n_query"]) for t, r in ran)))
    lines.append("\n**Targets** (from the issue; std: sample std over seeds):\n")
    lines.append(table(["target", "measured", "verdict"], rows) + "\n")
    return "\n".join(lines)


# ---------------------------------------------------------------- MicroPython

BOARD_COLUMNS = ["where", "kernels", "channels picked per layer", "planned bytes", "query accuracy",
                 "predictions equal to the reference's", "largest probability difference (first 20 rows)",
                 "ms per learn_one", "heap the selection and training added"]
KERNELS = {"python": "pure Python", "ulab": "ulab", "numpy": "numpy"}
CPYTHON = {"python": "CPython, pure-Python kernels", "ulab": "CPython, ulab emulation",
           "numpy": "CPython, numpy kernels"}


def board_row(name, r, n_query):
    # a row of the table: a board's (with its heap) or CPython's
    if "error" in r:
        return [name, "-", "not run: %s" % r["error"]] + ["-"] * 6
    ref = "-" if "ref" not in r else "%d / %d (%s)" % (r["agree"], n_query, CPYTHON[r["ref"]])
    return [name, KERNELS[r["backend"]], str(r["picks"]), b(r["cost"]["bytes"]), "%.4f" % r["acc"], ref,
            "-" if "ref" not in r else "%.2g" % r["max_prob_diff"], "%.2f" % r["ms_per_learn"],
            "-" if r.get("heap") is None else "%s B" % b(r["heap"])]


def board_text(run):
    md = ["## 5. One adaptation on real MicroPython\n"]
    if "error" in run:
        return md + ["Not run: %s\n" % run["error"]]
    boards, cpy = run["boards"], run["cpython"]
    versions = sorted(set(r["version"] for r in boards.values() if "version" in r))
    md.append(
        "%s, test %s, seed %d: the bundle, the %d-row support set, Fisher selection at 1/10 of full "
        "fine-tuning's bytes (%s B), %d passes (lr %g; %d learn_one), then %d query rows, from the same files "
        "and orders in MicroPython's unix port built 32-bit with float32 (%s), its GC heap fixed at %d KB as "
        "on a board and the package at /lib/ulearn as .mpy (`unix32`: no ulab, the pure-Python kernels, as on "
        "stock firmware; `unix32-ulab`: with ulab), and on CPython with the pure-Python kernels, the ulab "
        "emulation and numpy (`devicepkg.use`). The support and query rows reach every side as stream files "
        "(float32 rows). A board row's reference is CPython on the same kernels, a CPython row's is CPython's "
        "pure-Python kernels. MicroPython computes in float32 where CPython's pure-Python kernels compute in "
        "float64 between float32 arrays.\n"
        % (S.DOMAIN_NAMES["watch"], run["unit"], run["seed"], run["n_learn"] // run["epochs"], b(run["budget"]),
           run["epochs"], run["lr"], run["n_learn"], run["n_query"], "; ".join(versions) or "-", run["heap_kb"]))
    rows = [board_row("MicroPython " + t, r, run["n_query"]) for t, r in boards.items()]
    rows += [board_row(CPYTHON[k], cpy[k], run["n_query"]) for k in ("python", "ulab", "numpy")]
    ran = [("MicroPython " + t, r) for t, r in boards.items() if "error" not in r]
    ran += [(CPYTHON[k], cpy[k]) for k in ("ulab", "numpy")]
    other = [w for w, r in ran if not r["same_picks"]]
    heaps = ["%s B on %s" % (b(r["heap"]), t) for t, r in boards.items() if r.get("heap") is not None]
    return md + [table(BOARD_COLUMNS, rows) + "\n",
                 "%s Heap the selection and training added on the boards (`gc.mem_alloc` after a collection, "
                 "before the selection and after the last pass): %s, against %s B planned by "
                 "`sparse.allocated` (what a selection adds over head-only training: the trained rows' weights, "
                 "velocities and object headers, and the gradient vectors; on the pure-Python path the "
                 "activations are the layers' own buffers).\n"
                 % ("Same picks and planned cost on every row." if not other else
                    "**The picks or the planned cost differ** from the reference's: %s." % ", ".join(other),
                    "; ".join(heaps) or "not measured", b(run["heap_planned"]))]
