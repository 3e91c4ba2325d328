"""The virtual board (tools/vboard) driven by the real mpremote: CLI and transport.

Every mpremote call is a fresh process (~0.3 s of Python start-up), so
commands are chained with "+" where the test allows.
"""

import hashlib
import random
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from mpremote.transport_serial import SerialTransport

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.vboard import VirtualBoard  # noqa: E402


def mpremote(board, *args, timeout=60):
    """Run the mpremote CLI against ``board``; returns the CompletedProcess (text)."""
    return subprocess.run([sys.executable, "-m", "mpremote", "connect", board.url, *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def ok(board, *args):
    """Run mpremote, assert success, return its stdout."""
    res = mpremote(board, *args)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


@contextmanager
def transport(board, soft_reset=True):
    """mpremote's own Python transport, in the raw REPL."""
    t = SerialTransport(board.url)
    try:
        t.enter_raw_repl(soft_reset=soft_reset)
        yield t
    finally:
        t.close()


def test_exec_prints_output(vboard):
    assert ok(vboard, "exec", "import sys; print(sys.implementation.name, 6 * 7)") == "micropython 42\n"


def test_exception_returns_traceback_and_fails(vboard):
    res = mpremote(vboard, "exec", "print('before')\ndef f():\n    1 / 0\nf()")
    assert res.returncode != 0
    assert res.stdout.startswith("before\n")
    assert "Traceback" in res.stdout and ", in f" in res.stdout and "ZeroDivisionError" in res.stdout


def test_run_streams_output(vboard, tmp_path):
    script = tmp_path / "script.py"
    script.write_text("import time\nprint('start')\nt = time.ticks_ms()\n"
                      "while time.ticks_diff(time.ticks_ms(), t) < 600:\n    pass\nprint('end')\n")
    proc = subprocess.Popen([sys.executable, "-m", "mpremote", "connect", vboard.url, "run", str(script)],
                            stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        t_first = time.monotonic()
        rest = proc.stdout.read()
        t_end = time.monotonic()
    finally:
        proc.wait(timeout=30)
    assert (first, rest, proc.returncode) == ("start\n", "end\n", 0)
    assert t_end - t_first > 0.3  # "start" arrived while the script was still running


def test_cp_both_ways_is_byte_exact(vboard, tmp_path):
    rng = random.Random(1)
    big, odd = rng.randbytes(40 * 1024), rng.randbytes(1000)  # 1000: not a multiple of the 256-byte chunks
    (tmp_path / "big.bin").write_bytes(big)
    (tmp_path / "odd.bin").write_bytes(odd)
    ok(vboard, "cp", tmp_path / "big.bin", ":big.bin", "+", "cp", tmp_path / "odd.bin", ":odd.bin")
    assert (vboard.flash / "big.bin").read_bytes() == big
    assert (vboard.flash / "odd.bin").read_bytes() == odd
    ok(vboard, "cp", ":big.bin", tmp_path / "big.back", "+", "cp", ":odd.bin", tmp_path / "odd.back")
    assert (tmp_path / "big.back").read_bytes() == big
    assert (tmp_path / "odd.back").read_bytes() == odd


def test_filesystem_commands(vboard, tmp_path):
    data = b"hello board\n" * 30
    src = tmp_path / "notes.txt"
    src.write_bytes(data)
    out = ok(vboard, "mkdir", ":d", "+", "cp", src, ":d/notes.txt", "+", "ls", ":", "+", "ls", ":d",
             "+", "sha256sum", ":d/notes.txt")
    assert " d/\n" in out and " notes.txt\n" in out
    assert "dev/" not in out and "proc/" not in out  # the port's own directories are hidden
    assert hashlib.sha256(data).hexdigest() in out
    assert (vboard.flash / "d" / "notes.txt").read_bytes() == data
    assert "Up to date: d/notes.txt" in ok(vboard, "cp", src, ":d/notes.txt")  # hash compared on the board
    ok(vboard, "rm", ":d/notes.txt", "+", "rmdir", ":d")
    assert not (vboard.flash / "d").exists()
    res = mpremote(vboard, "ls", ":d")  # OSError numbers are MicroPython's, so mpremote understands them
    assert res.returncode != 0 and "No such file or directory" in res.stdout + res.stderr


def test_raw_paste_mode_is_used(vboard):
    with transport(vboard) as t:
        command = "x = " + repr("y" * 600) + "\nprint(len(x))"  # several flow-control windows
        assert t.exec(command) == b"600\n"
        assert t.exec("print('short')") == b"short\n"
        assert t.use_raw_paste  # mpremote clears it when the board refuses raw-paste mode


def test_plain_raw_repl_without_raw_paste(vboard):
    # the path where MicroPython's own raw-REPL code receives every byte
    with transport(vboard) as t:
        t.use_raw_paste = False  # mpremote's fallback: 256 bytes every 10 ms
        command = "x = " + repr("z" * 700) + "\nprint(len(x))"
        assert t.exec(command) == b"700\n"
        t.fs_writefile("plain.bin", bytes(range(256)) * 3)
        assert bytes(t.fs_readfile("plain.bin")) == bytes(range(256)) * 3


def test_soft_reset_clears_state_and_resume_keeps_it(vboard):
    ok(vboard, "exec", "v = 41")
    assert ok(vboard, "resume", "exec", "print(v + 1)") == "42\n"
    res = mpremote(vboard, "exec", "print(v)")
    assert res.returncode != 0 and "NameError" in res.stdout
    assert vboard.stats()["soft_resets"] == 2


def test_flash_persists_across_connections_and_restarts(vboard):
    ok(vboard, "exec", "open('keep.txt', 'w').write('kept')")  # never closed: written through anyway
    assert (vboard.flash / "keep.txt").read_text() == "kept"
    (vboard.flash / "host.txt").write_text("from host")  # appears at the next boot
    assert ok(vboard, "exec", "print(open('keep.txt').read(), open('host.txt').read())") == "kept from host\n"
    vboard.close()
    with VirtualBoard(vboard.flash) as again:
        assert ok(again, "exec", "print(open('keep.txt').read())") == "kept\n"


def test_boot_py_runs_at_soft_reboot(vboard):
    (vboard.flash / "boot.py").write_text("print('booting')\nBOOTED = True\n")
    with transport(vboard, soft_reset=False) as t:
        t.serial.write(b"\x04")  # Ctrl-D in the raw REPL: soft reset
        out = t.read_until(1, b"raw REPL; CTRL-B to exit\r\n")
        assert b"MPY: soft reboot\r\nbooting\n" in out
        assert t.eval("BOOTED") is True


def test_dropped_link_mid_copy_leaves_partial_file(vboard, tmp_path):
    data = random.Random(2).randbytes(20 * 1024)
    (tmp_path / "data.bin").write_bytes(data)
    vboard.drop_after(5000)
    assert mpremote(vboard, "cp", tmp_path / "data.bin", ":data.bin").returncode != 0
    partial = (vboard.flash / "data.bin").read_bytes()
    assert 0 < len(partial) < len(data) and data.startswith(partial)
    assert ok(vboard, "exec", "print('back')") == "back\n"
    ok(vboard, "cp", tmp_path / "data.bin", ":data.bin")
    assert (vboard.flash / "data.bin").read_bytes() == data


def test_full_flash_fails_writes_with_enospc(vboard, tmp_path):
    (tmp_path / "old.txt").write_text("old")
    (tmp_path / "new.bin").write_bytes(b"x" * 3000)
    ok(vboard, "cp", tmp_path / "old.txt", ":old.txt")
    vboard.flash_full(True)
    res = mpremote(vboard, "cp", tmp_path / "new.bin", ":new.bin")
    assert res.returncode != 0 and "No space left on device" in res.stdout + res.stderr
    res = mpremote(vboard, "exec", "open('old.txt', 'a').write('more')")
    assert res.returncode != 0 and "OSError: 28" in res.stdout
    assert (vboard.flash / "old.txt").read_text() == "old"
    vboard.flash_full(False)
    ok(vboard, "cp", tmp_path / "new.bin", ":new.bin")
    assert (vboard.flash / "new.bin").read_bytes() == b"x" * 3000


def test_flash_capacity(vboard, tmp_path):
    with VirtualBoard(tmp_path / "small", flash_bytes=4096) as board:
        res = mpremote(board, "exec", "f = open('a.bin', 'wb')\nf.write(bytes(3000))\nf.write(bytes(3000))")
        assert res.returncode != 0 and "OSError: 28" in res.stdout
        assert (board.flash / "a.bin").stat().st_size == 3000


def test_ctrl_c_interrupts_a_printing_loop(vboard):
    with transport(vboard) as t:
        t.exec_raw_no_follow("import time\ni = 0\nwhile True:\n    print(i)\n    i += 1\n    time.sleep_ms(2)")
        assert t.read_until(1, b"\n", timeout=5).endswith(b"\n")  # it runs
        t.serial.write(b"\x03")
        out, err = t.follow(timeout=5)
        assert b"KeyboardInterrupt" in err
        assert t.eval("i > 0") is True  # interpreter alive, state kept


def test_one_client_at_a_time_and_hard_reset(vboard):
    with transport(vboard) as t:
        t.exec("v = 1")
        with socket.create_connection(("127.0.0.1", vboard.port), timeout=5) as other:
            assert other.recv(1) == b""  # refused, like a serial port already open
        assert t.eval("v") == 1
    vboard.reset()
    res = mpremote(vboard, "resume", "exec", "print(v)")
    assert res.returncode != 0 and "NameError" in res.stdout
    stats = vboard.stats()
    assert (stats["refused"], stats["hard_resets"]) == (1, 1)
    assert stats["bytes_in"] > 0 and stats["bytes_out"] > 0
