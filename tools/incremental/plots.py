"""The page's figures (matplotlib, small PNGs): accuracy curves per stream
and path, the board path's accuracy matrices, the replay-budget sweep."""
from pathlib import Path

import numpy as np

from tools.benchkit import save_small

from . import data
from .runs import job, metrics
from .settings import METHOD_NAMES, METHODS_BOARD, METHODS_HOST, REPLAY_METHODS, STREAM_NAMES, SWEEP_STREAMS

COLORS = {"none": "C3", "reservoir": "C5", "random": "C1", "herding": "C2", "dm": "C0",
          "joint": "k", "adaptive": "C4"}


def plots(outdir, streams, fe, seeds, best, adapt, res, sweep):
    """Write the PNGs to `outdir`; returns their paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    save_small(_curves(plt, streams, fe, seeds, best, adapt, res), outdir / "incremental_curves.png", 80,
               written)
    save_small(_matrices(plt, streams, fe, seeds, best, res), outdir / "incremental_matrices.png", 80,
               written)
    if sweep:
        save_small(_budget(plt, streams, seeds, sweep), outdir / "incremental_budget.png", 80, written)
    return written


def _curves(plt, streams, fe, seeds, best, adapt, res):
    fig, axes = plt.subplots(2, len(streams), figsize=(4.2 * len(streams), 6.4), squeeze=False)
    for col, s in enumerate(streams):
        T = len(data.DATA[s, "final"]["tasks"])
        for row, (p, methods) in enumerate((("board", METHODS_BOARD), ("host", METHODS_HOST))):
            ax = axes[row][col]
            for m in methods + ("adaptive",):
                c = adapt[p, s] if m == "adaptive" else best[p, s, m]
                cs = np.array([metrics(res[job(p, s, "final", fe[s], m, c, sd)]["A"])["curve"]
                               for sd in seeds])
                mu, sd_ = cs.mean(0), cs.std(0, ddof=1) if len(cs) > 1 else np.zeros(cs.shape[1])
                if m == "joint":
                    ax.axhline(mu[0], color="k", ls="--", lw=0.9, label=METHOD_NAMES[m])
                    continue
                x = np.arange(1, T + 1)
                ax.plot(x, mu, marker="o", ms=3, color=COLORS[m], lw=1.2, label=METHOD_NAMES[m],
                        ls=":" if m == "adaptive" else "-")
                ax.fill_between(x, mu - sd_, mu + sd_, color=COLORS[m], alpha=0.15, lw=0)
            ax.set_title("%s, %s path" % (STREAM_NAMES[s], p), fontsize=9)
            ax.set_xticks(range(1, T + 1))
            ax.set_ylim(0, 1.02)
            ax.grid(alpha=0.3)
            if row == 1:
                ax.set_xlabel("after task")
            if col == 0:
                ax.set_ylabel("average accuracy, tasks seen")
    axes[0][0].legend(fontsize=6.5, loc="lower left")
    fig.suptitle("Class-incremental streams: mean ± std over %d seeds" % len(seeds), fontsize=10)
    return fig


def _matrices(plt, streams, fe, seeds, best, res):
    ms_ = ("none", "random", "herding", "dm")
    fig, axes = plt.subplots(len(streams), len(ms_), figsize=(2.6 * len(ms_), 2.5 * len(streams)),
                             squeeze=False)
    for r_, s in enumerate(streams):
        for c_, m in enumerate(ms_):
            ax = axes[r_][c_]
            A = np.mean([res[job("board", s, "final", fe[s], m, best["board", s, m], sd)]["A"]
                         for sd in seeds], 0)
            ax.imshow(np.nan_to_num(A, nan=np.nan), vmin=0, vmax=1, cmap="viridis")
            for i in range(A.shape[0]):
                for j in range(A.shape[1]):
                    if not np.isnan(A[i, j]):
                        ax.text(j, i, "%.2f" % A[i, j], ha="center", va="center", fontsize=6,
                                color="w" if A[i, j] < 0.6 else "k")
            ax.set_title("%s\n%s" % (STREAM_NAMES[s], METHOD_NAMES[m]), fontsize=7)
            ax.set_xticks(range(A.shape[1]))
            ax.set_xticklabels(["T%d" % (j + 1) for j in range(A.shape[1])], fontsize=6)
            ax.set_yticks(range(A.shape[0]))
            ax.set_yticklabels(["after T%d" % (i + 1) for i in range(A.shape[0])], fontsize=6)
    fig.suptitle("Board path accuracy matrices (mean over seeds)", fontsize=10)
    return fig


def _budget(plt, streams, seeds, sweep):
    sw = [s for s in streams if s in SWEEP_STREAMS]
    fig, axes = plt.subplots(1, 2 * len(sw), figsize=(3.3 * 2 * len(sw), 3.0), squeeze=False)
    for i, (s, p) in enumerate([(s, p) for s in sw for p in ("board", "host")]):
        ax = axes[0][i]
        for m in REPLAY_METHODS:
            fr = sorted(sweep[p, s, m])
            mu = [np.mean(sweep[p, s, m][f]) for f in fr]
            sd_ = [np.std(sweep[p, s, m][f], ddof=1) if len(seeds) > 1 else 0 for f in fr]
            ax.errorbar([100 * f for f in fr], mu, yerr=sd_, marker="o", ms=3, capsize=2,
                        color=COLORS[m], label=METHOD_NAMES[m])
        ax.axhline(np.mean(sweep[p, s, "joint"]), color="k", ls="--", lw=0.9, label=METHOD_NAMES["joint"])
        ax.set_xscale("log")
        ax.set_xticks([100 * f for f in fr])
        ax.set_xticklabels(["%g%%" % (100 * f) for f in fr])
        ax.set_title("%s, %s path" % (STREAM_NAMES[s], p), fontsize=8)
        ax.set_xlabel("replay budget (of each class's training rows)", fontsize=7)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("average accuracy after the last task", fontsize=7)
    axes[0][0].legend(fontsize=6, loc="lower right")
    return fig
