#!/usr/bin/env python
"""Class-incremental benchmark of ulearn: replay memory and a growing model.

Reproduces the setting of Rüb, Tuchel, Sikora and Mueller-Gritschneder
(2024, "A Continual and Incremental Learning Approach for TinyML On-device
Training Using Dataset Distillation and Model Size Adaption"): a replay
memory of 1% of the data, built on the host by dataset distillation, against
random and herding 1% sets, naive fine-tuning and joint training; and a
model that grows (Net2Net widening) against a fixed large one, in FLOPs.
Not a timed test: it measures and reports, and a missed target is reported
as measured. Run from the repository root::

    python tools/bench_incremental.py                 # full run, Markdown on stdout
    python tools/bench_incremental.py --quick         # smoke run (~1 minute)
    python tools/bench_incremental.py --out docs/incremental.md --plot docs/img

Streams: Split-digits (5 tasks x 2 classes), Split-Fashion-MNIST (5 x 2,
images averaged down to 7x7), the smartwatch exercises (4 tasks: 2, 2, 2, 1
classes). Two paths: the board path (the device package's Classifier, one
sample at a time, learn_one with its int8 replay memory, on CPython/numpy)
and the host path (the same trainable layers on minibatches through
ulearn_host.batch), plus a shortened board-path run in real MicroPython
(the unix-port builds of `ulearn firmware build`, 32-bit float32 with a fixed
192 KB heap, without and with ulab) checked against CPython on the same
kernels. Hyperparameters are chosen on a validation split carved out of the
training data; the test split is used once, for the reported runs.

Progress bars go to stderr; the Markdown goes to stdout (and --out).
"""
import benchenv  # noqa: F401  first: BLAS threads, paths, the device package on numpy

import argparse
import os
import time

from tools.benchkit import command_line, note, plot_links, write_page
from tools.incremental.board import board_stage
from tools.incremental.data import load_data
from tools.incremental.intro import head, setup_text
from tools.incremental.plots import plots
from tools.incremental.report import (adapt_text, board_text, front_end_text, report_flops,
                                      report_results, report_sweep, tune_text)
from tools.incremental.settings import QUICK, STREAM_ORDER
from tools.incremental.stages import stage_adapt_tune, stage_final, stage_front_end, stage_tune
from tools.incremental.summary import summary_text


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=None,
                    help="seeds of the test runs (default 5; 3 with --quick)")
    ap.add_argument("--tune-seeds", type=int, default=None,
                    help="seeds of the validation runs (default 2; 1 with --quick)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: Fashion-MNIST cut to %d/%d rows per class, small grids"
                    % (QUICK["fashion_train"], QUICK["fashion_test"]))
    ap.add_argument("--streams", default=",".join(STREAM_ORDER),
                    help="comma-separated subset of: %s" % ", ".join(STREAM_ORDER))
    ap.add_argument("--no-board", action="store_true",
                    help="skip the run on real MicroPython (section 5)")
    ap.add_argument("--out", help="also write the Markdown to this file")
    ap.add_argument("--plot", metavar="DIR", help="write PNG plots (matplotlib) to this directory")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    args = ap.parse_args(argv)
    streams = [s.strip() for s in args.streams.split(",") if s.strip()]
    bad = [s for s in streams if s not in STREAM_ORDER]
    if bad or not streams:
        ap.error("unknown stream(s) %s; choose from %s" % (bad, ", ".join(STREAM_ORDER)))
    streams = [s for s in STREAM_ORDER if s in streams]
    n_seeds = args.seeds if args.seeds is not None else (3 if args.quick else 5)
    n_tune = args.tune_seeds if args.tune_seeds is not None else (1 if args.quick else 2)
    if n_seeds < 1 or n_tune < 1:
        ap.error("--seeds and --tune-seeds must be >= 1")
    seeds = list(range(n_seeds))
    tseeds = [100 + i for i in range(n_tune)]
    t_start = time.time()
    cmd = command_line()
    print("$ " + cmd, flush=True)
    note("loading datasets")
    info = load_data(streams, args.quick)

    md = head(cmd, args, seeds, tseeds)
    md += setup_text(streams, info)
    md.append("## 1. Choices made on the validation split\n")
    stage_t = {}
    t_prev = [time.time()]

    def lap(name):
        t = time.time()
        stage_t[name] = t - t_prev[0]
        t_prev[0] = t
        note("  %s: %.0f s" % (name, stage_t[name]))

    lap("loading data")
    note("stage 1: front ends (validation)")
    fe, scores = stage_front_end(args, streams, tseeds)
    front_end_text(streams, tseeds, fe, scores, md)
    lap("front ends")
    note("stage 2: tuning (validation)")
    best, val, cfgs = stage_tune(args, streams, fe, tseeds)
    tune_text(args, streams, tseeds, best, val, cfgs, md)
    lap("tuning")
    note("stage 3: tuning the adaptive model (validation)")
    adapt, tried = stage_adapt_tune(args, streams, fe, tseeds, best, val)
    adapt_text(streams, val, tried, md)
    lap("tuning the adaptive model")
    note("stage 4: test runs")
    res = stage_final(args, streams, fe, seeds, best, adapt)
    lap("test runs")
    summary = report_results(streams, fe, seeds, best, adapt, res, md)
    fl = report_flops(streams, fe, seeds, best, adapt, res, md)
    sweep = report_sweep(args, streams, fe, seeds, best, summary, res, md)
    board = None
    if "digits" in streams and not args.no_board:
        note("stage 5: real MicroPython (unix32, unix32-ulab)")
        board = board_stage(args, fe, best)
        lap("MicroPython")
        md += board_text(board)
    if args.plot:
        md += plot_links(plots(args.plot, streams, fe, seeds, best, adapt, res, sweep), args.out)
    md[4] = summary_text(streams, seeds, summary, fl, sweep, board)
    elapsed = time.time() - t_start
    md[1] = md[1].replace("{elapsed}", "%.0f s" % elapsed)
    md[3] = md[3].rstrip("\n") + " Run time per stage: %s; total %.0f s.\n" % (
        ", ".join("%s %.0f s" % kv for kv in stage_t.items()), elapsed)
    write_page(md, args.out)
    note("done in %.0f s" % elapsed)


if __name__ == "__main__":
    main()
