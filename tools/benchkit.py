"""What every benchmark script shares: its options, mean ± std, Markdown tables, a process
pool with a progress bar, stage timings, the command and machine a page was made on, small
PNGs, the JSON result and writing the page with its plot links.

A benchmark's result is data: one JSON file (``docs/<name>.json``) that its page
renders from (``--render``) and that ``ulearn report`` reads. Its keys:

- ``benchmark``, ``title``: the key (tinyol, incremental, sparse, fed, device) and a title;
- ``command``, ``commit``, ``date``, ``environment``, ``elapsed``, ``stages``: where
  and how it was made (:func:`provenance`, :class:`Laps`);
- ``quick``, ``seeds``, ``config``: the run's settings;
- ``data``: every figure, per seed where there are seeds, for the page to render;
- ``summary``, ``headline``, ``targets``, ``plots``: what ``ulearn report`` shows,
  filled in by the page's renderer: a paragraph of Markdown; tables as
  ``{"caption", "columns", "rows"}`` with cells already formatted (mean ± std);
  ``{"target", "measured", "met"}`` (``met`` None when not measured); PNG paths
  relative to the page.
"""
import argparse
import json
import multiprocessing
import subprocess
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path

from tqdm import tqdm


def ms(values, fmt="%.3f"):
    """'mean ± std' over seeds (std: sample std, 0 for one value)."""
    v = [float(x) for x in values]
    if not v:
        return "n/a"
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    return (fmt + " ± " + fmt) % (statistics.fmean(v), sd)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def tuned_arguments(doc, S, quick_help, extra=None, argv=None):
    """The options of a benchmark tuned on validation and tested over seeds
    (S: its settings module, with SEEDS, TUNE_SEEDS, QUICK["seeds"],
    QUICK["tune_seeds"] and DOMAIN_ORDER); extra(ap) adds its own. Returns
    the parsed args, with seeds and tune_seeds as lists of seeds and
    domains in S.DOMAIN_ORDER."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=None,
                    help="seeds of the test runs (default %d; %d with --quick)" % (S.SEEDS, S.QUICK["seeds"]))
    ap.add_argument("--tune-seeds", type=int, default=None,
                    help="seeds of the validation runs (default %d; %d with --quick)"
                    % (S.TUNE_SEEDS, S.QUICK["tune_seeds"]))
    ap.add_argument("--quick", action="store_true", help="smoke run: " + quick_help)
    ap.add_argument("--domains", default=",".join(S.DOMAIN_ORDER),
                    help="comma-separated subset of: %s" % ", ".join(S.DOMAIN_ORDER))
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    if extra is not None:
        extra(ap)
    output_arguments(ap)
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


def output_arguments(ap):
    """--json, --render, --out and --plot: what every benchmark writes, and how to re-render."""
    ap.add_argument("--json", metavar="PATH",
                    help="write the result (settings, seeds, every figure, provenance) to this file")
    ap.add_argument("--render", metavar="JSON",
                    help="measure nothing: render the page (with --plot, the plots too where the "
                    "result holds their data) from a saved result, and rewrite the result with "
                    "what the page adds (summary, headline, targets, plots)")
    ap.add_argument("--out", help="also write the Markdown page to this file")
    ap.add_argument("--plot", metavar="DIR", help="write PNG plots (matplotlib) to this directory")


def publish(args, measure, render, plots=None):
    """Measure (or load --render's result) and save it before anything else can fail;
    draw the plots with ``plots(dir, res)`` (their paths go in the result, relative to the
    page); render the page; save the result with what the page added; write the page."""
    res = load_json(args.render) if args.render else measure(args)
    if args.json and not args.render:
        save_json(res, args.json)
    if args.plot and plots is not None:
        page = Path(args.out).parent if args.out else Path(".")
        res["plots"] = [Path(os.path.relpath(p, page)).as_posix() for p in plots(args.plot, res)]
    elif args.plot and args.render:
        note("--plot ignored with --render: this result does not hold the plots' data")
    text = render(res)
    if args.json or args.render:
        save_json(res, args.json or args.render)
    write_page([text], args.out)


def page_head(title, args, quick_note):
    """The first blocks of a tuned benchmark's page: title, the command that
    reproduces it, the environment and seeds ({elapsed} and {stages}: see
    Laps.stamp)."""
    import numpy as np
    quick = " **Quick (smoke) run: %s; not the reference figures.**" % quick_note if args.quick else ""
    return ["# %s\n" % title,
            "Reproduce from the repository root (≈ {elapsed} on the machine below):\n",
            "```\n%s\n```\n" % command_line(),
            "Environment: CPython %s, numpy %s; %s; %d worker process(es), one BLAS thread each. Test "
            "seeds: %s; tuning seeds: %s.%s{stages}\n"
            % (platform.python_version(), np.__version__, machine(), args.jobs, ", ".join(map(str, args.seeds)),
               ", ".join(map(str, args.tune_seeds)), quick)]


def note(msg):
    print(msg, file=sys.stderr, flush=True)


class Laps:
    """Seconds per stage, noted on stderr as each ends: lap("tuning");
    stamp(md) fills a page's {elapsed} and {stages} in."""

    def __init__(self):
        self.start = self.t = time.time()
        self.secs = {}

    def __call__(self, name):
        t = time.time()
        self.secs[name], self.t = t - self.t, t
        note("  %s: %.0f s" % (name, self.secs[name]))

    def stamp(self, md):
        total = time.time() - self.start
        stages = " Run time per stage: %s; total %.0f s." % (
            ", ".join("%s %.0f s" % kv for kv in self.secs.items()), total)
        md[:] = [m.replace("{elapsed}", "%.0f s" % total).replace("{stages}", stages) for m in md]
        note("done in %.0f s" % total)


def pool_map(fn, tasks, jobs, what, unit="it"):
    # results in task order; a progress bar over finished tasks
    out = [None] * len(tasks)
    bar = tqdm(total=len(tasks), desc=what, file=sys.stderr, disable=None, leave=False, unit=unit)
    if jobs > 1 and len(tasks) > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for i, r in pool.imap_unordered(_indexed, [(fn, i, t) for i, t in enumerate(tasks)]):
                out[i] = r
                bar.update()
    else:
        for i, t in enumerate(tasks):
            out[i] = fn(t)
            bar.update()
    bar.close()
    return out


def _indexed(a):
    fn, i, t = a
    return i, fn(t)


def command_line():
    argv0 = sys.argv[0]
    try:
        argv0 = os.path.relpath(argv0)
    except ValueError:
        pass
    return "python " + shlex.join([argv0] + sys.argv[1:])


def machine():
    """'<cpu model>, N CPU(s) available'."""
    cpu = platform.processor() or "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return "%s, %d CPU(s) available" % (cpu, os.cpu_count() or 1)


def save_small(fig, path, dpi, written=None):
    """Lay out `fig`, save it as a PNG with a 64-colour palette (line plots
    stay sharp and well under 100 KB), close it, and append `path` to
    `written` when given."""
    import io

    import matplotlib.pyplot as plt
    from PIL import Image
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi, format="png")
    plt.close(fig)
    buf.seek(0)
    img = Image.open(buf).convert("RGB").quantize(colors=64)
    img.save(path, optimize=True)
    if written is not None:
        written.append(path)


def plot_links(written, out):
    """A "Plots" section linking each PNG in `written`, relative to the page `out`."""
    rel = Path(out).parent if out else Path(".")
    return ["## Plots\n"] + ["![%s](%s)\n" % (p.stem, os.path.relpath(p, rel)) for p in written]


def provenance():
    """The command, commit, date and environment a result records."""
    import numpy as np
    r = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=10"],
                       capture_output=True, text=True)
    return {"command": command_line(), "commit": r.stdout.strip() or None,
            "date": time.strftime("%Y-%m-%d", time.gmtime()),
            "environment": "CPython %s, numpy %s; %s" % (platform.python_version(), np.__version__,
                                                        machine())}


def save_json(res, path):
    """Write a result to ``path`` (a temporary name, then renamed: never half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(res, indent=1, sort_keys=False, allow_nan=True) + "\n")
    tmp.replace(path)
    note("wrote %s" % path)


def load_json(path):
    """A result written by :func:`save_json`."""
    return json.loads(Path(path).read_text())


def write_page(md, out):
    """Print the page (a list of Markdown blocks) and write it to `out` when given."""
    text = "\n".join(md)
    print(text)
    if out:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text)
        tmp.replace(out)
        note("wrote %s" % out)
