"""The Markdown page: setup, the settings chosen on validation, the
adaptation curves on the test devices, the clients' costs, the target, and
what the figures show."""
import statistics

import numpy as np

from tools.benchkit import ms, table
from ulearn_host.fed import params

from . import domains as DM
from . import settings as S
from .runs import k_half

KEY_NAMES = {"lr": "lr", "steps": "k", "beta": "beta", "epochs": "E"}


def mean(v):
    return float(statistics.fmean(v))


def accs(rr, n):
    """Per seed, the accuracy after n samples (mean over the held-out devices)."""
    return [r["acc"][n] for r in rr]


def b(n):
    return "{:,.0f}".format(n)


def setting(m, s):
    return ", ".join("%s %g" % (KEY_NAMES[k], v) for k, v in zip(S.SETTING_KEYS[m], s)) or "-"


def cost_of(rr):
    """Over seeds: client peak bytes (max), MACs per client and round, steps (mean)."""
    cs = [r["cost"] for r in rr]
    return dict(peak_bytes=max(c["peak_bytes"] for c in cs),
                **{k: mean([c[k] for c in cs]) for k in ("round_macs", "round_steps", "total_macs", "total_steps")})


TINY = ("tinyreptile", S.HALF)  # the rows the target is checked on


def ratios(res, dom, m="tinyreptile"):
    """A TinyReptile row's client peak bytes and per-round client MACs over FedAvg's."""
    t, f = cost_of(res[dom, m]), cost_of(res[dom, "fedavg"])
    return t["peak_bytes"] / f["peak_bytes"], t["round_macs"] / f["round_macs"]


# ---------------------------------------------------------------- targets


def verdicts(domains, res):
    """{(domain, TinyReptile row, shots): (the parts missed, gap in points, bytes ratio, MACs ratio)}."""
    out = {}
    for dom in domains:
        for m in TINY:
            rb, rm = ratios(res, dom, m)
            for n in S.SHOTS:
                gap = mean(accs(res[dom, "fedavg"], n)) - mean(accs(res[dom, m], n))
                missed = [w for w, bad in (("accuracy", gap > S.TARGET_POINTS), ("bytes", rb > S.TARGET_RATIO),
                                           ("MACs per round", rm > S.TARGET_RATIO)) if bad]
                out[dom, m, n] = (missed, 100 * gap, rb, rm)
    return out


def word(missed):
    return "**MISSED** (%s)" % ", ".join(missed) if missed else "**MET**"


def target_text(domains, res):
    v = verdicts(domains, res)
    md = ["## 4. Target check\n",
          "Target (the issue, after the paper's \"at least two factors\"): TinyReptile's adapted accuracy within "
          "%d points of FedAvg's (or above it), with at most %s of FedAvg's client peak bytes and at most %s of "
          "its client MACs per round. Checked at every shot count, for TinyReptile as tuned and for TinyReptile "
          "with k chosen within the half (section 1); the headline counts are %s samples. *gap*: FedAvg minus "
          "TinyReptile (mean over seeds); *paired*: TinyReptile minus FedAvg seed by seed (the same support and "
          "query rows).\n"
          % (round(100 * S.TARGET_POINTS), "1/%d" % round(1 / S.TARGET_RATIO), "1/%d" % round(1 / S.TARGET_RATIO),
             " and ".join(map(str, S.HEADLINE_SHOTS)))]
    rows = []
    for dom in domains:
        f = res[dom, "fedavg"]
        for m in TINY:
            for n in S.SHOTS:
                missed, gap, rb, rm = v[dom, m, n]
                paired = [x - y for x, y in zip(accs(res[dom, m], n), accs(f, n))]
                rows.append([S.DOMAIN_NAMES[dom], S.METHOD_NAMES[m], ("**%d**" if n in S.HEADLINE_SHOTS else "%d") % n,
                             ms(accs(res[dom, m], n)), ms(accs(f, n)), "%+.1f" % gap,
                             ms([100 * p for p in paired], "%+.1f"), "%.2f" % rb, "%.2f" % rm, word(missed)])
    md.append(table(["domain", "row", "samples", "TinyReptile", "FedAvg", "gap, points", "paired, points",
                     "peak bytes ratio", "MACs/round ratio", "verdict"], rows) + "\n")
    return md


# ---------------------------------------------------------------- summary


def summary_text(domains, res, seeds):
    md = ["**Summary.** Accuracy on the unseen devices after adapting from %s samples (one learn_one "
          "each), mean ± std over %d seeds (per seed, the mean over the held-out devices); a client's peak "
          "bytes and MACs per round (for transfer: the server's, which holds the pooled data and runs every "
          "step):\n" % (" and ".join(map(str, S.SUMMARY_SHOTS)), len(seeds))]
    rows = []
    for dom in domains:
        for m in S.METHODS:
            rr = res[dom, m]
            c = cost_of(rr) if rr[0]["cost"] else None
            rows.append([S.DOMAIN_NAMES[dom], S.METHOD_NAMES[m]] + [ms(accs(rr, n)) for n in S.SUMMARY_SHOTS]
                        + [b(c["peak_bytes"]) if c else "-", b(c["round_macs"]) if c else "-"])
    md.append(table(["domain", "method"] + ["%d samples" % n for n in S.SUMMARY_SHOTS]
                    + ["peak bytes", "MACs per round"], rows) + "\n")
    v = verdicts(domains, res)
    parts = []
    for dom in domains:
        for m in TINY:
            parts.append("%s, %s: %s (gap %s points; peak bytes %.2f, MACs per round %.2f of FedAvg's)" % (
                S.DOMAIN_NAMES[dom], S.METHOD_NAMES[m],
                "; ".join("%s at %d samples" % (word(v[dom, m, n][0]), n) for n in S.HEADLINE_SHOTS),
                " / ".join("%+.1f" % v[dom, m, n][1] for n in S.HEADLINE_SHOTS), *ratios(res, dom, m)))
    md.append("**Target** (TinyReptile within %d points of FedAvg at <= 1/2 of its client bytes and per-round "
              "client MACs; gap = FedAvg minus TinyReptile at %s samples): %s. Every shot count in section 4.\n"
              % (round(100 * S.TARGET_POINTS), " / ".join(map(str, S.HEADLINE_SHOTS)), "; ".join(parts)))
    return "\n".join(md)


# ---------------------------------------------------------------- setup


def setup_text(domains, how, quick):
    md = ["## Setup\n"]
    rows = []
    for dom in domains:
        d = DM.DATA[dom, "final"]
        n_c = [len(c.y) for c in d["clients"]]
        devs = d["devices"].values()
        theta = params.get(DM.factory(dom, "final", 0)())
        rows.append([S.DOMAIN_NAMES[dom], "%d (%d-%d rows)" % (len(n_c), min(n_c), max(n_c)),
                     "%d (%d-%d rows)" % (len(devs), min(len(v["y"]) for v in devs), max(len(v["y"]) for v in devs)),
                     "%d, %.0f (mean)" % (S.SUPPORT, np.mean([len(DM.draw(v, 0)[1]) for v in devs])),
                     "%d -> %d -> %d" % (d["d"], S.HIDDEN, d["n_out"]),
                     "%s (%s B)" % (b(sum(t.size for t in theta)), b(params.nbytes(theta)))])
    md.append(table(["domain", "meta-training clients", "unseen test devices", "support, query rows",
                     "model", "theta: weights (float32)"], rows) + "\n")
    names = {"watch": "Watch", "digits": "Digits", "fashion": "Fashion-MNIST"}
    md += ["* **%s**: %s\n" % (names[dom], how[dom]) for dom in domains]
    md.append(
        "* **Devices.** A watch device is one subject's arm; its labels are the 7 exercises, the same on every "
        "device. A digits or Fashion-MNIST device is a %d-way task: %d random classes of the 10, mapped to the "
        "model's %d outputs in a random order of its own (the standard few-shot setup of Reptile), so a label "
        "means another class on another device. Unseen devices draw their classes and order afresh, from rows no "
        "training client has. Inputs are standardised on the host with the meta-training rows' mean and std "
        "(the std floored at a tenth of its mean over the inputs; the front end a board would be given), and the "
        "learner has `standardize=False`.\n" % (S.N_WAY, S.N_WAY, S.N_WAY))
    md.append(
        "* **Learner** (every client and every unseen device): `ulearn.Classifier(d, n_out, hidden=%d, "
        "standardize=False, optimizer=ulearn.SGD(lr, momentum=%g, clip=%g), seed=s+1)` with a head row for "
        "each output (`add_class`), the device package on CPython with numpy kernels, one `learn_one` per "
        "sample. theta (`ulearn_host.fed.params`) is its hidden layer and head.\n" % (S.HIDDEN, S.MOMENTUM, S.CLIP))
    r = {m: S.rounds(m, quick) for m in S.METHODS}
    md.append(
        "* **Methods** (`ulearn_host.fed`, seed s: the clients drawn each round, their sample orders and "
        "make()'s initialisation). *TinyReptile*: %d rounds; each round one client gets theta, takes k "
        "single-sample SGD steps on samples drawn from its stream (holding one at a time), and theta <- "
        "theta + beta_r (phi - theta), beta_r = beta (1 - r / rounds). *%s*: the same, k chosen on "
        "validation among the settings whose per-round client MACs are within half of FedAvg's (section 1). "
        "*Reptile*: %d rounds of %d clients each "
        "(the same %d client visits), theta moved by the mean of their updates. *FedAvg*: %d rounds of %d "
        "clients, each E shuffled passes over all its stored rows, theta <- the sample-weighted mean of their "
        "weights. *Transfer*: one learner trained on all meta-training clients' rows pooled (`fed.pooled`, E "
        "passes; each row keeps its device's label, so on the 5-way tasks a label means another class on "
        "another device). *Scratch*: make()'s own initialisation, no federation.\n"
        % (r["tinyreptile"], S.METHOD_NAMES[S.HALF], r["reptile"], S.PER_ROUND, r["tinyreptile"], r["fedavg"],
           S.PER_ROUND))
    md.append(
        "* **Adaptation** (`fed.adapt_curve`): for each unseen device and seed, the support is the first %d "
        "rows of a seeded shuffle of the device's rows and the query the others (at most %d, drawn from the "
        "seed; on the watch, windows overlapping a support window in the same recording are left out of the "
        "query, as windows 1 s apart share half their samples). The device loads theta, learns the support rows "
        "one learn_one each, in order, and is scored on the query after %s of them. Accuracy per seed: the "
        "mean over the unseen devices; then mean ± std (sample std) over the seeds.\n"
        % (S.SUPPORT, S.QUERY_CAP, ", ".join(map(str, S.SHOTS))))
    md.append(
        "* **Costs** (`SimClient.fit`'s cost, from the rounds' history): a client's peak bytes are its trainable "
        "weights and momentum plus the samples it holds (one for TinyReptile and Reptile, its whole dataset "
        "for FedAvg), the maximum over rounds and seeds; MACs per round are its learn_one MACs in one round "
        "(`ulearn_host.flops`), the mean over rounds and seeds. So the bytes ratio is set by how many rows a FedAvg "
        "client stores, the MACs ratio by k against E times those rows.\n")
    return md


# ---------------------------------------------------------------- tuning


def tuning_text(domains, val, best, quick, tseeds):
    lrs = S.adapt_lrs(quick)
    grid = S.QUICK["grid"] if quick else S.GRID
    md = ["## 1. Settings chosen on the validation devices\n",
          "Grid per method: %s; adaptation lr %s, one per method for every shot count. Score: the mean "
          "accuracy over the shot counts %s, the validation devices and the tuning seeds %s; the first best in "
          "grid order is chosen. The unseen test devices are used once, with these settings.\n"
          % ("; ".join("%s %s" % (S.METHOD_NAMES[m], " x ".join("%s %s" % (KEY_NAMES[k], list(v))
                                                                  for k, v in grid[m].items()) or "none")
                       for m in S.TUNED), list(lrs), ", ".join(map(str, S.SHOTS)),
             ", ".join(map(str, tseeds))),
          "*%s*: TinyReptile's best validation score among its settings with k <= E x (mean rows of a test "
          "run's client) / 2, E the passes chosen for FedAvg: %s. It is fixed by the grid, FedAvg's choice and "
          "the validation scores, before any test run; where it is TinyReptile's own choice, the test rows are "
          "the same runs.\n" % (S.METHOD_NAMES[S.HALF], ", ".join("%s k <= %d" % (S.DOMAIN_NAMES[dom], k_half(dom, best))
                                                               for dom in domains))]
    rows = [[S.DOMAIN_NAMES[dom], S.METHOD_NAMES[m], setting(m, best[dom, m][0]), "%g" % best[dom, m][1],
             "%.3f" % val[(dom, m) + best[dom, m]]] for dom in domains for m in S.METHODS]
    md.append(table(["domain", "method", "chosen", "adaptation lr", "validation score"], rows) + "\n")
    md.append("<details><summary>Every cell of the grid (validation score; per setting, the adaptation lr %s "
              "in order; chosen in bold)</summary>\n" % list(lrs))
    rows = [[S.DOMAIN_NAMES[dom], S.METHOD_NAMES[m], setting(m, s),
             " ".join(("**%.3f**" if (s, lr) == best[dom, m] else "%.3f") % val[dom, m, s, lr] for lr in lrs)]
            for dom in domains for m in S.TUNED for s in S.grid(m, quick)]
    md.append(table(["domain", "method", "setting", "score per adaptation lr"], rows) + "\n")
    md.append("</details>\n")
    return md


# ---------------------------------------------------------------- results


def results_text(domains, res, best, seeds):
    md = ["## 2. Accuracy on the unseen devices\n",
          "Query accuracy after n adaptation samples, mean ± std over %d seeds (a seed's figure: the mean over "
          "the unseen devices). Settings as chosen in section 1.\n" % len(seeds)]
    for dom in domains:
        md.append("### %s\n" % S.DOMAIN_NAMES[dom])
        rows = [[S.METHOD_NAMES[m]] + [ms(accs(res[dom, m], n)) for n in S.SHOTS]
                + [setting(m, best[dom, m][0]) + "; adaptation lr %g" % best[dom, m][1]] for m in S.METHODS]
        md.append(table(["method"] + ["%d sample%s" % (n, "s" * (n > 1)) for n in S.SHOTS] + ["settings"], rows) + "\n")
        n = S.HEADLINE_SHOTS[-1]
        rows = [[u] + [ms([r["devices"][u][n] for r in res[dom, m]]) for m in S.METHODS]
                for u in DM.DATA[dom, "final"]["devices"]]
        md.append("<details><summary>Per unseen device, after %d samples</summary>\n" % n)
        md.append(table(["device"] + [S.METHOD_NAMES[m] for m in S.METHODS], rows) + "\n")
        md.append("</details>\n")
    return md


def cost_text(domains, res, quick):
    md = ["## 3. What a client spends\n",
          "Per domain and method, from the rounds' history (mean over seeds; peak bytes: the maximum). Ratios "
          "are to FedAvg's. Transfer's figures are the server's, which holds every client's rows; scratch "
          "federates nothing. An unseen device's adaptation is the same for every method: %d learn_one on the "
          "learner and one sample held.\n" % S.SUPPORT]
    rows = []
    for dom in domains:
        f = cost_of(res[dom, "fedavg"])
        for m in S.METHODS:
            if not res[dom, m][0]["cost"]:
                continue
            c = cost_of(res[dom, m])
            per = {"tinyreptile": 1, S.HALF: 1, "transfer": "-"}.get(m, S.PER_ROUND)
            rel = {k: "%s (%.2f)" % (b(c[k]), c[k] / f[k]) for k in ("peak_bytes", "round_macs", "total_macs")}
            rows.append([S.DOMAIN_NAMES[dom], S.METHOD_NAMES[m], S.rounds(m, quick) or 1, per,
                         "%.0f" % c["round_steps"], rel["peak_bytes"], rel["round_macs"], b(c["total_steps"]),
                         rel["total_macs"]])
    md.append(table(["domain", "method", "rounds", "clients per round", "steps per client and round",
                     "peak bytes (of FedAvg)", "MACs per client and round (of FedAvg)", "client steps, all rounds",
                     "client MACs, all rounds (of FedAvg)"], rows) + "\n")
    return md


# ---------------------------------------------------------------- findings


def findings_text(domains, res, best):
    """What the tables show beyond the target, computed from them."""
    md = ["## 5. Reading the results\n"]
    cells = [(dom, n) for dom in domains for n in S.SHOTS]
    ahead = [c for c in cells if mean(accs(res[c[0], "tinyreptile"], c[1])) > mean(accs(res[c[0], "fedavg"], c[1]))]
    md.append("* **TinyReptile against FedAvg.** TinyReptile's mean accuracy is above FedAvg's in %d of %d (domain, "
              "shot count) cells (section 4).\n" % (len(ahead), len(cells)))
    md += _steps_text(domains, res, best)
    first = []
    for dom in domains:
        a = [mean(accs(res[dom, m], 1)) for m in S.METHODS if m != "scratch"]
        first.append("%s %.3f-%.3f (scratch %.3f, chance %.3f)" % (
            S.DOMAIN_NAMES[dom], min(a), max(a), mean(accs(res[dom, "scratch"], 1)),
            1 / DM.DATA[dom, "final"]["n_out"]))
    md.append("* **After one sample**, the trained initialisations' accuracy (mean over seeds, lowest-highest of the "
              "%d): %s. A watch label means the same exercise on every device; a 5-way device's order of its "
              "classes has to be learned from its own samples.\n" % (len(S.METHODS) - 1, "; ".join(first)))
    lo, hi = S.SUMMARY_SHOTS
    for n in (lo, hi):
        top = []
        for dom in domains:
            order = sorted(S.TUNED, key=lambda m: -mean(accs(res[dom, m], n)))  # distinct methods
            top.append("%s: %s (%s), then %s (%s)" % (
                S.DOMAIN_NAMES[dom], S.METHOD_NAMES[order[0]], ms(accs(res[dom, order[0]], n)),
                S.METHOD_NAMES[order[1]], ms(accs(res[dom, order[1]], n))))
        md.append("* **Best after %d samples.** %s.\n" % (n, "; ".join(top)))
    diff = ["%s %s / %s" % (S.DOMAIN_NAMES[dom], *(ms([100 * (x - y) for x, y in zip(
        accs(res[dom, "tinyreptile"], n), accs(res[dom, "reptile"], n))], "%+.1f") for n in (lo, hi)))
        for dom in domains]
    md.append("* **One client per round or five.** TinyReptile minus Reptile, seed by seed, after %d / %d samples "
              "(points; the same number of client visits, each method its own tuned k): %s.\n"
              % (lo, hi, "; ".join(diff)))
    vs = ["%s %s / %s" % (S.DOMAIN_NAMES[dom], *(ms([100 * (x - y) for x, y in zip(
        accs(res[dom, "transfer"], n), accs(res[dom, "scratch"], n))], "%+.1f") for n in (lo, hi)))
        for dom in domains]
    md.append("* **Pooling the data.** Transfer minus scratch after %d / %d samples (points): %s. On the watch "
              "every device means the same exercise by a label; on the 5-way tasks the pooled rows' labels "
              "contradict each other.\n" % (lo, hi, "; ".join(vs)))
    tot = ["%s %.2f" % (S.DOMAIN_NAMES[dom], cost_of(res[dom, "tinyreptile"])["total_macs"]
                        / cost_of(res[dom, "fedavg"])["total_macs"]) for dom in domains]
    md.append("* **All rounds together.** TinyReptile's client MACs summed over the federation, as a share of "
              "FedAvg's: %s. The per-round ratio of the target is about one client's burst; the sum is what the "
              "fleet spends for the rounds set here.\n" % "; ".join(tot))
    dips = ["%s %s (%d -> %d samples)" % (S.DOMAIN_NAMES[dom], S.METHOD_NAMES[m], a, c)
            for dom in domains for m in S.METHODS for a, c in zip(S.SHOTS, S.SHOTS[1:])
            if mean(accs(res[dom, m], c)) < mean(accs(res[dom, m], a)) - 0.005]
    if dips:
        md.append("* **Curves that dip.** Mean accuracy falls by more than half a point from one shot count to the "
                  "next in: %s. One adaptation lr serves every shot count, and a few single-sample steps with "
                  "momentum can overshoot.\n" % "; ".join(dips))
    return md


def _steps_text(domains, res, best):
    """TinyReptile's chosen k per domain and its per-round MACs against
    FedAvg's, and the k the half allows."""
    ki = S.SETTING_KEYS["tinyreptile"].index("steps")
    parts = ["%s k = %d, %.2f (k <= %d within half: %s k = %d, %.2f)" % (
        S.DOMAIN_NAMES[dom], best[dom, "tinyreptile"][0][ki], ratios(res, dom)[1], k_half(dom, best),
        S.METHOD_NAMES[S.HALF], best[dom, S.HALF][0][ki], ratios(res, dom, S.HALF)[1]) for dom in domains]
    return ["* **Steps per round.** A TinyReptile client's round is k learn_one and a FedAvg client's E passes over "
            "its rows, so the per-round MACs ratio is k against E times those rows. Chosen k and ratio: %s.\n"
            % "; ".join(parts)]
