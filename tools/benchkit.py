"""What every benchmark script shares: mean ± std, Markdown tables, a process
pool with a progress bar, stage timings, the command and machine a page was made on, small
PNGs, and writing the page with its plot links."""
import multiprocessing
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


def note(msg):
    print(msg, file=sys.stderr, flush=True)


class Laps:
    """Seconds per stage, noted on stderr as each ends: lap("tuning")."""

    def __init__(self):
        self.t, self.secs = time.time(), {}

    def __call__(self, name):
        t = time.time()
        self.secs[name], self.t = t - self.t, t
        note("  %s: %.0f s" % (name, self.secs[name]))


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


def write_page(md, out):
    """Print the page (a list of Markdown blocks) and write it to `out` when given."""
    text = "\n".join(md)
    print(text)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text)
        note("wrote %s" % out)
