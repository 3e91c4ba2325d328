"""The static check of device/ against the published board stubs (tools/static_check.py).

The device package must pass it, and it must catch numpy-only and CPython-only
calls: each case copies the package to tmp_path, appends a few lines with one
mistake to one module, and expects the mistake reported with its file and line
and nothing else reported.
"""
import re
import shutil

import pytest

from ulearn_dev import static_check
from ulearn_dev.static_check import PACKAGE


def test_device_package_passes():
    ok, report = static_check.run(PACKAGE)
    assert ok, report
    assert "0 problem(s)" in report
    assert "mypy warnings" not in report, report


def _planted(tmp_path, module, lines):
    """Copy of the package with lines appended to module; (package dir, first new line)."""
    pkg = tmp_path / "ulearn"
    shutil.copytree(PACKAGE, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    f = pkg / module
    text = f.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    first = text.count("\n") + 1
    f.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")
    return pkg, first


# (id, module, appended lines, index of the bad line in them, expected message)
MISTAKES = [
    ("np.outer", "kern_np.py",
     ["def _planted(a, b):", "    return np.outer(a, b)"], 1, 'has no attribute "outer"'),
    ("np.matmul", "kern_np.py",
     ["def _planted(a, b):", "    return np.matmul(a, b)"], 1, 'has no attribute "matmul"'),
    ("np.float32", "kern_np.py", ["_PLANTED = np.float32"], 0, 'has no attribute "float32"'),
    ("np.abs", "kern_np.py",
     ["def _planted(a):", "    return np.abs(a)"], 1, 'has no attribute "abs"'),
    ("np.stack", "kern_np.py",
     ["def _planted(a, b):", "    return np.stack((a, b))"], 1, 'has no attribute "stack"'),
    ("ndarray.astype", "kern_np.py",
     ["def _planted(n):", "    a = np.zeros(n, dtype=F)", "    return a.astype(I8)"], 2,
     '"ndarray" has no attribute "astype"'),
    ("numpy keyword", "kern_np.py",
     ["def _planted(n):", "    return np.zeros(n, dtype=F, order='C')"], 1,
     'Unexpected keyword argument "order"'),
    ("math.fsum", "optim.py",
     ["def _planted(v):", "    return math.fsum(v)"], 1, 'has no attribute "fsum"'),
    ("gc.get_objects", "base.py",
     ["import gc", "def _planted():", "    return len(gc.get_objects())"], 2,
     'has no attribute "get_objects"'),
    ("kernel missing from kern_np", "layers.py",
     ["def _planted(a, b):", "    return K.outer(a, b)"], 1, 'has no attribute "outer"'),
    ("unguarded import numpy", "layers.py", ["import numpy"], 0, 'module named "numpy"'),
    ("module not on the board", "base.py", ["import threading"], 0, 'module named "threading"'),
]


@pytest.mark.parametrize("module,lines,bad,expected", [m[1:] for m in MISTAKES],
                         ids=[m[0] for m in MISTAKES])
def test_catches_planted_mistake(tmp_path, module, lines, bad, expected):
    pkg, first = _planted(tmp_path, module, lines)
    line = first + bad
    ok, report = static_check.run(pkg)
    assert not ok, report
    where = "ulearn/%s:%d: " % (module, line)
    hits = [r for r in report.splitlines() if r.startswith(where)]
    assert any(expected in r for r in hits), report
    # nothing but the planted line is reported
    found = re.findall(r"^(ulearn/\S+?:\d+): ", report, re.M)
    assert set(found) == {where[:-2]}, report


def test_board_code_is_not_flagged(tmp_path):
    # MicroPython modules resolve to the board stubs (gc.mem_free, time.ticks_ms,
    # micropython.const are not in CPython), and the ulab ndarray attributes the
    # manual documents are allowed even though the stubs' ndarray class is empty
    pkg, _ = _planted(tmp_path, "kern_np.py", [
        "import gc",
        "import time",
        "from micropython import const",
        "_PLANTED = const(4)",
        "def _planted(n):",
        "    gc.collect()",
        "    a = np.zeros((n, n), dtype=F)",
        "    b = a.reshape((1, n * n))",
        "    return b.shape, a.dtype, a.T, gc.mem_free(), time.ticks_ms()",
    ])
    ok, report = static_check.run(pkg)
    assert ok, report


def test_allowlist_is_not_stale():
    # an allowlisted ndarray attribute the published ulab stub now declares
    # must leave the allowlist
    assert static_check.stale_allowlist() == []


def test_rejects_a_directory_that_is_not_a_package(tmp_path):
    with pytest.raises(ValueError):
        static_check.run(tmp_path)
