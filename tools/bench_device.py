#!/usr/bin/env python
"""Device-side cost of learning: four standard learners in MicroPython and on CPython, against their kernel floors.

The learners: a small head (64 features -> 10 classes), an IMU learner
(window features -> 32 -> 7), a digits learner with a 1% replay memory
(k = 2) and a sparse update step (Fisher-selected rows of an int8
extractor). For each: time per learn_one / predict_one in MicroPython's
WebAssembly port (tools/mpvm) and on CPython, heap allocated per step, live
and peak heap, the live heap over a long run, bundle bytes, ulab operations
and bytes from the strict ulab emulation, and what `ulearn budget` plans on
each board profile; every cost against its floor measured in the same run
(tools/device_bench/floor_py.py, floor_ulab.py), checked to do the same
arithmetic. Not a timed test: a missed target is reported as measured.
Run from the repository root::

    python tools/bench_device.py                      # full run (~6 min), Markdown on stdout
    python tools/bench_device.py --quick              # smoke run (~1 minute)
    python tools/bench_device.py --out docs/device.md --plot docs/img

Progress goes to stderr; the Markdown to stdout (and --out). The work is in
tools/device_bench/.
"""
import benchenv  # noqa: F401  first: BLAS threads, paths, the device package on numpy

import argparse
import platform
import tempfile
from pathlib import Path

import devicepkg
import numpy as np
from tqdm import tqdm

from tools.benchkit import Laps, command_line, machine, note, plot_links, write_page
from tools.device_bench import configs, cpython, plots, report, vm
from ulearn_host import budget

STEPS = dict(vm=200, runs=3, cpython=500, ulab=50, long=10000, chunk=500)
QUICK = dict(vm=50, runs=2, cpython=100, ulab=10, long=1000, chunk=500)
ROWS = 1000  # the rows each learner cycles through after its warm-up


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer steps (smoke run)")
    ap.add_argument("--only", choices=configs.ORDER, action="append",
                    help="measure this configuration only (repeatable)")
    ap.add_argument("--no-vm", action="store_true", help="skip MicroPython")
    ap.add_argument("--out", help="also write the Markdown to this file")
    ap.add_argument("--plot", metavar="DIR", help="write PNG plots (matplotlib) to this directory")
    args = ap.parse_args(argv)
    steps = QUICK if args.quick else STEPS
    order = [n for n in configs.ORDER if not args.only or n in args.only]
    lap = Laps()
    res = {"order": order, "steps": steps, "bundle": {}, "boards": {}, "cpython": {}, "ulab": {}}
    with tempfile.TemporaryDirectory() as tmp:
        bundles, rows = {}, {}
        for name in tqdm(order, desc="building", disable=None, leave=False):
            clf, X, y = configs.build(name)
            path = str(Path(tmp) / (name + ".npz"))
            devicepkg.use("numpy").save(clf, path)
            bundles[name] = path
            res["bundle"][name] = Path(path).stat().st_size
            res["boards"][name] = {b: _plan(path, b) for b in budget.profiles()}
            start = configs.WARM + configs.SUPPORT
            sl = slice(start, start + ROWS)
            rows[name] = ([r.tolist() for r in X[sl]], y[sl], [clf.labels.index(v) for v in y[sl]])
        lap("building")
        for name in tqdm(order, desc="CPython", disable=None, leave=False):
            res["cpython"][name] = cpython.timings(bundles[name], rows[name], steps["cpython"],
                                                   steps["runs"])
            res["ulab"][name] = cpython.ulab_counts(bundles[name], rows[name], steps["ulab"])
        lap("CPython")
        if args.no_vm:
            res["vm"] = {"error": "skipped (--no-vm)"}
        else:
            note("MicroPython: %d configurations" % len(order))
            res["vm"] = vm.measure(bundles, rows, steps["vm"], steps["runs"], steps["long"],
                                   steps["chunk"])
            for name in order if "error" not in res["vm"] else ():
                res["vm"][name]["summary"] = vm.summary(res["vm"][name])
            lap("MicroPython")
    md = ["# ulearn device-side cost benchmark\n",
          "Reproduce from the repository root (≈ {elapsed} on the machine below):\n",
          "```\n%s\n```\n" % command_line(),
          "Environment: CPython %s, numpy %s; %s.%s{stages}\n"
          % (platform.python_version(), np.__version__, machine(),
             " **Quick (smoke) run: few steps; not the reference figures.**" if args.quick else ""),
          "{summary}\n"]
    report.write(md, res)
    if args.plot:
        md += plot_links(plots.write(args.plot, res), args.out)
    md[4] = summary(res)
    lap.stamp(md)
    write_page(md, args.out)


def _plan(path, board):
    p = budget.plan(path, board)
    return {"need": p["ram"]["need"], "heap": p["ram"]["heap"], "fits": p["ram"]["fits"],
            "kernels": p["kernels"]}


def summary(res):
    checks = report.checks(res)
    missed = [c for c in checks if not c[3]]
    text = "**Summary.** %d of %d target checks met." % (len(checks) - len(missed), len(checks))
    vm = res["vm"]
    if "error" not in vm:
        text += " In MicroPython, learn_one costs %s of its pure-Python floor's time" % ", ".join(
            "%.2fx (%s, %.1f ms)" % (vm[n]["summary"]["learn"][0] / vm[n]["summary"]["flearn"][0], n,
                                     vm[n]["summary"]["learn"][0] / 1000) for n in res["order"])
        if "digits" in res["order"]:
            text += "; the digits learner holds %s bytes of live heap, its replay memory included" % (
                "{:,}".format(vm["digits"]["live"]))
        text += "."
    text += " On the ulab path learn_one takes %s of the floor's operations." % ", ".join(
        "%.2fx (%s)" % (res["ulab"][n]["learn"][0] / res["ulab"][n]["flearn"][0], n) for n in res["order"])
    if missed:
        text += " **Missed:** " + "; ".join("%s, %s: %s" % (t, n, m) for t, n, m, _ in missed) + "."
    return text + "\n"


if __name__ == "__main__":
    main()
