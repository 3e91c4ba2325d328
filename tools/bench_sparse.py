#!/usr/bin/env python
"""Sparse-update benchmark of ulearn: few-shot adaptation to held-out domains.

After TinyTrain (Kwon et al., ICML 2024): a model pre-trained on the host (int8
frozen extractor + head) adapts on the board path from a few labelled samples of
a new domain, training the head alone, every channel, or the channels
`Classifier.select_updates` picks within a memory budget by Fisher potential,
against L2-norm and random picks at the same budget; then one adaptation in
real MicroPython (the unix-port builds) checked against CPython. lr and passes
are chosen on validation domains; the test domains are used once. Run from the
repository root::

    python tools/bench_sparse.py --json docs/sparse.json --out docs/sparse.md --plot docs/img
    python tools/bench_sparse.py --quick              # smoke run (~1 minute)
    python tools/bench_sparse.py --render docs/sparse.json --out docs/sparse.md   # no measuring

Every figure goes to --json; the page (stdout and --out) renders from it alone
(`render`). The work is in tools/sparse_bench/.
"""
import json
import shutil
import tempfile
import time
from pathlib import Path

from ulearn_dev.benchkit import Laps, ms, note, provenance, publish, tuned_arguments
from ulearn_dev.sparse_bench import settings as S
from ulearn_dev.sparse_bench.result import Result, accs, frac, mean, sd
from ulearn_host.report import headline, table

TITLE = "ulearn sparse-update benchmark"
QUICK = "Fashion-MNIST cut, few query rows, small grids"


def arguments(argv):
    quick = "Fashion-MNIST cut to %d training rows per class, %d query rows, small grids, budgets %s" % (
        S.QUICK["fashion_train"], S.QUICK["queries"], ", ".join(frac(f) for f in S.QUICK["fractions"]))

    def extra(ap):
        ap.add_argument("--no-board", action="store_true", help="skip the run on real MicroPython (section 5)")
    return tuned_arguments(__doc__, S, quick, extra, argv)


def measure(args):
    """Every stage; the result as a JSON-ready dict."""
    from ulearn_dev import benchenv  # noqa: F401  first: BLAS threads, the device package on numpy
    from ulearn_dev.sparse_bench import board, domains, pretrain, stages
    doms, quick, lap, on_board = args.domains, args.quick, Laps(), None
    res = dict(benchmark="sparse", title=TITLE, **provenance())
    work = tempfile.mkdtemp(prefix="bench_sparse-")  # the bundles
    try:
        note("loading data, pre-training")
        datasets = domains.load(doms, quick)
        pretrain.build(doms, ("tune", "final"), work, quick)
        lap("data and pre-training")
        note("stage 1: tuning on the validation domains")
        val, best = stages.tune(doms, quick, args.tune_seeds, args.jobs)
        lap("tuning")
        note("stage 2: test domains")
        runs = stages.test(doms, quick, args.seeds, best, args.jobs)
        lap("test runs")
        if "watch" in doms and not args.no_board:
            note("stage 3: real MicroPython (unix32, unix32-ulab)")
            on_board = board.stage(best, quick)
            lap("MicroPython")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (lrs, eps), fr = S.grid(quick), S.fractions(quick)
    rows = [dict(domain=dom, method=m, fraction=f, chosen=best.get((dom, m, f)), runs=runs.get((dom, m, f)),
                 validation=[[k[3], k[4], a] for k, a in val.items() if k[:3] == (dom, m, f)])
            for dom in doms for m, f in stages.cells(dom, fr)]
    res.update(elapsed=time.time() - lap.start, stages=lap.secs, quick=quick, seeds=args.seeds, config=dict(
        domains=doms, tune_seeds=args.tune_seeds, jobs=args.jobs, board=not args.no_board, k_shot=S.K_SHOT,
        lr=lrs, epochs=eps, fractions=fr, target_fraction=S.TARGET_FRACTION, target_points=S.TARGET_POINTS,
        momentum=S.MOMENTUM, clip=S.CLIP, warmup=S.WARMUP, pool=S.POOL, shift_px=S.SHIFT_PX, arch=S.ARCH,
        pretrain_epochs=S.PRETRAIN_EPOCHS, val_queries=S.VAL_QUERIES, vm_queries=S.VM_QUERIES,
        quick_settings=S.QUICK if quick else None),
        data=dict(datasets=datasets, models=pretrain.models(), domains={d: pretrain.domain(d) for d in doms},
                  rows=rows, board=on_board), plots=[])
    note("done in %.0f s" % res["elapsed"])
    return json.loads(json.dumps(res))  # as the JSON file holds it


# ---------------------------------------------------------------- the page

COST_COLUMNS = ["bytes (of full FT)", "backward MACs (of full FT)"]
KERNELS = {"python": "pure Python", "ulab": "ulab", "numpy": "numpy"}
CPYTHON = {"python": "CPython, pure-Python kernels", "ulab": "CPython, ulab emulation",
           "numpy": "CPython, numpy kernels"}
b = "{:,.0f}".format  # 12,345


def para(text, *args, end="\n"):
    """Prose wrapped over source lines, as one line (single spaces), %-formatted with args."""
    return " ".join(text.split()) % args + end


def join(items, sep=", "):
    return sep.join(map(str, items))


def span(subjects):
    s = sorted(subjects)
    return "%d-%d" % (s[0], s[-1]) if len(s) > 2 and s == list(range(s[0], s[-1] + 1)) else join(s)


def row_name(m, f, names=S.METHOD_NAMES, sep=", "):
    return names[m] + ("" if f is None else sep + frac(f))


def setting(c):
    return "-" if c is None or c[0] is None else "lr %g, %d passes" % tuple(c)


def points(diffs):
    """Per-seed accuracy differences, as 'mean ± std' in points."""
    return ms([100 * x for x in diffs], "%+.1f")


def full_pct(R, dom, rr, key):
    """The runs' mean bytes or MACs, in % of full fine-tuning's."""
    return 100 * mean([r[key] for r in rr]) / R.info[dom]["full"][key]


def row_cells(R, dom, rr):
    """Accuracy, bytes and backward MACs (of full FT's), trained channels per layer: over the runs rr."""
    counts = [mean(c) for c in zip(*[r["counts"] for r in rr])]
    costs = ["%s (%.1f%%)" % (b(mean([r[k] for r in rr])), full_pct(R, dom, rr, k))
             for k in ("bytes", "macs")]
    return [ms(accs(rr))] + costs + [" / ".join("%.0f" % c if c == round(c) else "%.1f" % c for c in counts)]


def render(res):
    """The page's Markdown, from the result alone; fills res's summary, headline and targets."""
    R, c, d = Result(res), res["config"], res["data"]
    res["summary"], res["headline"], res["targets"] = summary(R, d["board"]), [headline_table(R)], targets(R)
    quick = " **Quick (smoke) run: %s; not the reference figures.**" % QUICK if res["quick"] else ""
    md = ["# %s\n" % res["title"],
          "Reproduce from the repository root (≈ %.0f s on the machine below):\n" % res["elapsed"],
          "```\n%s\n```\n" % res["command"],
          para("""Environment: %s; %d worker process(es), one BLAS thread each; commit %s, %s. Test seeds: %s;
              tuning seeds: %s.%s Run time per stage: %s; total %.0f s.""", res["environment"], c["jobs"],
               res["commit"], res["date"], join(R.seeds), join(c["tune_seeds"]), quick,
               join("%s %.0f s" % kv for kv in res["stages"].items()), res["elapsed"])]
    md += headline(res) + setup(R, c, d) + tuning(R, c) + results(R) + sweep(R) + notes(R)
    md += board_section(d["board"]) if d["board"] is not None else []
    if res["plots"]:
        md += ["## Plots\n"] + ["![%s](%s)\n" % (Path(p).stem, p) for p in res["plots"]]
    return "\n".join(md)


def summary(R, run):
    text = para("""A bundle pre-trained on the host (int8 frozen extractor + head) adapts from %d samples per
        class of a held-out domain: last layer only, full fine-tuning, or the channels Fisher potential, L2
        norm or random scores pick within %s of full fine-tuning's bytes.""",
        R.k_shot, frac(R.target), end="")
    if not run or "error" in run:
        return text
    boards = ["on %s picks %s channels as CPython's %s path and predicts the same class for %d of %d query "
              "rows" % (t, "the same" if r["same_picks"] else "**other**",
                        "pure-Python" if r["ref"] == "python" else "ulab-emulation", r["agree"],
                        run["n_query"])
              for t, r in run["boards"].items() if "error" not in r]
    on_board = " On real MicroPython (float32, %d KB heap) one Fisher adaptation (%s, %d learn_one) %s."
    return text + on_board % (run["heap_kb"], run["unit"], run["n_learn"], "; ".join(boards))


def headline_table(R):
    rows = [[S.DOMAIN_NAMES[dom], row_name(m, f, S.SHORT, " ")] + row_cells(R, dom, R.runs[dom, m, f])[:3]
            for dom, m, f in R.keys if m != "none" and f in (None, R.target) and R.runs[dom, m, f]]
    return dict(caption=para("""Test accuracy (mean ± std over %d seeds), bytes and backward MACs of one
        training step (`ulearn.sparse.cost`); budgets at %s of full fine-tuning's bytes""", len(R.seeds),
        frac(R.target), end=""), columns=["domain", "row", "accuracy"] + COST_COLUMNS, rows=rows)


def targets(R):
    """The issue's two targets per domain, as measured; where missed, the budget that meets them, if any."""
    out, f0 = [], R.target
    for dom in R.doms:
        fisher, rand = ({f: R.runs[dom, m, f] for f in R.fracs if R.runs.get((dom, m, f))}
                        for m in ("fisher", "random"))
        fi, fu, ra, name = fisher.get(f0), R.runs.get((dom, "full", None)), rand.get(f0), S.DOMAIN_NAMES[dom]
        if not fi or not fu:
            continue
        full, worst = R.info[dom]["full"]["bytes"], max(r["max_bytes"] for r in fi)
        gap = mean(accs(fu)) - mean(accs(fi))
        ok = gap <= R.points and worst / full <= f0
        closing = [f for f, rr in fisher.items() if mean(accs(fu)) - mean(accs(rr)) <= R.points]
        fix = "" if ok else (" A budget of %s closes it (%s, %.0f%% of the bytes)." % (
            frac(closing[0]), ms(accs(fisher[closing[0]])), full_pct(R, dom, fisher[closing[0]], "bytes"))
            if closing else " No budget up to %s closes it." % frac(max(R.fracs)))
        out.append(dict(
            target="Fisher within 1 point of full fine-tuning at <= %s of its bytes, %s" % (frac(f0), name),
            met=ok, measured=para("""Fisher %s vs full %s: %+.1f points; %.1f%% of full FT's bytes (%s of %s),
                %.1f%% of its backward MACs.%s""", ms(accs(fi)), ms(accs(fu)), -100 * gap, 100 * worst / full,
                b(worst), b(full), full_pct(R, dom, fi, "macs"), fix, end="")))
        if not ra:
            continue
        ahead = {f: (mean(accs(rr)) - mean(accs(rand[f])), sd(accs(rr)) + sd(accs(rand[f])))
                 for f, rr in fisher.items() if f in rand}  # Fisher's lead over random, the sum of their stds
        margin, spread = ahead[f0]
        ok = margin > spread and len(fi) >= 3
        elsewhere = [frac(f) for f, (lead, s) in ahead.items() if f != f0 and lead > s]
        out.append(dict(
            target="Fisher ahead of random selection at equal budget (%s) by more than the spread, %s"
            % (frac(f0), name), met=ok,
            measured=para("""%s vs %s: %+.1f points, spread (sum of the two stds) %.1f points; seed by seed %s
                points.%s""", ms(accs(fi)), ms(accs(ra)), 100 * margin, 100 * spread,
                points(R.paired(dom, "fisher", "random")), "" if ok else " Met at %s." % join(elsewhere)
                if elsewhere else " Not met at any budget of the sweep either.", end="")))
    return out


def setup(R, c, d):
    k, px, ds = c["k_shot"], 28 // c["pool"], d["datasets"]
    rows = [[S.DOMAIN_NAMES[dom], join(i["units"]), "%d per class (%d rows)" % (k, k * i["classes"]),
             join(i["units"].values(), " / "), "%s (int8) -> head of %d" % (
                 join([i["dims"][0][0]] + [m for _, m in i["dims"]], " -> "), i["head"]),
             b(i["full"]["bytes"]), b(i["last"]["bytes"])] for dom, i in R.info.items()]
    models = [["Fashion-MNIST, for tuning and test" if m["model"] == "fashion" else
               "watch, for " + ("the test subjects" if m["phase"] == "final" else "tuning"), m["rows"],
               join(m["widths"], " -> "), m["epochs"], "%.1f" % m["secs"],
               "-" if m["acc"] is None else "%.3f / %.3f" % tuple(m["acc"])] for m in d["models"]]
    columns = ["domain", "test units", "support (k-shot)", "rows per unit", "frozen extractor -> head",
               "full fine-tuning: bytes", "last layer: bytes"]
    md = ["## Setup\n", table(columns, rows)]
    if "watch" in ds:
        w = ds["watch"]
        md.append(para("""* **Watch**: seglearn smartwatch exercises: 2 s windows every 1 s, 26 features, 7
            classes, %d rows. Pre-training for the test runs: subjects %s (the project's training subjects);
            each test subject (%s) is a new domain. Tuning: a model pre-trained on subjects %s, adapted to
            subjects %s.""", w["rows"], span(w["train"]), join(w["test"]), span(w["tune_train"]),
            join(w["val"], " and ")))
    if "fashion" in ds:
        f = ds["fashion"]
        md.append(para("""* **Fashion-MNIST**: Debian dataset-fashion-mnist, 28x28 averaged to %dx%d (%d
            inputs), scaled to [0, 1]; the standard training rows split into %d for pre-training and a
            stratified 1/6 (%d) for tuning; %d test rows. Pre-training: classes 0-4 (%s) of the pre-training
            rows only. The classes the extractor never saw: %s.""", px, px, px * px, f["pretrain"], f["val"],
            f["test"], join(f["names"][:5]), join(f["names"][5:])))
    return md + [para("""* **Models**: pre-trained on the host (`ulearn_host.train.train`: momentum 0.9,
        weight decay 1e-4, batches of 32, seed 0) and exported with `ulearn_host.train.classifier(...,
        int8=True)`: a `ulearn.Classifier` on `ulearn.Frozen` relu layers with int8 weights (one scale per
        row, what boards ship), saved with `ulearn.save` and loaded by every run. Inputs are standardised on
        the host and the bundle has `standardize=False`: the board's online scaler would also adapt to the
        support set."""),
        para("""* **Domains**: a watch test subject is a new wearer (support: %d windows per exercise; query:
        the subject's other windows but the neighbours of a support window, as windows overlap by half). *5
        new classes*: a 5-way task on classes the extractor never saw, from an empty 5-row head. *Shifted
        images*: the pre-training classes with the bundle's head, images moved right by %d pixels at %dx%d.
        Fashion-MNIST support and query rows come from the test split (tuning: the validation split). A
        contrast-inverted domain was dropped in a prototype: every row stayed at chance from 5 shots.""",
        k, c["shift_px"], px, px),
        para("""* **Board path**: the device package on CPython's numpy kernels: `ulearn.load(bundle)`,
        `SGD(lr, momentum=%g, clip=%g)`, `clf.select_updates(X_support, y_support, budget_bytes, method=...)`,
        E passes over the support set in a new order each, one `learn_one` per sample, `predict_one` on the
        query. A new class gets a prototypical-network head row (w = 2m, b = -|m|^2, m its mean support
        embedding) so that Fisher potentials are not 0, and rows first make %d head-only pass (*warm-up*;
        *Fisher selection, no warm-up* selects from the prototypes; with zero head rows it reached 0.360 ±
        0.070).""", c["momentum"], c["clip"], c["warmup"]),
        para("""* **Rows**: *last layer only* trains the head; *full fine-tuning* selects with a budget of
        every channel's cost; *Fisher / L2 / random selection* use `method="fisher"` (TinyTrain's Fisher
        potential and layer score), `"l2"` (largest weight rows) or `"random"` (scores from the seed), at %s
        of full fine-tuning's bytes (targets: %s); *no adaptation* is the bundle as shipped.""",
        join(map(frac, R.fracs)), frac(R.target)),
        para("""* **Bytes and MACs**: `ulearn.sparse.cost` of one training step: float32 weights of the
        trained rows and the head, their momentum velocities, the activations the backward pass reads, the
        gradient vectors and object headers; MACs of the backward pass. Section 5 measures the heap a
        selection adds."""),
        para("""Pre-trained models (the Fashion-MNIST accuracy is on the test rows of classes 0-4, as they are
        / shifted):"""), table(["model", "rows", "layers", "epochs", "seconds", "accuracy"], models)]


def tuning(R, c):
    rows, grid = [], []
    for dom, m, f in [key for key in R.keys if key[1] != "cold"]:
        best, budget = R.best.get((dom, m, f)), "-" if f is None else frac(f)
        acc = R.val.get((dom, m, f) + (best or (None, None)))
        rows.append([S.DOMAIN_NAMES[dom], S.METHOD_NAMES[m], budget, setting(best),
                     "-" if acc is None else "%.3f" % acc])
        if m != "none":
            cell = {(lr, e): R.val.get((dom, m, f, lr, e)) for lr in R.lrs for e in R.eps}
            grid.append([S.DOMAIN_NAMES[dom], S.SHORT[m], budget] + [" ".join(
                "n/a" if cell[lr, e] is None else ("**%.3f**" if (lr, e) == best else "%.3f") % cell[lr, e]
                for e in R.eps) for lr in R.lrs])
    chosen = [s for s in R.best.values() if s and s[0] is not None]
    edges = [("the smallest lr", 0, R.lrs[0]), ("the largest lr", 0, R.lrs[-1]),
             ("the fewest passes", 1, R.eps[0]), ("the most passes", 1, R.eps[-1])]
    on_edge = join("%d at %s" % (sum(s[i] == v for s in chosen), name) for name, i, v in edges)
    return ["## 1. Settings chosen on the validation domains\n",
            para("""Grid: lr %s x passes %s, for every row separately; chosen: the best mean validation
                accuracy over the validation units and tuning seeds %s (their support draws and random
                selections differ from the test seeds'). The test domains are used once, with these settings.
                *Fisher, no warm-up* uses the Fisher row's setting.""", R.lrs, R.eps, join(c["tune_seeds"])),
            table(["domain", "row", "budget", "chosen", "validation accuracy"], rows),
            para("""Chosen settings on an edge of the grid: %s, of %d (the grid below shows how flat the
                validation accuracy is around them).""", on_edge, len(chosen)),
            para("""<details><summary>Every cell of the grid (validation accuracy; per lr, the passes %s in
                order; chosen in bold)</summary>""", R.eps),
            table(["domain", "row", "budget"] + ["lr %g" % lr for lr in R.lrs], grid), "</details>\n"]


def results(R):
    md = ["## 2. Results on the test domains\n",
          para("""Accuracy on the query rows, mean ± std over %d seeds (a seed draws the support set, the pass
              orders and the random selection's scores; a watch seed's accuracy is the mean over the test
              subjects). Bytes and MACs: mean over seeds and units; *channels*: trained rows per frozen layer,
              bottom first (mean). Budget rows: %s of full fine-tuning's bytes. Below each table: Fisher
              selection minus each other row, seed by seed (the same support set), in points.""",
               len(R.seeds), frac(R.target))]
    for dom in R.doms:
        cells = [(m, f, R.runs[dom, m, f]) for m, f in R.cells[dom] if f in (None, R.target)]
        rows = [[row_name(m, f), "budget too small for one channel", "", "", "", ""] if not rr else
                [("**%s**" if m == "fisher" else "%s") % row_name(m, f)] + row_cells(R, dom, rr)
                + [setting(R.best[dom, m, f])] for m, f, rr in cells]
        widths = join([m for _, m in R.info[dom]["dims"]], " / ")
        paired = {o: R.paired(dom, "fisher", o) for o in ("random", "l2", "head", "full")}
        md += ["### %s\n" % S.DOMAIN_NAMES[dom],
               table(["row", "accuracy"] + COST_COLUMNS + ["channels (of %s)" % widths, "settings"], rows),
               "Fisher at %s minus: %s.\n" % (frac(R.target), "; ".join(
                   "%s %s" % (S.SHORT[o], points(diffs)) for o, diffs in paired.items() if diffs))]
        units = list(R.info[dom]["units"])
        if len(units) > 1:
            md += ["<details><summary>Per test subject</summary>\n",
                   table(["row"] + units, [[row_name(m, f)] + [ms([r["units"][u] for r in rr]) for u in units]
                                           for m, f, rr in cells if rr]), "</details>\n"]
    return md


def sweep(R):
    rows = []
    for dom in R.doms:
        name, ends = S.DOMAIN_NAMES[dom], [R.runs[dom, m, None] for m in ("head", "full")]
        for m in S.SPARSE:
            runs = [R.runs.get((dom, m, f)) for f in R.fracs]
            rows.append([name, S.SHORT[m]] + ["too small" if not rr else "%s<br>%s B, %s" % (
                ms(accs(rr)), b(mean([r["bytes"] for r in rr])), row_cells(R, dom, rr)[3]) for rr in runs])
        fixed = "; ".join("%s at %s B" % (ms(accs(rr)), b(rr[0]["bytes"])) for rr in ends)
        rows.append([name, "last layer; full FT", fixed] + [""] * (len(R.fracs) - 1))
    return ["## 3. Accuracy against the budget\n",
            para("""Each budget is a fraction of full fine-tuning's bytes; each cell its own tuned lr and
                passes. Cells: accuracy (mean ± std), then the mean bytes the selection used and the channels
                per layer."""), table(["domain", "row"] + [frac(f) for f in R.fracs], rows)]


def notes(R):
    both = [(dom, f) for dom in R.doms for f in R.fracs if all(R.runs.get((dom, m, f)) for m in S.SPARSE)]
    same = [(dom, f) for dom, f in both  # the same channel counts, seed by seed
            if all(len({tuple(R.runs[dom, m, f][i]["counts"]) for m in S.SPARSE}) == 1
                   for i in range(len(R.runs[dom, "fisher", f])))]
    norms = [[1.0 / ((n + 1) * m * n * m) for n, m in R.info[dom]["dims"]] for dom in R.doms]
    spread = max(max(w) / min(w) for w in norms)  # of the layer score's divisor, between a model's layers
    hot = []
    for dom, f in [(dom, f) for dom in R.doms for f in R.fracs if R.runs.get((dom, "fisher", f))]:
        pb, pm = (mean([r[k] for r in R.runs[dom, "fisher", f]]) / R.info[dom]["full"][k]
                  for k in ("bytes", "macs"))
        if pm > 1.5 * pb:
            hot.append("%s at %s: %.0f%% of the bytes, %.0f%% of the MACs"
                       % (S.DOMAIN_NAMES[dom], frac(f), 100 * pb, 100 * pm))
    return ["## 4. Notes\n",
            para("""* **Which layers.** The three selections trained the same number of channels in every
                layer, seed by seed and unit by unit, in %d of %d (domain, budget) cells: they differ in
                *which* channels. The layer score divides a layer's summed channel scores by its shares of the
                parameters and of the MACs, a factor that differs up to %.0fx between the layers of these
                models; random and L2 scores (all positive, of similar sums) are ordered by it alone. A layer
                is then filled channel by channel, best first, until the next channel does not fit, and the
                next layer gets what is left.""", len(same), len(both), spread),
            para("""* **Bytes and MACs do not scale together.** A channel of a lower layer makes the backward
                pass run through every layer above it (`W^T g`), so the first channel of a new lowest layer
                costs a step in MACs (Fisher rows where the MACs' share exceeds 1.5x the bytes': %s). The runs
                set no MAC budget (`budget_macs`); a board short of time would.""", "; ".join(hot) or "none")]


def board_section(run):
    md = ["## 5. One adaptation on real MicroPython\n"]
    if "error" in run:
        return md + ["Not run: %s\n" % run["error"]]
    n = run["n_query"]
    where = [("MicroPython " + t, r) for t, r in run["boards"].items()]
    where += [(name, run["cpython"][k]) for k, name in CPYTHON.items()]
    other = [w for w, r in where if "ref" in r and not r["same_picks"]]
    versions = sorted(set(r["version"] for r in run["boards"].values() if "version" in r))
    columns = ["where", "kernels", "channels picked per layer", "planned bytes", "query accuracy",
               "predictions equal to the reference's", "largest probability difference (first 20 rows)",
               "ms per learn_one", "heap the selection and training added"]
    return md + [
        para("""%s, test %s, seed %d: the bundle, the %d-row support set, Fisher selection at 1/10 of full
        fine-tuning's bytes (%s B), %d passes (lr %g; %d learn_one), then %d query rows, from the same files
        and orders in MicroPython's unix port built 32-bit with float32 (%s), its GC heap fixed at %d KB as on
        a board, the package at /lib/ulearn as .mpy (`unix32`: the pure-Python kernels, as on stock firmware;
        `unix32-ulab`: with ulab), and on CPython with the pure-Python kernels, the ulab emulation and numpy.
        Rows reach every side as stream files (float32). A board row's reference is CPython on the same
        kernels, a CPython row's CPython's pure-Python kernels; MicroPython computes in float32 where those
        compute in float64 between float32 arrays. Heap: `gc.mem_alloc` after a collection, before the
        selection and after the last pass; planned by `sparse.allocated` (the trained rows' weights,
        velocities and object headers and the gradient vectors; the pure-Python path's activations are the
        layers' own buffers): %s B.""", S.DOMAIN_NAMES["watch"], run["unit"], run["seed"],
        run["n_learn"] // run["epochs"], b(run["budget"]), run["epochs"], run["lr"], run["n_learn"], n,
        join(versions, "; ") or "-", run["heap_kb"], b(run["heap_planned"])),
        table(columns, [board_row(w, r, n) for w, r in where]),
        "**The picks or the planned cost differ** from the reference's: %s.\n" % join(other) if other
        else "Same picks and planned cost on every row.\n"]


def board_row(name, r, n_query):
    if "error" in r:
        return [name, "-", "not run: %s" % r["error"]] + ["-"] * 6
    ref = "-" if "ref" not in r else "%d / %d (%s)" % (r["agree"], n_query, CPYTHON[r["ref"]])
    return [name, KERNELS[r["backend"]], str(r["picks"]), b(r["cost"]["bytes"]), "%.4f" % r["acc"], ref,
            "-" if "ref" not in r else "%.2g" % r["max_prob_diff"], "%.2f" % r["ms_per_learn"],
            "-" if r.get("heap") is None else "%s B" % b(r["heap"])]


def main(argv=None):
    def draw(folder, res):
        from ulearn_dev.sparse_bench.plots import plots
        return plots(folder, Result(res))
    publish(arguments(argv), measure, render, draw)


if __name__ == "__main__":
    main()
