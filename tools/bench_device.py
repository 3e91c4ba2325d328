#!/usr/bin/env python
"""Device-side cost of learning: five standard learners on the QEMU Cortex-M3 board and on CPython, against their kernel floors.

The learners (tools/device_bench/configs.py), on the virtual board (MicroPython v1.29 + ulab 6.12,
emulated Cortex-M3, 192 KB heap) with ulab and pure-Python kernels: instructions per learn_one /
predict_one, bytes per step, live heap over a long run, smallest heap for 1,000 steps; the memory
figures in CircuitPython's unix build; on CPython the time of both kernel sets and the strict ulab
emulation's operation counts; and `ulearn budget`'s plan against the smallest heap. Every cost is
set against its floor measured in the same run (floor_py.py, floor_ulab.py: the same arithmetic).
A missed target is reported, not raised. From the repository root, after
`ulearn firmware build --target all`::

    python tools/bench_device.py --json docs/device.json --out docs/device.md --plot docs/img
    python tools/bench_device.py --quick          # smoke run, the page on stdout
    python tools/bench_device.py --render docs/device.json --out docs/device.md --plot docs/img

The result (every figure, board, firmware commits, command; ulearn_dev.benchkit's format) goes to
--json; the page renders from it alone (render). --render measures nothing: it renders the page
from a result and rewrites the result's summary, headline, targets and plots. docs/device.md is
generated: edit tools/device_bench/report.py, not the page.
"""
from ulearn_dev import benchenv  # noqa: F401  first: BLAS threads, the device package on numpy

import argparse
import tempfile
from pathlib import Path

from tqdm import tqdm

from ulearn_dev import devicepkg
from ulearn_dev.benchkit import Laps, output_arguments, provenance, publish
from ulearn_dev.device_bench import board, configs, cpython, plots, report, unix
from ulearn_host import budget
from ulearn_host import report as host_report

TITLE = "Device-side speed and memory on the virtual board"
STEPS = dict(board=200, runs=3, cpython=500, ulab=50, long=2000, chunk=200)
QUICK = dict(board=30, runs=2, cpython=100, ulab=10, long=200, chunk=100)
ROWS = 1000  # the rows each learner cycles through after its warm-up


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer steps (smoke run)")
    ap.add_argument("--only", choices=configs.ORDER, action="append",
                    help="measure this configuration only (repeatable)")
    ap.add_argument("--no-board", action="store_true",
                    help="skip the QEMU board and the unix builds (CPython only)")
    output_arguments(ap)  # with --render, ulearn budget's figures are planned again by today's planner
    publish(ap.parse_args(argv), measure, render, lambda folder, res: plots.write(folder, plan(res)))


def render(res):
    """The page (Markdown) from a result alone. Fills in the result's benchmark, title,
    summary, headline, targets and plots (kept when there); ulearn budget's figures are
    planned again from the learners' configurations (not stored)."""
    planned = plan(res)
    targets = report.checks(planned)
    res.update(benchmark="device", title=TITLE, summary=report.summary(planned, targets),
               headline=report.headline(planned), targets=targets, plots=res.get("plots", []))
    md = ["# %s\n" % TITLE,
          "Reproduce from the repository root (≈ %s on the machine below):\n" % res["elapsed"],
          "```\n%s\n```\n" % res["command"],
          "Made on %s at commit %s. Environment: %s.%s%s\n" % (
              res.get("date", "?"), res.get("commit"), res["environment"],
              " **Quick (smoke) run: few steps; not the reference figures.**" if res["quick"] else "",
              res["stages"])]
    md += host_report.headline(res) + [report.sections(planned)]
    if res["plots"]:
        md += ["## Plots\n"] + ["![%s](%s)\n" % (Path(p).stem, p) for p in res["plots"]]
    return "\n".join(md)


def measure(args):
    """Every figure of a run, as a JSON-ready dict."""
    steps = QUICK if args.quick else STEPS
    order = [n for n in configs.ORDER if not args.only or n in args.only]
    lap = Laps()
    res = {"benchmark": "device", "title": TITLE, "order": order, "steps": steps,
           "quick": args.quick, "bundle": {}, "meta": {}, "cpython": {}, "ulab": {}}
    with tempfile.TemporaryDirectory() as tmp:
        bundles, rows = {}, {}
        for name in tqdm(order, desc="building", disable=None, leave=False):
            clf, X, y = configs.build(name)
            path = str(Path(tmp) / (name + ".npz"))
            devicepkg.use("numpy").save(clf, path)
            bundles[name] = path
            res["bundle"][name] = Path(path).stat().st_size
            res["meta"][name] = {"kind": type(clf).__name__, "config": clf.config()}
            start = configs.WARM + configs.SUPPORT
            sl = slice(start, start + ROWS)
            rows[name] = ([r.tolist() for r in X[sl]], y[sl], [clf.labels.index(v) for v in y[sl]])
        lap("building")
        for name in tqdm(order, desc="CPython", disable=None, leave=False):
            res["cpython"][name] = cpython.timings(bundles[name], rows[name], steps["cpython"],
                                                   steps["runs"])
            res["ulab"][name] = cpython.ulab_counts(bundles[name], rows[name], steps["ulab"])
        lap("CPython")
        if args.no_board:
            res["board"] = res["cp"] = {"error": "skipped (--no-board)"}
        else:
            bar = tqdm(total=2 * len(order), desc="QEMU board", disable=None, leave=False)
            res["board"] = board.measure(bundles, rows, steps["board"], steps["long"],
                                         steps["chunk"], on_step=bar.update)
            bar.close()
            lap("QEMU board")
            res["cp"] = unix.measure("cp-unix", bundles, rows, steps["board"])
            lap("CircuitPython unix")
            for name in order if "error" not in res["board"] else ():
                for k in board.KERNELS:
                    res["board"][name][k]["summary"] = board.summary(res["board"][name][k])
    md = ["{elapsed}", "{stages}"]
    lap.stamp(md)
    res["elapsed"], res["stages"] = md
    res.update(provenance())
    return res


def plan(res):
    """The result with what ulearn budget plans for each learner (planned now, from the
    learners' configurations): "boards", on every profile; "budget", the need on the QEMU
    board for both kernel sets."""
    boards = {n: {b: dict(p["ram"], kernels=p["kernels"]) for b in budget.profiles()
                  for p in [budget.plan(res["meta"][n], b)]} for n in res["order"]}
    need = {n: {k: budget.plan(res["meta"][n], "qemu-m3", ulab=k == "ulab")["ram"]["need"]
                for k in board.KERNELS} for n in res["order"]}
    return dict(res, boards=boards, budget=need)


if __name__ == "__main__":
    main()
