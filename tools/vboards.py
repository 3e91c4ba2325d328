"""Tier 4's board: MicroPython firmware under QEMU (ulearn_host.vboard), driven by real mpremote."""
import ast
import os
import socket
import subprocess
import sys
import threading

import pytest

from ulearn.contract import LIB
from ulearn_host import mpy
from ulearn_host.vboard import VBoard, VBoardError


def start(tmp_path, name="flash.img", **kw):
    """A started :class:`VBoard` whose image is ``tmp_path/name``.

    When the firmware or QEMU is missing: fails under CI (env CI set), skips elsewhere.
    """
    board = VBoard(fs=tmp_path / name, **kw)
    try:
        board.start()
    except VBoardError as e:
        if os.environ.get("CI") or "not built" not in str(e) and "not installed" not in str(e):
            pytest.fail(str(e))
        pytest.skip(str(e))
    return board


def put_package(board, mode="mpy"):
    """The device package in /lib/ulearn over an open ulearn_host.board.Board, as
    `ulearn deploy` makes it (.mpy compiled for the board's bytecode by default)."""
    board.makedirs(LIB)
    for name, data in mpy.package_files(board.info(), mode)[0].items():
        board.write(LIB + "/" + name, data)


def mpremote(device, *args, timeout=120, check=False):
    """Run the mpremote CLI against ``device``; returns the CompletedProcess (text)."""
    r = subprocess.run([sys.executable, "-m", "mpremote", "connect", device, *map(str, args)],
                       capture_output=True, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def ok(device, *args, **kw):
    """Run mpremote, assert success, return its stdout."""
    return mpremote(device, *args, check=True, **kw).stdout


def sha256(device, *paths):
    """Hex SHA-256 of each board file, computed on the board."""
    return ok(device, "sha256sum", *(":" + p for p in paths)).split()[2::3]  # "sha256sum :path hex"


def listdir(device, path="/"):
    """Names in a board folder."""
    return ast.literal_eval(ok(device, "exec", "import os\nprint(os.listdir(%r))" % path))


class DropLink:
    """A TCP relay in front of a board started with ``serial="socket"``: a real link
    (``device`` is its address for mpremote) that :meth:`drop_after` cuts mid-transfer.
    ``sent`` counts the bytes from the host; ``close()`` stops accepting."""

    def __init__(self, board_device):
        host, port = board_device[len("socket://"):].rsplit(":", 1)
        self.board, self.sent, self.cut = (host, int(port)), 0, None
        self.server = socket.create_server(("127.0.0.1", 0))
        self.device = "socket://127.0.0.1:%d" % self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def drop_after(self, n):
        """Cut the link (both sockets shut down) once ``n`` more bytes came from the host;
        later connections pass through."""
        self.cut = self.sent + n

    def close(self):
        self.server.close()

    def _serve(self):
        while True:  # one connection at a time, as on a serial port
            try:
                host, _ = self.server.accept()
            except OSError:
                return  # closed
            with host, socket.create_connection(self.board) as board:
                for s in (host, board):  # no Nagle delay on small writes, as on a wire
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                back = threading.Thread(target=self._pipe, args=(board, host, False))
                back.start()
                self._pipe(host, board, True)
                back.join()

    def _pipe(self, src, dst, from_host):
        # copy src -> dst until either side ends or the cut; then end both directions
        try:
            while True:
                data = src.recv(4096)
                # ACK at once: pyserial's socket keeps Nagle on, so each of its small
                # writes would otherwise wait for a delayed ACK (~40 ms)
                src.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                if not data:
                    break
                if from_host and self.cut is not None and self.sent + len(data) >= self.cut:
                    dst.sendall(data[:self.cut - self.sent])
                    self.sent, self.cut = self.cut, None
                    break
                if from_host:
                    self.sent += len(data)
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
