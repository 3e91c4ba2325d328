"""Every verb of `ulearn` behaves alike: --help exits 0, arguments argparse refuses exit 2, a
missing input exits 1 with one line naming it and writes nothing, Ctrl-C exits 130 without a
traceback or a partial file; and what the host writes appears whole or not at all."""
import os
import signal
import subprocess
import sys
import time
from importlib.metadata import entry_points

import pytest

from test_datasets import load
from ulearn_dev import devicepkg
from ulearn_host import cli, datasets, files, tasks

VERBS = list(cli.VERBS)

# arguments argparse refuses, per verb (besides an unknown option, tried on every verb)
BAD = {
    "demo": [["nope"], ["tinyol", "--device", "a0"]],
    "datasets": [["extra"]],
    "train": [["--epochs", "many"], ["--hidden", "wide"], ["--epochs", "0"], ["--lr", "0"],
              ["--hidden", "32", "0"]],
    "export": [[], ["m.npz", "--replay-method", "nope"], ["m.npz", "--capacity", "0"],
               ["m.npz", "--replay-fraction", "1.5"], ["m.npz", "--lr", "-1"]],
    "eval": [[], ["--model", "m.npz", "--split", "nope"]],
    "stream": [["--split", "nope"], ["--limit", "-5"], ["--limit", "0"]],
    "budget": [["b.npz", "--board", "nope"], ["b.npz", "--kernels", "nope"],
               ["b.npz", "--method", "nope"]],
    "fed": [["b.npz"], ["b.npz", "-d", "a0", "--strategy", "nope"]],
    "report": [["--docs"]],
    "deploy": [[], ["b.npz", "--mode", "nope"]],
    "run": [[]],
    "record": [["--rate", "fast"], [], ["-o", "d", "--label", "A", "--labels-from", "1=A"],
               ["-o", "d", "--label", "A", "--run", "s.py", "--listen"]],
    "monitor": [["--seconds", "soon"], ["--plot"]],
    "pull": [["--dest"]],
    "package": [["--form", "auto"]],
    "firmware": [[], ["path", "--target", "nope"]],
    "vboard": [["start", "--heap", "lots"], ["start", "--board", "nope"],
               ["start", "--fs-type", "nope"]],
}

# a missing input, per verb that reads one: {missing} is a file or folder that is not
# there, {bundle} a real bundle, {out} an output in the same folder
MISSING = [
    ("demo", ["tinyol"]),  # its data (the loaders are made to fail, see below)
    ("train", ["--data", "digits", "-o", "{out}"]),
    ("stream", ["--data", "digits", "-o", "{out}"]),
    ("export", ["{missing}", "-o", "{out}"]),
    ("eval", ["--model", "{missing}", "--plot", "{out}"]),
    ("budget", ["{missing}"]),
    ("budget", ["{bundle}", "--board", "rp2040", "--sparse", "{missing}"]),
    ("fed", ["{missing}", "-d", "socket://127.0.0.1:9", "-o", "{out}"]),
    ("report", ["--docs", "{missing}", "-o", "{out}.md"]),
    ("deploy", ["{missing}"]),
    ("deploy", ["{bundle}", "--file", "{missing}"]),
    ("run", ["{missing}.py"]),
    ("record", ["--run", "{missing}.py", "--label", "A", "-o", "{out}"]),
    ("monitor", ["{missing}.py", "--plot", "{out}.png"]),
    ("firmware", ["build", "--target", "mpy-cross", "--force", "--src", "{missing}"]),
]
NO_INPUT = {"datasets", "pull", "package", "vboard"}  # nothing of theirs can be missing


@pytest.fixture(autouse=True)
def on_numpy():
    devicepkg.use("numpy")  # the host runs the device package on numpy


@pytest.fixture
def bundle(tmp_path):
    import ulearn
    path = tmp_path / "in" / "bundle.npz"
    path.parent.mkdir()
    clf = ulearn.Classifier(4, capacity=3)
    clf.learn_one([0.1, 0.2, 0.3, 0.4], "a")
    ulearn.save(clf, str(path))
    return path


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_the_table_is_the_help(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert [out.index("    %s " % v) for v in VERBS] == sorted(out.index("    %s " % v) for v in VERBS)
    for mod in cli.VERBS.values():
        assert mod.HELP and mod.DESCRIPTION and callable(mod.add_arguments) and callable(mod.run)
    assert {v for v, _ in MISSING} | NO_INPUT == set(VERBS) == set(BAD)


def test_the_console_script_is_main():
    (ep,) = entry_points(group="console_scripts", name="ulearn")
    assert ep.value == "ulearn_host.cli:main" and ep.load() is cli.main


def test_the_parser_loads_no_verb_modules():
    code = ("import sys; from ulearn_host import cli; cli._parser([]); cli._parser(['train']); "
            "print(sorted(m for m in ('numpy', 'ulearn_host.tasks', 'ulearn_host.train', "
            "'ulearn_host.budget', 'ulearn_host.report', 'ulearn_host.deploy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("verb", VERBS)
def test_help_exits_0(verb, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([verb, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ulearn %s " % verb) and "--json" in out


@pytest.mark.parametrize("verb,argv", [(v, a) for v in VERBS for a in BAD[v] + [["--nope"]]])
def test_bad_arguments_exit_2(verb, argv, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([verb] + argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: ulearn %s" % verb) and "ulearn %s: error: " % verb in err


@pytest.mark.parametrize("verb,argv", MISSING, ids=["%s-%d" % (v, i) for i, (v, _) in
                                                    enumerate(MISSING)])
def test_a_missing_input_exits_1_with_one_line(verb, argv, tmp_path, bundle, monkeypatch,
                                                capsys):
    def gone(*a, **k):
        raise datasets.DatasetUnavailable("dataset files missing: /nowhere/data.csv")
    for name in ("load_digits", "load_watch"):
        monkeypatch.setattr(datasets, name, gone)
    missing = tmp_path / "in" / "absent"
    fill = {"missing": str(missing), "bundle": str(bundle), "out": str(tmp_path / "out")}
    before = listing(tmp_path)
    assert cli.main([verb] + [a.format(**fill) for a in argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ulearn %s: error: " % verb) and err.count("\n") == 1, err
    assert ("absent" if "{missing}" in "".join(argv) else "/nowhere/data.csv") in err
    assert "Traceback" not in err and listing(tmp_path) == before


ANTICIPATED = [
    ("ulearn_host.board", "BoardError"), ("ulearn_host.deploy", "DoesNotFit"),
    ("ulearn_host.vboard", "VBoardError"), ("ulearn_host.firmware.make", "FirmwareError"),
    ("ulearn_host.datasets", "DatasetUnavailable"), ("ulearn_host.fed.client", "ClientLost"),
    ("ulearn.checkpoint", "CheckpointError"), ("builtins", "ValueError"),
    ("builtins", "PermissionError"),
]


@pytest.mark.parametrize("module,name", ANTICIPATED)
def test_anticipated_errors_exit_1(module, name, monkeypatch, capsys):
    import importlib
    cls = getattr(importlib.import_module(module), name)

    def fails(args):
        raise cls("it broke")
    monkeypatch.setattr(cli.VERBS["datasets"], "run", fails)
    assert cli.main(["datasets"]) == 1
    assert capsys.readouterr().err == "ulearn datasets: error: it broke\n"


def test_ctrl_c_and_what_a_module_raises_on_it_exit_130(monkeypatch, capsys):
    from ulearn_host.board import BoardError

    def interrupted(args):
        raise KeyboardInterrupt

    def stops_the_board(args):  # as ulearn_host.run does on Ctrl-C
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise BoardError("interrupted; sent Ctrl-C to the board")
    monkeypatch.setattr(cli.VERBS["datasets"], "run", interrupted)
    assert cli.main(["datasets"]) == 130
    assert capsys.readouterr().err == "ulearn: interrupted\n"
    monkeypatch.setattr(cli.VERBS["datasets"], "run", stops_the_board)
    assert cli.main(["datasets"]) == 130
    assert capsys.readouterr().err == "ulearn: interrupted; sent Ctrl-C to the board\n"


def test_a_bug_keeps_its_traceback(monkeypatch):
    def bug(args):
        raise KeyError("oops")
    monkeypatch.setattr(cli.VERBS["datasets"], "run", bug)
    with pytest.raises(KeyError):
        cli.main(["datasets"])


def _started(proc, timeout=60):
    # the verb is running once numpy is mapped in: nothing before main() imports it
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with open("/proc/%d/maps" % proc.pid) as f:
                if "_multiarray_umath" in f.read():
                    return
        except OSError:
            pass
        time.sleep(0.05)
    pytest.fail("ulearn did not start: %r" % (proc.poll(),))


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
@pytest.mark.parametrize("before", [None, b"a good model"], ids=["new", "existing"])
def test_ctrl_c_exits_130_and_leaves_no_partial_file(before, tmp_path):
    load(tasks.load_task, "digits")  # skip off CI when the data is missing
    out = tmp_path / "model.npz"
    if before is not None:
        out.write_bytes(before)
    proc = subprocess.Popen([sys.executable, "-m", "ulearn_host.cli", "train", "--data", "digits",
                             "--epochs", "100000", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _started(proc)
        time.sleep(0.3)  # into the data or the training
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert stderr == "ulearn: interrupted\n" and stdout == ""
    assert listing(tmp_path) == (["model.npz"] if before else [])
    assert before is None or out.read_bytes() == before


# -- ulearn_host.files

def test_write_atomic_replaces_whole(tmp_path):
    path = tmp_path / "sub" / "f.txt"
    files.write_atomic(path, "é\n")
    files.write_atomic(path, b"new")
    assert path.read_bytes() == b"new" and listing(tmp_path) == ["sub", "sub/f.txt"]
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # as open() would make it


@pytest.mark.parametrize("error", [KeyboardInterrupt, OSError])
def test_atomic_leaves_the_old_file_on_an_error(error, tmp_path):
    import ulearn
    path = tmp_path / "m.npz"
    path.write_bytes(b"good")
    with pytest.raises(error):
        with files.atomic(path) as tmp:
            ulearn.save(ulearn.Classifier(2, capacity=2), tmp)  # leaves tmp and its own .tmp
            with open(tmp + ".tmp", "wb") as f:
                f.write(b"half")
            raise error()
    assert path.read_bytes() == b"good" and listing(tmp_path) == ["m.npz"]
    with files.atomic(path) as tmp:
        ulearn.save(ulearn.Classifier(2, capacity=2), tmp)
    assert ulearn.load(str(path)).n_features == 2 and listing(tmp_path) == ["m.npz"]
