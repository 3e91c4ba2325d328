#!/usr/bin/env python
"""Measure the RAM constants `ulearn budget` plans with; writes host/ulearn_host/ram_costs.json.

Run from the repository root, with the firmware built (``ulearn firmware build
--target unix32``, ``--target unix32-ulab`` and ``--target mpy-cross``)::

    python tools/measure_ram.py            # measure, print a table, write the file
    python tools/measure_ram.py --dry-run  # measure and print only
    python tools/measure_ram.py --steps    # re-measure only the per-step coefficients

Everything is measured in real MicroPython interpreters (tools/mpreal.py): the
unix port built 32-bit with float32, 16-byte GC blocks as on the boards,
``unix32`` for the pure-Python path and ``unix32-ulab`` (real ulab) for the
ulab path. Live heap is ``gc.mem_alloc()`` after ``gc.collect()``. The package
is imported as .py sources and as .mpy bytecode made by the build's own
mpy-cross, whose bytecode version must be the one the interpreter reports.

Bytes one step allocates are the GC blocks it takes: ``gc.mem_alloc()``
before and after, with the collector disabled on a heap far larger than a
step (a step that needed a collection would raise MemoryError, never be
counted short). ``micropython.mem_total()`` (these builds have
MICROPY_MEM_STATS) counts every allocation too, but as the bytes requested,
before rounding to blocks (an 8-byte float box takes a 16-byte block): it is
read alongside as a check (the blocks must be at least the bytes requested)
and its ratio is printed. Per-step allocations scale with the model, so they
are fitted (least squares) over a grid of learners (with and without a
trainable hidden layer, a replay memory and sparse updates) on the terms of
``ulearn_host.anatomy.step_terms``; the fit's worst error is printed and stored.
A term the grid cannot tell from the others (the detector's one pass) gets 0.
"""
import argparse
import json
import random
import tempfile
from pathlib import Path

import numpy as np

from ulearn.contract import LIB
from ulearn_dev import devicepkg
from ulearn_dev.mpreal import Interpreter
from ulearn_host import anatomy, budget, mpy

ROOT = Path(__file__).resolve().parents[1]

OUT = ROOT / "host" / "ulearn_host" / "ram_costs.json"
TARGETS = {"python": "unix32", "ulab": "unix32-ulab"}  # kernels: the build that runs them
HEAP = "8M"  # far more than any step of the grid allocates: no collection is ever needed
# what load/save/learn_one import, and the board entry points `ulearn run` starts (app, stream)
IMPORTS = "import ulearn, ulearn.checkpoint, ulearn.classifier, ulearn.anomaly, ulearn.app"
# built into the boards' firmware (ulab too, in flash): imported before any baseline
BUILTINS = "import gc, json, math, os, struct, binascii, sys, micropython\nfrom array import array"
NAMES = "Classifier, AnomalyDetector, Frozen, SGD"
# Allowances, not measured (the unix port cannot show them):
STEP_LIVE = 1024  # pure-Python step: a few float boxes, and call frames over 44 bytes, which
#                   MicroPython puts on the heap and frees on return (no pystack on boards)
FILE_OBJECT = 1024  # an open file: FatFs FIL with its 512-byte sector buffer, or a littlefs
#                     file with its cache (the unix port's files are host files)
LABEL = "class_%02d"  # 8-character string labels for the per-label figure
# one row of a checkpoint as the loader reads it: its bytes and their values; the ulab
# path also makes an array of them (kern_np.set_row)
ROW = "r = bytes(4 * 256); v = struct.unpack('<256f', r)"
# one step from a collected heap, the collector off: (GC blocks taken, bytes requested), 3 times
STEP = """\
r = []
for t in range(3):
    gc.collect()
    gc.disable()
    a, m = gc.mem_alloc(), micropython.mem_total()
    %s
    r.append((gc.mem_alloc() - a, micropython.mem_total() - m))
    gc.enable()
print(json.dumps(sorted(r)[1]))
"""


def config_code(kind, c):
    """Python source that builds the learner of `config` (as checkpoint.load does)."""
    return "%s.from_config(%r)" % (kind, c)


def grid(kind, count, seed):
    """`count` configs of `kind`; a Classifier may have a hidden layer, a replay memory
    (larger than the classes a measurement stores, so each step stores its sample: the
    worst case) or sparse updates."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        wide = kind == "Classifier"  # the detector's grid is the one measured before
        n = rng.choice((3, 6, 10, 16, 26, 40, 64) if wide else (3, 6, 10, 16, 26, 40))
        ext, n_in = [], n
        for _ in range(rng.choice((0, 1, 1, 2, 3) if wide else (0, 1, 1, 2))):
            n_out = rng.choice((8, 12, 24, 32, 64) if wide else (8, 12, 24, 32))
            ext.append({"n_in": n_in, "n_out": n_out, "act": "relu", "int8": rng.random() < 0.5})
            n_in = n_out
        c = {"n_features": n, "extractor": ext, "standardize": rng.random() < 0.7,
             "stats_window": 0, "optimizer": {"lr": 0.01, "momentum": rng.choice((0.0, 0.5)),
                                              "weight_decay": rng.choice((0.0, 1e-4)),
                                              "clip": rng.choice((0.0, 5.0))}}
        size = rng.choice((2, 3, 5, 8, 12))
        if kind == "Classifier":
            c.update(capacity=size, hidden=rng.choice((0, 0, 8, 16, 32, 64)), replay=0,
                     replay_k=1, seed=1)
            u = rng.random()
            if u < 0.4:
                c.update(replay=rng.choice((16, 24, 32)), replay_k=rng.choice((0, 1, 2, 3)))
            elif u < 0.65 and ext:
                picks = [sorted(rng.sample(range(lc["n_out"]), rng.randrange(lc["n_out"] // 2)))
                         for lc in ext]
                if not any(picks):
                    picks[-1] = [0]
                c["sparse"] = picks
        else:
            c.update(hidden=size, k=2.0, alpha=0.01, warmup=50, seed=1)
        out.append(c)
    return out


def terms(kind, c):
    """The anatomy's step terms of a learner built from config `c`."""
    return anatomy.step_terms(anatomy.build({"kind": kind, "config": c}))


def warm_up(kind, c):
    # every head row in use (the worst case the planner assumes), then the step
    n = c["n_features"]
    x = "x = [0.25 * ((i * 7) %% 5) - 0.5 for i in range(%d)]\n" % n
    if kind == "Classifier":
        return x + "for k in range(%d): c.learn_one(x, k)\n" % c["capacity"], "c.learn_one(x, 1)"
    return x + "for k in range(3): c.learn_one(x)\n", "c.learn_one(x)"


def fit(rows, ys):
    """Least squares of ys on the term dicts `rows`, on the relative errors (small learners
    count as much as large ones); (coefficients, worst relative error).

    A term that adds nothing the earlier ones do not (all zero, or a multiple of them over
    these rows) gets 0; so does one whose coefficient comes out negative (a step cannot
    allocate less for a larger size: such a coefficient only trades errors within the grid,
    and extrapolates badly), dropped one at a time, the most negative first."""
    names = list(rows[0])
    A = np.array([[r[k] for k in names] for r in rows], dtype=float)
    y = np.array(ys, dtype=float)
    keep = []
    for j in range(len(names)):
        if np.linalg.matrix_rank(A[:, keep + [j]]) > len(keep):
            keep.append(j)
    while True:
        sol = np.linalg.lstsq(A[:, keep] / y[:, None], np.ones_like(y), rcond=None)[0]
        if sol.min() >= 0:
            break
        keep.pop(int(np.argmin(sol)))
    coef = np.zeros(len(names))
    coef[keep] = sol
    err = max(abs(a - v) / v for a, v in zip(A @ coef, ys))
    return {k: round(float(v), 2) for k, v in zip(names, coef)}, float(err)


# -- in the real interpreters

def start(kernels, form="py"):
    """A fresh interpreter for `kernels` ("python" or "ulab") with the package as `form`,
    its builtins (and ulab) imported; checks it can report what is measured."""
    interp = Interpreter(TARGETS[kernels], heap=HEAP, form=form, timeout=600)
    try:
        if interp.has_ulab != (kernels == "ulab"):
            raise SystemExit("%s %s ulab" % (interp.target, "has" if interp.has_ulab else "lacks"))
        interp.exec(BUILTINS + ("\nfrom ulab import numpy" if kernels == "ulab" else ""))
        if not interp.eval_json("hasattr(micropython, 'mem_total')"):
            raise SystemExit("%s has no micropython.mem_total(): built without MICROPY_MEM_STATS"
                             % interp.target)
    except BaseException:
        interp.close()
        raise
    return interp


def about(interp):
    """(bytecode as sys.implementation._mpy & 0x3ff, "v1.29", ulab "6.12" or None)."""
    info = interp.eval_json("[sys.implementation._mpy & 0x3ff, sys.implementation.version[:2], "
                            "__import__('ulab').__version__ if %r else None]" % interp.has_ulab)
    ulab = ".".join(info[2].split("-")[0].split(".")[:2]) if info[2] else None
    return info[0], "v%d.%d" % tuple(info[1]), ulab


def package_cost(kernels, form, tries=3):
    """(live heap of IMPORTS, {file: bytes} as imported) with the package as `form`: the
    median over fresh interpreters (stale words on the C stack that look like pointers can
    keep a few blocks of garbage; what they look like changes from one process to the next)."""
    lives = []
    for _ in range(tries):
        with start(kernels, form) as interp:
            m0 = interp.mem_alloc()
            interp.exec(IMPORTS)
            lives.append(interp.mem_alloc() - m0)
            got = interp.exec("print(ulearn.backend.NAME)").strip()
            assert got == kernels, (interp, got)
            files = {n: interp.read_file(LIB + "/" + n) for n in interp.listdir(LIB)}
            assert all(n.endswith("." + form) for n in files), sorted(files)
    return sorted(lives)[tries // 2], files


def live_of(interp, code):
    m0 = interp.mem_alloc()
    interp.exec(code)
    return interp.mem_alloc() - m0


def held(interp, code, name):
    """Live heap the objects that `code` binds to `name` hold: what dropping them frees,
    the median of 3 tries. (A collection can leave a few blocks of garbage pinned by stale
    pointers that the next one frees; counted from before `code`, they would come off.)"""
    out = []
    for _ in range(3):
        interp.exec(code)
        out.append(-live_of(interp, name + " = None"))
    return sorted(out)[1]


def measure_steps(interp, grids):
    """{kind: (coefficients, worst error, [mem_total / blocks per learner])} over the grid."""
    out = {}
    for kind, configs in grids.items():
        rows, ys, ratios = [], [], []
        for c in configs:
            setup, step = warm_up(kind, c)
            interp.exec("c = %s\n%s" % (config_code(kind, c), setup))
            blocks, requested = json.loads(interp.exec(STEP % step))
            requested %= 1 << 31  # mem_total() is a small int: 31 bits, wrapping
            interp.exec("c = None")
            assert requested <= blocks, (interp, c, blocks, requested)
            rows.append(terms(kind, c))
            ys.append(blocks)
            ratios.append(requested / blocks)
        out[kind] = fit(rows, ys) + (ratios,)
    return out


def measure_python(bundles, grids):
    """The pure-Python path, and everything not particular to a path, in unix32."""
    res = {}
    with start("python") as interp:
        interp.exec(IMPORTS + "\nfrom ulearn import " + NAMES + "\nfrom ulearn import zipstore")
        res["array_header"] = live_of(interp, "a = array('f', bytes(4 * 37))") - budget._blocks(4 * 37)
        interp.exec("a = None")
        # learner objects: live heap of a loaded bundle minus its arrays and vectors
        rows, ys = [], []
        for i, (kind, c, path, n_labels) in enumerate(bundles):
            interp.write_file("/b%d.npz" % i, Path(path).read_bytes())
            interp.exec("c = ulearn.load('/b%d.npz'); c = None" % i)  # first use of each code path
            live = held(interp, "c = ulearn.load('/b%d.npz')" % i, "c")
            a = anatomy.of(path, flops=False)
            sizes = [p["bytes"] for p in a["arrays"] + a["working"]]
            ys.append(live - sum(res["array_header"] + budget._blocks(b) for b in sizes))
            rows.append({"Classifier": kind == "Classifier", "AnomalyDetector": kind != "Classifier",
                         "per_layer": len(c["extractor"]),
                         "per_label": n_labels})
        res["objects"], res["objects_fit"] = fit(rows, ys)
        # a checkpoint load's transient pieces, kept alive to be counted
        path = "/b%d.npz" % (len(bundles) - 1)
        f0 = live_of(interp, "f = open(%r, 'rb')" % path)
        members = live_of(interp, "m = zipstore.members(f)")
        n_members = int(interp.exec("print(len(m))"))
        meta_size = int(interp.exec("print(m['meta.json'][1])"))
        meta = live_of(interp, "f.seek(m['meta.json'][0]); b = f.read(m['meta.json'][1]); "
                       "s = b.decode(); d = json.loads(s)")
        row = live_of(interp, ROW)
        interp.exec("f.close()\nf = m = b = s = d = r = v = None")
        res["checkpoint"] = {"file": FILE_OBJECT, "file_in_vm": f0,
                             "per_member": round(members / n_members, 1),
                             "meta_per_byte": round(meta / meta_size, 2),
                             "row_per_col": round(row / 256, 2)}
        res["step"] = measure_steps(interp, grids)
    return res


def measure_ulab(grids):
    """The ulab path, in unix32-ulab: ndarray header, a checkpoint row, the step."""
    res = {}
    with start("ulab") as interp:
        interp.exec(IMPORTS + "\nfrom ulearn import " + NAMES)
        res["array_header"] = live_of(interp, "a = numpy.zeros(37, dtype=numpy.float)") \
            - budget._blocks(4 * 37)
        interp.exec("a = None")
        res["row_per_col"] = round(live_of(interp, ROW + "; a = numpy.array(v, dtype=numpy.float)")
                                   / 256, 2)
        interp.exec("r = v = a = None")
        res["step"] = measure_steps(interp, grids)
    return res


def make_bundles(tmp):
    """Bundles of several shapes (host-made, numpy backend) for the objects figure."""
    ul = devicepkg.use("numpy")
    out = []
    specs = [("Classifier", [], 4, 0), ("Classifier", [(8, True)], 4, 4),
             ("Classifier", [(16, False), (8, True)], 6, 6), ("Classifier", [], 12, 12),
             ("AnomalyDetector", [], 3, 0), ("AnomalyDetector", [(12, True)], 4, 0),
             ("AnomalyDetector", [(16, True), (8, False)], 2, 0), ("Classifier", [(24, True)], 16, 16)]
    for i, (kind, widths, size, n_labels) in enumerate(specs):
        ext, n = [], 10
        for w, q in widths:
            ext.append(ul.Frozen(n, w, "relu", q))
            n = w
        opt = ul.SGD(0.01, momentum=0.5, clip=5.0)
        if kind == "Classifier":
            learner = ul.Classifier(10, size, extractor=ext, optimizer=opt)
            for k in range(n_labels):
                learner.learn_one([0.1 * k] * 10, LABEL % k)
        else:
            learner = ul.AnomalyDetector(10, size, extractor=ext, optimizer=opt)
        path = str(Path(tmp) / ("b%d.npz" % i))
        ul.save(learner, path)
        out.append((kind, learner.config(), path, n_labels))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dry-run", action="store_true", help="print, do not write " + OUT.name)
    ap.add_argument("--steps", action="store_true",
                    help="re-measure only the per-step coefficients ('step', 'step_fit'), keeping "
                         "the other figures of " + OUT.name)
    args = ap.parse_args(argv)
    grids = {"Classifier": grid("Classifier", 80, 1),
             "AnomalyDetector": grid("AnomalyDetector", 36, 2)}
    if args.steps:
        return steps_only(grids, args.dry_run)
    sources = mpy.sources()
    with tempfile.TemporaryDirectory() as tmp:
        py = measure_python(make_bundles(tmp), grids)
    ul = measure_ulab(grids)
    package, imported = {}, {}
    for kernels in TARGETS:
        for form in ("py", "mpy"):
            package["%s-%s" % (kernels, form)], imported[kernels, form] = package_cost(kernels, form)
    assert imported["python", "py"] == sources, "the interpreter's .py files are not the package's"
    compiled = imported["python", "mpy"]
    with start("ulab", form=None) as interp:
        bytecode, version, ulab = about(interp)
    with start("python", form=None) as interp:
        assert about(interp) == (bytecode, version, None), "the two builds differ"
    heads = {d[:2] for d in compiled.values()}
    assert heads == {b"M" + bytes([bytecode & 0xFF])}, \
        "mpy-cross makes %r, the interpreter imports v%d" % (heads, bytecode & 0xFF)
    why = "bytecode (.mpy v%d.%d) by the build's mpy-cross" % (bytecode & 0xFF, bytecode >> 8)
    steps = {"python": py["step"], "ulab": ul["step"]}
    costs = {
        "about": "RAM constants for ulearn budget, written by `python tools/measure_ram.py` in "
                 "MicroPython %s, unix port, 32-bit, float32 (.mpy v%d.%d), without ulab for the "
                 "python figures and with real ulab %s for the ulab ones. 'step' coefficients "
                 "multiply ulearn_host.anatomy.step_terms() to give the GC blocks one learn_one "
                 "takes; 'fit' is "
                 "the worst relative error over the measured grid. 'file' and 'step_live' are "
                 "allowances; row_per_col is one checkpoint row's bytes and values per column "
                 "(ulab: and the array made of them)."
                 % (version, bytecode & 0xFF, bytecode >> 8, ulab),
        "package": package,
        "objects": py["objects"], "objects_fit": round(py["objects_fit"], 4),
        "array_header": {"python": py["array_header"], "ulab": ul["array_header"]},
        "step": _steps(steps)[0], "step_fit": _steps(steps)[1],
        "step_live": {"python": STEP_LIVE},
        "checkpoint": dict(py["checkpoint"], row_per_col={"python": py["checkpoint"]["row_per_col"],
                                                          "ulab": ul["row_per_col"]}),
        "mpy_ratio": round(sum(map(len, compiled.values())) / sum(map(len, sources.values())), 3),
        "source_bytes": sum(map(len, sources.values())),  # the package these figures are for
    }
    print(report(costs, why, _steps(steps)[2]))
    if not args.dry_run:
        OUT.write_text(json.dumps(costs, indent=1) + "\n")
        print("wrote", OUT.relative_to(ROOT))


def _steps(steps):
    # ram_costs.json's "step" and "step_fit" entries, and the requested / blocks ratios
    return ({path: {k: v[0] for k, v in s.items()} for path, s in steps.items()},
            {path: {k: round(v[1], 4) for k, v in s.items()} for path, s in steps.items()},
            {"%s %s" % (path, k): v[2] for path, s in steps.items() for k, v in s.items()})


def steps_only(grids, dry_run):
    """Re-measure the per-step coefficients in both builds; merge them into OUT."""
    steps = {}
    for kernels in ("python", "ulab"):
        with start(kernels) as interp:
            interp.exec(IMPORTS + "\nfrom ulearn import " + NAMES)
            steps[kernels] = measure_steps(interp, grids)
    costs = json.loads(OUT.read_text())
    costs["step"], costs["step_fit"], requested = _steps(steps)
    costs["about"] = costs["about"].replace("budget.step_terms()",
                                            "ulearn_host.anatomy.step_terms()")
    print("\n".join(step_lines(costs, requested)))
    if not dry_run:
        OUT.write_text(json.dumps(costs, indent=1) + "\n")
        print("wrote", OUT.relative_to(ROOT), "(step coefficients only)")


def report(k, why, requested):
    lines = ["%-40s %10s" % ("RAM constant", "bytes")]
    lines += ["%-40s %10d" % ("package imported, " + key, v) for key, v in k["package"].items()]
    lines += ["%-40s %10.1f" % ("learner objects, " + key, v) for key, v in k["objects"].items()]
    lines += ["%-40s %10d" % ("array header, " + key, v) for key, v in k["array_header"].items()]
    ck = k["checkpoint"]
    lines += ["%-40s %10.2f" % ("checkpoint I/O, " + label, v) for label, v in (
        ("per member", ck["per_member"]), ("per meta.json byte", ck["meta_per_byte"]),
        ("per row column, python", ck["row_per_col"]["python"]),
        ("per row column, ulab", ck["row_per_col"]["ulab"]))]
    lines += step_lines(k, requested)
    lines += ["", ".mpy / .py size: %.3f (%s)" % (k["mpy_ratio"], why)]
    return "\n".join(lines)


def step_lines(k, requested):
    """The table of per-step coefficients, their worst errors and requested / blocks."""
    lines = ["", "bytes one learn_one allocates, per unit of each term (fitted):"]
    cols = [(path, kind) for path in k["step"] for kind in k["step"][path]]
    lines.append("%-12s" % "term" + "".join("%24s" % ("%s %s" % c) for c in cols))
    for term in k["step"]["python"]["Classifier"]:
        lines.append("%-12s" % term + "".join("%24.2f" % k["step"][p][c][term] for p, c in cols))
    lines.append("%-12s" % "worst error" + "".join(
        "%23.1f%%" % (100 * k["step_fit"][p][c]) for p, c in cols))
    lines.append("%-12s" % "requested" + "".join(
        "%24s" % ("%.2f-%.2f" % (min(requested["%s %s" % c]), max(requested["%s %s" % c])))
        for c in cols))
    lines.append("(requested: micropython.mem_total() over the GC blocks taken, per learner)")
    return lines


if __name__ == "__main__":
    main()
