"""The device benchmark's plots: cost per step against the floor, and
memory per board profile."""
from pathlib import Path

from ulearn_dev.benchkit import save_small


def write(out_dir, res):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written, order = [], res["order"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    bars = [("CPython pure Python", lambda n: res["cpython"][n]["python"]["learn"][0]
             / res["cpython"][n]["python"]["flearn"][0]),
            ("ulab operations", lambda n: res["ulab"][n]["learn"][0] / res["ulab"][n]["flearn"][0]),
            ("ulab bytes", lambda n: res["ulab"][n]["learn"][1] / res["ulab"][n]["flearn"][1])]
    bd = res["board"]
    if "error" not in bd:
        for k in ("python", "ulab"):
            bars.insert(0, ("board, %s" % k, lambda n, k=k: bd[n][k]["summary"]["vlearn"][0]
                            / bd[n][k]["summary"]["flearn"][0]))
    ax = axes[0]
    w = 0.8 / len(bars)
    for k, (label, f) in enumerate(bars):
        ax.bar([i + k * w for i in range(len(order))], [f(n) for n in order], w, label=label)
    ax.axhline(1.5, color="k", ls="--", lw=1, label="target 1.5x (bytes: 2x)")
    ax.set_xticks([i + w * (len(bars) - 1) / 2 for i in range(len(order))], order)
    ax.set_ylabel("learn_one / its floor")
    ax.set_title("Cost of one learn_one against the floor")
    ax.set_ylim(0, 2.1)
    ax.legend(fontsize=6, ncol=3, loc="upper center")
    ax = axes[1]
    if "error" not in bd:
        for j, k in enumerate(("ulab", "python")):
            ms = [bd[n][k]["summary"]["vlearn"][0] / 1000 for n in order]
            fms = [bd[n][k]["summary"]["flearn"][0] / 1000 for n in order]
            x = [i + (j - 0.5) * 0.4 for i in range(len(order))]
            ax.bar([v - 0.1 for v in x], ms, 0.2, label="learn_one, %s" % k)
            ax.bar([v + 0.1 for v in x], fms, 0.2, label="floor, %s" % k, alpha=0.6)
        ax.set_yscale("log")
        ax.set_ylabel("ms per step (QEMU Cortex-M3, icount)")
        ax.set_xticks(range(len(order)), order)
        ax.set_title("Time per learn_one on the board")
        ax.legend(fontsize=7)
    p = out_dir / "device_cost.png"
    save_small(fig, p, 110, written)

    boards = list(res["boards"][order[0]])
    fig, ax = plt.subplots(figsize=(10, 3.6))
    w = 0.8 / len(order)
    for k, n in enumerate(order):
        ax.bar([i + k * w for i in range(len(boards))],
               [res["boards"][n][b]["need"] / 1024 for b in boards], w, label=n)
    ax.scatter([i + 0.4 - w / 2 for i in range(len(boards))],
               [res["boards"][order[0]][b]["heap"] / 1024 for b in boards], marker="_", s=900,
               color="k", label="free heap of the profile", zorder=3)
    ax.set_xticks([i + 0.4 - w / 2 for i in range(len(boards))], boards, rotation=15, fontsize=8)
    ax.set_ylabel("KB")
    ax.set_yscale("log")
    ax.set_title("RAM each learner needs on each board profile (ulearn budget)")
    ax.legend(fontsize=7, ncol=3, loc="upper left")
    p = out_dir / "device_boards.png"
    save_small(fig, p, 110, written)
    return written
