#!/usr/bin/env python
"""Benchmark of ulearn's TinyOL learners on real data; prints Markdown tables.

Not a timed test: it measures and reports, and a missed expectation is
reported as measured. Run from the repository root::

    python tools/bench_tinyol.py                      # full run, Markdown on stdout
    python tools/bench_tinyol.py --quick              # smoke run (fewer samples)
    python tools/bench_tinyol.py --out docs/benchmarks.md --plot docs/img

Sections:

1. prequential (predict, then learn) streaming accuracy on the smartwatch IMU
   windows (i.i.d. order and recording-by-recording order) and on digits 8x8:
   ulearn's Classifier vs river's logistic regressions, with a batch-trained
   softmax (scikit-learn) as the ceiling, plus the full learning-rate grid;
2. anomaly detection (AnomalyDetector) on Shuttle and KDD-TSAD 135,
   prequential (decide, then learn) with two learning policies.

The cost of a step (time, heap, ulab operations, against kernel floors) is
tools/bench_device.py's page, docs/device.md.

Progress bars go to stderr; the Markdown goes to stdout (and --out). This
file is the command line; the benchmark itself is in tools/tinyol/.
"""
import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT / "tests"), str(ROOT)):  # devicepkg; tools
    if p not in sys.path:
        sys.path.insert(0, p)

import devicepkg  # noqa: E402
from tools.benchkit import command_line, machine, note, plot_links, write_page  # noqa: E402
from tools.tinyol import (anomaly, anomaly_report, data, plots, prequential,  # noqa: E402
                          prequential_report, summary)


def environment():
    import river
    import sklearn
    return ("CPython %s, numpy %s, river %s, scikit-learn %s; %s"
            % (platform.python_version(), np.__version__, river.__version__, sklearn.__version__,
               machine()))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=None,
                    help="seeds per configuration (default 5; 2 with --quick)")
    ap.add_argument("--quick", action="store_true", help="fewer samples and a smaller grid (smoke run)")
    ap.add_argument("--out", help="also write the Markdown to this file")
    ap.add_argument("--plot", metavar="DIR", help="write PNG plots (matplotlib) to this directory")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="worker processes for the accuracy runs (timings always run alone)")
    args = ap.parse_args(argv)
    n_seeds = args.seeds if args.seeds is not None else (2 if args.quick else 5)
    if n_seeds < 1:
        ap.error("--seeds must be >= 1")
    seeds = list(range(n_seeds))
    t_start = time.time()
    cmd = command_line()
    print("$ " + cmd, flush=True)

    devicepkg.use("numpy")
    note("loading datasets")
    data.load_data(args.quick)  # before any pool forks: the workers inherit data.DATA

    quick_note = " **Quick (smoke) run: cut streams, small grids.**" if args.quick else ""
    md = ["# ulearn TinyOL benchmarks\n",
          "Reproduce from the repository root (≈ %s on the machine below):\n" % "{elapsed}",
          "```\n%s\n```\n" % cmd,
          "Environment: %s. Seeds: %s.%s\n" % (environment(), ", ".join(map(str, seeds)), quick_note),
          "{summary}\n"]
    pre = prequential.run(args, seeds)
    prequential_report.write(md, pre, seeds, args.quick)
    ano = anomaly_report.write(md, anomaly.run(args, seeds), seeds)
    md += ["The cost of a step on the board (time, heap, ulab operations, against the "
           "kernel floors) is measured by `python tools/bench_device.py`: see "
           "[device.md](device.md).\n"]
    if args.plot:
        md += plot_links(plots.write(args.plot, pre, ano, seeds), args.out)
    md[4] = "**Summary.** " + summary.text(pre, ano) + "\n"
    md[1] = md[1].replace("{elapsed}", "%.0f s" % (time.time() - t_start))
    write_page(md, args.out)


if __name__ == "__main__":
    main()
