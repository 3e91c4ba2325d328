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
training step, a budget sweep, and one adaptation inside the real
MicroPython interpreter checked against CPython. lr and passes are chosen on
validation domains; the test domains are used once. Not a timed test: a
missed target is reported as measured. Run from the repository root::

    python tools/bench_sparse.py                      # full run, Markdown on stdout
    python tools/bench_sparse.py --quick              # smoke run (~1 minute)
    python tools/bench_sparse.py --out docs/sparse.md --plot docs/img

Progress bars go to stderr; the Markdown goes to stdout (and --out). The
work is in tools/sparse_bench/.
"""
import os

# one BLAS thread per worker: the runs are many small products, in parallel
os.environ.update({v: os.environ.get(v, "1") for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})

import argparse  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [p for p in (str(ROOT / "tests"), str(ROOT)) if p not in sys.path]  # devicepkg; tools.*

import devicepkg  # noqa: E402

devicepkg.use("numpy")  # before ulearn_host binds `ulearn`: one package instance

from tools.benchkit import Laps, command_line, machine, note, plot_links, write_page  # noqa: E402
from tools.sparse_bench import domains, pretrain, report, settings as S, stages, vm  # noqa: E402


def arguments(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=None,
                    help="seeds of the test runs (default %d; %d with --quick)" % (S.SEEDS, S.QUICK["seeds"]))
    ap.add_argument("--tune-seeds", type=int, default=None,
                    help="seeds of the validation runs (default %d; %d with --quick)"
                    % (S.TUNE_SEEDS, S.QUICK["tune_seeds"]))
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: Fashion-MNIST cut to %d training rows per class, %d query rows, small "
                    "grids, budgets %s" % (S.QUICK["fashion_train"], S.QUICK["queries"],
                                          ", ".join(report.frac(f) for f in S.QUICK["fractions"])))
    ap.add_argument("--domains", default=",".join(S.DOMAIN_ORDER),
                    help="comma-separated subset of: %s" % ", ".join(S.DOMAIN_ORDER))
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    ap.add_argument("--no-vm", action="store_true", help="skip the MicroPython VM run")
    ap.add_argument("--out", help="also write the Markdown to this file")
    ap.add_argument("--plot", metavar="DIR", help="write PNG plots (matplotlib) to this directory")
    args = ap.parse_args(argv)
    doms = [d.strip() for d in args.domains.split(",") if d.strip()]
    bad = [d for d in doms if d not in S.DOMAIN_ORDER]
    if bad or not doms:
        ap.error("unknown domain(s) %s; choose from %s" % (bad, ", ".join(S.DOMAIN_ORDER)))
    args.domains = [d for d in S.DOMAIN_ORDER if d in doms]
    n_seeds = args.seeds if args.seeds is not None else (S.QUICK["seeds"] if args.quick else S.SEEDS)
    n_tune = args.tune_seeds if args.tune_seeds is not None else (
        S.QUICK["tune_seeds"] if args.quick else S.TUNE_SEEDS)
    if n_seeds < 1 or n_tune < 1:
        ap.error("--seeds and --tune-seeds must be >= 1")
    args.seeds, args.tune_seeds = list(range(n_seeds)), [100 + i for i in range(n_tune)]
    return args


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
    vm_out = None
    if "watch" in doms and not args.no_vm:
        note("stage 3: MicroPython VM")
        vm_out = vm.stage(best, quick)
        lap("MicroPython VM")
    md = ["# ulearn sparse-update benchmark\n",
          "Reproduce from the repository root (≈ {elapsed} on the machine below):\n",
          "```\n%s\n```\n" % command_line(),
          "Environment: CPython %s, numpy %s; %s; %d worker process(es), one BLAS thread each. Test "
          "seeds: %s; tuning seeds: %s.%s{stages}\n"
          % (platform.python_version(), np.__version__, machine(), args.jobs, ", ".join(map(str, args.seeds)),
             ", ".join(map(str, args.tune_seeds)),
             " **Quick (smoke) run: Fashion-MNIST cut, few query rows, small grids; not the reference "
             "figures.**" if quick else ""),
          report.summary_text(doms, res, quick, args.seeds, vm_out)]
    md += report.setup_text(doms, how, quick)
    md.append("Pre-training: " + "; ".join(pretrain.model_text()) + ".\n")
    md += report.tuning_text(doms, val, best, quick, args.tune_seeds)
    md += report.results_text(doms, res, best, quick, args.seeds)
    md += report.sweep_text(doms, res, quick)
    md += report.findings_text(doms, res, quick)
    if vm_out is not None:
        md += report.vm_text(vm_out)
    if args.plot:
        from tools.sparse_bench.plots import plots
        md += plot_links(plots(args.plot, doms, res, quick, args.seeds), args.out)
    return md


def main(argv=None):
    args = arguments(argv)
    t_start = time.time()
    print("$ " + command_line(), flush=True)
    lap = Laps()
    work = tempfile.mkdtemp(prefix="bench_sparse-")  # the bundles
    try:
        md = run(args, lap, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    elapsed = time.time() - t_start
    md[1] = md[1].replace("{elapsed}", "%.0f s" % elapsed)
    md[3] = md[3].replace("{stages}", " Run time per stage: %s; total %.0f s." % (
        ", ".join("%s %.0f s" % kv for kv in lap.secs.items()), elapsed))
    write_page(md, args.out)
    note("done in %.0f s" % elapsed)


if __name__ == "__main__":
    main()
