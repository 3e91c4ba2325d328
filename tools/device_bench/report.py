"""The device benchmark's page: the figures of every configuration, each
against its floor and the issue's targets (met or missed, with the
measured figure)."""

from tools.benchkit import table

from . import configs as C
from .board import GRAIN, HEAP, KERNELS, MIN_STEPS, PROBE_STEPS, US_PER_INSN

PY_TIME, ULAB_OPS, ULAB_BYTES = 1.5, 1.5, 2.0  # the targets: at most these ratios to the floor
LIVE_MAX = 64 * 1024  # the digits learner's live heap, replay memory included
BUDGET_ERR = 0.15  # ulearn budget's heap need against the measured smallest heap
_K = {"ulab": "ulab", "python": "pure Python"}


def _r(a, b):
    return a / b if b else float("nan")


def _pm(v, fmt="%.0f"):
    return (fmt + " ± " + fmt) % tuple(v)


def checks(res):
    """[(target, config, measured, met)] for every target the issue names."""
    out = []
    bd = res["board"]
    for name in res["order"]:
        cp, uc = res["cpython"][name], res["ulab"][name]
        r = _r(cp["python"]["learn"][0], cp["python"]["flearn"][0])
        out.append(("pure-Python learn_one <= %.1fx its floor (CPython)" % PY_TIME, name,
                    "%.2fx" % r, r <= PY_TIME))
        for k in KERNELS if "error" not in bd else ():
            s, target = bd[name][k]["summary"], "%s learn_one <= %.1fx its floor's instructions " \
                "(board)" % (_K[k], PY_TIME)
            if s["flearn"][0] != s["flearn"][0]:
                out.append((target, name, "not measured: the floor failed with %s"
                            % bd[name][k]["floor_error"], None))
                continue
            r = _r(s["vlearn"][0], s["flearn"][0])
            out.append((target, name, "%.2fx%s" % (r, _at(s)), r <= PY_TIME))
        r = _r(uc["learn"][0], uc["flearn"][0])
        out.append(("ulab learn_one <= %.1fx the floor's operations" % ULAB_OPS, name, "%.2fx" % r,
                    r <= ULAB_OPS))
        r = _r(uc["learn"][1], uc["flearn"][1])
        out.append(("ulab learn_one <= %.1fx the floor's bytes" % ULAB_BYTES, name, "%.2fx" % r,
                    r <= ULAB_BYTES))
        for k in KERNELS if "error" not in bd else ():
            f = bd[name][k]
            h = f["heap_chunks"]
            out.append(("no heap growth over %d steps (board, %s)" % (f["long_steps"], _K[k]), name,
                        "%+d B (live heap after each of %d chunks: %s; with the learner's numbers "
                        "zeroed: %s)" % (_growth(h), len(h), _range(h), _range(f["heap_zeroed"])),
                        _flat(h)))
        for k in KERNELS if "error" not in bd else ():
            need, got = res["budget"][name][k], bd[name][k]["min_heap"]
            err = _r(need - got, got) if got else float("nan")
            out.append(("ulearn budget within ±%d%% of the smallest heap (board, %s)"
                        % (BUDGET_ERR * 100, _K[k]), name,
                        "%+.1f%% (plans %s, measured %s)" % (100 * err, _b(need), _b(got)),
                        abs(err) <= BUDGET_ERR))
    if "error" not in bd and "digits" in res["order"]:
        for k in KERNELS:
            live = bd["digits"][k]["live"]
            out.append(("digits learner live heap < 64 KB (board, %s)" % _K[k], "digits",
                        "%d B" % live, live < LIVE_MAX))
    return out


def _growth(h):
    return h[-1] - h[0]


def _flat(h):
    # the target: no reading after the first differs, and none ends above it
    return max(h[1:] or h) == min(h[1:] or h) and _growth(h) <= 0


def _range(h):
    return "%d-%d B" % (min(h), max(h)) if min(h) != max(h) else "all %d B" % h[0]


def write(md, res):
    order, bd, cp, uc = res["order"], res["board"], res["cpython"], res["ulab"]
    md.append("## Setup\n")
    md.append(table(["configuration", "data", "bundle bytes"],
                    [[C.NAMES[n], C.DATA[n], "{:,}".format(res["bundle"][n])] for n in order]) + "\n")
    md.append(
        "Every learner uses `SGD(lr=0.02, momentum=0.5, clip=5)` and is built on the host, warmed "
        "up on the first %d rows of its data (every class known, the replay memory full), and saved "
        "as a bundle; each backend loads that bundle and learns the next rows in the same order. "
        "The sparse learner selects its rows with `select_updates` (Fisher) at 1/10 of full "
        "fine-tuning's bytes on %d support rows first.\n" % (C.WARM, C.SUPPORT))
    md.append(
        "**The floors.** `tools/device_bench/floor_py.py` is the same arithmetic as one "
        "learn_one / predict_one written as the tightest pure-Python loops found (fused forward and "
        "backward passes, the fastest loop idiom measured in MicroPython, no checks), over the "
        "learner's own arrays; `tools/device_bench/floor_ulab.py` is the same arithmetic in the "
        "fewest ulab operations found. The floor and the learner run the same rows; afterwards "
        "the pure-Python floor holds byte-identical arrays (checked: %s on CPython, %s on the "
        "board), and the ulab floor the same weights to float32 rounding, its sums run in "
        "another order (largest difference in the emulation: %s; on the board, over more "
        "steps: section 2).\n" % (
            _all(cp[n]["same"] for n in order),
            "not run" if "error" in bd else _all(bd[n]["python"]["same"] == "same" for n in order),
            ", ".join("%s %.1e of %.0f" % (n, uc[n]["diff"], uc[n]["scale"]) for n in order)))

    md.append("## 1. Targets\n")
    rows = [[t, n, m, {True: "met", False: "**MISSED**", None: "n/a"}[ok]]
            for t, n, m, ok in checks(res)]
    md.append(table(["target", "configuration", "measured", ""], rows) + "\n")

    md.append("## 2. The QEMU Cortex-M3 board\n")
    if "error" in bd:
        md.append("Not run: %s\n" % bd["error"].splitlines()[0])
    else:
        about = bd["board"]
        md.append(
            "MicroPython v1.29.0-preview (commit %s) with ulab 6.12 (commit %s) on QEMU's %s, "
            "built by `ulearn firmware build --target qemu-m3` and booted as `ulearn vboard start "
            "--heap %dK` does; the package as `.mpy` from `ulearn package`, the bundle and the rows "
            "on the board's littlefs. QEMU counts instructions (`-icount shift=%d`), so "
            "`time.ticks_us()` is an instruction clock: 1 µs = %d instructions, on every machine "
            "(from run to run a call moves by a few µs, 0.1%% at most: where the 1 ms timer "
            "interrupt falls depends on when the host sent the code). Each call is timed alone with the collector on (the clock's own "
            "cost, measured the same way, taken off), over %d rows read from flash one at a time; "
            "mean ± std over the steps (the spread is the collections some steps run). Bytes per "
            "step: `micropython.mem_total()` before and after (every allocation, as requested, "
            "before rounding to 16-byte blocks). Live heap: `gc.mem_alloc()` after a collection, "
            "less the reading before the bundle was loaded. Smallest heap: the board booted at a "
            "heap size imports the package, loads the bundle and runs %d predict-then-learn "
            "steps, or fails with MemoryError; the size is bisected to %d bytes (on %d steps "
            "first, then checked on %d), and again for the load alone. From boot to boot it "
            "moves by up to about 2 KB: the raw REPL's buffer grows as the code arrives from the "
            "host, so the heap's layout before the run differs. The "
            "pure-Python rows run on the same firmware with `ulab` hidden from the package, the "
            "path of a stock firmware without ulab.\n"
            % (about["firmware"]["micropython"][:10], about["firmware"]["ulab"][:10],
               about["machine"], HEAP // 1024, about["icount_shift"], round(1 / US_PER_INSN),
               res["steps"]["board"], MIN_STEPS, GRAIN, PROBE_STEPS, MIN_STEPS))
        for k in KERNELS:
            rows = []
            for n in order:
                f = bd[n][k]
                s = f["summary"]
                rows.append([n, _ms(s["learn"]), _ms(s["flearn"]) + _at(s),
                             _x(s["vlearn"][0], s["flearn"][0]),
                             _ms(s["predict"]), _ms(s["fpredict"]) + _at(s),
                             _x(s["vpredict"][0], s["fpredict"][0]),
                             "{:,}".format(int(s["learn"][2])),
                             "n/a" if s["flearn"][2] != s["flearn"][2] else
                             "{:,}".format(int(s["flearn"][2])),
                             "{:,}".format(int(s["predict"][2])), "{:,}".format(f["package"]),
                             "{:,}".format(f["live"]), _b(f.get("min_heap_load")),
                             _b(f["min_heap"])])
            md.append("**%s kernels** (ms of board time per call; floor: %s):\n"
                      % (_K[k], "floor_py.py" if k == "python" else "floor_ulab.py"))
            md.append(table(["config", "learn_one ms", "floor ms", "ratio", "predict_one ms",
                             "floor ms", "ratio", "B / learn_one", "floor B", "B / predict_one",
                             "package B", "live heap B", "smallest heap: load",
                             "load + %d steps" % MIN_STEPS], rows) + "\n")
        md.append("The floors end with the learner's arrays: %s.\n" % "; ".join(
            "%s %s: %s" % (n, _K[k], bd[n][k].get("versus", bd[n][k])["same"])
            for n in order for k in KERNELS))
        for n in order:
            for k in KERNELS:
                f = bd[n][k]
                if "floor_error" in f:
                    md.append(
                        "%s, %s: the floor fails on the %d KB board (%s; the floor_ulab step "
                        "builds its weight update as one temporary, the learner in 4 KB blocks, "
                        "and the floor_py copy needs a second learner beside the first), so the "
                        "learner and its floor were compared again side by side at %d KB; the "
                        "learner's own figures are from %d KB.\n"
                        % (n, _K[k], HEAP // 1024, f["floor_error"],
                           f["summary"]["heap"] // 1024, HEAP // 1024))
        rows = [[n, _K[k], "{:,}".format(bd[n][k]["long_steps"]), _range(bd[n][k]["heap_chunks"]),
                 "%+d" % _growth(bd[n][k]["heap_chunks"]), _range(bd[n][k]["heap_zeroed"]),
                 "%+d" % _growth(bd[n][k]["heap_zeroed"])] for n in order for k in KERNELS]
        md.append("Live heap over a long run at %d KB: predict_one then learn_one on each row, %d "
                  "at a time, the live heap read after each chunk, as it is and with every number "
                  "the learner holds zeroed for the reading:\n" % (HEAP // 1024, res["steps"]["chunk"]))
        md.append(table(["config", "kernels", "steps", "live heap after each chunk", "growth B",
                         "numbers zeroed", "growth B"], rows) + "\n")
        md.append(
            "MicroPython's collector marks conservatively and scans the data of arrays too: a "
            "weight, momentum entry or int8 row whose bits equal the address of a block of a "
            "step's garbage keeps that block alive at a reading. The zeroed reading takes that "
            "out (every array reachable from the learner saved to a file, zeroed, the heap read, "
            "the numbers put back bit for bit: checked, %s), so a change the first reading shows "
            "and the second does not is garbage held by pointer-like numbers, not objects the "
            "learner keeps.\n" % _all(bd[n][k]["restored"] for n in order for k in KERNELS))

    md.append("## 3. CircuitPython unix\n")
    cpu = res["cp"]
    if "error" in cpu:
        md.append("Not run: %s\n" % cpu["error"].splitlines()[0])
    else:
        md.append(
            "%s (`ulearn firmware build --target cp-unix`), through tools/mpreal with a fixed "
            "heap (`-X heapsize`), the package as CircuitPython's own `.mpy`. A host process has "
            "no board clock: memory figures only, measured as on the board (the smallest heap "
            "includes the request server of tools/mpreal, a few hundred bytes).\n" % cpu["about"])
        rows = [[n, _K[k], "{:,}".format(cpu[n][k]["package"]), "{:,}".format(cpu[n][k]["live"]),
                 "{:,.0f}".format(cpu[n][k]["learn"]), "{:,.0f}".format(cpu[n][k]["predict"]),
                 _b(cpu[n][k].get("min_heap_load")), _b(cpu[n][k]["min_heap"]),
                 "" if "error" in bd else _b(bd[n][k]["min_heap"])]
                for n in order for k in KERNELS]
        md.append(table(["config", "kernels", "package B", "live heap B", "B / learn_one",
                         "B / predict_one", "smallest heap: load", "load + %d steps" % MIN_STEPS,
                         "board: load + %d steps" % MIN_STEPS], rows) + "\n")

    md.append("## 4. ulearn budget against the board\n")
    if "error" in bd:
        md.append("Not run: the board figures are missing.\n")
    else:
        md.append(
            "`ulearn budget BUNDLE --board qemu-m3 --kernels ulab|python` plans the heap need of "
            "each learner; the board's smallest heap for load + %d steps is the measurement. The "
            "plan is not derived alone: its package, learner, buffer and transient figures are "
            "measured constants and arithmetic on the learner (`tools/measure_ram.py`), and they "
            "miss the holes that importing the package and loading the bundle leave in the heap, "
            "which is why the smallest heaps are 1.3-1.5x the resident bytes. The margin for "
            "them is calibrated on these measurements (`python tools/fit_budget.py "
            "docs/device.json`: need = %s), so the table is a fit to its own data; the error "
            "with each learner left out of the fit is the fairer figure for a learner not in "
            "the table.\n" % (MIN_STEPS, _fit_text()))
        rows = []
        fit = _fit()
        for n in order:
            for k in KERNELS:
                need, got = res["budget"][n][k], bd[n][k]["min_heap"]
                loo = fit.get(k, {}).get("errors", {}).get(n, [None, None])[1]
                rows.append([n, _K[k], _b(need), _b(got), "%+.1f%%" % (100 * _r(need - got, got)),
                             "n/a" if loo is None else "%+.1f%%" % (100 * loo)])
        md.append(table(["config", "kernels", "planned need", "smallest heap (board)", "error",
                         "error, left out of the fit"], rows) + "\n")

    md.append("## 5. CPython\n")
    md.append("µs per step, mean ± std over %d runs of %d steps; the pure-Python path is "
              "`devicepkg.use(\"python\")` (ulab and numpy hidden), the numpy path is the device "
              "package on numpy (Linux boards, the host).\n" % (res["steps"]["runs"], res["steps"]["cpython"]))
    rows = []
    for n in order:
        p, q = cp[n]["python"], cp[n]["numpy"]
        rows.append([n, _pm(p["learn"]), _pm(p["flearn"]), "%.2fx" % _r(p["learn"][0], p["flearn"][0]),
                     _pm(p["predict"]), _pm(p["fpredict"]),
                     "%.2fx" % _r(p["predict"][0], p["fpredict"][0]),
                     _pm(q["learn"], "%.1f"), _pm(q["predict"], "%.1f")])
    md.append(table(["config", "learn_one µs", "floor µs", "ratio", "predict_one µs", "floor µs",
                     "ratio", "numpy learn_one µs", "numpy predict_one µs"], rows) + "\n")

    md.append("## 6. ulab path (strict emulation's counters)\n")
    md.append("ulab operations and heap bytes per step (an operation's new arrays: data plus a "
              "48-byte header; in-place operations cost none), averaged over the same %d rows "
              "(ulab ndarray inputs), against the fewest-operations floor:\n" % res["steps"]["ulab"])
    rows = []
    for n in order:
        u = uc[n]
        rows.append([n, "%.1f" % u["learn"][0], "%.1f" % u["flearn"][0],
                     "%.2fx" % _r(u["learn"][0], u["flearn"][0]),
                     "{:,.0f}".format(u["learn"][1]), "{:,.0f}".format(u["flearn"][1]),
                     "%.2fx" % _r(u["learn"][1], u["flearn"][1]),
                     "%.1f / %.1f" % (u["predict"][0], u["fpredict"][0]),
                     "{:,.0f} / {:,.0f}".format(u["predict"][1], u["fpredict"][1])])
    md.append(table(["config", "ops / learn_one", "floor ops", "ratio", "bytes / learn_one",
                     "floor bytes", "ratio", "predict ops (learner / floor)",
                     "predict bytes (learner / floor)"], rows) + "\n")

    md.append("## 7. Memory per board profile\n")
    md.append("What `ulearn budget` plans for each bundle on each board profile (RAM: package, "
              "learner, buffers, the larger of a step's and a checkpoint's transient and the margin "
              "calibrated on the board (section 4); heap: "
              "the profile's free heap; kernels: what the profile's stock firmware has):\n")
    boards = list(res["boards"][order[0]])
    rows = []
    for n in order:
        row = [n]
        for b in boards:
            p = res["boards"][n][b]
            row.append("%s / %s KB%s" % (_kb(p["need"]), _kb(p["heap"]), "" if p["fits"] else " ✗"))
        rows.append(row)
    md.append(table(["config"] + ["%s (%s)" % (b, res["boards"][order[0]][b]["kernels"])
                                  for b in boards], rows) + "\n")
    md.append("need / heap; ✗: does not fit.\n")


def _fit():
    from ulearn_host import budget
    return budget.costs().get("board", {})


def _fit_text():
    fit = _fit()
    return "; ".join("%s: %.3f x resident%s" % (_K[k], 1 + fit[k]["scale"],
                                                 " %+d B" % fit[k]["const"] if fit[k]["const"] else "")
                     for k in KERNELS if k in fit) or "not calibrated"


def _ms(v):
    return "%.2f ± %.2f" % (v[0] / 1000, v[1] / 1000) if v[0] == v[0] else "MemoryError"


def _at(s):
    # where the floor was compared, when it did not fit the board's heap
    return "" if s["heap"] == HEAP else " (at %d KB)" % (s["heap"] // 1024)


def _x(a, b):
    r = _r(a, b)
    return "%.2fx" % r if r == r else "n/a"


def _b(n):
    return "n/a" if n is None else "{:,}".format(n)


def _kb(n):
    return "%.0f" % (n / 1024)


def _all(flags):
    flags = list(flags)
    return "yes, all %d" % len(flags) if all(flags) else "NO for %d of %d" % (
        flags.count(False), len(flags))
