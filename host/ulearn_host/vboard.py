"""Virtual boards: MicroPython firmware on an emulated board under QEMU.

``ulearn vboard start`` boots the QEMU firmware that ``ulearn firmware build``
makes (MicroPython with ulab, a fixed GC heap, and a littlefs or FAT
filesystem whose image is a host file) with its UART on a pseudo-terminal
(or a TCP socket), so the unmodified ``mpremote connect DEVICE ...`` works
on it as on a board on USB. QEMU counts instructions (``-icount``), so a
step costs the same virtual time on every run and machine. Killing QEMU is
a power cut: the image holds what the filesystem had written.

Each running board is recorded in the cache (``vboards/*.json``): one board
per image file, any number of boards at once.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from . import firmware
from .files import atomic, write_atomic
from .firmware.make import digest
from .firmware.targets import FS_TYPES, QEMU_BOARDS, QEMU_HEAP_MAX

DEFAULT_HEAP = 192 * 1024  # an RP2040's usable heap, about
DEFAULT_FS_SIZE = 1024 * 1024
MIN_FS_SIZE = 128 * 1024
_PTY = re.compile(r"char device redirected to (/dev/pts/\d+)")


class VBoardError(Exception):
    """A virtual board could not be started, found or stopped; one line for the user."""


def parse_size(text):
    """Bytes from ``"192K"``, ``"1M"`` or ``"196608"``."""
    m = re.fullmatch(r"\s*(\d+)\s*([kKmM]?)[bB]?\s*", str(text))
    if not m:
        raise ValueError("%r is not a size (e.g. 192K, 1M, 196608)" % (text,))
    return int(m.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[m.group(2).lower()]


def registry():
    """The folder recording running boards."""
    return firmware.cache_dir() / "vboards"


def default_fs(board="m3"):
    """The image used when ``--fs`` is not given."""
    return registry() / ("%s-flash.img" % board)


class VBoard:
    """One emulated board: QEMU running the firmware, its UART, its filesystem image.

    Parameters
    ----------
    board : {"m3", "m7", "rv32"}
        Cortex-M3 (MPS2-AN385, soft float), Cortex-M7 (MPS2-AN500, FPU) or
        RISC-V 32 (QEMU virt).
    heap : int
        GC heap in bytes, fixed at boot (at most the firmware's 1 MiB).
    fs : str or Path or None
        Host file that is the board's flash (created, blank, if missing: the
        board formats a blank image at boot). Default: one per board type in
        the cache.
    fs_type : {"lfs2", "fat"}
        Filesystem of the image (littlefs as on rp2/esp32, FAT as on
        CircuitPython boards).
    fs_size : int or None
        Size of a new image (default 1 MiB).
    serial : {"pty", "socket"}
        UART on a pseudo-terminal (device ``/dev/pts/N``) or on TCP
        (``socket://127.0.0.1:PORT``).
    icount : int or None
        QEMU's ``-icount shift``: one instruction is 2**shift ns of virtual
        time (default 3). None runs as fast as the host can.

    Raises
    ------
    ValueError
        Bad board, heap, filesystem type or size.
    """

    def __init__(self, board="m3", heap=DEFAULT_HEAP, fs=None, fs_type="lfs2", fs_size=None,
                 serial="pty", icount=3):
        if board not in QEMU_BOARDS:
            raise ValueError("unknown board %r (known: %s)" % (board, ", ".join(QEMU_BOARDS)))
        if not 16 * 1024 <= int(heap) <= QEMU_HEAP_MAX:
            raise ValueError("heap %d is outside 16K..%dK" % (heap, QEMU_HEAP_MAX // 1024))
        if fs_type not in FS_TYPES:
            raise ValueError("unknown filesystem %r (known: %s)" % (fs_type, ", ".join(FS_TYPES)))
        if serial not in ("pty", "socket"):
            raise ValueError("serial must be pty or socket, not %r" % (serial,))
        self.board, self.heap, self.fs_type, self.serial = board, int(heap), fs_type, serial
        self.fs = Path(fs or default_fs(board)).resolve()
        if re.search(r"\s", str(self.fs)):
            raise ValueError("the image path %s contains white space, which the board's "
                             "boot line cannot carry" % self.fs)
        if fs_size is not None and (fs_size < MIN_FS_SIZE or fs_size % 4096):
            raise ValueError("filesystem size must be a multiple of 4K and at least %dK"
                             % (MIN_FS_SIZE // 1024))
        self.fs_size, self.icount = fs_size, icount
        self.proc = self.pid = self.device = None
        self.warning = None  #: a line about the boot (filesystem, no prompt), if any
        self.log = _record_file(self.fs).with_suffix(".log")

    # -- life cycle

    def start(self, timeout=30.0):
        """Boot QEMU and return once the board's UART is ready; returns the device name.

        Raises
        ------
        VBoardError
            Firmware not built, QEMU missing, image in use by another board,
            or QEMU failed to start (its last output quoted).
        """
        target, program, package, machine = QEMU_BOARDS[self.board]
        try:
            elf = firmware.require(target)
        except firmware.FirmwareError as e:
            raise VBoardError(str(e))
        if shutil.which(program) is None:
            raise VBoardError("%s is not installed: apt-get install %s" % (program, package))
        other = find(self.fs)
        if other:
            raise VBoardError("a board already runs on %s: %s (pid %d); stop it first: "
                              "ulearn vboard stop --fs %s" % (self.fs, other["device"],
                                                              other["pid"], self.fs))
        self._prepare_image()
        self.warning = None
        cmd = [program] + machine + ["-nographic", "-monitor", "null", "-kernel", str(elf)]
        boot = ["fs=%s" % self.fs, "fstype=%s" % self.fs_type, "heap=%d" % self.heap]
        cmd += ["-semihosting-config", "enable=on,target=native," +
                ",".join("arg=" + a.replace(",", ",,") for a in boot)]  # QEMU: ",," is a comma
        if self.icount is not None:
            cmd += ["-icount", "shift=%d" % self.icount]
        if self.serial == "socket":
            port = _free_port()
            cmd += ["-serial", "tcp:127.0.0.1:%d,server=on,wait=off,nodelay=on" % port]
            self.device = "socket://127.0.0.1:%d" % port
        else:
            cmd += ["-serial", "pty"]
        registry().mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as log:
            # its own session: the board outlives the command that started it, and a
            # Ctrl-C meant for that command does not reach it
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.kill()
            raise
        _write_json(_record_file(self.fs), self.record(cmd))
        return self.device

    def _prepare_image(self):
        if self.fs.exists():
            size = self.fs.stat().st_size
            if self.fs_size is not None and size != self.fs_size:
                raise VBoardError("%s exists with %d bytes; a size applies only to a new image"
                                  % (self.fs, size))
            if size < MIN_FS_SIZE or size % 512:
                raise VBoardError("%s is not a board image (%d bytes)" % (self.fs, size))
            return
        with atomic(self.fs) as tmp:
            with open(tmp, "wb") as f:
                f.truncate(self.fs_size or DEFAULT_FS_SIZE)  # blank: formatted at first boot

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while self.serial == "pty" and self.device is None:
            m = _PTY.search(self._log_text())
            if m:
                self.device = m.group(1)
            else:
                self._check_alive(deadline)
                time.sleep(0.05)
        # booted once it prompts on its UART; a main.py that loops may never prompt
        prompt_by = min(deadline, time.monotonic() + 10)
        while not _answers(self.device):
            self._check_alive(deadline)
            if time.monotonic() > prompt_by:
                self.warning = "no prompt in 10 s (a main.py may be running)"
                break
        problem = re.search(r"ulearn-board: cannot mount[^\n]*", self._log_text())
        if problem:
            self.warning = problem.group(0)

    def _check_alive(self, deadline):
        if self.proc.poll() is not None:
            raise VBoardError("QEMU exited with status %d: %s"
                              % (self.proc.returncode, self._log_text()[-400:].strip()))
        if time.monotonic() > deadline:
            raise VBoardError("the board did not answer on its UART in time (log: %s)" % self.log)

    def _log_text(self):
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def kill(self):
        """Cut the power: SIGKILL QEMU at once (the image keeps what was written)."""
        _signal(self.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()
        _forget(_record_file(self.fs), self.pid)

    def stop(self):
        """Stop QEMU (SIGTERM, then SIGKILL after 5 s)."""
        stop_pid(self.pid, self.proc)
        _forget(_record_file(self.fs), self.pid)

    def restart(self, timeout=30.0):
        """Power cycle: kill, then boot again on the same image; returns the (new) device."""
        self.kill()
        self.device = None
        return self.start(timeout)

    def __enter__(self):
        if self.pid is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- records

    def record(self, cmd=None):
        """What ``ulearn vboard status`` shows of this board."""
        r = {"board": self.board, "device": self.device, "pid": self.pid, "fs": str(self.fs),
             "fs_type": self.fs_type, "heap": self.heap, "icount": self.icount,
             "log": str(self.log), "started": time.time()}
        if cmd:
            r["qemu"] = cmd
        return r


def boards():
    """Records of the boards running now (records of dead ones are removed)."""
    out = []
    for p in sorted(registry().glob("*.json")) if registry().is_dir() else []:
        try:
            r = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
        if _alive(r.get("pid")):
            out.append(r)
        else:
            p.unlink(missing_ok=True)
    return out


def find(fs):
    """The record of the board running on image ``fs``, or None."""
    fs = str(Path(fs).resolve())
    return next((r for r in boards() if r["fs"] == fs), None)


def stop(fs=None, device=None, everything=False):
    """Stop the board on image ``fs``, or the one at ``device``, or all; returns their records.

    Raises
    ------
    VBoardError
        No running board matches.
    """
    found = [r for r in boards() if everything or (fs and r["fs"] == str(Path(fs).resolve()))
             or (device and r["device"] == device)]
    if not found and not everything:
        raise VBoardError("no virtual board runs on %s" % (device or Path(fs).resolve()))
    for r in found:
        stop_pid(r["pid"])
        _forget(_record_file(r["fs"]), r["pid"])
    return found


def stop_pid(pid, proc=None):
    """SIGTERM ``pid``, SIGKILL after 5 s; reaps ``proc`` when it is our child."""
    if not _alive(pid):
        if proc is not None:
            proc.wait()
        return
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return
        if proc is None and not _alive(pid):
            return
        time.sleep(0.05)
    _signal(pid, signal.SIGKILL)
    if proc is not None:
        proc.wait()


def _answers(device, wait=1.0):
    """Whether the board at ``device`` prints a prompt when sent a line ending."""
    import serial
    try:
        port = serial.serial_for_url(device, baudrate=115200, timeout=0.1)
    except (OSError, serial.SerialException):
        time.sleep(0.1)
        return False
    with port:
        port.write(b"\r")
        seen, end = b"", time.monotonic() + wait
        while time.monotonic() < end:
            seen += port.read(256)
            if b">>> " in seen or b">" in seen[-4:]:
                return True
    return False


def _record_file(fs):
    # where the board on image `fs` is recorded (its QEMU log beside it, .log)
    return registry() / (digest(Path(fs).resolve()) + ".json")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid):
    if not pid:
        return False
    try:
        cmdline = Path("/proc/%d/cmdline" % pid).read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    if b"qemu-system" not in cmdline:
        return False  # the pid was reused by something else
    status = Path("/proc/%d/stat" % pid).read_text().split()
    return status[2] != "Z"  # a zombie is dead


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except (OSError, TypeError):
        pass


def _write_json(path, data):
    write_atomic(path, json.dumps(data, indent=2) + "\n")


def _forget(path, pid):
    try:
        if json.loads(path.read_text()).get("pid") == pid:
            path.unlink()
    except (OSError, ValueError):
        pass
