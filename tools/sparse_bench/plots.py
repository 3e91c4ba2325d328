"""The PNGs, drawn from the result alone (result.Result): accuracy against backward
memory, and the seed-by-seed differences of the Fisher selection from the other rows."""
from pathlib import Path

import numpy as np

from ulearn_dev.benchkit import save_small

from . import settings as S
from .result import accs, frac, mean, sd

COLORS = {"fisher": "C0", "l2": "C2", "random": "C1", "head": "C3", "full": "k", "cold": "C4"}


def plots(outdir, R):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    domains, res, fr = R.doms, R.runs, R.fracs
    fig, axes = plt.subplots(1, len(domains), figsize=(4.0 * len(domains), 3.3), squeeze=False)
    for ax, dom in zip(axes[0], domains):
        full = R.info[dom]["full"]["bytes"]
        for m in ("head", "full"):
            rr = res[dom, m, None]
            x = mean([r["bytes"] for r in rr])
            ax.errorbar([x], [mean(accs(rr))], yerr=[sd(accs(rr))], marker="s", ms=5, capsize=2,
                        color=COLORS[m], ls="none", label=S.METHOD_NAMES[m])
        rr = res.get((dom, "cold", R.target))
        if rr:
            h = ax.errorbar([mean([r["bytes"] for r in rr])], [mean(accs(rr))], yerr=[sd(accs(rr))], marker="v",
                            ms=5, capsize=2, color=COLORS["cold"], ls="none", label=S.METHOD_NAMES["cold"])
            ax.legend(handles=[h], fontsize=6, loc="lower right")
        top = mean(accs(res[dom, "full", None]))
        ax.axhspan(top - R.points, top, color="k", alpha=0.08, lw=0, label="within 1 point of full FT")
        for k, m in enumerate(S.SPARSE):
            pts = [(mean([r["bytes"] for r in res[dom, m, f]]), mean(accs(res[dom, m, f])), sd(accs(res[dom, m, f])))
                   for f in fr if res.get((dom, m, f))]
            if pts:
                x, y, e = zip(*pts)
                x = [v * (1 + 0.04 * (k - 1)) for v in x]  # side by side: the budgets are shared
                ax.errorbar(x, y, yerr=e, marker="o", ms=3.5, capsize=2, lw=1.1, color=COLORS[m],
                            label=S.METHOD_NAMES[m])
        ax.axvline(R.target * full, color="0.4", ls=":", lw=1)
        ax.set_xscale("log")
        ax.set_title(S.DOMAIN_NAMES[dom], fontsize=9)
        ax.set_xlabel("bytes of one training step (budgets %s of full FT)" % ", ".join(frac(f) for f in fr),
                      fontsize=7)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("query accuracy (mean ± std, %d seeds)" % len(R.seeds), fontsize=7)
    axes[0][0].legend(fontsize=6, loc="lower right")
    pth = outdir / "sparse_budget.png"
    save_small(fig, pth, 80, written)
    others = ("random", "l2", "head", "full")
    fig, axes = plt.subplots(1, len(domains), figsize=(3.4 * len(domains), 2.8), squeeze=False, sharey=True)
    for ax, dom in zip(axes[0], domains):
        for k, o in enumerate(others):
            v = R.paired(dom, "fisher", o)
            if v is None:
                continue
            v = 100 * np.array(v)
            ax.plot(np.full(len(v), k) + np.linspace(-0.12, 0.12, len(v)), v, "o", ms=3.5, color=COLORS[o])
            ax.plot([k - 0.25, k + 0.25], [v.mean()] * 2, color=COLORS[o], lw=1.5)
        ax.axhline(0, color="0.3", lw=0.8)
        ax.set_xticks(range(len(others)))
        ax.set_xticklabels(["- " + S.SHORT[o] for o in others], fontsize=7)
        ax.set_title(S.DOMAIN_NAMES[dom], fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3, axis="y")
    axes[0][0].set_ylabel("Fisher 1/10 minus row, points\n(one dot per seed, bar: mean)", fontsize=7)
    pth = outdir / "sparse_paired.png"
    save_small(fig, pth, 80, written)
    return written
