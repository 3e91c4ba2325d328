"""The device package compiled to .mpy for a board's bytecode, run in the real interpreter."""
import pytest

import devicepkg
from tools.mpvm import MicroPythonVM

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


def test_compiled_package_learns_like_the_sources():
    from ulearn_host import mpy
    code = ("from ulearn import Classifier, SGD\n"
            "clf = Classifier(3, 2, optimizer=SGD(0.1, momentum=0.5))\n"
            "for i in range(40):\n"
            "    clf.learn_one([i % 2, 1 - i % 2, 0.5], i % 2)\n"
            "print(clf.predict_proba_one([1, 0, 0.5]))\n")
    outs = []
    for mode in ("mpy", "py"):
        files, _ = mpy.package_files(BOARD_1_27, mode)
        with MicroPythonVM() as vm:
            vm.makedirs("/lib/ulearn")
            for name, data in files.items():
                vm.write_file("/lib/ulearn/" + name, data)
            outs.append(vm.exec(code + "import ulearn.classifier as m\nprint(m.__file__)\n"))
    assert outs[0].splitlines()[0] == outs[1].splitlines()[0]
    assert outs[0].splitlines()[1].endswith(".mpy") and outs[1].splitlines()[1].endswith(".py")
