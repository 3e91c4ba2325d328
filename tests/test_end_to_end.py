"""Tier 4: host and board end to end, through the real mpremote and the `ulearn` command.

train -> export -> budget -> deploy to a virtual board (MicroPython with ulab on an
emulated Cortex-M3 under QEMU: 192 KB heap, littlefs on an image file) -> the board
learns a new class online from a stream and checkpoints -> pull -> the host loads the
pulled checkpoint and measures, on the new class, what the board reported; a power cut
on the way. Then real faults: a link cut mid-deploy, a full littlefs, a newer bundle
format, and `mpremote mip install` from the repository's package.json.
"""
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ulearn_dev import devicepkg
from ulearn_dev import vboards
from test_datasets import load
from ulearn_dev.vboards import listdir, mpremote, ok, sha256

NEW = "ROW"


@pytest.fixture(autouse=True)
def on_numpy():
    devicepkg.use("numpy")


def ulearn_cmd(*argv, check=True):
    # the installed command, as a user runs it (a fresh process each time)
    r = subprocess.run([sys.executable, "-m", "ulearn_host.cli", *argv], capture_output=True,
                       text=True, timeout=300)
    if check and r.returncode:
        raise AssertionError("ulearn %s failed:\n%s%s" % (" ".join(argv), r.stdout, r.stderr))
    return r


def as_json(r):
    return json.loads(r.stdout)


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A bundle trained without NEW, plus a learning stream and a test stream."""
    from ulearn_host import tasks
    load(tasks.load_task, "watch")  # skip off CI when the data is missing
    d = tmp_path_factory.mktemp("e2e")
    f = {k: str(d / (k + ".npz")) for k in ("model", "bundle", "learn", "test")}
    r = as_json(ulearn_cmd("train", "--data", "watch", "--exclude", NEW, "--epochs", "25",
                           "-o", f["model"], "--json"))
    assert NEW not in r["classes"] and r["test_accuracy"] > 0.7
    as_json(ulearn_cmd("export", f["model"], "--int8", "--capacity", "8", "-o", f["bundle"],
                       "--json"))
    ulearn_cmd("stream", "--data", "watch", "--split", "train", "--shuffle", "--limit", "400",
               "-o", f["learn"])
    ulearn_cmd("stream", "--data", "watch", "--split", "test", "-o", f["test"])
    return f


def test_train_export_budget_deploy_learn_pull(made, vboard, tmp_path):
    import ulearn
    from ulearn_host import evaluate, tasks
    dev = vboard.device
    plan = as_json(ulearn_cmd("budget", made["bundle"], "--board", "rp2040", "--json"))[0]
    assert plan["fits"] is True

    r = as_json(ulearn_cmd("deploy", made["bundle"], "-d", dev, "--file", made["learn"],
                           "--file", made["test"], "--json"))
    assert "mpy v6" in r["package"] and {f["action"] for f in r["files"]} == {"written"}
    again = as_json(ulearn_cmd("deploy", made["bundle"], "-d", dev, "--file", made["learn"],
                               "--file", made["test"], "--json"))
    assert {f["action"] for f in again["files"]} == {"unchanged"}  # hashes match on the board

    before = as_json(ulearn_cmd("run", "-d", dev, "evaluate", "stream=/ulearn-data/test.npz",
                                "--json"))[-1]
    assert NEW not in before["per_class"] or before["per_class"][NEW][0] == 0  # cannot know it
    learned = as_json(ulearn_cmd("run", "-d", dev, "learn", "stream=/ulearn-data/learn.npz",
                                 "every=100", "--json"))[-1]
    assert learned["n"] == 400 and NEW in learned["classes"]
    dev = vboard.restart()  # a power cut: what it learned is in its checkpoint on flash
    after = as_json(ulearn_cmd("run", "-d", dev, "evaluate", "stream=/ulearn-data/test.npz",
                               "--json"))[-1]
    assert after["model"] == "/ulearn-data/state.npz"
    hits, n = after["per_class"][NEW]
    assert hits / n > 0.5  # the board learned the new exercise (new subjects, too)

    pulled = as_json(ulearn_cmd("pull", "-d", dev, "--dest", str(tmp_path), "--json"))
    assert [p["action"] for p in pulled[:2]] == ["pulled", "pulled"]
    log = (tmp_path / "log.txt").read_text()
    assert "learn: done, 400 samples" in log and "evaluate:" in log

    # the host loads the pulled checkpoint and measures what the board reported
    task = load(tasks.load_task, "watch")
    rows = tasks.select(task, "test")
    names = [task.names[v] for v in task.y[rows]]
    py = devicepkg.use("python")  # the board's own kernels: the same arithmetic
    state = py.load(str(tmp_path / "state.npz"))
    _, per = evaluate.holdout(state, task.X[rows].tolist(), names)
    assert per[NEW] == hits / n
    for label, (h, m) in after["per_class"].items():
        assert per[label] == h / m
    devicepkg.use("numpy")
    _, per32 = evaluate.holdout(ulearn.load(str(tmp_path / "state.npz")), task.X[rows], names)
    assert abs(per32[NEW] - hits / n) <= 2 / n  # float32 numpy: at most a borderline window


@pytest.fixture
def socket_board(tmp_path):
    """A board whose UART is a TCP socket, so that a relay can stand in the link."""
    board = vboards.start(tmp_path, serial="socket")
    yield board
    board.stop()


def test_dropped_connection_mid_deploy_then_a_rerun_completes(made, socket_board, tmp_path):
    link = vboards.DropLink(socket_board.device)
    try:
        link.drop_after(20000)  # inside the package upload
        r = ulearn_cmd("deploy", made["bundle"], "-d", link.device, check=False)
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert r.stderr.startswith("ulearn deploy: error: connection to %s" % link.device), r.stderr
        r = as_json(ulearn_cmd("deploy", made["bundle"], "-d", link.device, "--json"))
        assert "written" in {f["action"] for f in r["files"]}
        sent = link.sent
        again = as_json(ulearn_cmd("deploy", made["bundle"], "-d", link.device, "--json"))
        assert {f["action"] for f in again["files"]} == {"unchanged"}  # every file verified
        # deploying another bundle first sends what that deploy sent (the board hashes
        # the files it has), then the bundle: cut 2000 bytes into the bundle
        link.drop_after(link.sent - sent + 2000)
        other = str(tmp_path / "other.npz")
        ulearn_cmd("export", made["model"], "--capacity", "10", "-o", other)
        r = ulearn_cmd("deploy", other, "-d", link.device, check=False)
        assert r.returncode == 1 and "bundle.npz.tmp" in r.stderr, r.stderr
        assert r.stderr.rstrip().endswith("the previous bundle stays active"), r.stderr
        assert sha256(socket_board.device, "/ulearn-data/bundle.npz") == [digest(made["bundle"])]
    finally:
        link.close()


FILL = """import os
def free():
    s = os.statvfs('/')
    return s[0] * s[3]
f = open('/fill', 'wb')
while free() >= %d:
    f.write(bytearray(512))
f.close()
"""


def test_full_filesystem_keeps_the_previous_bundle(made, tmp_path, monkeypatch):
    from ulearn_host import deploy
    from ulearn_host.board import Board, BoardFull
    b = vboards.start(tmp_path, fs_size=256 * 1024)
    try:
        dev, active = b.device, "/ulearn-data/bundle.npz"
        ulearn_cmd("deploy", made["bundle"], "-d", dev)
        other = tmp_path / "other.npz"
        ulearn_cmd("export", made["model"], "--capacity", "10", "-o", str(other))
        ok(dev, "exec", FILL % (other.stat().st_size // 2))  # littlefs has less room than it
        # the host reads the board's free space and stops before writing
        r = ulearn_cmd("deploy", str(other), "-d", dev, check=False)
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert "full" in r.stderr and "previous bundle stays active" in r.stderr, r.stderr
        # without that check, littlefs itself raises ENOSPC in the middle of the write
        monkeypatch.setattr(deploy, "_room", lambda *a: None)
        with Board(dev) as board, pytest.raises(BoardFull) as e:
            deploy.deploy(board, str(other))
        monkeypatch.undo()
        assert "full while writing %s.tmp" % active in str(e.value)
        assert "previous bundle stays active" in str(e.value)
        assert sha256(dev, active) == [digest(made["bundle"])]
        assert listdir(dev, "/ulearn-data") == ["bundle.npz"]  # the partial copy is gone
        ok(dev, "rm", ":fill")
        ulearn_cmd("deploy", str(other), "-d", dev)
        assert sha256(dev, active) == [digest(other)]
    finally:
        b.stop()


def test_a_learner_too_big_for_the_heap_is_refused_before_copying(made, tmp_path):
    """A 48 KB board cannot hold the package and the learner: deploy says so with the
    figures and copies nothing; --force copies, and the board's own load of the bundle
    then fails with MemoryError, as planned."""
    b = vboards.start(tmp_path, heap=48 * 1024)
    try:
        dev = b.device
        r = ulearn_cmd("deploy", made["bundle"], "-d", dev, check=False)
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert "does not fit this board's RAM: it needs" in r.stderr, r.stderr
        assert "KB free; nothing was copied (--force copies anyway)" in r.stderr
        assert listdir(dev) == []
        r = ulearn_cmd("deploy", made["bundle"], "-d", dev, "--force", check=False)
        assert r.returncode == 1 and "MemoryError" in r.stderr, r.stderr
        assert "no bundle is active" in r.stderr and "lib" in listdir(dev)
    finally:
        b.stop()


def test_a_newer_bundle_format_is_refused(made, vboard, tmp_path, monkeypatch):
    import ulearn
    from ulearn_host import mpy
    dev = vboard.device
    newer = str(tmp_path / "newer.npz")
    newest = ulearn.checkpoint.VERSION
    monkeypatch.setattr(ulearn.checkpoint, "VERSION", newest + 1)
    ulearn.save(ulearn.Classifier(26, 8), newer)
    monkeypatch.undo()
    r = ulearn_cmd("deploy", newer, "-d", dev, check=False)
    assert r.returncode == 1
    both = "format version %d, this ulearn reads 1 to %d" % (newest + 1, newest)
    assert both in r.stderr, r.stderr
    assert listdir(dev) == []  # nothing reached the board
    # the board refuses it too, naming both versions
    sources = [mpy.PACKAGE / name for name in mpy.sources()]
    ok(dev, "mkdir", ":lib", "+", "mkdir", ":lib/ulearn", "+", "cp", *sources, ":lib/ulearn/",
       "+", "cp", newer, ":newer.npz")
    out = mpremote(dev, "exec", "import ulearn\nulearn.load('/newer.npz')")
    assert out.returncode != 0
    assert both in out.stdout + out.stderr


def test_board_errors_are_clear(vboard, tmp_path):
    dev = vboard.device
    script = tmp_path / "boom.py"
    script.write_text("print('started')\nraise ValueError('bad reading')\n")
    r = ulearn_cmd("run", "-d", dev, str(script), check=False)
    assert r.returncode == 1 and r.stdout == "started\n"
    assert r.stderr.startswith("ulearn run: error: the board raised:\nTraceback")
    assert "ValueError: bad reading" in r.stderr
    r = ulearn_cmd("run", "-d", dev, "learn", "stream=/x.npz", check=False)
    assert r.returncode == 1 and "stream=/x.npz: no such file on the board" in r.stderr
    ok(dev, "cp", script, ":/x.npz")
    r = ulearn_cmd("run", "-d", dev, "learn", "stream=/x.npz", check=False)
    assert r.returncode == 1 and "run `ulearn deploy` first" in r.stderr
    r = ulearn_cmd("pull", "-d", dev, "--dest", str(tmp_path), "--json", check=False)
    assert r.returncode == 1 and "(nothing pulled)" in r.stderr
    r = ulearn_cmd("pull", "-d", "socket://127.0.0.1:1", check=False)
    assert r.returncode == 1 and r.stderr.startswith("ulearn pull: error: cannot connect to socket://")


def test_mip_install_from_the_repository(vboard):
    root = devicepkg.ROOT
    r = subprocess.run([sys.executable, "-m", "mpremote", "connect", vboard.device, "mip",
                        "install", "package.json"], cwd=root, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    sources = sorted((root / "device" / "ulearn").glob("*.py"))
    assert sha256(vboard.device, *("/lib/ulearn/" + p.name for p in sources)) == [
        digest(p) for p in sources]
    out = ok(vboard.device, "exec", "import ulearn\nc = ulearn.Classifier(2, 2)\n"
             "c.learn_one([1, 0], 'a')\nprint(c.predict_one([1, 0]))")
    assert out.strip() == "a"


def test_demo_runs_the_whole_path_on_a_virtual_board():
    from ulearn_host import tasks
    load(tasks.load_task, "watch")  # skip off CI when the data is missing
    r = as_json(ulearn_cmd("demo", "--json"))
    assert r["board"].startswith("virtual board /dev/pts/") and "QEMU" in r["board"]
    assert r["board_new_class_before"] in (None, 0.0) and r["board_new_class_after"] > 0.5
    assert r["host_new_class_after"] == pytest.approx(r["board_new_class_after"], abs=0.02)
    assert np.isclose(r["board_accuracy_after"], r["host_accuracy_after"], atol=0.01)
    assert "/ulearn-data/state.npz" in r["pulled"]
