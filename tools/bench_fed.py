#!/usr/bin/env python
"""Federated meta-learning benchmark of ulearn: how fast an unseen device adapts.

After TinyReptile (Ren, Anicic and Runkler 2023): an initialisation learned
across many devices, one device per round, each taking a few single-sample
steps on its own stream and keeping no dataset, so that a new device adapts
from a few samples. TinyReptile against Reptile (batched devices), FedAvg
(devices training on their stored data), training from scratch on the device
and pre-training on all devices' pooled data (transfer), all through
`ulearn_host.fed` on the device package's own learn_one. Devices: the
smartwatch data's subjects and arms (new wearers held out), and 5-way
class-subset tasks on digits and Fashion-MNIST (new tasks held out).
Reported: accuracy on the unseen devices after 1, 5, 10, 20, 50 adaptation
samples (mean ± std over seeds), each client's peak memory and compute per
round, and the target (TinyReptile within 2 points of FedAvg at <= 1/2 of its
client memory and per-round compute). Settings are chosen on validation
devices; the test devices are used once. Not a timed test: a missed target
is reported as measured. Run from the repository root::

    python tools/bench_fed.py                      # full run, Markdown on stdout
    python tools/bench_fed.py --quick              # smoke run (under a minute)
    python tools/bench_fed.py --out docs/fed.md --plot docs/img

Progress bars go to stderr; the Markdown goes to stdout (and --out). The
work is in tools/fed_bench/.
"""
import benchenv  # noqa: F401  first: BLAS threads, paths, the device package on numpy

from tools.benchkit import Laps, command_line, note, page_head, plot_links, tuned_arguments, write_page
from tools.fed_bench import domains, report, runs, settings as S


def arguments(argv):
    quick = "%d clients and %d held-out devices per 5-way domain, rounds %s, small grids" % (
        S.QUICK["clients"], S.QUICK["held"], S.QUICK["rounds"])
    return tuned_arguments(__doc__, S, quick, argv=argv)


def run(args, lap):
    """Every stage; returns the page as a list of Markdown blocks."""
    doms, quick = args.domains, args.quick
    note("loading data, building the devices")
    how = domains.load(doms, quick)
    lap("data")
    note("stage 1: tuning on the validation devices")
    val, best = runs.tune(doms, quick, args.tune_seeds, args.jobs)
    lap("tuning")
    note("stage 2: test devices")
    res = runs.test(doms, quick, args.seeds, best, args.jobs)
    lap("test runs")
    md = page_head("ulearn federated meta-learning benchmark", args,
                   "few clients and devices, few rounds, small grids")
    md.append(report.summary_text(doms, res, args.seeds))
    md += report.setup_text(doms, how, quick)
    md += report.tuning_text(doms, val, best, quick, args.tune_seeds)
    md += report.results_text(doms, res, best, args.seeds)
    md += report.cost_text(doms, res, quick)
    md += report.target_text(doms, res)
    md += report.findings_text(doms, res, best)
    if args.plot:
        from tools.fed_bench.plots import plots
        md += plot_links(plots(args.plot, doms, res, args.seeds), args.out)
    return md


def main(argv=None):
    args = arguments(argv)
    print("$ " + command_line(), flush=True)
    lap = Laps()
    md = run(args, lap)
    lap.stamp(md)
    write_page(md, args.out)


if __name__ == "__main__":
    main()
