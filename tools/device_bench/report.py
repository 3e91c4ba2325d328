"""The device benchmark's page from its result: the issue's targets, the summary and
headline table ``ulearn report`` shows, and a fixed template filled with the tables of
every learner against its floor."""

from ulearn_dev.benchkit import table
from ulearn_host import budget

from . import configs as C
from .board import GRAIN, HEAP, KERNELS, MIN_STEPS, PROBE_STEPS, US_PER_INSN

PY_TIME, ULAB_OPS, ULAB_BYTES = 1.5, 1.5, 2.0  # the targets: at most these ratios to the floor
LIVE_MAX = 64 * 1024  # the digits learner's live heap, replay memory included
BUDGET_ERR = 0.15  # ulearn budget's heap need against the measured smallest heap
_K = {"ulab": "ulab", "python": "pure Python"}

PAGE = """## Setup

{setup}

Each learner (`SGD(lr=0.02, momentum=0.5, clip=5)`) is warmed up on the host on the first {warm}
rows of its data (every class known, the replay memory full) and saved as a bundle; every backend
loads it and learns the next rows in the same order. The sparse learner's rows are selected first
(`select_updates`, Fisher, 1/10 of full fine-tuning's bytes, {support} support rows).

**The floors** do the learner's arithmetic on its own arrays: `tools/device_bench/floor_py.py` in
the tightest pure-Python loops found (fused passes, no checks), `floor_ulab.py` in the fewest ulab
operations found. After the same rows the pure-Python floor's arrays are byte-identical (checked:
{same_cpython} on CPython; on the board: section 1), the ulab floor's equal to float32 rounding (its
sums run in another order; largest difference in the emulation: {diffs}).

## 1. The QEMU Cortex-M3 board

{board}

## 2. CircuitPython unix

{cp_about} (`ulearn firmware build --target cp-unix`) through tools/mpreal with a fixed heap
(`-X heapsize`), the package as CircuitPython's `.mpy`. Memory only (no board clock), measured as
on the board; the smallest heap includes tools/mpreal's request server (a few hundred bytes).

{cp}

## 3. ulearn budget against the board

`ulearn budget BUNDLE --board qemu-m3 --kernels ulab|python` against the board's smallest heap for
load + {min_steps} steps. The plan's figures are measured constants and arithmetic
(`tools/measure_ram.py`); they miss the holes importing and loading leave in the heap (the smallest
heaps are 1.3-1.5x the resident bytes), so its margin is fitted to these measurements
(`python tools/fit_budget.py docs/device.json`: need = {fit}). The error with a learner left out
of the fit is the fair figure for a new learner.

{budget}

## 4. CPython

µs per step, mean ± std over {runs} runs of {steps} steps; pure Python: `devicepkg.use("python")`
(ulab and numpy hidden); numpy: the device package on numpy (Linux boards, the host).

{cpython}

## 5. ulab path (strict emulation's counters)

Per step, averaged over the same {ulab_steps} rows (ulab ndarray inputs), against the
fewest-operations floor: ulab operations, and heap bytes (an operation's new arrays: data plus a
48-byte header; in-place operations cost none).

{ulab}

## 6. Memory per board profile

`ulearn budget`'s need / the profile's free heap, in KB (✗: does not fit; in brackets: the kernels
of the profile's stock firmware). The need: package, learner, buffers, the larger of a step's and
a checkpoint's transient, and the margin calibrated in section 3.

{profiles}
"""

BOARD = """MicroPython v1.29.0-preview (commit {mp}) with ulab 6.12 (commit {ulab_commit}) on QEMU's
{machine}, built by `ulearn firmware build --target qemu-m3` and booted as
`ulearn vboard start --heap {heap}K` does; package as `.mpy`, bundle and rows on littlefs. The
pure-Python rows hide `ulab` from the package (a stock firmware's path).

- Time: QEMU counts instructions (`-icount shift={shift}`), so 1 µs of `time.ticks_us()` is {insns}
  instructions on every machine (0.1% at most from run to run: where the 1 ms timer interrupt
  falls). Each call alone, collector on, the clock's cost taken off; mean ± std over {steps} rows.
  A floor marked "(at N KB)" did not fit the {heap} KB heap and ran beside the learner at N KB.
- Bytes per step: `micropython.mem_total()` (as requested, before rounding to 16-byte blocks).
  Live heap: `gc.mem_alloc()` after a collection, less the reading before the bundle was loaded.
- Smallest heap: the boot heap at which import, load and {min_steps} predict-then-learn steps run,
  bisected to {grain} bytes ({probe} steps first, then {min_steps}); and for the load alone. It
  moves by up to about 2 KB from boot to boot (the raw REPL's buffer grows as code arrives).

Per call, in ms of board time, against floor_ulab.py (ulab) or floor_py.py (pure Python); last,
the floor's arrays at the end against the learner's:

{calls}

Live heap over a long run at {heap} KB (predict_one then learn_one on each row), read after every
{chunk} steps, as it is and with every number the learner holds zeroed (saved, zeroed, read, restored bit for bit: checked, {restored}).
The collector marks conservatively, array data included, so a number that equals the address of a
step's garbage keeps it alive: growth in the first reading only is such garbage, not objects the
learner keeps.

{long}"""
_FIXED = dict(warm=C.WARM, support=C.SUPPORT, min_steps=MIN_STEPS, heap=HEAP // 1024, grain=GRAIN,
              probe=PROBE_STEPS, insns=round(1 / US_PER_INSN))  # the templates' constant figures


def checks(res):
    """Every target the issue names: [{"target", "measured", "met"}] ("met" None: not
    measured); res as bench_device.plan returns it."""
    out, bd = [], res["board"]
    board = () if "error" in bd else KERNELS

    def check(name, target, measured, met):
        out.append({"target": "%s: %s" % (name, target), "measured": measured, "met": met})

    def ratio(name, who, limit, of, r, at="", failed=None):  # "<who> learn_one <= <limit>x <of>"
        check(name, "%s learn_one <= %.1fx %s" % (who, limit, of), failed or "%.2fx%s" % (r, at),
              None if failed else r <= limit)
    for name in res["order"]:
        p, uc, figs = res["cpython"][name]["python"], res["ulab"][name], [(k, bd[name][k]) for k in board]
        ratio(name, "pure-Python", PY_TIME, "its floor (CPython)", _r(p["learn"][0], p["flearn"][0]))
        for k, f in figs:
            failed = f["summary"]["flearn"][0] != f["summary"]["flearn"][0]  # NaN: not measured
            ratio(name, _K[k], PY_TIME, "its floor's instructions (board)", _r(*_v(f)), _at(f["summary"]),
                  "not measured: the floor failed with %s" % f["floor_error"] if failed else None)
        for i, what, limit in ((0, "operations", ULAB_OPS), (1, "bytes", ULAB_BYTES)):
            ratio(name, "ulab", limit, "the floor's " + what, _r(uc["learn"][i], uc["flearn"][i]))
        for k, f in figs:  # flat: no reading after the first differs, and none ends above it
            h = f["heap_chunks"]
            check(name, "no heap growth over %d steps (board, %s)" % (f["long_steps"], _K[k]),
                  "%+d B (%s)" % (h[-1] - h[0], _heap(h)[0]), len(set(h[1:] or h)) == 1 and h[-1] <= h[0])
        for k, f in figs:
            need, got = res["budget"][name][k], f["min_heap"]
            err = _r(need - got, got) if got else float("nan")
            check(name, "ulearn budget within ±%d%% of the smallest heap (board, %s)"
                  % (BUDGET_ERR * 100, _K[k]), "%+.1f%% (plans %s, measured %s)"
                  % (100 * err, _n(need), _n(got)), abs(err) <= BUDGET_ERR)
    for k in board if "digits" in res["order"] else ():
        live = bd["digits"][k]["live"]
        check("digits", "live heap < 64 KB (board, %s)" % _K[k], "%d B" % live, live < LIVE_MAX)
    return out


def summary(res, targets):
    """The summary paragraph (without its "**Summary.**")."""
    order, bd = res["order"], res["board"]
    text = "On the ulab path (CPython emulation) learn_one takes %s the floor's operations." % _span(
        _x(res["ulab"][n]["learn"][0], res["ulab"][n]["flearn"][0]) for n in order)
    if "error" in bd:
        text = "The QEMU board was not run (%s). %s" % (bd["error"].splitlines()[0], text)
    else:
        text = ("On the QEMU Cortex-M3 board (MicroPython v1.29 + ulab 6.12, %d KB heap), learn_one costs %s "
                "its floor's instructions with ulab kernels and %s with pure-Python ones; %d steps run in %s "
                "KB of heap (ulab) and %s KB (pure Python). %s" % (
                    HEAP // 1024, *[_span(_x(*_v(bd[n][k])) for n in order) for k in KERNELS], MIN_STEPS,
                    *[_span(_kb(bd[n][k]["min_heap"], "%.1f") for n in order) for k in KERNELS], text))
    missed = "; ".join("%(target)s: %(measured)s" % t for t in targets if t["met"] is False)
    return text + (" **Missed:** %s." % missed if missed else "")


def headline(res):
    """One table, a row per learner: board learn_one time and ratio to its floor, smallest
    heaps."""
    bd = res["board"]
    return [] if "error" in bd else [{
        "caption": "The QEMU Cortex-M3 board: learn_one in ms of board time (mean ± std over steps), its "
                   "ratio to the floor's instructions, and the smallest heap for load + %d steps."
                   % MIN_STEPS,
        "columns": ["config", "ulab learn_one ms", "ratio", "pure Python learn_one ms", "ratio",
                    "smallest heap KB (ulab / pure Python)"],
        "rows": [[n, *[c for k in KERNELS for c in (_ms(bd[n][k]["summary"]["learn"]), _x(*_v(bd[n][k])))],
                  " / ".join(_kb(bd[n][k]["min_heap"], "%.1f") for k in KERNELS)] for n in res["order"]]}]


def sections(res):
    """The page after its headline, one Markdown block; res as bench_device.plan returns it."""
    order, bd, cp, uc, cpu = res["order"], res["board"], res["cpython"], res["ulab"], res["cp"]
    fit = budget.costs().get("board", {})  # ulearn budget's calibration (tools/fit_budget.py)
    pairs = [(n, k) for n in order for k in KERNELS]
    return PAGE.format(
        **_FIXED, runs=res["steps"]["runs"], steps=res["steps"]["cpython"], ulab_steps=res["steps"]["ulab"],
        setup=_table("configuration | data | bundle bytes",
                     [[C.NAMES[n], C.DATA[n], _n(res["bundle"][n])] for n in order]),
        same_cpython=_all(cp[n]["same"] for n in order),
        diffs=", ".join("%s %.1e of %.0f" % (n, uc[n]["diff"], uc[n]["scale"]) for n in order),
        board=_not_run(bd) or _board(res), cp_about=cpu.get("about", "CircuitPython unix"),
        cp=_not_run(cpu) or _table(
            "config | kernels | package B | live heap B | B / learn_one | B / predict_one | smallest heap: "
            "load | load + %d steps | board: load + %d steps" % (MIN_STEPS, MIN_STEPS),
            [[n, _K[k], _n(c["package"]), _n(c["live"]), _n(c["learn"], "{:,.0f}"),
              _n(c["predict"], "{:,.0f}"), _n(c.get("min_heap_load")), _n(c["min_heap"]),
              "" if "error" in bd else _n(bd[n][k]["min_heap"])] for n, k in pairs for c in [cpu[n][k]]]),
        fit="; ".join("%s: %.3f x resident%s" % (_K[k], 1 + f["scale"],
                                                 " %+d B" % f["const"] if f["const"] else "")
                      for k in KERNELS if k in fit for f in [fit[k]]) or "not calibrated",
        budget=_not_run(bd) or _table(
            "config | kernels | planned need | smallest heap (board) | error | error, left out of the fit",
            [[n, _K[k], _n(need), _n(got), "%+.1f%%" % (100 * _r(need - got, got)),
              "n/a" if loo is None else "%+.1f%%" % (100 * loo)]
             for n, k in pairs for need, got in [(res["budget"][n][k], bd[n][k]["min_heap"])]
             for loo in [fit.get(k, {}).get("errors", {}).get(n, [None, None])[1]]]),
        cpython=_table(
            "config | learn_one µs | floor µs | ratio | predict_one µs | floor µs | ratio"
            " | numpy learn_one µs | numpy predict_one µs",
            [[n, *_vs(p, "learn", _pm), *_vs(p, "predict", _pm), _pm(q["learn"], "%.1f"),
              _pm(q["predict"], "%.1f")] for n in order for p, q in [(cp[n]["python"], cp[n]["numpy"])]]),
        ulab=_table(
            "config | ops / learn_one | floor ops | ratio | bytes / learn_one | floor bytes | ratio"
            " | predict ops (learner / floor) | predict bytes (learner / floor)",
            [[n, "%.1f" % u["learn"][0], "%.1f" % u["flearn"][0], _x(u["learn"][0], u["flearn"][0]),
              "{:,.0f}".format(u["learn"][1]), "{:,.0f}".format(u["flearn"][1]),
              _x(u["learn"][1], u["flearn"][1]), "%.1f / %.1f" % (u["predict"][0], u["fpredict"][0]),
              "{:,.0f} / {:,.0f}".format(u["predict"][1], u["fpredict"][1])]
             for n in order for u in [uc[n]]]),
        profiles=table(
            ["config"] + ["%s (%s)" % (b, p["kernels"]) for b, p in res["boards"][order[0]].items()],
            [[n] + ["%s / %s KB%s" % (_kb(p["need"]), _kb(p["heap"]), "" if p["fits"] else " ✗")
                    for p in res["boards"][n].values()] for n in order]))


def _board(res):
    bd, about = res["board"], res["board"]["board"]
    pairs = [(n, k, bd[n][k]) for n in res["order"] for k in KERNELS]
    return BOARD.format(
        **_FIXED, mp=about["firmware"]["micropython"][:10], ulab_commit=about["firmware"]["ulab"][:10],
        machine=about["machine"], shift=about["icount_shift"], steps=res["steps"]["board"],
        chunk=res["steps"]["chunk"], restored=_all(f["restored"] for _, _, f in pairs),
        calls=_table(
            "config | kernels | learn_one ms | floor ms | ratio | predict_one ms | floor ms | ratio"
            " | B / learn_one | floor B | B / predict_one | package B | live heap B | smallest heap: load"
            " | load + %d steps | floor's arrays" % MIN_STEPS,
            [[n, _K[k], *_vs(s, "learn", _ms, _at(s), "v"), *_vs(s, "predict", _ms, _at(s), "v"),
              *[_b(s[w][2]) for w in ("learn", "flearn", "predict")], _n(f["package"]), _n(f["live"]),
              _n(f.get("min_heap_load")), _n(f["min_heap"]), f.get("versus", f)["same"]]
             for k in KERNELS for n in res["order"] for f in [bd[n][k]] for s in [f["summary"]]]),
        long=_table(
            "config | kernels | steps | live heap after each chunk | growth B | numbers zeroed | growth B",
            [[n, _K[k], _n(f["long_steps"]), *_heap(f["heap_chunks"]), *_heap(f["heap_zeroed"])]
             for n, k, f in pairs]))


def _table(head, rows):  # head as the page shows it: "config | kernels | ..."
    return table(head.split(" | "), rows)


def _vs(d, what, cell, at="", v=""):
    """Cells: the learner's figure, its floor's (+ at: where the floor ran) and their ratio
    (v="v": the learner's from the board's side-by-side run)."""
    return [cell(d[what]), cell(d["f" + what]) + at, _x(d[v + what][0], d["f" + what][0])]


def _not_run(part):  # "" when it ran
    return "Not run: %s" % part["error"].splitlines()[0] if "error" in part else ""


def _r(a, b):
    return a / b if b else float("nan")


def _x(a, b):
    r = _r(a, b)
    return "%.2fx" % r if r == r else "n/a"


def _v(f):  # a board learner's learn_one instructions and its floor's, compared side by side
    return f["summary"]["vlearn"][0], f["summary"]["flearn"][0]


def _span(cells):  # "lowest-highest" of formatted figures
    cells = sorted((c for c in cells if c != "n/a"), key=lambda c: float(c.rstrip("x")))
    return "n/a" if not cells else "-".join(dict.fromkeys([cells[0], cells[-1]]))


def _pm(v, fmt="%.0f"):
    return (fmt + " ± " + fmt) % tuple(v)


def _ms(v):
    return "%.2f ± %.2f" % (v[0] / 1000, v[1] / 1000) if v[0] == v[0] else "MemoryError"


def _n(v, fmt="{:,}"):
    return "n/a" if v is None else fmt.format(v)


def _b(v):  # a board median of bytes (NaN: not measured)
    return "n/a" if v != v else "{:,}".format(int(v))


def _kb(n, fmt="%.0f"):
    return "n/a" if n is None else fmt % (n / 1024)


def _at(s):  # where the floor was compared, when it did not fit the board's heap
    return "" if s["heap"] == HEAP else " (at %d KB)" % (s["heap"] // 1024)


def _heap(h):  # a run's live-heap readings: their range, and the last less the first
    return ["%d-%d B" % (min(h), max(h)) if min(h) != max(h) else "all %d B" % h[0], "%+d" % (h[-1] - h[0])]


def _all(flags):
    flags = list(flags)
    return "yes, all %d" % len(flags) if all(flags) else "NO for %d of %d" % (flags.count(False), len(flags))
