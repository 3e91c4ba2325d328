"""Section 1 Markdown: the learners, accuracy along each stream, first windows
of unseen recordings, time per sample, and the full learning-rate grid."""
import numpy as np

from tools.benchkit import ms, table

from .data import DATA, dataset_of, stream_order
from .prequential import oks
from .settings import (BASELINES, CLF_SGD, EVERY, LEARNER_NAMES, LEARNERS, MAIN, RIVER_DEFAULT_LR,
                       STREAM_NAMES, STREAMS, TAIL)


def write(md, r, seeds, quick):
    """Append section 1 to `md` from `r` (prequential.run)."""
    md.append("## 1. Prequential streaming accuracy (predict, then learn)\n")
    md.append(
        "Every learner sees the same stream of the same features, one sample at a time: it predicts, "
        "is scored, then learns that sample. Accuracy is cumulative over the stream so far "
        "(a prediction before the first sample of a class is always wrong). "
        "Mean ± std over %d seeds; a seed sets the stream order only (all learners start from zero "
        "weights). Learners:\n" % len(seeds))
    md.append(
        "* **ulearn Classifier**: `Classifier(n, n_classes, optimizer=SGD(lr=%g, momentum=%g, "
        "weight_decay=%g, clip=%g), standardize=True)`, numpy backend, fed float32 rows. One setting "
        "for every dataset, from the suggested range (lr 0.02-0.05, momentum 0.5, clip 5), picked "
        "after a one-seed look at lr 0.01/0.02/0.05/0.1 with momentum 0.5 on the two i.i.d. "
        "streams and before the grid below was run; the grid shows every other setting tried.\n"
        "* **river OvR LogisticRegression**: `StandardScaler() | OneVsRestClassifier(LogisticRegression())`, "
        "river defaults (SGD lr %g, no momentum), fed dicts `{i: float}`.\n"
        "* **river SoftmaxRegression**: `StandardScaler() | SoftmaxRegression()`, river defaults "
        "(SGD lr %g; note it has no bias term), the multinomial twin of ulearn's head.\n"
        "* **ceiling**: scikit-learn `StandardScaler() + LogisticRegression()` (multinomial, lbfgs, "
        "C=1) trained in batch: 5-fold stratified cross-validated accuracy (shuffled; seeds set the "
        "folds); for watch also 5-fold grouped by recording (no recording in both train and test "
        "folds: windows overlap by half, so the plain folds leak), and train-on-all / score-on-all "
        "(resubstitution, an optimistic bound).\n"
        % (CLF_SGD["lr"], CLF_SGD["momentum"], CLF_SGD["weight_decay"], CLF_SGD["clip"],
           RIVER_DEFAULT_LR, RIVER_DEFAULT_LR))
    if quick:
        md.append("**--quick run**: streams cut to the first %d (watch) / %d (digits) samples.\n"
                  % (DATA["limits"]["watch"], DATA["limits"]["digits"]))
    for s in STREAMS:
        _stream(md, r, s, seeds)
    _timing(md, r["timing"])
    _grid(md, r)


def _stream(md, r, s, seeds):
    # accuracy along one stream, and for watch_rec on the first windows of each recording
    n = len(stream_order(s, seeds[0]))
    marks = list(range(EVERY[s], n, EVERY[s])) + [n]
    d = "watch" if s != "digits" else "digits"
    ceil = r["ceil"]
    md.append("### %s (%d samples, %d features, %d classes)\n" % (
        STREAM_NAMES[s], n, dataset_of(s)["X"].shape[1], dataset_of(s)["n_classes"]))
    header = ["learner"] + ["n=%d" % m for m in marks] + ["last %d only" % min(TAIL[s], n)]
    rows = []
    for k in LEARNERS + BASELINES:
        name = ("**%s**" if k in LEARNERS else "%s") % LEARNER_NAMES[k]
        rows.append([name] + [ms([c[m - 1] for c in r["curves"][s, k]]) for m in marks]
                    + [ms([o[-TAIL[s]:].mean() for o in oks(r, s, k)])])
    cv = ceil[d, "cv"]
    rows.append(["ceiling: batch softmax, 5-fold CV (i.i.d. folds)", ms(cv)] + [""] * len(marks))
    if d == "watch":
        rows.append(["ceiling: batch softmax, 5-fold CV grouped by recording",
                     ms(ceil[d, "group"])] + [""] * len(marks))
    rows.append(["ceiling: batch softmax, train on all, score on all", "%.3f" % ceil[d, "resub"]]
                + [""] * len(marks))
    md.append(table(header, rows) + "\n")
    if s == STREAMS[0]:
        md.append("Ceiling rows: one accuracy for the whole dataset, put in the first column. "
                  "Baselines (not learners): *no-change* predicts the previous sample's label, "
                  "*majority* the most frequent label so far.\n")
    if s == "watch_rec":
        md.append(
            "In recording order consecutive windows share their label, so cumulative accuracy "
            "mostly measures how fast a learner follows the current recording (see the no-change "
            "baseline). The table below isolates generalisation to an *unseen* recording: "
            "accuracy on the first window(s) of each recording, predicted before any window of "
            "that recording was learned (first window) or after 1–4 of them.\n")
        rows = []
        for k in LEARNERS + BASELINES:
            ok = oks(r, s, k)
            rows.append([LEARNER_NAMES[k]] + [
                ms([o[ps == j].mean() for o, ps in zip(ok, r["pos"])]) for j in range(5)]
                + [ms([o[ps >= 5].mean() for o, ps in zip(ok, r["pos"])])])
        rows.append(["ceiling: batch softmax, 5-fold CV grouped by recording", ms(ceil[d, "group"]),
                     "", "", "", "", ""])
        md.append(table(["learner", "1st window", "2nd", "3rd", "4th", "5th", "6th and later"], rows)
                  + "\n")


def _timing(md, timing):
    md.append("### Time per sample on CPython (one run, seed 0, i.i.d. order)\n")
    rows = []
    for k in LEARNERS:
        row = [LEARNER_NAMES[k]]
        for s in ("watch_iid", "digits"):
            tp, tl = timing[s, k]
            row += ["%.1f" % tp, "%.1f" % tl, "%.1f" % (tp + tl)]
        rows.append(row)
    md.append(table(["learner", "watch predict µs", "watch learn µs", "watch total µs",
                     "digits predict µs", "digits learn µs", "digits total µs"], rows) + "\n")
    md.append("ulearn is fed numpy float32 rows, river dicts built once before timing (the dict "
              "conversion is not counted).\n")


def _grid(md, r):
    runs = r["runs"]
    md.append("### Full learning-rate grid (final cumulative prequential accuracy, mean ± std over seeds)\n")
    md.append("Every configuration run on the same seeded streams. ulearn's `lr` is the step on "
              "the velocity, so with momentum m its long-run step is lr / (1 - m). clip=%g throughout "
              "for ulearn; river's LogisticRegression gets intercept_lr = lr. **Bold**: the setting used "
              "in the tables above.\n" % CLF_SGD["clip"])
    rows = []
    for c in r["configs"]:
        k, lr, m = c
        name = LEARNER_NAMES[k] + (" (momentum %g)" % m if k == "ulearn" else "")
        fin = [ms([o.mean() for o in runs[(s,) + c]]) for s in STREAMS]
        bold = c in MAIN.values()
        rows.append([("**%s**" if bold else "%s") % name, ("**%g**" if bold else "%g") % lr] + fin)
    md.append(table(["learner", "lr"] + [STREAM_NAMES[s] for s in STREAMS], rows) + "\n")
    # best of grid per learner, per stream
    best_lines = []
    for k in LEARNERS:
        parts = []
        for s in STREAMS:
            cs = [c for c in r["configs"] if c[0] == k]
            best = max(cs, key=lambda c: np.mean([o.mean() for o in runs[(s,) + c]]))
            acc = np.mean([o.mean() for o in runs[(s,) + best]])
            parts.append("%s %.3f (lr %g%s)" % (s, acc, best[1],
                                                ", mom %g" % best[2] if k == "ulearn" else ""))
        best_lines.append("* best of grid, %s: %s" % (LEARNER_NAMES[k], "; ".join(parts)))
    md.append("\n".join(best_lines) + "\n")
