"""The README's "Your own sensor, end to end", command by command, on the virtual board.

The commands are read from the README's code block and run as a user runs them, in a fresh
process each, in an empty folder ($D is the board): record three gestures from a sensor on the
board (examples/replay_sensor.py replaying real smartwatch recordings from the board's flash,
the stand-in for an MPU-6050), train on the recording, export, record a fourth gesture later,
deploy, let the board learn it while `ulearn monitor` watches, pull what it learned, evaluate
it on the host. Each `ulearn` command gets --json, so the test reads what it reported.
"""
import json
import shlex
import subprocess
import sys

import pytest

from helpers import watch_replay
from ulearn_dev import devicepkg, vboards

SECTION = "## Your own sensor, end to end"
OLD = ("PEN", "ABD", "FEL")
NEW = "ROW"


def readme_commands():
    """The shell lines of the section's code block, comments and continuations removed."""
    text = (devicepkg.ROOT / "README.md").read_text()
    block = text.split(SECTION, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].strip() for line in block.splitlines()
            if line.strip() and not line.startswith("#")]


@pytest.fixture
def board(tmp_path):
    # as the README starts it: QEMU's clock follows the host's (no -icount), so a 24 s
    # recording takes 24 s (counting instructions, the board's clock runs slower than the host's)
    b = vboards.start(tmp_path / "board", icount=None)
    yield b
    b.stop()


def test_the_readme_walkthrough_records_trains_deploys_learns_a_fourth_gesture(board, tmp_path):
    devicepkg.use("numpy")
    import ulearn
    work = tmp_path / "work"
    work.mkdir()
    for label in OLD + (NEW,):  # the files the README copies to the board
        (work / ("%s.csv" % label.lower())).write_text(watch_replay(label))
    (work / "examples").mkdir()
    (work / "examples" / "replay_sensor.py").write_text(
        (devicepkg.ROOT / "examples" / "replay_sensor.py").read_text())

    lines = readme_commands()
    assert lines[0] == "ulearn vboard start --icount -1" and lines[1] == "D=/dev/pts/N"
    out = {}
    for line in lines[2:]:
        argv = shlex.split(line.replace("$D", board.device))
        verb = argv[1]
        if argv[0] == "ulearn":
            argv = [sys.executable, "-m", "ulearn_host.cli", *argv[1:], "--json"]
        else:
            assert argv[0] == "mpremote"
            argv = [sys.executable, "-m", *argv]
        r = subprocess.run(argv, cwd=work, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, "%s failed:\n%s%s" % (line, r.stdout, r.stderr)
        if verb in ("record", "train", "monitor", "eval"):
            out.setdefault(verb, []).append(json.loads(r.stdout))

    recs = out["record"]
    assert [r["session"] for r in recs] == [1, 2, 3, 4]
    assert all(r["dropped"] == 0 and r["malformed"] == 0 for r in recs), recs
    assert all(r["kept"] >= 24 * 50 * 0.95 for r in recs), [r["kept"] for r in recs]
    (t,) = out["train"]
    assert sorted(t["classes"]) == sorted(OLD) and t["test_accuracy"] > 0.8, t
    meta = ulearn.checkpoint.read_meta(str(work / "bundle.npz"))
    assert (meta["info"]["features"]["size"], meta["info"]["features"]["step"]) == (100, 50)

    (statuses,) = out["monitor"]
    assert [s["n"] for s in statuses] == list(range(5, 5 * len(statuses) + 1, 5))
    assert statuses[-1]["classes"] == 4  # the board added ROW
    assert (work / "learning.png").stat().st_size > 0 and (work / "confusion.png").exists()

    state = work / "pulled" / "state.npz"
    assert NEW in ulearn.load(str(state)).labels
    (after,) = out["eval"]
    r = subprocess.run([sys.executable, "-m", "ulearn_host.cli", "eval", "--model", "bundle.npz",
                        "--data", "gestures.csv", "--split", "test", "--json"], cwd=work,
                       capture_output=True, text=True, check=True)
    before = json.loads(r.stdout)
    print("eval before/after:", before["per_class"], after["per_class"])
    acc = after["per_class"]
    assert before["per_class"][NEW] == 0  # the bundle never saw it
    assert acc[NEW] >= 0.8, acc  # the board learned it
    assert min(acc[c] for c in OLD) >= 0.6, acc  # and kept the three it had
