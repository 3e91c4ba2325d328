"""The benchmarks' board rows: one driver, run in a real MicroPython build and on CPython.

A board row runs the device package as a board runs it: in a unix-port build of
``ulearn firmware build`` (tools/mpreal.py: 32-bit, float32, the GC heap fixed
at :data:`HEAP`, the package at ``/lib/ulearn`` as ``.mpy``), without ulab
(``unix32``: the pure-Python kernels, as on stock firmware) and with it
(``unix32-ulab``). Its reference is the same driver on CPython on the backend
that runs the same path (:data:`TARGETS`): :class:`CPython` takes the requests
an :class:`~tools.mpreal.Interpreter` takes (``exec``, ``write_file``,
``host_path``), runs them in one persistent globals dict with the working
folder a private temporary folder, and the device package on that backend.

Inputs reach both sides as stream files (:func:`put_rows`: float32 rows, int32
labels, read with ``ulearn.stream.Stream``), so both learn from the same
float32 values: MicroPython's float32 parser can land a decimal one ulp away
from the nearest float32.
"""
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ulearn_dev import devicepkg
from ulearn_dev.mpreal import Interpreter, MicroPythonError
from ulearn_host.firmware import FirmwareError

__all__ = ["HEAP", "HEAP_KB", "TARGETS", "TICKS", "CPython", "MicroPythonError", "start", "failure",
           "rows", "live_heap", "put_rows", "put_json"]

HEAP_KB = 192  # an RP2040's GC heap, as in tests/test_board_192k.py
HEAP = "%dK" % HEAP_KB
# a build and the CPython backend that runs the same kernels (ulab: the strict emulation)
TARGETS = {"unix32": "python", "unix32-ulab": "ulab"}

# Timing on both sides: MicroPython's ticks, CPython's counter in the same units.
TICKS = """\
import time
try:
    ticks, tdiff = time.ticks_us, time.ticks_diff
except AttributeError:  # CPython
    ticks, tdiff = lambda: time.perf_counter_ns() // 1000, lambda a, b: a - b
"""


def start(target, heap=HEAP, timeout=600.0):
    """``(Interpreter, None)`` for a built ``target``, or ``(None, why)`` when it cannot run."""
    interp = None
    try:
        interp = Interpreter(target, heap=heap, form=None, timeout=timeout)
        interp.put_package("mpy")  # mpy-cross may be missing: the process is closed below
        return interp, None
    except (FirmwareError, MicroPythonError, OSError, subprocess.CalledProcessError) as e:
        if interp is not None:
            interp.close()
        return None, (str(e).strip() or type(e).__name__).splitlines()[0]


def failure(e):
    """A one-line account of a :class:`~tools.mpreal.MicroPythonError` raised by a run."""
    lines = [s.strip() for s in e.traceback.splitlines() if s.strip()] or ["the interpreter failed"]
    # an exception's last line names it; a dead process's first line says how it ended
    return lines[-1] if e.type else lines[0]


class CPython:
    """The requests of an Interpreter, served by CPython on devicepkg ``backend``."""

    def __init__(self, backend):
        self.backend = backend
        self._tmp = tempfile.mkdtemp(prefix="ulearn-cpython-%s-" % backend)
        self.root = Path(self._tmp)
        self._globals = {"__name__": "__main__"}

    def exec(self, code):
        out, cwd, stdout = io.StringIO(), os.getcwd(), sys.stdout
        with devicepkg.using(self.backend):
            try:
                os.chdir(self._tmp)
                sys.stdout = out
                exec(compile(code, "<board>", "exec"), self._globals)
            finally:
                sys.stdout = stdout
                os.chdir(cwd)
        return out.getvalue()

    def host_path(self, path):
        return self.root / str(path).lstrip("/")

    def write_file(self, path, data):
        self.host_path(path).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    def close(self):
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def rows(run, figures, compare, out):
    """The rows of a board benchmark, into ``out["cpython"]`` and ``out["boards"]``.

    ``run(where, label)`` runs the driver in ``where`` (a :class:`CPython` or an
    :class:`~tools.mpreal.Interpreter`) and returns its result; ``figures(result,
    backend)`` makes a row of it; ``compare(row, reference)`` adds the comparison.
    CPython runs on the python, ulab and numpy kernels, each compared with the
    python row; each build of :data:`TARGETS` runs and is compared with CPython on
    its kernels, or its row says why it did not run. ``out["error"]`` is set when
    no build ran."""
    for backend in ("python", "ulab", "numpy"):
        with CPython(backend) as cp:
            out["cpython"][backend] = figures(run(cp, "CPython, %s" % backend), backend)
    cpy = out["cpython"]
    for backend in ("ulab", "numpy"):
        compare(cpy[backend], cpy["python"])
    for target, backend in TARGETS.items():
        interp, why = start(target)
        if interp is None:
            out["boards"][target] = dict(error=why)
            continue
        with interp:
            version = interp.exec("import sys\nprint(sys.version)").strip()
            try:
                res = run(interp, "MicroPython %s" % target)
            except MicroPythonError as e:
                out["boards"][target] = dict(error=failure(e), version=version)
                continue
        row = out["boards"][target] = figures(res, backend)
        row["version"] = version
        compare(row, cpy[backend])
    if not any("error" not in r for r in out["boards"].values()):
        out["error"] = "; ".join("%s: %s" % (t, r["error"]) for t, r in out["boards"].items())


def live_heap(where):
    """Live heap bytes after a full collection, or None on CPython.

    Read by a request of its own whose text is the same every time, so that
    two readings differ by what the run keeps, not by the requests' code."""
    return where.mem_alloc() if isinstance(where, Interpreter) else None


def put_rows(where, path, X, y):
    """Write rows ``X`` (float32 values) and int labels ``y`` as the stream file ``path``."""
    with devicepkg.using("python") as ul:
        ul.stream.save(str(where.host_path(path)), X, y)


def put_json(where, path, value):
    """Write ``value`` as JSON to ``path`` (settings; rows go through :func:`put_rows`)."""
    where.write_file(path, json.dumps(value))
