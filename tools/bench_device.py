#!/usr/bin/env python
"""Device-side cost of learning: five standard learners on the QEMU Cortex-M3 board and on CPython, against their kernel floors.

The learners: a small head (64 features -> 10 classes), an IMU learner
(window features -> 32 -> 7), a digits learner with a 1% replay memory
(k = 2), a frozen int8 extractor under a trained last layer, and a sparse
update step (Fisher-selected rows of that extractor). For each, on the
virtual board (MicroPython v1.29 + ulab 6.12 on an emulated Cortex-M3, heap
fixed at 192 KB), with ulab and with the pure-Python kernels: instructions
per learn_one / predict_one with the collector running, bytes allocated per
step, live heap, the live heap over a long run, and the smallest heap at
which 1,000 steps run; the same memory figures in CircuitPython's unix
build; on CPython the time of both kernel sets and the strict ulab
emulation's operation counts; and what `ulearn budget` plans, against the
measured smallest heap. Every cost is set against its floor measured in the
same run (tools/device_bench/floor_py.py, floor_ulab.py), checked to do the
same arithmetic. Not a timed test: a missed target is reported as measured.
Run from the repository root (after `ulearn firmware build --target all`)::

    python tools/bench_device.py                      # full run, Markdown on stdout
    python tools/bench_device.py --quick              # smoke run
    python tools/bench_device.py --out docs/device.md --json docs/device.json --plot docs/img

Progress goes to stderr; the Markdown to stdout (and --out); every figure,
with the board, the firmware commits and the command, to --json. The work
is in tools/device_bench/.
"""
import benchenv  # noqa: F401  first: BLAS threads, paths, the device package on numpy

import argparse
import json
import os
import platform
import subprocess
import tempfile
from pathlib import Path

import devicepkg
import numpy as np
from tqdm import tqdm

from tools.benchkit import Laps, command_line, machine, plot_links, write_page
from tools.device_bench import board, configs, cpython, plots, report, unix
from ulearn_host import budget

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
    ap.add_argument("--out", help="also write the Markdown to this file")
    ap.add_argument("--json", help="also write every figure as JSON to this file")
    ap.add_argument("--render", metavar="JSON",
                    help="measure nothing: write the page from a --json file of an earlier run "
                    "(ulearn budget's figures are planned again, with today's planner)")
    ap.add_argument("--plot", metavar="DIR", help="write PNG plots (matplotlib) to this directory")
    args = ap.parse_args(argv)
    if args.render:
        with open(args.render) as f:
            res = json.load(f)
    else:
        res = measure(args)
        if args.json:
            tmp = args.json + ".tmp"
            with open(tmp, "w") as f:
                json.dump(res, f, indent=1)
            os.replace(tmp, args.json)
    plan(res)
    md = ["# ulearn device-side cost benchmark\n",
          "Reproduce from the repository root (≈ %s on the machine below):\n" % res["elapsed"],
          "```\n%s\n```\n" % res["command"],
          "Environment: %s.%s%s\n" % (res["environment"], " **Quick (smoke) run: few steps; not the "
                                        "reference figures.**" if res["quick"] else "", res["stages"]),
          "{summary}\n"]
    report.write(md, res)
    if args.plot:
        md += plot_links(plots.write(args.plot, res), args.out)
    md[4] = summary(res)
    write_page(md, args.out)


def measure(args):
    """Every figure of a run, as a JSON-ready dict."""
    steps = QUICK if args.quick else STEPS
    order = [n for n in configs.ORDER if not args.only or n in args.only]
    lap = Laps()
    res = {"order": order, "steps": steps, "quick": args.quick, "bundle": {}, "meta": {},
           "cpython": {}, "ulab": {}}
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
    res["command"], res["commit"] = command_line(), _commit()
    res["environment"] = "CPython %s, numpy %s; %s" % (platform.python_version(), np.__version__,
                                                      machine())
    return res


def plan(res):
    """What ulearn budget plans for each learner: on every profile, and on the QEMU board
    for both kernel sets (planned now, from the learners' configurations)."""
    res["boards"], res["budget"] = {}, {}
    for name in res["order"]:
        meta = res["meta"][name]
        res["boards"][name] = {b: _plan(meta, b) for b in budget.profiles()}
        res["budget"][name] = {k: budget.plan(meta, "qemu-m3", ulab=k == "ulab")["ram"]["need"]
                               for k in board.KERNELS}


def _commit():
    r = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=10"],
                       capture_output=True, text=True)
    return r.stdout.strip() or None


def _plan(meta, profile):
    p = budget.plan(meta, profile)
    return {"need": p["ram"]["need"], "heap": p["ram"]["heap"], "fits": p["ram"]["fits"],
            "kernels": p["kernels"]}


def summary(res):
    checks = report.checks(res)
    missed = [c for c in checks if c[3] is False]
    measured = [c for c in checks if c[3] is not None]
    text = "**Summary.** %d of %d target checks met%s." % (
        len(measured) - len(missed), len(measured),
        "" if len(measured) == len(checks) else " (%d not measured)" % (len(checks) - len(measured)))
    bd = res["board"]
    if "error" not in bd:
        for k in board.KERNELS:
            text += " On the QEMU Cortex-M3 board (%s), learn_one costs %s of its floor's " \
                "instructions" % (k, ", ".join(
                    "%s (%s, %.1f ms)" % (report._x(s["vlearn"][0], s["flearn"][0]), n,
                                          s["learn"][0] / 1000)
                    for n in res["order"] for s in [bd[n][k]["summary"]]))
            text += "; smallest heap for %d steps: %s." % (board.MIN_STEPS, ", ".join(
                "%s %s" % (n, "n/a" if bd[n][k]["min_heap"] is None
                           else "%.1f KB" % (bd[n][k]["min_heap"] / 1024)) for n in res["order"]))
    text += " On the ulab path learn_one takes %s of the floor's operations." % ", ".join(
        "%.2fx (%s)" % (res["ulab"][n]["learn"][0] / res["ulab"][n]["flearn"][0], n) for n in res["order"])
    if missed:
        text += " **Missed:** " + "; ".join("%s, %s: %s" % (t, n, m) for t, n, m, _ in missed) + "."
    return text + "\n"


if __name__ == "__main__":
    main()
