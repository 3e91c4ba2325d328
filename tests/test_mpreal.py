"""The tier-3 harness (tools/mpreal.py) itself, on each real interpreter.

Most tests run once per target (no package: the harness does not depend on
it); those that need a special process (a tiny heap, a short timeout, the
package as .mpy) start their own on one target, saying why.
"""
import os

import pytest

from ulearn_dev import tier3
from ulearn_dev.mpreal import PACKAGE, Interpreter, MicroPythonError, MicroPythonTimeout
from ulearn_host import firmware

VERSIONS = {"micropython": [1, 29], "circuitpython": [10, 3]}


@pytest.fixture(scope="module", params=tier3.TARGETS)
def interp(request):
    with tier3.start(request.param, form=None) as it:
        yield it


def test_is_a_32_bit_float32_interpreter_of_the_target(interp):
    assert interp.eval_json("__import__('sys').implementation.name") == interp.impl
    assert interp.eval_json("list(__import__('sys').implementation.version[:2])") == \
        VERSIONS[interp.impl]
    assert interp.eval_json("__import__('sys').maxsize") == 2 ** 31 - 1
    assert interp.eval_json("16777217.0 == 16777216.0") is True  # 24-bit mantissa
    assert interp.has_ulab is (interp.target != "unix32")
    assert interp.eval_json("__import__('os').getcwd()") == "/"
    assert interp.eval_json("__import__('sys').path") == ["", "/lib"]


def test_exec_returns_stdout_and_globals_persist(interp):
    assert interp.exec("print('hello')\nprint(1 + 2, end='')") == "hello\n3"
    assert interp.exec("x = 41") == ""
    assert interp.eval_json("x + 1") == 42
    assert interp.eval_json("{'a': [1, 2.5, None]}") == {"a": [1, 2.5, None]}
    assert interp.exec("print('\u00e9\u20ac')") == "\u00e9\u20ac\n"


def test_printed_output_cannot_end_a_request(interp):
    # what a reply looks like, with guessed nonces, and without a final newline
    fake = "\0%s ok\n\0%s err ValueError\nboom\n\0%s end\n" % (("0" * 16,) * 3)
    out = interp.exec("import sys\nsys.stdout.write(%r)\nprint('\\0', end='')" % fake)
    assert out == fake + "\0"
    assert interp.exec("print('after')") == "after\n"


def test_exceptions_carry_type_traceback_and_output(interp):
    with pytest.raises(MicroPythonError) as info:
        interp.exec("print('before')\ndef f():\n    raise ValueError('boom')\nf()")
    err = info.value
    assert err.type == "ValueError" and err.output == "before\n"
    assert err.traceback.startswith("Traceback (most recent call last):")
    assert 'line 3, in f' in err.traceback and err.traceback.endswith("ValueError: boom\n")
    assert str(err) == err.traceback
    with pytest.raises(MicroPythonError) as info:
        interp.exec("def (")
    assert info.value.type == "SyntaxError"
    with pytest.raises(MicroPythonError) as info:
        interp.exec("raise SystemExit(3)")  # the server does not exit with it
    assert info.value.type == "SystemExit"
    assert interp.exec("print('alive')") == "alive\n"


def test_stderr_is_kept_apart(interp):
    assert interp.exec("import sys\nsys.stderr.write('warn\\n')\nprint('out')") == "out\n"
    assert interp.last_stderr == "warn\n"


def test_collection_works_inside_a_call(interp):
    base = interp.mem_alloc()
    live = interp.eval_json("[__import__('gc').collect(), __import__('gc').mem_alloc()][1]")
    assert abs(live - base) < 256
    # garbage made and collected within one request
    out = interp.exec("import gc\njunk = [bytearray(1000) for _ in range(100)]\njunk = None\n"
                      "gc.collect()\nprint(gc.mem_alloc())")
    assert int(out) < base + 4096  # of 100 KB made: this request's code is live
    assert 180 * 1024 < interp.mem_alloc() + interp.mem_free() <= 192 * 1024  # the fixed heap


def test_files_land_under_the_root(interp, tmp_path):
    interp.makedirs("/lib/pkg/sub")
    interp.write_file("/lib/pkg/__init__.py", "from .sub.leaf import VALUE\n")
    interp.write_file("/lib/pkg/sub/__init__.py", "")
    interp.write_file("/lib/pkg/sub/leaf.py", "VALUE = 'leaf'\n")
    assert (interp.root / "lib" / "pkg" / "sub" / "leaf.py").is_file()
    assert interp.eval_json("__import__('pkg').VALUE") == "leaf"
    interp.exec("with open('/made.bin', 'wb') as f:\n"
                "    f.write(bytes(range(256)) * 3 + b'\\r\\n\\x00')")
    assert (interp.root / "made.bin").read_bytes() == bytes(range(256)) * 3 + b"\r\n\x00"
    assert interp.read_file("/made.bin") == (interp.root / "made.bin").read_bytes()
    assert interp.eval_json("sorted(__import__('os').listdir('/'))") == interp.listdir("/")
    for bad in ("relative.txt", "/../outside.txt", "/lib/../../outside.txt"):
        with pytest.raises(ValueError, match="inside the interpreter's root"):
            interp.write_file(bad, b"x")
    with pytest.raises(FileNotFoundError):
        interp.read_file("/no/such/file")
    interp.remove("/made.bin")
    assert not interp.exists("/made.bin")
    # put_tree copies the suffixes asked for, and says what it wrote
    (tmp_path / "t" / "d").mkdir(parents=True)
    (tmp_path / "t" / "a.py").write_text("A = 1\n")
    (tmp_path / "t" / "d" / "b.py").write_text("B = 2\n")
    (tmp_path / "t" / "notes.txt").write_text("not copied")
    assert interp.put_tree(tmp_path / "t", "/lib/t") == ["/lib/t/a.py", "/lib/t/d/b.py"]
    assert not interp.exists("/lib/t/notes.txt")


def test_rename_over_a_file_with_absolute_paths(interp):
    """The checkpoint's swap (write PATH.tmp, rename over PATH), from / and from a subfolder."""
    interp.makedirs("/d")
    interp.write_file("/old.txt", b"new contents")
    interp.write_file("/target.txt", b"stale")
    interp.write_file("/d/a.tmp", b"in d")
    interp.exec("import os\nos.rename('/old.txt', '/target.txt')\nos.chdir('/d')\n"
                "os.rename('/d/a.tmp', '/d/a')\nos.chdir('/')")
    assert interp.read_file("/target.txt") == b"new contents" and not interp.exists("/old.txt")
    assert interp.read_file("/d/a") == b"in d" and not interp.exists("/d/a.tmp")


def test_memory_error_is_real_at_a_small_heap():
    """One interpreter: the heap is fixed the same way in every build."""
    with tier3.start("unix32", heap="32K", form=None) as small:
        with pytest.raises(MicroPythonError) as info:
            small.exec("b = bytearray(40 * 1024)")
        assert info.value.type == "MemoryError"
        with pytest.raises(MicroPythonError) as info:
            small.exec("def fill():\n    x = []\n    while True:\n"
                       "        x.append(bytearray(1000))\nfill()")
        assert info.value.type == "MemoryError"  # the heap does not grow
        assert small.exec("print(len(bytearray(20 * 1024)))") == "20480\n"


def test_a_runaway_request_is_killed():
    """One interpreter: the timeout is the harness's, not the build's."""
    with tier3.start("unix32", form=None, timeout=1.0) as it:
        proc = it._proc
        with pytest.raises(MicroPythonTimeout):
            it.exec("while True:\n    pass")
        assert proc.poll() is not None and not os.path.exists(it.root)
        with pytest.raises(MicroPythonError, match="closed"):
            it.exec("print(1)")


def test_a_dead_interpreter_is_reported():
    with tier3.start("unix32", form=None) as it:
        it._proc.kill()  # as a crash would
        with pytest.raises(MicroPythonError, match="unix32 exited"):
            it.exec("print(1)")
        assert it._proc is None


def test_mpy_package_names_its_source_files():
    """One interpreter: mpy-cross's -s option is the same for every MicroPython."""
    with tier3.start("unix32-ulab", form="mpy") as it:
        assert it.listdir("/lib/ulearn") == sorted(p.stem + ".mpy" for p in PACKAGE.glob("*.py"))
        with pytest.raises(MicroPythonError) as info:
            it.exec("import ulearn\nulearn.load('/missing.npz')")
        assert info.value.type == "OSError"
        assert 'File "ulearn/checkpoint.py"' in info.value.traceback


def test_close_is_idempotent_and_removes_the_folder():
    with tier3.start("unix32", form=None) as it:
        root = it.root
        assert root.is_dir()
    assert not root.exists()
    it.close()
    with pytest.raises(ValueError, match="target must be one of"):
        Interpreter("qemu-m3")


def test_a_missing_build_skips_or_fails_on_ci(monkeypatch):
    monkeypatch.setattr(firmware.make, "product", lambda target: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="ulearn firmware build --target unix32"):
        tier3.start("unix32")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="ulearn firmware build --target unix32"):
        tier3.start("unix32")
