"""Tier 3: real interpreters, and scenarios run once in each of them and on CPython.

The interpreters are the unix-port builds of ``ulearn firmware build``
(tools/mpreal.py): MicroPython with and without ulab, and CircuitPython with
its own ulab; the device package goes in as ``.py`` sources or as ``.mpy``
bytecode, each implementation's own (CircuitPython refuses MicroPython's
``.mpy``: its bytecode is compiled by CircuitPython's mpy-cross).

A scenario is a plain script in tests/scenarios/ that imports ulearn, reads
the files the test gave it by relative paths, and prints one JSON value per
line. :func:`run_scenario` runs it in an interpreter (cwd ``/``, the files in
its root) or on CPython on one of devicepkg's backends (cwd a temporary
folder), the way MicroPython's run-tests runs a test under both;
:func:`check_scenario` asserts the two agree. Inputs cross as integers (see
:func:`ints`): MicroPython's float32 parser can land a decimal one ulp away
from the nearest float32, and exact inputs keep the comparison about the code.
"""
import contextlib
import io
import json
import os
import tempfile
from pathlib import Path

import pytest

from ulearn_dev import devicepkg
from ulearn_dev.mpreal import Interpreter
from ulearn_host.firmware import FirmwareError

SCENARIOS = Path(__file__).resolve().parents[1] / "tests" / "scenarios"
TARGETS = ("unix32-ulab", "unix32", "cp-unix")
MATRIX = tuple((t, f) for t in TARGETS for f in ("py", "mpy"))
SCALE = 256  # inputs are multiples of 1/SCALE, sent as integers
# agreement of the float32 interpreters with CPython (float32 arrays, float64
# scalars): measured at most 5.3e-7 over the scenarios that use this default
F32 = 2e-6


def start(target, **kw):
    """An :class:`Interpreter` of ``target``; when it is not built, fail under CI, else skip."""
    try:
        return Interpreter(target, **kw)
    except FirmwareError as e:
        if os.environ.get("CI"):
            pytest.fail(str(e))
        pytest.skip(str(e))


def cell_id(cell):
    return "%s-%s" % cell


def on(*cells):
    """Run a test that takes the ``mp`` fixture on these (target, form) cells only."""
    return pytest.mark.parametrize("mp", cells, indirect=True, ids=cell_id)


def backend_of(interp):
    """The CPython backend that runs the interpreter's path: the ulab emulation or pure Python."""
    return "ulab" if interp.has_ulab else "python"


def ints(stream):
    """A stream [(x, y), ...] with x as integers (x * SCALE rounded), for a scenario's file."""
    return [([round(v * SCALE) for v in x], y) for x, y in stream]


def floats(stream):
    """The values a scenario reads from ``ints(stream)``, as [(x, y), ...]."""
    return [([v / SCALE for v in x], y) for x, y in ints(stream)]


def _as_bytes(data):
    # bytes as they are, str as UTF-8, anything else as JSON
    if isinstance(data, bytes):
        return data
    return (data if isinstance(data, str) else json.dumps(data)).encode()


def _files(files):
    return {name: _as_bytes(data) for name, data in (files or {}).items()}


def put_files(interp, files):
    """Write {file name: bytes, str, or a value as JSON} into the interpreter's root."""
    for name, data in _files(files).items():
        interp.write_file("/" + name, data)


def run_scenario(name, where, files=None):
    """Run tests/scenarios/<name>.py and return the values it printed, one per line.

    Parameters
    ----------
    name : str
        The scenario's file name without ``.py``.
    where : Interpreter or str
        A running interpreter (the device package installed), or a backend
        of devicepkg (``"ulab"``, ``"numpy"``, ``"python"``) to run it on CPython.
    files : dict, optional
        {file name: bytes, str, or a value written as JSON} put beside the
        scenario first (the interpreter's root; CPython's working folder).

    Raises
    ------
    tools.mpreal.MicroPythonError
        The scenario raised in the interpreter (on CPython the exception propagates).
    """
    source = (SCENARIOS / (name + ".py")).read_text()
    if isinstance(where, str):
        return _on_cpython(name, source, where, _files(files))
    put_files(where, files)
    where.write_file("/%s.py" % name, source)
    out = where.exec("exec(compile(open(%r).read(), %r, 'exec'), {'__name__': '__main__'})"
                     % ((name + ".py",) * 2))
    return [json.loads(line) for line in out.splitlines()]


def _on_cpython(name, source, backend, files):
    out = io.StringIO()
    with devicepkg.using(backend), tempfile.TemporaryDirectory() as tmp:
        for fname, data in files.items():
            Path(tmp, fname).write_bytes(data)
        with contextlib.chdir(tmp), contextlib.redirect_stdout(out):
            exec(compile(source, str(SCENARIOS / (name + ".py")), "exec"), {"__name__": "__main__"})
    return [json.loads(line) for line in out.getvalue().splitlines()]


def agree(got, want, tol=F32, where="out"):
    """Assert two decoded outputs are equal, numbers within ``tol * (1 + |want|)``."""
    if isinstance(want, float) or isinstance(got, float):
        assert isinstance(got, (int, float)) and not isinstance(got, bool), (where, got, want)
        assert abs(got - want) <= tol * (1 + abs(want)), (where, got, want)
    elif isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), (where, got, want)
        for i, (g, w) in enumerate(zip(got, want)):
            agree(g, w, tol, "%s[%d]" % (where, i))
    elif isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), (where, got, want)
        for k in want:
            agree(got[k], want[k], tol, "%s[%r]" % (where, k))
    else:
        assert got == want, (where, got, want)


def check_scenario(name, interp, files=None, tol=F32):
    """Run a scenario in ``interp`` and on CPython's matching backend; assert they agree.

    Returns the interpreter's output (a list of decoded lines).
    """
    got = run_scenario(name, interp, files)
    want = run_scenario(name, backend_of(interp), files)
    agree(got, want, tol)
    return got


_LONG_RUN = """\
import gc
_heap = [0] * %d
def _run():
    for k in range(len(_heap)):
        for _ in range(%d):
            %s
        gc.collect()
        _heap[k] = gc.mem_alloc()
_run()
"""


def heap_readings(interp, call, steps=10000, every=500):
    """Run the statement ``call`` ``steps`` times in one request; return the live
    heap (bytes, after a collection) read every ``every`` steps, in a list made beforehand."""
    interp.exec(_LONG_RUN % (steps // every, every, call))
    return interp.eval_json("_heap")
