"""The same learners in the unix builds (tools/mpreal): CircuitPython unix
with its ulab, and MicroPython's 32-bit float32 unix port with and without
ulab. A host process has no board clock, so these give memory only: the live
heap, bytes allocated per step and the smallest heap (``-X heapsize``) at
which 1,000 predict-then-learn steps run, found as on the board. The
request server of tools/mpreal lives in the same heap (a few hundred bytes).
"""
import functools
import statistics

from ulearn_dev.mpreal import Interpreter, MicroPythonError
from ulearn_host import firmware

from .board import _STEPS, KERNELS, _timed, load_heap, min_heap, rows_file, setup_code

TARGETS = {"cp-unix": "CircuitPython unix (coverage variant), 32-bit float32, ulab 6.5.3",
           "unix32-ulab": "MicroPython unix, 32-bit float32, ulab 6.12"}


def measure(target, bundles, rows, steps):
    """{name: {kernels: figures}} in `target`, or {"error": why}."""
    try:
        firmware.require(target)
    except firmware.FirmwareError as e:
        return {"error": str(e)}
    out = {"target": target, "about": TARGETS[target]}
    for name, path in bundles.items():
        files = {"/bench/%s.npz" % name: open(path, "rb").read(),
                 "/bench/%s.rows" % name: rows_file(*rows[name])}
        n, r = len(rows[name][0][0]), len(rows[name][0])
        out[name] = {}
        for kernels in KERNELS:
            out[name][kernels] = f = _figures(target, files, name, kernels, n, r, steps)
            runs = functools.partial(_runs, target, files, name, kernels, n, r)
            f["min_heap"] = min_heap(runs)
            f["min_heap_load"] = load_heap(runs, f["min_heap"])
    return out


def _start(target, files, heap):
    interp = Interpreter(target, heap=str(heap), form="mpy")
    interp.makedirs("/bench")
    for p, data in files.items():
        interp.write_file(p, data)
    return interp


def _figures(target, files, name, kernels, n, r, steps):
    with _start(target, files, 1024 * 1024) as m:
        m.exec(setup_code(name, kernels, n, r))
        f = {"kernels": m.exec("print(NAME)").strip(), "package": int(m.exec("print(M0)"))}
        m.exec("clf = ulearn.load('/bench/%s.npz')" % name)
        f["live"] = int(m.exec("print(live())"))
        for what, t0 in (("learn", 0), ("predict", steps)):
            f[what] = statistics.mean(_timed(m, what, steps, t0)["bytes"])
    return f


def _runs(target, files, name, kernels, n, r, heap, steps):
    try:
        with _start(target, files, heap) as m:
            m.exec(setup_code(name, kernels, n, r, preload=False))
            return m.exec(_STEPS % dict(name=name, steps=steps)).startswith("ran")
    except MicroPythonError as e:
        if e.type == "MemoryError" or "MemoryError" in str(e):
            return False
        raise
