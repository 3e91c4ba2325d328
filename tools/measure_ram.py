#!/usr/bin/env python
"""Measure the RAM constants `ulearn budget` plans with; writes host/ulearn_host/ram_costs.json.

Run from the repository root (needs Node.js and ``npm ci --prefix tools/mpvm``,
and mpy-cross for the .mpy figures)::

    python tools/measure_ram.py            # measure, print a table, write the file
    python tools/measure_ram.py --dry-run  # measure and print only

Everything pure-Python is measured in a real MicroPython interpreter (the
WebAssembly port, 32-bit, 16-byte GC blocks as on the boards): live heap
(``gc.mem_alloc()`` after a collection, which this port runs between calls)
and bytes allocated by one step (no collection runs inside a call). The
port has no ulab: the ulab path's package is imported over a stand-in
``ulab.numpy`` holding two constants, and its per-step allocations are
counted by the strict ulab emulation in stubs/ (one ndarray header + data
per array an operation creates). Per-step allocations scale with the model,
so they are fitted (least squares) over a grid of learners on the terms of
``budget.step_terms``; the fit's worst error is printed and stored.
"""
import argparse
import json
import random
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT / "tests"), str(ROOT)):  # devicepkg; tools.mpvm
    if p not in sys.path:
        sys.path.insert(0, p)

import devicepkg  # noqa: E402
from tools.mpvm import MicroPythonVM  # noqa: E402
from ulearn_host import budget, mpy  # noqa: E402

OUT = ROOT / "host" / "ulearn_host" / "ram_costs.json"
BYTECODE = 6 | 3 << 8  # sys.implementation._mpy of MicroPython 1.23-1.27 (v6.3)
# what load/save/learn_one import, and the board entry points `ulearn run` starts (app, stream)
IMPORTS = "import ulearn, ulearn.checkpoint, ulearn.classifier, ulearn.anomaly, ulearn.app"
FAKE_ULAB = "float = 102\nint8 = 98\n"  # all kern_np reads at import; real ulab lives in flash
NAMES = "Classifier, AnomalyDetector, Frozen, SGD"
# Allowances, not measured (the VM cannot show them):
STEP_LIVE = 1024  # pure-Python step: a few float boxes, and call frames over 44 bytes, which
#                   MicroPython puts on the heap and frees on return (no pystack on boards)
FILE_OBJECT = 1024  # an open file: FatFs FIL with its 512-byte sector buffer, or a littlefs
#                     file with its cache (the VM's files are host-backed)
LABEL = "class_%02d"  # 8-character string labels for the per-label figure


def config_code(kind, c):
    """Python source that builds the learner of `config` (VM and CPython alike)."""
    ext = ", ".join("Frozen(%d, %d, %r, %r)" % (lc["n_in"], lc["n_out"], lc["act"], lc["int8"])
                    for lc in c["extractor"])
    o = c["optimizer"]
    opt = "SGD(%r, %r, %r, %r)" % (o["lr"], o["momentum"], o["weight_decay"], o["clip"])
    size = c["capacity"] if kind == "Classifier" else c["hidden"]
    return "%s(%d, %d, extractor=[%s], optimizer=%s, standardize=%r)" % (
        kind, c["n_features"], size, ext, opt, c["standardize"])


def grid(kind, count, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        n = rng.choice((3, 6, 10, 16, 26, 40))
        ext, n_in = [], n
        for _ in range(rng.choice((0, 1, 1, 2))):
            n_out = rng.choice((8, 12, 24, 32))
            ext.append({"n_in": n_in, "n_out": n_out, "act": "relu", "int8": rng.random() < 0.5})
            n_in = n_out
        c = {"n_features": n, "extractor": ext, "standardize": rng.random() < 0.7,
             "stats_window": 0, "optimizer": {"lr": 0.01, "momentum": rng.choice((0.0, 0.5)),
                                              "weight_decay": rng.choice((0.0, 1e-4)),
                                              "clip": rng.choice((0.0, 5.0))}}
        c["capacity" if kind == "Classifier" else "hidden"] = rng.choice((2, 3, 5, 8, 12))
        out.append(c)
    return out


def warm_up(kind, c):
    # every head row in use (the worst case the planner assumes), then the step
    n = c["n_features"]
    x = "x = [0.25 * ((i * 7) %% 5) - 0.5 for i in range(%d)]\n" % n
    if kind == "Classifier":
        return x + "for k in range(%d): c.learn_one(x, k)\n" % c["capacity"], "c.learn_one(x, 1)"
    return x + "for k in range(3): c.learn_one(x)\n", "c.learn_one(x)"


def fit(rows, ys):
    """Least squares of ys on the term dicts `rows`; (coefficients, worst relative error)."""
    names = list(rows[0])
    A = np.array([[r[k] for k in names] for r in rows], dtype=float)
    coef = np.linalg.lstsq(A, np.array(ys, dtype=float), rcond=None)[0]
    err = max(abs(a - y) / y for a, y in zip(A @ coef, ys))
    return {k: round(float(v), 2) for k, v in zip(names, coef)}, float(err)


# -- in the MicroPython VM

def fresh_vm(files, ulab):
    vm = MicroPythonVM(timeout=600)
    vm.makedirs("/lib/ulearn")
    for name, data in files.items():
        vm.write_file("/lib/ulearn/" + name, data)
    if ulab:
        vm.makedirs("/lib/ulab")
        vm.write_file("/lib/ulab/__init__.py", "")
        vm.write_file("/lib/ulab/numpy.py", FAKE_ULAB)
        vm.exec("from ulab import numpy")
    # os and binascii are built into the boards' firmware, Python modules in this port:
    # imported before any baseline, as the other builtins are
    vm.exec("import gc, json, math, os, struct, binascii\nfrom array import array")
    return vm


def package_cost(files, ulab):
    with fresh_vm(files, ulab) as vm:
        m0 = vm.mem_alloc()
        vm.exec(IMPORTS)
        live = vm.mem_alloc() - m0
        assert vm.exec("print(ulearn.backend.NAME)").strip() == ("ulab" if ulab else "python")
    return live


def vm_live(vm, code):
    m0 = vm.mem_alloc()
    vm.exec(code)
    return vm.mem_alloc() - m0


def measure_vm(sources, bundles, grids):
    res = {}
    with fresh_vm(sources, ulab=False) as vm:
        vm.exec(IMPORTS + "\nfrom ulearn import " + NAMES + "\nfrom ulearn import zipstore")
        res["array_header"] = vm_live(vm, "a = array('f', bytes(4 * 37))") - budget._blocks(4 * 37)
        # learner objects: live heap of a loaded bundle minus its arrays and vectors
        rows, ys = [], []
        for i, (kind, c, path, n_labels) in enumerate(bundles):
            vm.write_file("/b%d.npz" % i, Path(path).read_bytes())
            vm.exec("c = ulearn.load('/b%d.npz'); c = None" % i)  # first use of each code path
            live = vm_live(vm, "c = ulearn.load('/b%d.npz')" % i)
            sizes = list(budget.array_bytes(budget.learner_spec(path)["layout"]).values())
            sizes += [4 * n for n in budget.buffers(kind, c)]
            ys.append(live - sum(res["array_header"] + budget._blocks(b) for b in sizes))
            rows.append({"Classifier": kind == "Classifier", "AnomalyDetector": kind != "Classifier",
                         "per_layer": len(c["extractor"]),
                         "per_label": n_labels})
            vm.exec("c = None")
        res["objects"], res["objects_fit"] = fit(rows, ys)
        # a checkpoint load's transient pieces, kept alive to be counted
        path = "/b%d.npz" % (len(bundles) - 1)
        f0 = vm_live(vm, "f = open(%r, 'rb')" % path)
        members = vm_live(vm, "m = zipstore.members(f)")
        n_members = int(vm.exec("print(len(m))"))
        meta_size = int(vm.exec("print(m['meta.json'][1])"))
        meta = vm_live(vm, "f.seek(m['meta.json'][0]); b = f.read(m['meta.json'][1]); "
                       "s = b.decode(); d = json.loads(s)")
        row = vm_live(vm, "r = bytes(4 * 256); v = struct.unpack('<256f', r)")
        vm.exec("f.close()")
        res["checkpoint"] = {"file": FILE_OBJECT, "file_in_vm": f0,
                             "per_member": round(members / n_members, 1),
                             "meta_per_byte": round(meta / meta_size, 2),
                             "row_per_col": {"python": round(row / 256, 2),
                                             "ulab": round(row / 256 + 4, 2)}}
        # bytes one learn_one allocates, over a grid of learners
        res["step"] = {}
        for kind, configs in grids.items():
            terms, ys = [], []
            for c in configs:
                setup, step = warm_up(kind, c)
                vm.exec("c = %s\n%s" % (config_code(kind, c), setup))
                out = vm.exec("gc.disable()\nr = []\nfor t in range(3):\n    a = gc.mem_alloc()\n"
                              "    %s\n    r.append(gc.mem_alloc() - a)\ngc.enable()\nprint(sorted(r)[1])"
                              % step)
                vm.exec("c = None")
                terms.append(budget.step_terms(kind, c))
                ys.append(int(out))
            res["step"][kind] = fit(terms, ys)
    return res


# -- on CPython, the ulab emulation's counters

def measure_ulab(grids):
    ul = devicepkg.use("ulab")
    from ulab import _counter
    ns = {name: getattr(ul, name) for name in NAMES.split(", ")}
    out = {}
    for kind, configs in grids.items():
        terms, ys = [], []
        for c in configs:
            ns["c"] = eval(config_code(kind, c), ns)
            setup, step = warm_up(kind, c)
            exec(setup, ns)
            counts = []
            for _ in range(3):
                with _counter.count() as k:
                    exec(step, ns)
                counts.append(k.bytes)
            terms.append(budget.step_terms(kind, c))
            ys.append(statistics.median(counts))
        out[kind] = fit(terms, ys)
    devicepkg.use("numpy")
    return out, _counter.HEADER_BYTES  # sizeof(ndarray_obj_t) in GC blocks, from ulab's source


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
    args = ap.parse_args(argv)
    sources = mpy.sources()
    compiled, why = mpy.package_files({"impl": "micropython", "mpy": BYTECODE}, "mpy")
    grids = {"Classifier": grid("Classifier", 36, 1), "AnomalyDetector": grid("AnomalyDetector", 36, 2)}
    with tempfile.TemporaryDirectory() as tmp:
        vm = measure_vm(sources, make_bundles(tmp), grids)
    package = {"python-py": package_cost(sources, False), "python-mpy": package_cost(compiled, False),
               "ulab-py": package_cost(sources, True), "ulab-mpy": package_cost(compiled, True)}
    ulab, ulab_header = measure_ulab(grids)
    costs = {
        "about": "RAM constants for ulearn budget, written by `python tools/measure_ram.py` in "
                 "MicroPython 1.27 (WebAssembly port, 32-bit); ulab figures from the ulab emulation's "
                 "counters. 'step' coefficients multiply budget.step_terms(); 'fit' is the worst "
                 "relative error over the measured grid. 'file' and 'step_live' are allowances; "
                 "ulab's row_per_col adds the 4-byte float each column costs in the row array "
                 "ulab builds.",
        "package": package,
        "objects": vm["objects"], "objects_fit": round(vm["objects_fit"], 4),
        "array_header": {"python": vm["array_header"], "ulab": ulab_header},
        "step": {"python": {k: v[0] for k, v in vm["step"].items()},
                 "ulab": {k: v[0] for k, v in ulab.items()}},
        "step_fit": {"python": {k: round(v[1], 4) for k, v in vm["step"].items()},
                     "ulab": {k: round(v[1], 4) for k, v in ulab.items()}},
        "step_live": {"python": STEP_LIVE},
        "checkpoint": vm["checkpoint"],
        "mpy_ratio": round(sum(map(len, compiled.values())) / sum(map(len, sources.values())), 3),
        "source_bytes": sum(map(len, sources.values())),  # the package these figures are for
    }
    print(report(costs, why))
    if not args.dry_run:
        OUT.write_text(json.dumps(costs, indent=1) + "\n")
        print("wrote", OUT.relative_to(ROOT))


def report(k, why):
    lines = ["%-40s %10s" % ("RAM constant", "bytes")]
    lines += ["%-40s %10d" % ("package imported, " + key, v) for key, v in k["package"].items()]
    lines += ["%-40s %10.1f" % ("learner objects, " + key, v) for key, v in k["objects"].items()]
    lines += ["%-40s %10d" % ("array header, " + key, v) for key, v in k["array_header"].items()]
    ck = k["checkpoint"]
    lines += ["%-40s %10.2f" % ("checkpoint I/O, " + label, v) for label, v in (
        ("per member", ck["per_member"]), ("per meta.json byte", ck["meta_per_byte"]),
        ("per row column", ck["row_per_col"]["python"]))]
    lines += ["", "bytes one learn_one allocates, per unit of each term (fitted):"]
    cols = [(path, kind) for path in k["step"] for kind in k["step"][path]]
    lines.append("%-12s" % "term" + "".join("%24s" % ("%s %s" % c) for c in cols))
    for term in k["step"]["python"]["Classifier"]:
        lines.append("%-12s" % term + "".join("%24.2f" % k["step"][p][c][term] for p, c in cols))
    lines.append("%-12s" % "worst error" + "".join(
        "%23.1f%%" % (100 * k["step_fit"][p][c]) for p, c in cols))
    lines += ["", ".mpy / .py size: %.3f (%s)" % (k["mpy_ratio"], why)]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
