"""Tier 4: host and board end to end, through the real mpremote and the `ulearn` command.

train -> export -> budget -> deploy to a virtual board (MicroPython's own
interpreter behind a socket) -> the board learns a new class online from a
stream and checkpoints -> pull -> the host loads the pulled checkpoint and
measures, on the new class, what the board reported. Then the faults: a
dropped connection mid-deploy, a full filesystem, a newer bundle format, and
`mpremote mip install` from the repository's package.json.
"""
import json
import subprocess
import sys

import numpy as np
import pytest

import devicepkg
from test_datasets import load

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
    from ulearn_host import tasks, train
    url = vboard.url
    plan = as_json(ulearn_cmd("budget", made["bundle"], "--board", "rp2040", "--json"))[0]
    assert plan["fits"] is True

    r = as_json(ulearn_cmd("deploy", made["bundle"], "-d", url, "--file", made["learn"],
                           "--file", made["test"], "--json"))
    assert "mpy v6" in r["package"] and {f["action"] for f in r["files"]} == {"written"}
    again = as_json(ulearn_cmd("deploy", made["bundle"], "-d", url, "--file", made["learn"],
                               "--file", made["test"], "--json"))
    assert {f["action"] for f in again["files"]} == {"unchanged"}  # hashes match on the board

    before = as_json(ulearn_cmd("run", "-d", url, "evaluate", "stream=/ulearn-data/test.npz",
                                "--json"))[-1]
    assert NEW not in before["per_class"] or before["per_class"][NEW][0] == 0  # cannot know it
    learned = as_json(ulearn_cmd("run", "-d", url, "learn", "stream=/ulearn-data/learn.npz",
                                 "every=100", "--json"))[-1]
    assert learned["n"] == 400 and NEW in learned["classes"]
    after = as_json(ulearn_cmd("run", "-d", url, "evaluate", "stream=/ulearn-data/test.npz",
                               "--json"))[-1]
    hits, n = after["per_class"][NEW]
    assert hits / n > 0.5  # the board learned the new exercise (new subjects, too)

    pulled = as_json(ulearn_cmd("pull", "-d", url, "--dest", str(tmp_path), "--json"))
    assert [p["action"] for p in pulled[:2]] == ["pulled", "pulled"]
    log = (tmp_path / "log.txt").read_text()
    assert "learn: done, 400 samples" in log and "evaluate:" in log

    # the host loads the pulled checkpoint and measures what the board reported
    task = load(tasks.load_task, "watch")
    rows = tasks.select(task, "test")
    names = [task.names[v] for v in task.y[rows]]
    py = devicepkg.use("python")  # the board's own kernels: the same arithmetic
    state = py.load(str(tmp_path / "state.npz"))
    _, per = train.accuracy(state, task.X[rows].tolist(), names)
    assert per[NEW] == hits / n
    for label, (h, m) in after["per_class"].items():
        assert per[label] == h / m
    devicepkg.use("numpy")
    _, per32 = train.accuracy(ulearn.load(str(tmp_path / "state.npz")), task.X[rows], names)
    assert abs(per32[NEW] - hits / n) <= 2 / n  # float32 numpy: at most a borderline window


def test_dropped_connection_mid_deploy_then_a_rerun_completes(made, vboard):
    vboard.drop_after(20000)  # inside the package upload
    r = ulearn_cmd("deploy", made["bundle"], "-d", vboard.url, check=False)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("ulearn: connection to %s" % vboard.url), r.stderr
    r = as_json(ulearn_cmd("deploy", made["bundle"], "-d", vboard.url, "--json"))
    assert "written" in {f["action"] for f in r["files"]}
    again = as_json(ulearn_cmd("deploy", made["bundle"], "-d", vboard.url, "--json"))
    assert {f["action"] for f in again["files"]} == {"unchanged"}  # every file verified


def test_full_filesystem_keeps_the_previous_bundle(made, vboard, tmp_path):
    import hashlib
    ulearn_cmd("deploy", made["bundle"], "-d", vboard.url)
    other = str(tmp_path / "other.npz")
    ulearn_cmd("export", made["model"], "--capacity", "10", "-o", other)
    vboard.flash_full(True)
    r = ulearn_cmd("deploy", other, "-d", vboard.url, check=False)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "full" in r.stderr and "previous bundle stays active" in r.stderr, r.stderr
    active = (vboard.flash / "ulearn-data" / "bundle.npz").read_bytes()
    assert hashlib.sha256(active).digest() == hashlib.sha256(
        open(made["bundle"], "rb").read()).digest()
    assert not (vboard.flash / "ulearn-data" / "bundle.npz.tmp").exists()
    vboard.flash_full(False)
    ulearn_cmd("deploy", other, "-d", vboard.url)
    assert (vboard.flash / "ulearn-data" / "bundle.npz").read_bytes() == open(other, "rb").read()


def test_a_newer_bundle_format_is_refused(made, vboard, tmp_path, monkeypatch):
    import ulearn
    newer = str(tmp_path / "newer.npz")
    newest = ulearn.checkpoint.VERSION
    monkeypatch.setattr(ulearn.checkpoint, "VERSION", newest + 1)
    ulearn.save(ulearn.Classifier(26, 8), newer)
    monkeypatch.undo()
    r = ulearn_cmd("deploy", newer, "-d", vboard.url, check=False)
    assert r.returncode == 1
    both = "format version %d, this ulearn reads 1 to %d" % (newest + 1, newest)
    assert both in r.stderr, r.stderr
    assert not (vboard.flash / "lib").exists()  # nothing reached the board
    # the board refuses it too, naming both versions
    (vboard.flash / "lib" / "ulearn").mkdir(parents=True)
    from ulearn_host import mpy
    for name, data in mpy.sources().items():
        (vboard.flash / "lib" / "ulearn" / name).write_bytes(data)
    (vboard.flash / "newer.npz").write_bytes(open(newer, "rb").read())
    vboard.reset()  # files put into the flash folder appear at the next boot
    out = subprocess.run([sys.executable, "-m", "mpremote", "connect", vboard.url, "exec",
                          "import ulearn\nulearn.load('/newer.npz')"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert both in out.stdout + out.stderr


def test_board_errors_are_clear(vboard, tmp_path):
    script = tmp_path / "boom.py"
    script.write_text("print('started')\nraise ValueError('bad reading')\n")
    r = ulearn_cmd("run", "-d", vboard.url, str(script), check=False)
    assert r.returncode == 1 and r.stdout == "started\n"
    assert r.stderr.startswith("ulearn: the board raised:\nTraceback")
    assert "ValueError: bad reading" in r.stderr
    r = ulearn_cmd("run", "-d", vboard.url, "learn", "stream=/x.npz", check=False)
    assert r.returncode == 1 and "run `ulearn deploy` first" in r.stderr
    r = ulearn_cmd("pull", "-d", vboard.url, "--dest", str(tmp_path), "--json")
    assert {p["action"] for p in as_json(r)} == {"missing"}
    r = ulearn_cmd("pull", "-d", "socket://127.0.0.1:1", check=False)
    assert r.returncode == 1 and r.stderr.startswith("ulearn: cannot connect to socket://")


def test_mip_install_from_the_repository(vboard):
    root = devicepkg.ROOT
    r = subprocess.run([sys.executable, "-m", "mpremote", "connect", vboard.url, "mip",
                        "install", "package.json"], cwd=root, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    for p in (root / "device" / "ulearn").glob("*.py"):
        assert (vboard.flash / "lib" / "ulearn" / p.name).read_bytes() == p.read_bytes()
    out = subprocess.run([sys.executable, "-m", "mpremote", "connect", vboard.url, "exec",
                          "import ulearn\nc = ulearn.Classifier(2, 2)\nc.learn_one([1, 0], 'a')"
                          "\nprint(c.predict_one([1, 0]))"],
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "a"


def test_demo_runs_the_whole_path_on_a_virtual_board():
    from ulearn_host import tasks
    load(tasks.load_task, "watch")  # skip off CI when the data is missing
    r = as_json(ulearn_cmd("demo", "--json"))
    assert r["board"].startswith("virtual board at socket://127.0.0.1:")
    assert r["board_new_class_before"] in (None, 0.0) and r["board_new_class_after"] > 0.5
    assert r["host_new_class_after"] == pytest.approx(r["board_new_class_after"], abs=0.02)
    assert np.isclose(r["board_accuracy_after"], r["host_accuracy_after"], atol=0.01)
    assert "/ulearn-data/state.npz" in r["pulled"]
