"""The page's summary paragraph and its table of targets (from the issue),
each with its measured figures and verdict."""
import numpy as np

from tools.benchkit import ms, table

from .settings import ADAPT_TOL, STREAM_NAMES


def summary_text(streams, seeds, summary, fl, sweep, board):
    show = []
    mean = lambda v: float(np.mean(v))  # noqa: E731
    sd = lambda v: float(np.std(v, ddof=1)) if len(v) > 1 else 0.0  # noqa: E731
    rows = ("none", "random", "herding", "dm", "joint")
    for p in ("board", "host"):
        for s in streams:
            show.append("%s %s: no replay %.3f, random %.3f, herding %.3f, dm %.3f, joint %.3f"
                        % ((STREAM_NAMES[s], p) + tuple(mean(summary[p, s, m]) for m in rows)))
    targets = []
    if "digits" in streams:
        for p in ("board", "host"):
            dm, jt = summary[p, "digits", "dm"], summary[p, "digits", "joint"]
            gap = mean(jt) - mean(dm)
            ok = gap <= 0.03
            fix = ""
            if not ok and (p, "digits", "dm") in sweep:
                sw = sweep[p, "digits", "dm"]
                fr = [f for f in sorted(sw) if mean(jt) - mean(sw[f]) <= 0.03]
                top = max(sw)
                fix = (" A budget of %g%% closes it (%.3f)." % (100 * fr[0], mean(sw[fr[0]])) if fr else
                       " No budget up to %g%% closes it (%.3f there)." % (100 * top, mean(sw[top])))
            targets.append(["dm 1%% within 3 points of joint training, Split-digits, %s path" % p,
                            "dm %s vs joint %s: %.1f points behind" % (ms(dm), ms(jt), 100 * gap),
                            ("**met**" if ok else "**missed**") + fix])
            for other in ("random", "herding"):
                o = summary[p, "digits", other]
                margin = mean(dm) - mean(o)
                spread = sd(dm) + sd(o)
                ok2 = margin > spread and len(seeds) >= 3
                targets.append(["dm 1%% ahead of %s 1%% by more than the spread (%d seeds), Split-digits, %s "
                                "path"
                                % (other, len(seeds), p),
                                "%s vs %s: +%.1f points, spread (sum of the two stds) %.1f points"
                                % (ms(dm), ms(o), 100 * margin, 100 * spread),
                                "**met**" if ok2 else "**missed**"])
    for p in ("board", "host"):
        for s in streams:
            f = fl[p, s]
            diff = mean(f["adaptive"]) - mean(f["fixed"])
            ok = f["train_ratio"] <= 0.5 and diff >= -ADAPT_TOL
            oki = f["inf_ratio"] <= 0.5 and diff >= -ADAPT_TOL
            targets.append(["adaptive model <= 50%% of the fixed model's FLOPs within 1.5 points, %s, %s path"
                            % (STREAM_NAMES[s], p),
                            "accuracy %+.1f points; training FLOPs %.0f%%, inference FLOPs (final) %.0f%% "
                            "(reference, a fixed model of the start width %d: %+.1f points at %.0f%% of the "
                            "training FLOPs)"
                            % (100 * diff, 100 * f["train_ratio"], 100 * f["inf_ratio"], f["start"],
                               100 * (mean(f["small"]) - mean(f["fixed"])), 100 * f["small_ratio"]),
                            "training: **%s**; inference: **%s**"
                            % ("met" if ok else "missed", "met" if oki else "missed")])
    lines = ["**Summary.** Average accuracy after the last task (test split, mean over %d seeds): "
             % len(seeds) + "; ".join(show) + "."]
    gaps = ["%s %s %.1f" % (STREAM_NAMES[s], p,
                            100 * (mean(summary[p, s, "joint"]) - mean(summary[p, s, "dm"])))
            for p in ("board", "host") for s in streams]
    lines.append("Points by which joint training is ahead of the distilled 1%% memory: %s (negative: dm "
                 "ahead)." % ", ".join(gaps))
    bd = {s: (mean(summary["board", s, "dm"]), mean(summary["board", s, "joint"])) for s in streams}
    above = ["%s (%.3f vs %.3f)" % ((STREAM_NAMES[s],) + bd[s]) for s in streams if bd[s][0] >= bd[s][1]]
    if above:
        lines.append("On the board path joint training is one pass of the same learner over all the data, "
                     "not a ceiling: the distilled memory finishes level with or above it on %s, its stored "
                     "rows being trained on again and again; the host path's joint row (several epochs) is "
                     "the real upper bound." % ", ".join(above))
    better = ["%s (%s vs %s)" % (STREAM_NAMES[s], ms(summary["board", s, "reservoir"]),
                                 ms(summary["board", s, "random"]))
              for s in streams
              if mean(summary["board", s, "reservoir"]) > mean(summary["board", s, "random"])]
    if better:
        lines.append("The board's own reservoir, with no host, finishes above the host's random 1%% set, on "
                     "average, on %s. A likely reason: the reservoir fills the whole memory with the old "
                     "classes' samples from the start and gives up slots only as new classes arrive, whereas "
                     "with the host's sets the slots of the tasks still to come hold current-task samples, "
                     "so until the last task the "
                     "old classes have fewer rows." % ", ".join(better))
    if board and "error" not in board:
        ran = [(t, r) for t, r in board["boards"].items() if "error" not in r]
        lines.append("On real MicroPython (float32, %d KB heap) the shortened Split-digits board run ends at %s."
                     % (board["heap_kb"], "; ".join(
                         "%.4f test accuracy on %s, CPython's %s path at %.4f (%d of %d predictions equal)"
                         % (r["acc"], t, "pure-Python" if r["ref"] == "python" else "ulab-emulation",
                            board["cpython"][r["ref"]]["acc"], r["agree"], board["n_test"]) for t, r in ran)))
    out = "\n".join(lines) + "\n\n**Targets** (from the issue; std: sample std over seeds):\n\n"
    out += table(["target", "measured", "verdict"], targets) + "\n"
    return out
