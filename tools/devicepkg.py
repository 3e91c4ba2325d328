"""Import the device package on a chosen backend, on CPython.

Tiers 1 and 2 of the test plan: ``"ulab"`` runs it on the strict ulab
emulation in ``stubs/``, ``"python"`` hides ulab and numpy so the pure-Python
kernels run, and ``"numpy"`` is CPython on a Linux board. Each backend's modules
are imported once and swapped into ``sys.modules`` on use, so the package's
lazy imports resolve to the backend in use.
"""
import contextlib
import importlib
import importlib.util
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository
DEVICE = ROOT / "device"
STUBS = ROOT / "stubs"
BACKENDS = ("ulab", "numpy", "python")
_HIDDEN = {"ulab": (), "numpy": ("ulab",), "python": ("ulab", "numpy")}
_cache = {}


def _ours(name):
    return name == "ulearn" or name.startswith("ulearn.")


def use(backend):
    """Return the ``ulearn`` package running on ``backend``, installed in sys.modules."""
    for name in [n for n in sys.modules if _ours(n)]:
        del sys.modules[name]
    if backend not in _cache:
        _cache[backend] = _import(backend)
    sys.modules.update(_cache[backend])
    return sys.modules["ulearn"]


@contextlib.contextmanager
def using(backend):
    """``use(backend)`` for a block; the package in use before is back after it."""
    saved = {n: m for n, m in sys.modules.items() if _ours(n)}
    try:
        yield use(backend)
    finally:
        for name in [n for n in sys.modules if _ours(n)]:
            del sys.modules[name]
        sys.modules.update(saved)


def stub(name):
    """The CPython stand-in ``stubs/<name>`` (``ulab`` or ``micropython``), loaded once
    into ``sys.modules[name]`` from its file: nothing goes on ``sys.path``, so CPython
    code outside the tests never sees it."""
    if sys.modules.get(name) is None:
        pkg = STUBS / name / "__init__.py"
        if pkg.exists():
            spec = importlib.util.spec_from_file_location(
                name, pkg, submodule_search_locations=[str(pkg.parent)])
        else:
            spec = importlib.util.spec_from_file_location(name, STUBS / (name + ".py"))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        try:
            spec.loader.exec_module(mod)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]


def _import(backend):
    stub("micropython")
    stub("ulab")
    saved = {n: sys.modules.get(n) for n in _HIDDEN[backend]}
    for n in saved:
        sys.modules[n] = None  # makes `import n` raise ImportError
    try:
        pkg = importlib.import_module("ulearn")
        for info in pkgutil.iter_modules(pkg.__path__):
            if not (backend == "python" and info.name == "kern_np"):
                importlib.import_module("ulearn." + info.name)
    finally:
        for n, m in saved.items():
            if m is None:
                del sys.modules[n]
            else:
                sys.modules[n] = m
    assert pkg.backend.NAME == backend, (pkg.backend.NAME, backend)
    return {n: m for n, m in sys.modules.items() if _ours(n)}
