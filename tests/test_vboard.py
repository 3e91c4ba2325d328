"""The virtual board: MicroPython firmware on an emulated Cortex-M3 under QEMU, a fixed
192 KB heap, littlefs or FAT on a host image file, driven by the real mpremote (its CLI
and its transport) over a pseudo-terminal, as a board on USB is.

Every mpremote call is a fresh process (~0.3 s of Python start-up), so commands are
chained with "+" where the test allows.
"""
import hashlib
import json
import random
import subprocess
import sys
import time

import pytest
from mpremote.transport_serial import SerialTransport

from ulearn_dev.vboards import mpremote, ok, start


def ulearn(*argv, check=True):
    r = subprocess.run([sys.executable, "-m", "ulearn_host.cli", *map(str, argv)],
                       capture_output=True, text=True, timeout=120)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_the_cli_starts_lists_and_stops_boards(tmp_path):
    img = tmp_path / "cli.img"
    dev = ulearn("vboard", "start", "--fs", img, "-q").stdout.strip()
    try:
        assert dev.startswith("/dev/pts/")
        assert ok(dev, "fs", "ls", ":").startswith("ls :")
        rows = json.loads(ulearn("vboard", "status", "--json").stdout)
        assert [r["device"] for r in rows if r["fs"] == str(img)] == [dev]
        again = ulearn("vboard", "start", "--fs", img, check=False)
        assert again.returncode == 1 and again.stderr.count("\n") == 1
        assert "already runs on" in again.stderr and dev in again.stderr
    finally:
        out = ulearn("vboard", "stop", "--fs", img).stdout
    assert "stopped " + dev in out
    assert str(img) not in ulearn("vboard", "status").stdout
    gone = ulearn("vboard", "stop", "--fs", img, check=False)
    assert gone.returncode == 1 and "no virtual board runs on" in gone.stderr


def test_bad_options_are_one_line(tmp_path):
    for args, said in ((["--heap", "12"], "outside"), (["--fs-size", "100K"], "multiple of 4K")):
        r = ulearn("vboard", "start", "--fs", tmp_path / "x.img", *args, check=False)
        assert r.returncode == 1 and said in r.stderr and r.stderr.count("\n") == 1, r.stderr
    r = ulearn("vboard", "start", "--fs", tmp_path / "x.img", "--heap", "lots", check=False)
    assert r.returncode == 2 and "argument --heap: 'lots' is not a size" in r.stderr, r.stderr
    assert not (tmp_path / "x.img").exists()


def test_it_is_micropython_on_a_cortex_m3_with_ulab_and_a_fixed_heap(vboard):
    out = ok(vboard.device, "exec", "import sys, gc, ulab\nfrom ulab import numpy as np\n"
             "gc.collect()\nprint(sys.implementation.name, sys.platform, ulab.__version__,"
             " np.array([1.0]).itemsize, gc.mem_free() + gc.mem_alloc())")
    name, platform, version, itemsize, heap = out.split()
    assert (name, platform, itemsize) == ("micropython", "qemu", "4")
    assert version.startswith("6.12")
    assert 190_000 < int(heap) <= 192 * 1024  # the heap fixed at boot, less GC bookkeeping


def test_a_memory_error_is_real(tmp_path):
    b = start(tmp_path, heap=64 * 1024)
    try:
        out = ok(b.device, "exec", "try:\n x = bytearray(80000)\nexcept MemoryError:\n"
                 " print('MemoryError')")
        assert out.strip() == "MemoryError"
    finally:
        b.stop()


def test_exec_prints_output_and_a_traceback_fails(vboard):
    assert ok(vboard.device, "exec", "print(6 * 7)") == "42\n"
    r = mpremote(vboard.device, "exec", "print('before')\ndef f():\n    1 / 0\nf()")
    assert r.returncode != 0 and r.stdout.startswith("before\n")
    assert ", in f" in r.stdout and "ZeroDivisionError" in r.stdout


def test_run_streams_output(vboard, tmp_path):
    script = tmp_path / "script.py"
    script.write_text("import time\nprint('start')\nt = time.ticks_ms()\n"
                      "while time.ticks_diff(time.ticks_ms(), t) < 2000:\n    pass\nprint('end')\n")
    proc = subprocess.Popen([sys.executable, "-m", "mpremote", "connect", vboard.device, "run",
                             str(script)], stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        t_first = time.monotonic()
        rest = proc.stdout.read()
        t_end = time.monotonic()
    finally:
        proc.wait(timeout=60)
    assert (first, rest, proc.returncode) == ("start\n", "end\n", 0)
    assert t_end - t_first > 0.05  # "start" arrived while the script still ran


def test_cp_both_ways_is_byte_exact(vboard, tmp_path):
    rng = random.Random(1)
    big, odd = rng.randbytes(40 * 1024), rng.randbytes(1000)
    (tmp_path / "big.bin").write_bytes(big)
    (tmp_path / "odd.bin").write_bytes(odd)
    ok(vboard.device, "cp", tmp_path / "big.bin", ":big.bin", "+", "cp", tmp_path / "odd.bin",
       ":odd.bin", "+", "cp", ":big.bin", tmp_path / "big.back", "+", "cp", ":odd.bin",
       tmp_path / "odd.back")
    assert (tmp_path / "big.back").read_bytes() == big
    assert (tmp_path / "odd.back").read_bytes() == odd


def test_filesystem_commands(vboard, tmp_path):
    data = b"hello board\n" * 30
    src = tmp_path / "notes.txt"
    src.write_bytes(data)
    out = ok(vboard.device, "mkdir", ":d", "+", "cp", src, ":d/notes.txt", "+", "ls", ":", "+",
             "ls", ":d", "+", "sha256sum", ":d/notes.txt", "+", "cat", ":d/notes.txt")
    assert " d/\n" in out and "%d notes.txt\n" % len(data) in out
    assert hashlib.sha256(data).hexdigest() in out and out.endswith(data.decode())
    assert "Up to date: d/notes.txt" in ok(vboard.device, "cp", src, ":d/notes.txt")
    ok(vboard.device, "rm", ":d/notes.txt", "+", "rmdir", ":d")
    r = mpremote(vboard.device, "ls", ":d")
    assert r.returncode != 0 and "No such file or directory" in r.stdout + r.stderr


def test_raw_paste_and_soft_reset(vboard):
    t = SerialTransport(vboard.device)
    try:
        t.enter_raw_repl()
        assert t.exec("x = " + repr("y" * 600) + "\nprint(len(x))") == b"600\r\n"
        assert t.use_raw_paste  # mpremote clears it when a board refuses raw-paste mode
    finally:
        t.close()
    ok(vboard.device, "exec", "v = 41")
    assert ok(vboard.device, "resume", "exec", "print(v + 1)") == "42\n"
    r = mpremote(vboard.device, "exec", "print(v)")  # a new connection soft-resets
    assert r.returncode != 0 and "NameError" in r.stdout


@pytest.mark.parametrize("fs_type", ["lfs2", "fat"])
def test_files_survive_a_power_cut(tmp_path, fs_type):
    b = start(tmp_path, fs_type=fs_type)
    try:
        ok(b.device, "exec", "import os\nos.mkdir('lib')\nf = open('lib/keep.py', 'w')\n"
           "f.write('KEPT = 7\\n')\nf.close()\nprint(os.statvfs('/')[0])")
        b.restart()  # SIGKILL QEMU, boot again on the same image
        assert ok(b.device, "exec", "import keep\nprint(keep.KEPT)") == "7\n"  # /lib on sys.path
    finally:
        b.stop()


def test_a_blank_image_is_formatted_a_damaged_one_is_not(tmp_path):
    img = tmp_path / "junk.img"
    junk = random.Random(3).randbytes(256 * 1024)
    img.write_bytes(junk)
    b = start(tmp_path, name="junk.img")
    try:
        assert b.warning and "cannot mount" in b.warning
        r = mpremote(b.device, "exec", "import os\nprint(os.listdir('/'))")
        assert r.returncode == 0  # the board runs, without a filesystem
    finally:
        b.stop()
    assert img.read_bytes() == junk  # never formatted over


def test_main_py_runs_at_boot_and_mpremote_interrupts_it(vboard, tmp_path):
    (tmp_path / "main.py").write_text("n = 0\nwhile True:\n    n += 1\n")
    ok(vboard.device, "cp", tmp_path / "main.py", ":main.py")
    vboard.restart()
    assert ok(vboard.device, "exec", "print('interrupted')") == "interrupted\n"
    ok(vboard.device, "rm", ":main.py")


def test_boot_py_runs_at_soft_reboot(vboard, tmp_path):
    (tmp_path / "boot.py").write_text("BOOTED = 'yes'\n")
    ok(vboard.device, "cp", tmp_path / "boot.py", ":boot.py")
    assert ok(vboard.device, "exec", "print(BOOTED)") == "yes\n"


def test_ctrl_c_interrupts_running_code(vboard):
    t = SerialTransport(vboard.device)
    try:
        t.enter_raw_repl()
        t.exec_raw_no_follow("i = 0\nwhile True:\n    i += 1\n")
        time.sleep(0.5)
        t.serial.write(b"\x03")
        out, err = t.follow(timeout=10)
        assert b"KeyboardInterrupt" in err
        assert t.eval("i > 0") is True  # interpreter alive, state kept
    finally:
        t.close()


def test_a_full_filesystem_fails_writes_with_enospc(tmp_path):
    b = start(tmp_path, name="small.img", fs_size=128 * 1024)
    try:
        (tmp_path / "big.bin").write_bytes(bytes(200 * 1024))
        r = mpremote(b.device, "cp", tmp_path / "big.bin", ":big.bin")
        assert r.returncode != 0 and "No space left on device" in r.stdout + r.stderr
        assert ok(b.device, "exec", "print('alive')") == "alive\n"
    finally:
        b.stop()


def test_time_is_deterministic(vboard, tmp_path):
    # QEMU counts instructions: the same work takes the same virtual time on every run
    # and under any host load. A reading moves by at most 2 us: each of its two ticks_us
    # is truncated to the microsecond, and the 1 kHz tick interrupt may land once more
    # or less in the span (its phase depends on when mpremote's bytes arrived)
    script = tmp_path / "work.py"
    script.write_text("import time\ndef f():\n    t = time.ticks_us()\n    s = 0\n"
                      "    for i in range(20000):\n        s += i\n"
                      "    return time.ticks_diff(time.ticks_us(), t)\nprint([f() for _ in range(4)])\n")
    runs = sum((json.loads(ok(vboard.device, "run", script)) for _ in range(3)), [])
    assert runs[0] > 10000 and max(runs) - min(runs) <= 2, runs


def test_two_boards_at_once(tmp_path):
    a = start(tmp_path, name="a.img")
    try:
        b = start(tmp_path, name="b.img")
        try:
            ok(a.device, "exec", "open('who', 'w').write('a')")
            ok(b.device, "exec", "open('who', 'w').write('b')")
            assert ok(a.device, "cat", ":who") == "a"
            assert ok(b.device, "cat", ":who") == "b"
        finally:
            b.stop()
    finally:
        a.stop()


def test_mip_install_of_the_repository_package(vboard):
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    out = ok(vboard.device, "mip", "install", root / "package.json", timeout=300)
    assert "Installing:" in out
    assert ok(vboard.device, "exec", "import ulearn\nprint(ulearn.Classifier)").startswith("<class")


def test_machine_reset_reboots_on_the_same_device(vboard):
    ok(vboard.device, "exec", "with open('boot.py', 'w') as f:\n f.write('COLD = 1\\n')")
    ok(vboard.device, "exec", "v = 1", "+", "reset")
    r = mpremote(vboard.device, "resume", "exec", "print(COLD)\nprint(v)")
    assert r.stdout.startswith("1") and "NameError" in r.stdout  # booted again, RAM cleared


@pytest.mark.parametrize("kind, mcu", [("m7", "Cortex-M7"), ("rv32", "rv32imac")])
def test_the_other_boards(tmp_path, kind, mcu):
    b = start(tmp_path, board=kind)
    try:
        out = ok(b.device, "exec", "import sys, ulab\nfrom ulab import numpy as np\n"
                 "with open('f.txt', 'w') as f:\n f.write('on flash')\n"
                 "print(sys.implementation._machine)\n"
                 "print(np.array([1.0]).itemsize, 1 / 3, open('f.txt').read())")
        machine, values = out.splitlines()
        assert mcu in machine
        assert values == "4 0.33333334 on flash"
    finally:
        b.stop()


def test_a_soft_reset_turns_the_collector_back_on(vboard):
    ok(vboard.device, "exec", "import gc\ngc.disable()")
    assert ok(vboard.device, "exec", "import gc\nprint(gc.isenabled())") == "True\n"
