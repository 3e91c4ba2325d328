"""The PNG: accuracy on the unseen devices against the adaptation samples,
one panel per domain, one line per method with its spread over seeds."""
from pathlib import Path

import numpy as np

from tools.benchkit import save_small

from . import domains as DM
from . import settings as S
from .report import accs

COLORS = {"tinyreptile": "C0", S.HALF: "C9", "reptile": "C2", "fedavg": "C3", "transfer": "C1", "scratch": "0.4"}


def plots(outdir, domains, res, seeds):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    fig, axes = plt.subplots(1, len(domains), figsize=(3.8 * len(domains), 3.3), squeeze=False, sharey=True)
    for ax, dom in zip(axes[0], domains):
        for m in S.METHODS:
            a = np.array([accs(res[dom, m], n) for n in S.SHOTS])  # shots x seeds
            mu, sd = a.mean(axis=1), a.std(axis=1, ddof=1) if len(seeds) > 1 else np.zeros(len(a))
            ax.plot(S.SHOTS, mu, marker="o", ms=3, lw=1.3, color=COLORS[m], label=S.METHOD_NAMES[m])
            ax.fill_between(S.SHOTS, mu - sd, mu + sd, color=COLORS[m], alpha=0.15, lw=0)
        ax.axhline(1 / DM.DATA[dom, "final"]["n_out"], color="0.5", ls=":", lw=0.9, label="chance")
        ax.set_xscale("log")
        ax.set_xticks(S.SHOTS)
        ax.set_xticklabels([str(n) for n in S.SHOTS])
        ax.set_title(S.DOMAIN_NAMES[dom], fontsize=9)
        ax.set_xlabel("adaptation samples on the unseen device", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("query accuracy (mean ± std, %d seeds)" % len(seeds), fontsize=7)
    axes[0][0].legend(fontsize=6, loc="lower right")
    save_small(fig, outdir / "fed_curves.png", 90, written)
    return written
