#!/usr/bin/env python
"""Sparse-update benchmark of ulearn: few-shot adaptation to held-out domains.

After TinyTrain (Kwon et al., ICML 2024): a model pre-trained on the host
(int8 frozen extractor + head) adapts on the board from a few labelled
samples of a new domain, training the head alone, every channel (full
fine-tuning), or the channels `Classifier.select_updates` picks within a
memory budget by Fisher potential, against L2-norm and random picks at the
same budget. Domains: new subjects of the smartwatch exercises; 5 classes of
Fashion-MNIST the extractor never saw; Fashion-MNIST with shifted images.
Reported: accuracy (mean ± std over seeds), bytes and backward MACs of one
training step, a budget sweep, and one adaptation in real MicroPython (the
unix-port builds, 32-bit float32 with a fixed 192 KB heap, without and with
ulab) checked against CPython on the same kernels. lr and passes are chosen on
validation domains; the test domains are used once. Not a timed test: a
missed target is reported as measured. Run from the repository root::

    python tools/bench_sparse.py                      # full run, Markdown on stdout
    python tools/bench_sparse.py --quick              # smoke run (~1 minute)
    python tools/bench_sparse.py --out docs/sparse.md --plot docs/img

Progress bars go to stderr; the Markdown goes to stdout (and --out). The
work is in tools/sparse_bench/.
"""
import benchenv  # noqa: F401  first: BLAS threads, paths, the device package on numpy

import shutil
import tempfile

from tools.benchkit import Laps, command_line, note, page_head, plot_links, tuned_arguments, write_page
from tools.sparse_bench import board, domains, pretrain, report, settings as S, stages


def arguments(argv):
    quick = "Fashion-MNIST cut to %d training rows per class, %d query rows, small grids, budgets %s" % (
        S.QUICK["fashion_train"], S.QUICK["queries"], ", ".join(report.frac(f) for f in S.QUICK["fractions"]))
    return tuned_arguments(__doc__, S, quick, argv=argv, extra=lambda ap: ap.add_argument(
        "--no-board", action="store_true",
        help="skip the run on real MicroPython (section 5)"))


def run(args, lap, work):
    """Every stage; returns the page as a list of Markdown blocks."""
    doms, quick = args.domains, args.quick
    note("loading data, pre-training")
    how = domains.load(doms, quick)
    pretrain.build(doms, ("tune", "final"), work, quick)
    lap("data and pre-training")
    note("stage 1: tuning on the validation domains")
    val, best = stages.tune(doms, quick, args.tune_seeds, args.jobs)
    lap("tuning")
    note("stage 2: test domains")
    res = stages.test(doms, quick, args.seeds, best, args.jobs)
    lap("test runs")
    on_board = None
    if "watch" in doms and not args.no_board:
        note("stage 3: real MicroPython (unix32, unix32-ulab)")
        on_board = board.stage(best, quick)
        lap("MicroPython")
    md = page_head("ulearn sparse-update benchmark", args,
                   "Fashion-MNIST cut, few query rows, small grids")
    md.append(report.summary_text(doms, res, quick, args.seeds, on_board))
    md += report.setup_text(doms, how, quick)
    md.append("Pre-training: " + "; ".join(pretrain.model_text()) + ".\n")
    md += report.tuning_text(doms, val, best, quick, args.tune_seeds)
    md += report.results_text(doms, res, best, quick, args.seeds)
    md += report.sweep_text(doms, res, quick)
    md += report.findings_text(doms, res, quick)
    if on_board is not None:
        md += report.board_text(on_board)
    if args.plot:
        from tools.sparse_bench.plots import plots
        md += plot_links(plots(args.plot, doms, res, quick, args.seeds), args.out)
    return md


def main(argv=None):
    args = arguments(argv)
    print("$ " + command_line(), flush=True)
    lap = Laps()
    work = tempfile.mkdtemp(prefix="bench_sparse-")  # the bundles
    try:
        md = run(args, lap, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lap.stamp(md)
    write_page(md, args.out)


if __name__ == "__main__":
    main()
