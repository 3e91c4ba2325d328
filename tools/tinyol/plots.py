"""The PNGs: prequential accuracy along each stream, and the KDD-TSAD 135
score and threshold traces (drawn from the per-sample runs, at measuring time)."""
from pathlib import Path

import numpy as np

from ulearn_dev.benchkit import save_small

from .anomaly import kdd_labels
from .settings import KDD_ANOM, KDD_W, LEARNER_NAMES, LEARNERS, POLICY_NAMES, STREAM_NAMES, STREAMS


def write(outdir, curves, ceil, traces, seeds):
    """Write the plots into `outdir` from prequential.run's curves, the
    ceilings and anomaly.run's traces; return the paths written."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharey=True)
    colors = {"ulearn": "C0", "river_ovr": "C1", "river_softmax": "C2"}
    for ax, s in zip(axes, STREAMS):
        for k in LEARNERS:
            c = curves[s, k]
            n = np.arange(1, c.shape[1] + 1)
            m, sd = c.mean(0), c.std(0, ddof=1) if c.shape[0] > 1 else np.zeros(c.shape[1])
            ax.plot(n, m, color=colors[k], lw=1.2, label=LEARNER_NAMES[k])
            ax.fill_between(n, m - sd, m + sd, color=colors[k], alpha=0.2, lw=0)
        nc = curves[s, "nochange"].mean(0)
        ax.plot(np.arange(1, len(nc) + 1), nc, color="C4", ls=":", lw=1.6, label="baseline: no-change")
        cv = np.mean(ceil["digits" if s == "digits" else "watch"]["group" if s == "watch_rec" else "cv"])
        ax.axhline(cv, color="k", ls="--", lw=0.8,
                   label="batch softmax, 5-fold CV" + (" by recording" if s == "watch_rec" else ""))
        ax.set_title(STREAM_NAMES[s], fontsize=9)
        ax.set_xlabel("samples seen")
        ax.set_ylim(0.4, 1.0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6.5, loc="lower right")
    axes[0].set_ylabel("cumulative prequential accuracy")
    fig.suptitle("Prequential accuracy, mean ± std over %d seeds" % len(seeds), fontsize=10)
    save_small(fig, outdir / "prequential.png", 80, written)
    if traces:
        panels = [("raw", "all"), ("diff", "all"), ("diff", "normal")]
        fig, axes = plt.subplots(len(panels), 1, figsize=(12, 6.6), sharex=True)
        ends, _ = kdd_labels(KDD_W)
        for ax, (v, pol) in zip(axes, panels):
            if (v, pol) not in traces:
                continue
            score, thr = traces[v, pol]
            ax.semilogy(ends, score, lw=0.6, color="C0", label="score")
            ax.semilogy(ends, thr, lw=0.9, color="C3", label="threshold")
            ax.axvspan(KDD_ANOM[0], KDD_ANOM[1] + KDD_W - 1, color="orange", alpha=0.3,
                       label="windows overlapping the anomaly")
            ax.set_title("KDD-TSAD 135, %s windows (W=%d), %s, seed %d"
                         % (v, KDD_W, POLICY_NAMES[pol], seeds[0]), fontsize=9)
            ax.legend(fontsize=7, loc="upper left")
        axes[-1].set_xlabel("window end t")
        save_small(fig, outdir / "kdd_scores.png", 72, written)
    return written
