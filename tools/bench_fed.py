#!/usr/bin/env python
"""Federated meta-learning benchmark of ulearn: how fast an unseen device adapts.

After TinyReptile (Ren, Anicic and Runkler 2023): TinyReptile against Reptile,
FedAvg, pre-training on the pooled data and training from scratch, through
`ulearn_host.fed` on the device package's learn_one, on new smartwatch
wearers and new 5-way digits and Fashion-MNIST tasks. Run from the
repository root (--quick: a smoke run of under a minute)::

    python tools/bench_fed.py --json docs/fed.json --out docs/fed.md --plot docs/img
    python tools/bench_fed.py --render docs/fed.json --out docs/fed.md --plot docs/img

--json writes the result (settings, seeds, every figure per seed,
provenance); the page is rendered from it alone (`render`), so --render
remakes the page and the plot without measuring. The runs: tools/fed_bench/.
"""
import json
import time
from collections import ChainMap
from pathlib import Path
from statistics import fmean

from ulearn_dev.benchkit import Laps, ms, note, provenance, publish, table, tuned_arguments
from ulearn_host.report import headline

TITLE = "ulearn federated meta-learning benchmark"
KEY_NAMES = {"lr": "lr", "steps": "k", "beta": "beta", "epochs": "E"}
COLORS = {"tinyreptile": "C0", "tinyreptile_half": "C9", "reptile": "C2", "fedavg": "C3", "transfer": "C1",
          "scratch": "0.4"}
PAGE = """\
# {title}

Reproduce from the repository root (≈ {elapsed:.0f} s on the machine below):

```
{command}
```

Environment: {environment}; {jobs} worker process(es), one BLAS thread each; commit {commit}, {date}.
Test seeds: {seeds}; tuning seeds: {tune_seeds}. Run time per stage: {stages}; total {elapsed:.0f} s.{quick}

{headline}
## Setup

{setup}

{data}* **Devices.** A watch device is one subject's arm, labelled with the 7 exercises like every other. A digits or
  Fashion-MNIST device is a {n_way}-way task: {n_way} random classes in a random order of its own (Reptile's few-shot
  setup), so a label means another class on another device; unseen devices draw theirs afresh, from rows no client
  has. Inputs are standardised on the host with the meta-training rows' mean and std (std floored at a tenth of its
  mean over the inputs).
* **Learner** (every client and unseen device): `ulearn.Classifier(d, n_out, hidden={hidden}, standardize=False,
  optimizer=ulearn.SGD(lr, momentum={momentum:g}, clip={clip:g}), seed=s+1)`, a head row per output, the device
  package on CPython with numpy kernels, one `learn_one` per sample; theta (`ulearn_host.fed.params`) is its hidden
  layer and head.
* **Methods** (`ulearn_host.fed`; seed s draws each round's clients, their sample orders and the initialisation).
  *TinyReptile*: {r_tiny} rounds; one client per round takes k single-sample SGD steps from theta on its stream,
  holding one sample at a time; theta <- theta + beta_r (phi - theta), beta_r = beta (1 - r / rounds). *{half}*:
  the same, k within half of FedAvg's per-round client MACs (section 1). *Reptile*: {r_rep} rounds of {per_round}
  clients (the same client visits), theta moved by their mean update. *FedAvg*: {r_fed} rounds of {per_round}
  clients, each E shuffled passes over all its stored rows; theta <- the sample-weighted mean. *Transfer*: one
  learner trained E passes over all clients' rows pooled (`fed.pooled`; on the 5-way tasks their labels contradict
  each other). *Scratch*: the initialisation alone.
* **Adaptation** (`fed.adapt_curve`): per unseen device and seed, the support is the first {support} rows of a
  seeded shuffle, the query the rest (at most {query_cap}; on the watch without the windows overlapping a support
  window: windows 1 s apart share half their samples). The device loads theta, learns the support one
  `learn_one` each and is scored on the query after {shots} samples. A seed's accuracy is the mean over the
  unseen devices; figures are mean ± std over seeds.
* **Costs** (`SimClient.fit`, from the rounds' history): a client's peak bytes are its weights and momentum plus
  the samples it holds (one for TinyReptile and Reptile, its dataset for FedAvg), the maximum over rounds and
  seeds; MACs per round are its `learn_one` MACs in a round (`ulearn_host.anatomy`), the mean over rounds and seeds.
  The bytes ratio is thus set by the rows a FedAvg client stores, the MACs ratio by k against E x those rows.

## 1. Settings chosen on the validation devices

Grid: {grid}; adaptation lr {lrs}, one per method for every shot count. Score: the mean accuracy over the shot
counts, the validation devices and the tuning seeds; the first best in grid order is chosen, and the unseen test
devices are used once, with it. *{half}*: TinyReptile's best with k <= E x (mean rows of a test run's client) / 2,
E the passes chosen for FedAvg ({k_half}); fixed before any test run.

{chosen}

<details><summary>Every cell of the grid (validation score per adaptation lr {lrs}; chosen in bold)</summary>

{cells}

</details>

## 2. Accuracy on the unseen devices

Query accuracy after n adaptation samples, mean ± std over the seeds; settings as chosen in section 1. A watch
label means the same exercise on every device, so a trained initialisation is right from the first sample; a
5-way device's order of its classes has to be learned from its own samples (chance: 1/n_out). One adaptation lr
serves every shot count, so a few single-sample steps with momentum can overshoot and a curve dip.

{curves}## 3. What a client spends

Mean over seeds (peak bytes: the maximum); in brackets, the ratio to FedAvg's. Transfer's figures are the
server's, which holds every client's rows; scratch federates nothing. The per-round MACs are one client's burst
(the target's ratio); the sums over all rounds are what the fleet spends for the rounds set here. An unseen
device's adaptation is the same for every method: {support} `learn_one` and one sample held.

{costs}

## 4. Target check

TinyReptile's adapted accuracy within {points} points of FedAvg's (or above it), with at most 1/{inv} of FedAvg's
client peak bytes and MACs per round (after the paper's "at least two factors"); checked at every shot count (the
headline counts in bold) for TinyReptile as tuned and within the half. *gap*: FedAvg minus TinyReptile (mean over
seeds); *paired*: TinyReptile minus FedAvg seed by seed (the same support and query rows).

{targets}

## 5. Paired differences

Points, seed by seed on the same support and query rows: TinyReptile minus Reptile (one client per round or
{per_round}, the same client visits, each its own tuned k), and transfer minus scratch (what pre-training on the
pooled data gives).

{paired}
{plots}"""
WATCH = ("* **Watch**: seglearn smartwatch exercises: 2 s windows every 1 s, {d} features, the {n_out} "
         "exercises as labels on every device, {windows} windows. A device is one arm (side) of one "
         "subject: the test runs meta-train on subjects {train} ({clients} clients) and adapt to subjects "
         "{test} ({devices} unseen devices); the tuning runs meta-train on subjects {tune_train} "
         "({tune_clients} clients) and adapt to subjects {val} ({tune_devices} validation devices).\n")
TASKS = ("{train_rows} training rows ({val_rows} of them the validation carve-out), {test_rows} test "
         "rows. Each meta-training client is a {n_out}-way task with {rows} rows per class; "
         "{tune_devices} validation and {devices} test devices with {held_rows} rows per class.\n")
DOMAINS = {"watch": WATCH, "digits": "* **Digits**: UCI optdigits 8x8, 64 inputs scaled to [0, 1]; " + TASKS,
           "fashion": "* **Fashion-MNIST**: Debian dataset-fashion-mnist, 28x28 averaged to {side}x{side} "
                      "({d} inputs), scaled to [0, 1]; " + TASKS}
PAIRS = {("tinyreptile", "reptile"): "TinyReptile - Reptile", ("transfer", "scratch"): "transfer - scratch"}
QUICK = " **Quick (smoke) run: few clients and devices, few rounds, small grids; not the reference figures.**"
CURVES = ("### {}\n\n{}\n\n<details><summary>Per unseen device, after {} samples</summary>\n\n{}\n\n"
          "</details>\n\n")


def b(n):
    return "{:,.0f}".format(n)


def setting(st):
    return ", ".join("%s %g" % (KEY_NAMES[k], v) for k, v in st.items()) or "-"


def listed(v, sep=", "):
    return sep.join(map(str, v))


def span(s):
    return "%d-%d" % (s[0], s[-1]) if s == list(range(s[0], s[-1] + 1)) and len(s) > 2 else listed(s)


def setup_text(dom, s):  # a domain's bullet under Setup, its lists in the page's forms
    if dom == "watch":
        s = dict(s, train=span(s["train"]), tune_train=span(s["tune_train"]), test=listed(s["test"]),
                 val=listed(s["val"], " and "))
    held = s.get("held_rows") or "all their"
    return DOMAINS[dom].format_map(dict(s, side=round(s["d"] ** 0.5), held_rows=held))


def render(res):
    """The page's Markdown from a result alone; fills in res's summary, headline, targets (and plots: [])."""
    c, data, seeds = res["config"], res["data"], res["seeds"]
    dn, names, shots, hs = c["domains"], c["methods"], c["shots"], c["headline_shots"]
    lo, hi = c["summary_shots"]
    M = {dom: data[dom]["methods"] for dom in dn}
    S = {dom: data[dom]["setup"] for dom in dn}
    each = [(dom, m) for dom in dn for m in names]
    tiny = [(dom, m) for dom in dn for m in ("tinyreptile", c["half"])]

    def acc(dom, m, n):  # per seed
        return [a[shots.index(n)] for a in M[dom][m]["acc"]]

    def paired(dom, m1, m2, n):
        return ms([100 * (x - y) for x, y in zip(acc(dom, m1, n), acc(dom, m2, n))], "%+.1f")

    C = {}  # a client's costs over seeds: the maximum peak bytes, the mean of the rest
    for dom, m in each:
        runs = M[dom][m]["cost"]
        C[dom, m] = runs and {k: (max if k == "peak_bytes" else fmean)([x[k] for x in runs]) for k in runs[0]}

    def verdict(dom, m, n):  # (parts missed, gap in points, bytes ratio, MACs ratio)
        gap = fmean(acc(dom, "fedavg", n)) - fmean(acc(dom, m, n))
        rb, rm = (C[dom, m][k] / C[dom, "fedavg"][k] for k in ("peak_bytes", "round_macs"))
        return ([w for w, bad in (("accuracy", gap > c["target_points"]), ("bytes", rb > c["target_ratio"]),
                                  ("MACs per round", rm > c["target_ratio"])) if bad], 100 * gap, rb, rm)

    def chosen(dom, m):  # the setting and the adaptation lr
        return setting(M[dom][m]["setting"]), "%g" % M[dom][m]["adapt_lr"]

    f = dict(points=round(100 * c["target_points"]), inv=round(1 / c["target_ratio"]))
    res["summary"] = (
        "Accuracy on the unseen devices after adapting from %d and %d samples (one learn_one each), mean "
        "± std over %d seeds (per seed, the mean over the held-out devices); a client's peak bytes and MACs "
        "per round (for transfer: the server's, which holds the pooled data and runs every step). Target: "
        "TinyReptile within %d points of FedAvg at <= 1/%d of its client peak bytes and per-round client "
        "MACs, at %s samples (every shot count on the page)."
        % (lo, hi, len(seeds), f["points"], f["inv"], listed(hs, " and ")))
    res["headline"] = [dict(caption="", columns=["domain", "method", "%d samples" % lo, "%d samples" % hi,
                                                 "peak bytes", "MACs per round"], rows=[
        [dn[dom], names[m], ms(acc(dom, m, lo)), ms(acc(dom, m, hi))]
        + [b(C[dom, m][k]) if C[dom, m] else "-" for k in ("peak_bytes", "round_macs")] for dom, m in each])]
    res["targets"] = []
    for dom, m in tiny:
        v = {n: verdict(dom, m, n) for n in hs}
        missed = "; ".join("%s at %d samples" % (", ".join(v[n][0]), n) for n in hs if v[n][0])
        res["targets"].append(dict(
            target="%s, %s: within %d points of FedAvg at <= 1/%d of its peak bytes and MACs per round"
            % (dn[dom], names[m], f["points"], f["inv"]),
            measured="gap %s points at %s samples; peak bytes %.2f, MACs per round %.2f of FedAvg's%s" % (
                listed(("%+.1f" % v[n][1] for n in hs), " / "), listed(hs, " / "), *v[hs[0]][2:],
                "; missed: " + missed if missed else ""),
            met=not missed))
    f["data"] = "".join(setup_text(dom, s) for dom, s in S.items())
    f["setup"] = table(["domain", "meta-training clients", "unseen test devices", "support, query rows",
                        "model", "theta: weights (float32)"], [
        [dn[dom]] + ["%d (%d-%d rows)" % (s[k + "s"], *s[k + "_rows"]) for k in ("client", "device")]
        + ["%d, %.0f (mean)" % (c["support"], s["query_mean"]), "%d -> %d -> %d" % (s["d"], c["hidden"],
           s["n_out"]), "%s (%s B)" % (b(s["weights"]), b(s["theta_bytes"]))] for dom, s in S.items()])
    f["grid"] = "; ".join("%s %s" % (names[m], " x ".join("%s %s" % (KEY_NAMES[k], v) for k, v in g.items())
                                     or "none") for m, g in c["grid"].items())
    f["k_half"] = ", ".join("%s k <= %d" % (dn[dom], data[dom]["k_half"]) for dom in dn)
    f["chosen"] = table(["domain", "method", "chosen", "adaptation lr", "validation score"], [
        [dn[dom], names[m], *chosen(dom, m), "%.3f" % M[dom][m]["val_score"]] for dom, m in each])
    f["cells"] = table(["domain", "method", "setting", "score per adaptation lr"], [
        [dn[dom], names[m], setting(st), " ".join(
            ("**%.3f**" if (st, lr) == (M[dom][m]["setting"], M[dom][m]["adapt_lr"]) else "%.3f") % v
            for lr, v in zip(c["adapt_lr"], scores))] for dom in dn for m, st, scores in data[dom]["grid"]])
    f["curves"] = "".join(CURVES.format(
        dn[dom], table(["method"] + ["%d sample%s" % (n, "s" * (n > 1)) for n in shots] + ["settings"], [
            [names[m]] + [ms(acc(dom, m, n)) for n in shots] + ["%s; adaptation lr %s" % chosen(dom, m)]
            for m in names]),
        hs[-1], table(["device"] + list(names.values()), [
            [u] + [ms([a[shots.index(hs[-1])] for a in M[dom][m]["devices"][u]]) for m in names]
            for u in M[dom]["tinyreptile"]["devices"]])) for dom in dn)
    rel = {(dom, m): {k: "%s (%.2f)" % (b(C[dom, m][k]), C[dom, m][k] / C[dom, "fedavg"][k])  # FedAvg's
                      for k in ("peak_bytes", "round_macs", "total_macs")} for dom, m in each if C[dom, m]}
    per_round = {"tinyreptile": 1, c["half"]: 1, "transfer": "-"}
    f["costs"] = table(["domain", "method", "rounds", "clients per round", "steps per client and round",
                        "peak bytes (of FedAvg)", "MACs per client and round (of FedAvg)",
                        "client steps, all rounds", "client MACs, all rounds (of FedAvg)"], [
        [dn[dom], names[m], c["rounds"][m] or 1, per_round.get(m, c["per_round"]), "%.0f" % C[dom, m]["round_steps"],
         r["peak_bytes"], r["round_macs"], b(C[dom, m]["total_steps"]), r["total_macs"]]
        for (dom, m), r in rel.items()])
    f["targets"] = table(["domain", "row", "samples", "TinyReptile", "FedAvg", "gap, points",
                          "paired, points", "peak bytes ratio", "MACs/round ratio", "verdict"], [
        [dn[dom], names[m], ("**%d**" if n in hs else "%d") % n, ms(acc(dom, m, n)),
         ms(acc(dom, "fedavg", n)), "%+.1f" % gap, paired(dom, m, "fedavg", n), "%.2f" % rb, "%.2f" % rm,
         "**MISSED** (%s)" % ", ".join(missed) if missed else "**MET**"]
        for dom, m in tiny for n in shots for missed, gap, rb, rm in [verdict(dom, m, n)]])
    pairs = [(m1, m2, n) for m1, m2 in PAIRS for n in (lo, hi)]
    f["paired"] = table(["domain"] + ["%s, %d samples" % (PAIRS[m1, m2], n) for m1, m2, n in pairs],
                        [[dn[dom]] + [paired(dom, *p) for p in pairs] for dom in dn])
    res["plots"] = pl = res.pop("plots", None) or []  # last, as the result's keys are listed
    f["plots"] = "\n## Plots\n\n" + "".join("![%s](%s)\n" % (Path(p).stem, p) for p in pl) if pl else ""
    f.update(seeds=listed(seeds), tune_seeds=listed(c["tune_seeds"]), quick=QUICK if res["quick"] else "",
             stages=", ".join("%s %.0f s" % kv for kv in res["stages"].items()), half=names[c["half"]],
             headline="\n".join(headline(res)), shots=listed(shots), lrs=c["adapt_lr"],
             r_tiny=c["rounds"]["tinyreptile"], r_rep=c["rounds"]["reptile"], r_fed=c["rounds"]["fedavg"])
    return PAGE.format_map(ChainMap(f, c, res))  # f first: the page's forms of seeds, shots, half, ...


def plots(outdir, res):
    """fed_curves.png: accuracy against adaptation samples, a panel per domain, a line per method (± std)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from ulearn_dev.benchkit import save_small
    c, shots = res["config"], res["config"]["shots"]
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    fig, axes = plt.subplots(1, len(c["domains"]), figsize=(3.8 * len(c["domains"]), 3.3), squeeze=False, sharey=True)
    for ax, (dom, title) in zip(axes[0], c["domains"].items()):
        for m, name in c["methods"].items():
            a = np.array(res["data"][dom]["methods"][m]["acc"]).T  # shots x seeds
            mu, sd = a.mean(axis=1), a.std(axis=1, ddof=1) if len(res["seeds"]) > 1 else np.zeros(len(a))
            ax.plot(shots, mu, marker="o", ms=3, lw=1.3, color=COLORS[m], label=name)
            ax.fill_between(shots, mu - sd, mu + sd, color=COLORS[m], alpha=0.15, lw=0)
        ax.axhline(1 / res["data"][dom]["setup"]["n_out"], color="0.5", ls=":", lw=0.9, label="chance")
        ax.set_xscale("log")
        ax.set_xticks(shots)
        ax.set_xticklabels([str(n) for n in shots])
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("adaptation samples on the unseen device", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("query accuracy (mean ± std, %d seeds)" % len(res["seeds"]), fontsize=7)
    axes[0][0].legend(fontsize=6, loc="lower right")
    save_small(fig, outdir / "fed_curves.png", 90, written)
    return written


def measure(args):
    """Every stage; the result (see ulearn_dev.benchkit) without what render fills in."""
    from ulearn_dev.fed_bench import domains, runs, settings as S
    doms, quick, lap = args.domains, args.quick, Laps()
    note("loading data, building the devices")
    facts = domains.load(doms, quick)
    lap("data")
    note("stage 1: tuning on the validation devices")
    val, best = runs.tune(doms, quick, args.tune_seeds, args.jobs)
    lap("tuning")
    note("stage 2: test devices")
    out = runs.test(doms, quick, args.seeds, best, args.jobs)
    lap("test runs")
    res = dict(benchmark="fed", title=TITLE, **provenance(), elapsed=time.time() - lap.start, stages=lap.secs,
               quick=quick, seeds=args.seeds, config=S.config(quick, doms, args.jobs, args.tune_seeds),
               data={dom: runs.pack(dom, quick, facts, val, best, out) for dom in doms})
    return json.loads(json.dumps(res))  # as --render will read it: lists, string keys


def main(argv=None):
    from ulearn_dev import benchenv  # noqa: F401  first: BLAS threads, the device package on numpy
    from ulearn_dev.fed_bench import settings as S

    quick = "%d clients and %d held-out devices per 5-way domain, rounds %s, small grids" % (
        S.QUICK["clients"], S.QUICK["held"], S.QUICK["rounds"])
    publish(tuned_arguments(__doc__, S, quick, None, argv), measure, render, plots)


if __name__ == "__main__":
    main()
