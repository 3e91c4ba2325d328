"""Tier 3 runner: code executed inside MicroPython's own WebAssembly port.

These tests fail (never skip) when Node.js or the npm package is missing; the
failure message gives the install command (``npm ci --prefix tools/mpvm``).
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.mpvm import INSTALL_COMMAND, MicroPythonError, MicroPythonVM  # noqa: E402


@pytest.fixture(scope="module")
def vm():
    with MicroPythonVM() as machine:
        yield machine


def test_is_micropython(vm):
    assert vm.eval_json("__import__('sys').implementation.name") == "micropython"
    assert vm.eval_json("__import__('sys').implementation.version[:2]") == [1, 27]


def test_exec_returns_stdout(vm):
    assert vm.exec("print('hello')\nprint(1 + 2, end='')") == "hello\n3"
    assert vm.exec("x = 41") == ""
    assert vm.eval_json("x + 1") == 42  # globals persist across calls
    assert vm.eval_json("{'a': [1, 2.5, None]}") == {"a": [1, 2.5, None]}


def test_exception_carries_traceback_and_vm_survives(vm):
    with pytest.raises(MicroPythonError) as info:
        vm.exec("print('before')\ndef f():\n    raise ValueError('boom')\nf()")
    err = info.value
    assert "Traceback" in str(err) and "ValueError: boom" in str(err)
    assert err.type == "ValueError"
    assert err.output == "before\n"
    with pytest.raises(MicroPythonError, match="SyntaxError"):
        vm.exec("def (")
    assert vm.exec("print('alive')") == "alive\n"


def test_stderr_does_not_leak_into_stdout(vm):
    assert vm.exec("import sys\nsys.stderr.write('warn\\n')\nprint('out')") == "out\n"
    assert vm.last_stderr == "warn\n"


def test_host_written_module_is_importable(vm):
    vm.makedirs("/lib")
    vm.write_file("/lib/mpvm_foo.py", "def twice(v):\n    return 2 * v\n")
    assert vm.exists("/lib/mpvm_foo.py")
    assert "mpvm_foo.py" in vm.listdir("/lib")
    assert vm.exec("import mpvm_foo\nprint(mpvm_foo.twice(21))") == "42\n"


def test_put_tree_copies_a_package(vm, tmp_path):
    pkg = tmp_path / "mpvm_pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .sub.leaf import VALUE\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "leaf.py").write_text("VALUE = 'leaf'\n")
    (pkg / "notes.txt").write_text("not copied")
    written = vm.put_tree(pkg, "/lib/mpvm_pkg")
    assert sorted(written) == ["/lib/mpvm_pkg/__init__.py", "/lib/mpvm_pkg/sub/__init__.py",
                               "/lib/mpvm_pkg/sub/leaf.py"]
    assert not vm.exists("/lib/mpvm_pkg/notes.txt")
    assert vm.eval_json("__import__('mpvm_pkg').VALUE") == "leaf"


def test_binary_file_written_by_micropython_reads_back_exactly(vm):
    vm.exec("with open('/bin.dat', 'wb') as f:\n    f.write(bytes(range(256)) * 3 + b'\\r\\n\\x00')")
    assert vm.read_file("/bin.dat") == bytes(range(256)) * 3 + b"\r\n\x00"
    payload = bytes(range(255, -1, -1))
    vm.write_file("/bin2.dat", payload)
    assert vm.eval_json("list(open('/bin2.dat', 'rb').read())") == list(payload)


def test_rename_over_existing_file(vm):
    vm.write_file("/old.txt", b"new contents")
    vm.write_file("/target.txt", b"stale")
    vm.exec("import os\nos.rename('/old.txt', '/target.txt')")
    assert vm.read_file("/target.txt") == b"new contents"
    assert not vm.exists("/old.txt")


def test_filesystem_errors_are_oserrors(vm):
    with pytest.raises(FileNotFoundError):
        vm.read_file("/no/such/file")
    vm.write_file("/gone.txt", b"x")
    vm.remove("/gone.txt")
    assert not vm.exists("/gone.txt")


def test_heap_measurement_and_reclaim_between_calls(vm):
    base = vm.mem_alloc()
    assert isinstance(base, int) and base > 0
    assert isinstance(vm.eval_json("__import__('gc').mem_alloc()"), int)
    # Garbage made in one call (nothing survives it) ...
    vm.exec("junk = [bytearray(1000) for _ in range(2000)]\njunk = None")
    # ... is gone once the next call's gc.collect() has run.
    assert vm.mem_alloc() < base + 100_000


def test_float_is_double_precision(vm):
    assert vm.eval_json("1e-45 * 1e-10 != 0") is True
    assert vm.eval_json("0.1 + 0.2") == 0.1 + 0.2


def test_missing_node_gives_install_message():
    from tools.mpvm import MicroPythonUnavailable

    with pytest.raises(MicroPythonUnavailable, match="npm ci --prefix tools/mpvm"):
        MicroPythonVM(node="ulearn-no-such-node-binary")
    assert INSTALL_COMMAND == "npm ci --prefix tools/mpvm"


def test_runaway_code_times_out_and_kills_the_vm():
    from tools.mpvm import MicroPythonTimeout

    with MicroPythonVM(timeout=1.0) as machine:
        with pytest.raises(MicroPythonTimeout):
            machine.exec("while True:\n    pass")
        with pytest.raises(MicroPythonError, match="closed"):
            machine.exec("print(1)")
