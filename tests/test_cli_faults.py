"""The host CLI given bad input (issue 20): one line on stderr, exit status 1, nothing
written, and the check made before anything runs on (or connects to) a board.

`ulearn run`/`monitor` key=value arguments checked against ulearn.app on the host, board files
an entry point reads checked on the board first, `ulearn pull` of missing files, a port that
does not exist, and `ulearn demo --device` asking before it replaces a board's files.
"""
import ast
import os
import pty
import subprocess
import sys

import pytest

from ulearn_dev import vboards
from ulearn_host import cli
from ulearn_host import run as host_run

NOPORT = "/dev/ttyNOPE"  # a device path that does not exist: reaching it fails otherwise

# a board's files: path -> size, walked on the board
_TREE = """import os
def walk(d):
    for name, kind, *_ in os.ilistdir(d):
        p = d.rstrip('/') + '/' + name
        if kind == 0x4000:
            walk(p)
        else:
            out[p] = os.stat(p)[6]
out = {}
walk('/')
print(repr(out))
"""


def one_error(capsys, argv):
    """Run `ulearn argv` in-process: (exit status, the one stderr line, stdout)."""
    status = cli.main(argv)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return status, lines[0], out


def tree(device):
    return ast.literal_eval(vboards.ok(device, "exec", _TREE))


# -- key=value arguments, checked on the host before connecting: with NOPORT as the board, a
#    message about the arguments (not the port) shows nothing was tried on a board

BAD = [
    (["learn", "stream=s.npz", "every=abc"], "every=abc: every must be an integer >= 1"),
    (["learn", "stream=s.npz", "every=0"], "every=0: every must be an integer >= 1"),
    (["learn", "stream=s.npz", "every=-5"], "every=-5: every must be an integer >= 1"),
    (["learn", "stream=s.npz", "passes=0"], "passes=0: passes must be an integer >= 1"),
    (["learn", "stream=s.npz", "status=-1"], "status=-1: status must be an integer >= 0"),
    (["learn", "stream=s.npz", "every=2.5"], "every=2.5: every must be an integer >= 1"),
    (["learn", "stream=s.npz", "every=True"], "every=True: every must be an integer >= 1"),
    (["learn", "stream=s.npz", "evry=5"], "learn has no argument 'evry' (its arguments are "
     "stream, every, passes, bundle, state, log, status)"),
    (["learn", "every=5"], "learn needs stream=..."),
    (["learn", "stream=3"], "stream=3: stream must be a board path"),
    (["learn", "stream=a", "stream=b"], "stream= is given twice"),
    (["learn", "stream"], "argument 'stream' is not key=value"),
    (["lern", "stream=s.npz"], "'lern' is not an entry point of ulearn.app (they are adapt, "
     "evaluate, inner, learn)"),
    (["status", "fields=1"], "'status' is not an entry point"),
    (["adapt", "support=s.npz"], "adapt needs budget_bytes=..."),
    (["adapt", "support=s.npz", "budget_bytes=-1"],
     "budget_bytes=-1: budget_bytes must be an integer >= 0"),
    (["adapt", "support=s.npz", "budget_bytes=100", "seed=x"], "seed=x: seed must be an integer"),
    (["inner", "stream=s.npz", "steps=-3"], "steps=-3: steps must be an integer >= 0"),
    (["inner", "stream=s.npz", "lr=fast"], "lr=fast: lr must be a number >= 0"),
    (["inner", "stream=s.npz", "lr=1e999"], "lr=1e999: lr must be a number >= 0"),
]


@pytest.mark.parametrize("verb", ["run", "monitor"])
@pytest.mark.parametrize("target,message", BAD, ids=[" ".join(t) for t, _ in BAD])
def test_bad_entry_arguments_one_line_before_any_board(verb, target, message, capsys):
    status, line, out = one_error(capsys, [verb, "-d", NOPORT, *target])
    assert status == 1 and out == ""
    assert line.startswith("ulearn %s: error: %s" % (verb, message)), line


def test_good_arguments_become_a_call():
    code = host_run.entry_code("learn", ["stream=/ulearn-data/s.npz", "every=50", "passes=2"])
    assert code == ("import ulearn.app\nulearn.app.learn(stream='/ulearn-data/s.npz', "
                    "every=50, passes=2)\n")
    # as `ulearn fed` and the demo call them
    assert host_run.entry_args("inner", ["stream=/s.npz", "lr=0.05", "steps=10"]) == {
        "stream": "/s.npz", "lr": 0.05, "steps": 10}
    assert host_run.entry_args("inner", ["stream=/s.npz", "lr=1"])["lr"] == 1  # int for a float
    assert host_run.entry_args("adapt", ["support=/s.npz", "budget_bytes=0",
                                         "budget_macs=None"])["budget_macs"] is None
    assert host_run.entry_args("learn", ["stream=/s.npz", "log=None"])["log"] is None


def test_entry_points_are_ulearn_apps_functions_that_read_a_stream():
    import ulearn.app
    found = host_run.entries()
    assert {"learn", "evaluate", "adapt", "inner"} <= set(found)
    assert not {"report", "status", "say", "open_learner"} & set(found)  # helpers, not entries
    for name, params in found.items():
        assert getattr(ulearn.app, name).__code__.co_varnames[:len(params)] == tuple(params)
    # every number in LIMITS names a real argument, of the type of its default when it has one
    args = {k: p for params in found.values() for k, p in params.items()}
    for key, (kind, _) in host_run.LIMITS.items():
        assert key in args, key
        default = args[key].default
        assert default is args[key].empty or default is None or type(default) is kind, key


def test_run_py_file_with_arguments_is_a_usage_error(tmp_path, capsys):
    script = tmp_path / "s.py"
    script.write_text("print(1)\n")
    with pytest.raises(SystemExit) as e:
        cli.main(["run", "-d", NOPORT, str(script), "every=5"])
    assert e.value.code == 2
    assert "key=value arguments go with an entry point" in capsys.readouterr().err


# -- a port that does not exist

@pytest.mark.parametrize("device", [NOPORT, "port:" + NOPORT])
def test_missing_port_is_no_such_port(device, tmp_path, capsys):
    data = tmp_path / "rec"
    status, line, out = one_error(capsys, ["record", "-d", device, "--label", "PEN",
                                           "-o", str(data), "--seconds", "1"])
    assert status == 1 and out == ""
    assert line == ("ulearn record: error: no such port %s (is the board plugged in? "
                    "`mpremote connect list` shows the ports there are)" % NOPORT), line
    assert list(tmp_path.iterdir()) == []  # no recording started


def test_shortcut_resolved_before_the_port_is_named(capsys, monkeypatch):
    from ulearn_host.board import resolve
    port = resolve("u0")  # mpremote's /dev/ttyUSB0
    if os.path.exists(port):
        pytest.skip("%s exists on this machine" % port)
    status, line, _ = one_error(capsys, ["run", "-d", "u0", "learn", "stream=s.npz"])
    assert status == 1 and line.startswith("ulearn run: error: no such port %s (" % port), line


def test_other_connection_failures_keep_mpremotes_message(capsys):
    import socket
    with socket.socket() as s:  # a free local port with nothing listening
        s.bind(("127.0.0.1", 0))
        url = "socket://127.0.0.1:%d" % s.getsockname()[1]
    status, line, _ = one_error(capsys, ["run", "-d", url, "learn", "stream=s.npz"])
    assert status == 1 and line.startswith("ulearn run: error: cannot connect to %s: " % url)
    assert "no such port" not in line


# -- ulearn demo --device asks first

def demo(*argv, stdin=subprocess.DEVNULL, input=None):
    return subprocess.run([sys.executable, "-m", "ulearn_host.cli", "demo", *argv], stdin=stdin,
                          input=input, capture_output=True, text=True, timeout=120)


def test_fed_stops_when_no_board_answers_a_round(tmp_path, capsys):
    from ulearn_dev import devicepkg
    ul = devicepkg.use("numpy")
    clf = ul.Classifier(4, 3)
    clf.learn_one([0.1, 0.2, 0.3, 0.4], "a")
    ul.save(clf, str(tmp_path / "b.npz"))
    dead = "socket://127.0.0.1:9"  # nothing listens there
    code = cli.main(["fed", str(tmp_path / "b.npz"), "-d", dead, "--rounds", "5",
                     "-o", str(tmp_path / "t.npz")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err[-1].startswith(
        "ulearn fed: error: round 0: no board answered (%s); stopped" % dead), err
    assert len(err) == 1 and "Connection refused" in err[0]  # the reason, in the one line
    assert not (tmp_path / "t.npz").exists()  # no round ran: nothing written


def test_demo_device_without_a_terminal_refuses_before_connecting():
    r = demo("--device", "nowhere")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [
        "ulearn demo: error: this replaces /lib/ulearn and /ulearn-data/ (bundle, state, log, "
        "learn.npz, test.npz) on nowhere: pass --yes to go on (stdin is not a terminal to ask "
        "on)"]


def test_demo_device_asks_on_a_terminal_and_no_stops_it():
    master, slave = pty.openpty()
    try:
        os.write(master, b"n\n")
        r = demo("--device", "nowhere", stdin=slave)
    finally:
        os.close(master)
        os.close(slave)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == ("this replaces /lib/ulearn and /ulearn-data/ (bundle, state, log, "
                        "learn.npz, test.npz) on nowhere: continue? [y/N] ulearn demo: error: "
                        "stopped: nothing was changed on the board\n"), r.stderr


def test_demo_device_yes_goes_straight_to_the_board():
    r = demo("--device", NOPORT, "--yes")
    assert r.returncode == 1 and "continue?" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith(
        "ulearn demo: error: no such port %s" % NOPORT), r.stderr


# -- on a virtual board: files an entry point reads, and pull

@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """A virtual board (no ulearn package: nothing here gets as far as running it) with
    /ulearn-data/log.txt and /ulearn-data/s.npz."""
    d = tmp_path_factory.mktemp("faults")
    b = vboards.start(d)
    try:
        (d / "log.txt").write_text("learn: 10 samples\n")
        (d / "s.npz").write_bytes(b"not really a stream")
        vboards.ok(b.device, "mkdir", ":/ulearn-data")
        vboards.ok(b.device, "cp", d / "log.txt", d / "s.npz", ":/ulearn-data/")
        yield b
    finally:
        b.stop()


@pytest.mark.parametrize("verb", ["run", "monitor"])
@pytest.mark.parametrize("target,missing", [
    (["learn", "stream=/ulearn-data/nope.npz", "every=5"], "stream=/ulearn-data/nope.npz"),
    (["evaluate", "stream=nope.npz"], "stream=nope.npz"),
    (["adapt", "support=/ulearn-data/support.npz", "budget_bytes=100"],
     "support=/ulearn-data/support.npz"),
])
def test_entry_reads_a_file_not_on_the_board(board, verb, target, missing, capsys):
    before = tree(board.device)
    status, line, out = one_error(capsys, [verb, "-d", board.device, *target])
    assert status == 1 and "Traceback" not in out
    assert line == ("ulearn %s: error: %s: no such file on the board (copy one there with "
                    "`ulearn deploy BUNDLE --file PATH`)" % (verb, missing)), line
    assert tree(board.device) == before


def test_entry_reading_a_file_on_the_board_is_started(board, capsys):
    # the check lets it through: the board itself runs it (and has no package to run)
    assert cli.main(["run", "-d", board.device, "learn", "stream=/ulearn-data/s.npz"]) == 1
    err = capsys.readouterr().err
    assert "ImportError: no module named 'ulearn'" in err and "no such file" not in err, err


def test_pull_named_missing_file_fails_after_pulling_the_rest(board, tmp_path, capsys):
    dest = tmp_path / "pulled"
    status, line, out = one_error(capsys, ["pull", "-d", board.device, "--dest", str(dest),
                                           "/ulearn-data/log.txt", "/ulearn-data/nope.npz"])
    assert status == 1
    assert line == ("ulearn pull: error: not on the board: /ulearn-data/nope.npz (the other 1 "
                    "pulled to %s)" % dest), line
    assert sorted(os.listdir(dest)) == ["log.txt"]  # no temporary file, nothing for nope
    assert (dest / "log.txt").read_text() == "learn: 10 samples\n"
    assert "/ulearn-data/nope.npz: not on the board" in out


def test_pull_nothing_there_writes_nothing(board, tmp_path, capsys):
    dest = tmp_path / "pulled"
    status, line, out = one_error(capsys, ["pull", "-d", board.device, "--dest", str(dest),
                                           "/ulearn-data/nope.npz", "/gone.txt"])
    assert status == 1 and out == ""
    assert line == ("ulearn pull: error: not on the board: /ulearn-data/nope.npz, /gone.txt "
                    "(nothing pulled)"), line
    assert not dest.exists()


def test_pull_defaults_succeed_with_the_log_alone(board, tmp_path, capsys):
    # no state.npz yet (nothing learned) but a log: the default paths pull what is there
    from ulearn_host.deploy import LOG, PULL, STATE
    dest = tmp_path / "pulled"
    assert cli.main(["pull", "-d", board.device, "--dest", str(dest)]) == 0
    out = capsys.readouterr().out
    assert "%s: not on the board" % STATE in out and LOG in PULL
    assert sorted(os.listdir(dest)) == ["log.txt"]


def test_pull_defaults_fail_when_none_is_there(board, tmp_path, capsys):
    from ulearn_host.deploy import PULL
    dest = tmp_path / "pulled"
    vboards.ok(board.device, "rm", ":/ulearn-data/log.txt")  # the last test of the board
    status, line, out = one_error(capsys, ["pull", "-d", board.device, "--dest", str(dest)])
    assert status == 1 and out == ""
    assert line == "ulearn pull: error: not on the board: %s (nothing pulled)" % ", ".join(PULL)
    assert not dest.exists()
