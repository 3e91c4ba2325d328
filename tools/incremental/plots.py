"""The page's figures (matplotlib, small PNGs), drawn from a result's data:
accuracy curves per stream and path, the board path's accuracy matrices,
the replay-budget sweep."""
from pathlib import Path

import numpy as np

from ulearn_dev.benchkit import save_small

from .runs import metrics
from .settings import METHOD_NAMES, REPLAY_METHODS, STREAM_NAMES

COLORS = {"none": "C3", "reservoir": "C5", "random": "C1", "herding": "C2", "dm": "C0",
          "joint": "k", "adaptive": "C4"}


def plots(outdir, res):
    """Write the PNGs to `outdir`; returns their paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written, d = [], res["data"]
    save_small(_curves(plt, d["runs"], len(res["seeds"])), outdir / "incremental_curves.png", 80, written)
    save_small(_matrices(plt, d["runs"]["board"]), outdir / "incremental_matrices.png", 80, written)
    if d["sweep"]:
        save_small(_budget(plt, d["sweep"], d["runs"]), outdir / "incremental_budget.png", 80, written)
    return written


def _sd(x):
    return x.std(0, ddof=1) if len(x) > 1 else np.zeros(x.shape[1:])


def _curves(plt, runs, n_seeds):
    streams = list(runs["board"])
    fig, axes = plt.subplots(2, len(streams), figsize=(4.2 * len(streams), 6.4), squeeze=False)
    for col, s in enumerate(streams):
        for row, p in enumerate(("board", "host")):
            ax = axes[row][col]
            for m, r in runs[p][s].items():
                if m == "small":
                    continue
                cs = np.array([metrics(np.array(A))["curve"] for A in r["A"]])
                mu, sd_ = cs.mean(0), _sd(cs)
                if m == "joint":
                    ax.axhline(mu[0], color="k", ls="--", lw=0.9, label=METHOD_NAMES[m])
                    continue
                x = np.arange(1, len(mu) + 1)
                ax.plot(x, mu, marker="o", ms=3, color=COLORS[m], lw=1.2, label=METHOD_NAMES[m],
                        ls=":" if m == "adaptive" else "-")
                ax.fill_between(x, mu - sd_, mu + sd_, color=COLORS[m], alpha=0.15, lw=0)
            ax.set_title("%s, %s path" % (STREAM_NAMES[s], p), fontsize=9)
            ax.set_xticks(x)
            ax.set_ylim(0, 1.02)
            ax.grid(alpha=0.3)
            if row == 1:
                ax.set_xlabel("after task")
            if col == 0:
                ax.set_ylabel("average accuracy, tasks seen")
    axes[0][0].legend(fontsize=6.5, loc="lower left")
    fig.suptitle("Class-incremental streams: mean ± std over %d seeds" % n_seeds, fontsize=10)
    return fig


def _matrices(plt, board):
    ms_ = ("none", "random", "herding", "dm")
    fig, axes = plt.subplots(len(board), len(ms_), figsize=(2.6 * len(ms_), 2.5 * len(board)), squeeze=False)
    for r_, s in enumerate(board):
        for c_, m in enumerate(ms_):
            ax = axes[r_][c_]
            A = np.mean(board[s][m]["A"], 0)
            ax.imshow(A, vmin=0, vmax=1, cmap="viridis")
            for (i, j), v in np.ndenumerate(A):
                if not np.isnan(v):
                    ax.text(j, i, "%.2f" % v, ha="center", va="center", fontsize=6, color="w" if v < 0.6 else "k")
            ax.set_title("%s\n%s" % (STREAM_NAMES[s], METHOD_NAMES[m]), fontsize=7)
            ax.set_xticks(range(A.shape[1]))
            ax.set_xticklabels(["T%d" % (j + 1) for j in range(A.shape[1])], fontsize=6)
            ax.set_yticks(range(A.shape[0]))
            ax.set_yticklabels(["after T%d" % (i + 1) for i in range(A.shape[0])], fontsize=6)
    fig.suptitle("Board path accuracy matrices (mean over seeds)", fontsize=10)
    return fig


def _budget(plt, sweep, runs):
    panels = [(s, p) for s in sweep["board"] for p in ("board", "host")]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.3 * len(panels), 3.0), squeeze=False)
    for ax, (s, p) in zip(axes[0], panels):
        fr = sorted(sweep[p][s]["dm"], key=float)
        x = [100 * float(f) for f in fr]
        for m in REPLAY_METHODS:
            v = np.array([sweep[p][s][m][f] for f in fr]).T  # seeds x fractions
            ax.errorbar(x, v.mean(0), yerr=_sd(v), marker="o", ms=3, capsize=2, color=COLORS[m],
                        label=METHOD_NAMES[m])
        joint = [metrics(np.array(A))["final"] for A in runs[p][s]["joint"]["A"]]
        ax.axhline(np.mean(joint), color="k", ls="--", lw=0.9, label=METHOD_NAMES["joint"])
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(x)
        ax.set_xticklabels(["%g%%" % v for v in x])
        ax.set_title("%s, %s path" % (STREAM_NAMES[s], p), fontsize=8)
        ax.set_xlabel("replay budget (of each class's training rows)", fontsize=7)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("average accuracy after the last task", fontsize=7)
    axes[0][0].legend(fontsize=6, loc="lower right")
    return fig
