"""Every verb of `ulearn` against a table of bad input (issue 20): bad arguments, missing
files, wrong file types, unreachable ports, and Ctrl-C.

Each cell of the first four runs `ulearn VERB ...` in-process and checks the contract of
`ulearn_host.cli`: exit status 1 (2 for a usage error, with argparse's usage), one line
``ulearn VERB: error: ...`` on stderr naming the bad thing, nothing on stdout, no traceback,
and nothing written or overwritten: the working folder (holding outputs that exist already),
the inputs and the temporary folder are the same before and after.

The interrupts run `ulearn VERB ...` as a process in its own process group, wait for a sign
that it is working (blocked on a pseudo-terminal no board answers on, on an input that does
not arrive, a child it runs, its progress, its temporary folder, or training on real data)
and send SIGINT to the group, as a terminal's Ctrl-C does: exit status 130, stderr's one
line ``ulearn: interrupted`` (after any progress lines), no ``Traceback`` or
``KeyboardInterrupt``, outputs absent or as they were, temporary folders gone, no QEMU left.

Cells that do not apply to a verb are absent; :data:`ABSENT` says why, and
``test_every_verb_has_each_category`` checks that the table and ABSENT cover every verb of
``cli.VERBS`` in every category. The unit tests of the single fixes are in test_cli_faults.py,
test_cli_inputs.py and test_cli_verbs.py.
"""
import argparse
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

import pytest

from ulearn_dev import devicepkg, vboards
from ulearn_host import board as board_module
from ulearn_host import cli

CATEGORIES = ("args", "missing", "type", "port", "interrupt")
NOPORT = "/dev/ttyNOPE"  # a device path that does not exist
OLD = b"an output that was there before\n"  # the content of the outputs that exist already


class Cell:
    """One row: ``ulearn VERB ARGV`` must fail with ``status`` and an error line holding each
    of ``says``. ARGV and ``says`` take {placeholders}: the inputs (model, bundle, stream,
    table, png, empty, folder, script, binpy, missing), ``work`` (the current folder, which
    holds ``out`` = work/out.npz, ``png_out`` and ``report`` with OLD in them), the ports
    (noport, closed, pty) and ``tmp`` (the temporary folder)."""

    def __init__(self, verb, kind, argv, says=(), status=1, env=None):
        self.verb, self.kind, self.argv, self.says = verb, kind, argv, says
        self.status, self.env = status, env or {}

    def __repr__(self):
        return "%s-%s-%s" % (self.verb, self.kind, "_".join(self.argv)[:60])


def C(verb, kind, argv, *says, **kw):
    return Cell(verb, kind, argv, says, **kw)


def U(verb, argv, *says):  # a usage error (exit status 2)
    return Cell(verb, "args", argv, says, status=2)


TABLE = [
    # -- (a) bad arguments: argparse refuses (2), or the verb does before any work (1 or 2)
    U("demo", ["--seed", "-1"], "argument --seed: '-1' is not an integer >= 0"),
    U("demo", ["tinyol", "--seed", "many"], "argument --seed: 'many' is not an integer >= 0"),
    U("datasets", ["--json=yes"], "argument --json: ignored explicit argument 'yes'"),
    U("record", ["-d", "{noport}", "-o", "rec", "--label", "A", "--rate", "0"],
      "--rate must be more than 0"),
    U("record", ["-d", "{noport}", "-o", "rec", "--label", "A", "--seconds", "-1"],
      "--seconds must be more than 0"),
    U("record", ["-d", "{noport}", "-o", "rec", "--labels-from", "garbage"],
      "'garbage' is not KEY=LABEL"),
    U("record", ["-d", "{noport}", "-o", "rec", "--label", "A", "--channels", ",,"],
      "'' is not a channel name"),
    U("record", ["-d", "{noport}", "-o", "rec", "--label", "A", "--baud", "0"],
      "--baud must be more than 0"),
    C("train", "args", ["--data", "digits", "--exclude", "NOPE"], "unknown class 'NOPE'"),
    C("train", "args", ["--data", "digits", "--window", "4"], "digits is a table of features"),
    U("train", ["--data", "digits", "--seed", "-1"], "argument --seed: '-1'"),
    U("export", ["{model}", "--data", "digits"], "--data chooses the data of a replay set"),
    U("export", ["{model}", "--window", "4"], "--window and --hop go with --data"),
    C("eval", "args", ["--model", "{bundle}", "--data", "digits", "--window", "3"],
      "digits is a table of features"),
    C("stream", "args", ["--data", "digits", "--classes", "NOPE"], "unknown class 'NOPE'"),
    U("stream", ["--data", "digits", "--shuffle", "--seed", "-1"], "argument --seed: '-1'"),
    U("budget", ["{bundle}", "--window", "4"], "--window and --hop go with --sparse"),
    U("budget", ["{bundle}", "--sparse", "{stream}", "--budget-bytes", "-5"],
      "argument --budget-bytes: '-5' is not an integer >= 1"),
    U("budget", ["{bundle}", "--method", "random", "--seed", "-1"], "argument --seed: '-1'"),
    C("fed", "args", ["{bundle}", "-d", "{closed}", "-d", "{closed}"], "name each board once"),
    C("fed", "args", ["{bundle}", "-d", "{closed}", "--strategy", "reptile", "--per-round", "3"],
      "Reptile asks 3 clients per round, there are 1"),
    U("fed", ["{bundle}", "-d", "{closed}", "--rounds", "0"], "argument --rounds: '0'"),
    U("fed", ["{bundle}", "-d", "{closed}", "--steps", "0"], "argument --steps: '0'"),
    U("fed", ["{bundle}", "-d", "{closed}", "--lr", "-1"], "argument --lr: '-1'"),
    U("fed", ["{bundle}", "-d", "{closed}", "--beta", "1.5"], "argument --beta: '1.5'"),
    U("fed", ["{bundle}", "-d", "{closed}", "--seed", "-1"], "argument --seed: '-1'"),
    C("report", "args", ["-o", "report.txt"], "report.txt", "unknown suffix '.txt'"),
    U("deploy", ["{bundle}", "-d"], "argument -d/--device: expected one argument"),
    U("deploy", ["{bundle}", "-d", "{noport}", "--mode", "auto", "--file"],
      "argument --file: expected one argument"),
    U("run", ["-d", "{noport}", "--timeout", "0", "learn", "stream=s.npz"],
      "argument --timeout: '0' is not a number > 0"),
    U("run", ["-d", "{noport}", "--timeout", "-1", "{script}"], "argument --timeout: '-1'"),
    U("monitor", ["-d", "{noport}", "--seconds", "0"], "--seconds must be above 0"),
    U("monitor", ["-d", "{noport}", "{script}", "every=5"],
      "key=value arguments go with an entry point"),
    U("pull", ["-d"], "argument -d/--device: expected one argument"),
    U("package", ["--mpy-cross", "{script}"], "--mpy-cross goes with --form circuitpython"),
    U("firmware", ["build", "--jobs", "0"], "argument --jobs: '0' is not an integer >= 1"),
    U("firmware", ["path", "--target", "nope"], "argument --target: invalid choice: 'nope'"),
    C("vboard", "args", ["start", "--fs-size", "1", "--fs", "{work}/v.img"],
      "filesystem size must be a multiple of 4K"),
    U("vboard", ["start", "--heap", "-1"], "argument --heap: "),

    # -- (b) missing files (and the demo's missing firmware: its temporary folder goes too)
    C("demo", "missing", [], "ulearn firmware build --target qemu-m3",
      env={"ULEARN_CACHE": "{work}/no-cache"}),
    C("record", "missing", ["-d", "{noport}", "-o", "rec", "--label", "A", "--run",
                            "{missing}.py"], "{missing}.py"),
    C("train", "missing", ["--data", "{missing}.csv"], "{missing}.csv"),
    C("export", "missing", ["{missing}"], "{missing}"),
    C("eval", "missing", ["--model", "{bundle}", "--data", "{missing}.csv"], "{missing}.csv"),
    C("stream", "missing", ["--data", "{missing}.csv", "-o", "{out}"], "{missing}.csv"),
    C("budget", "missing", ["{missing}", "--board", "rp2040"], "{missing}"),
    C("fed", "missing", ["{missing}", "-d", "{closed}"], "{missing}"),
    C("report", "missing", ["--docs", "{docs}", "-o", "{work}/r.html"],
      "cannot embed {docs}/img/curve.png: the plot is missing"),
    C("deploy", "missing", ["{missing}", "-d", "{closed}"], "{missing}"),
    C("run", "missing", ["-d", "{noport}", "{missing}.py"], "{missing}.py"),
    C("monitor", "missing", ["-d", "{noport}", "{missing}.py", "--plot", "{png_out}"],
      "{missing}.py"),
    C("package", "missing", ["--form", "circuitpython", "--mpy-cross", "{missing}",
                             "-o", "{work}/cp.zip"], "cannot run {missing}"),
    C("firmware", "missing", ["path", "--target", "mpy-cross"], "mpy-cross", "not built",
      env={"ULEARN_CACHE": "{work}/no-cache"}),
    C("vboard", "missing", ["stop", "--fs", "{missing}.img"],
      "no virtual board runs on {missing}.img"),

    # -- (c) wrong file types: a CSV, PNG, empty file, folder, model, bundle or stream where
    #    another is expected; an output that is a folder, inside a file, or not the kind it is
    C("record", "type", ["-d", "{noport}", "-o", "rec", "--label", "A", "--run", "{binpy}"],
      "{binpy} is not a Python script"),
    C("record", "type", ["-d", "{noport}", "-o", "rec", "--label", "A", "--run", "{folder}"],
      "Is a directory: {folder}"),
    C("record", "type", ["-d", "{noport}", "-o", "{table}", "--label", "A"],
      "{table} is there and is not a recording"),
    C("train", "type", ["--data", "{png}"], "{png} is not a text CSV file"),
    C("train", "type", ["--data", "{bundle}"], "{bundle} needs arrays X and y"),
    C("train", "type", ["--data", "{empty}"], "{empty}"),
    C("train", "type", ["--data", "{folder}"], "{folder} is a folder of raw readings"),
    C("train", "type", ["--data", "digits", "-o", "{folder}"], "Is a directory: {folder}"),
    C("train", "type", ["--data", "digits", "-o", "{table}/model.npz"],
      "Not a directory: {table}/model.npz"),
    C("export", "type", ["{table}"], "{table}", "not a checkpoint"),
    C("export", "type", ["{png}", "-o", "{out}"], "{png}", "not a checkpoint"),
    C("export", "type", ["{empty}"], "{empty}", "too short to be a checkpoint"),
    C("export", "type", ["{folder}"], "Is a directory: {folder}"),
    C("export", "type", ["{bundle}", "-o", "{out}"], "{bundle} is a bundle from `ulearn export`"),
    C("export", "type", ["{stream}"], "{stream}", "not a ulearn checkpoint"),
    C("export", "type", ["{model}", "-o", "{folder}"], "Is a directory: {folder}"),
    C("eval", "type", ["--model", "{png}"], "{png}", "not a checkpoint"),
    C("eval", "type", ["--model", "{stream}"], "{stream}", "not a ulearn checkpoint"),
    C("eval", "type", ["--model", "{bundle}", "--data", "{png}"], "{png} is not a text CSV"),
    C("eval", "type", ["--model", "{bundle}", "--data", "{model}"], "{model} needs arrays X"),
    C("eval", "type", ["--model", "{bundle}", "--data", "{stream}"], "{stream} needs arrays"),
    C("eval", "type", ["--model", "{bundle}", "--data", "{empty}"], "{empty}"),
    C("eval", "type", ["--model", "{bundle}", "--data", "{table}", "--plot", "{folder}"],
      "Is a directory: {folder}"),
    C("stream", "type", ["--data", "{stream}", "-o", "{out}"], "{stream} needs arrays X and y"),
    C("stream", "type", ["--data", "{png}"], "{png} is not a text CSV file"),
    C("stream", "type", ["--data", "digits", "-o", "{folder}"], "Is a directory: {folder}"),
    C("budget", "type", ["{png}"], "{png}", "not a checkpoint"),
    C("budget", "type", ["{folder}"], "Is a directory: {folder}"),
    C("budget", "type", ["{model}"], "{model} is a model from `ulearn train`, not a bundle"),
    C("budget", "type", ["{bundle}", "--board", "esp32", "--sparse", "{png}"],
      "{png} is not a text CSV file"),
    C("budget", "type", ["{bundle}", "--board", "esp32", "--sparse", "{model}"],
      "{model} needs arrays X and y"),
    C("fed", "type", ["{model}", "-d", "{closed}"], "{model} is a model from `ulearn train`"),
    C("fed", "type", ["{table}", "-d", "{closed}"], "{table}", "not a checkpoint"),
    C("fed", "type", ["{bundle}", "-d", "{closed}", "-o", "{table}"], "{table}"),
    C("fed", "type", ["{bundle}", "-d", "{closed}", "-o", "{folder}"], "Is a directory: {folder}"),
    C("report", "type", ["--docs", "{table}"], "no benchmark result in {table}"),
    C("report", "type", ["--docs", "{baddocs}"], "{baddocs}/tinyol.json is not the tinyol"),
    C("report", "type", ["--docs", "{docs}", "-o", "{folder}"], "cannot write {folder}"),
    C("deploy", "type", ["{table}", "-d", "{closed}"], "{table}", "not a checkpoint"),
    C("deploy", "type", ["{model}", "-d", "{closed}"], "{model} is a model from `ulearn train`"),
    C("deploy", "type", ["{stream}", "-d", "{closed}"], "{stream}", "not a ulearn checkpoint"),
    C("deploy", "type", ["{empty}", "-d", "{closed}"], "{empty}", "too short"),
    C("deploy", "type", ["{bundle}", "-d", "{closed}", "--file", "{folder}"],
      "Is a directory: {folder}"),
    C("run", "type", ["-d", "{noport}", "{binpy}"], "{binpy} is not a Python script"),
    C("run", "type", ["-d", "{noport}", "{folder}"], "'{folder}' is not an entry point"),
    C("monitor", "type", ["-d", "{noport}", "{binpy}"], "{binpy} is not a Python script"),
    C("monitor", "type", ["-d", "{noport}", "--plot", "{table}/curves.png"],
      "Not a directory: {table}/curves.png"),
    C("pull", "type", ["-d", "{noport}", "--dest", "{table}"], "Not a directory: {table}"),
    C("package", "type", ["-o", "{table}"], "{table} exists and is not a package folder"),
    C("package", "type", ["--form", "circuitpython", "-o", "{folder}"], "{folder} is a folder"),
    C("package", "type", ["--form", "circuitpython", "--mpy-cross", "{table}",
                          "-o", "{work}/cp.zip"], "cannot run {table}"),
    C("firmware", "type", ["build", "--src", "{table}"], "Not a directory: {table}"),
    C("vboard", "type", ["start", "--fs", "{table}"], "{table} is not a board image"),
    C("vboard", "type", ["start", "--fs", "{png}"], "{png} is not a board image"),
    C("vboard", "type", ["start", "--fs", "{folder}"], "{folder} is not a board image"),
]

# -- (d) unreachable ports: every verb that talks to a board, on a device path that does not
#    exist, a file, a pseudo-terminal nobody answers on, and a local port nothing listens on
PORT_VERBS = {
    "record": ["-d", "{dev}", "-o", "rec", "--label", "A", "--seconds", "1"],
    "deploy": ["{bundle}", "-d", "{dev}"],
    "run": ["-d", "{dev}", "{script}"],
    "monitor": ["-d", "{dev}", "learn", "stream=/ulearn-data/learn.npz", "--plot", "{png_out}"],
    "pull": ["-d", "{dev}", "--dest", "{work}/pulled"],
    "fed": ["{bundle}", "-d", "{dev}", "--rounds", "3"],
    "demo": ["board", "--device", "{dev}", "--yes"],  # its temporary folder goes too
}
PORTS = {
    "{noport}": ("no such port %s (is the board plugged in?" % NOPORT,),
    "{table}": ("{table} is not a serial port",),
    "{pty}": ("no answer from {pty} within 1 s",),
    "{closed}": ("cannot connect to {closed}: Connection refused",),
}
TABLE += [C(verb, "port", [a.replace("{dev}", dev) for a in argv], *says)
          for verb, argv in PORT_VERBS.items() for dev, says in PORTS.items()]

# categories that do not apply to a verb, and why
ABSENT = {
    ("datasets", "missing"): "reads no file of the user's",
    ("datasets", "type"): "reads no file of the user's",
    ("demo", "type"): "reads no file of the user's",
    ("pull", "missing"): "its inputs are board files (test_cli_faults pulls missing ones)",
    ("datasets", "interrupt"): "done in a second, nothing to interrupt or write",
}
ABSENT.update({(v, "port"): "talks to no board" for v in cli.VERBS if v not in PORT_VERBS})


@pytest.fixture(autouse=True)
def on_numpy():
    devicepkg.use("numpy")


def png_bytes():
    """A real 1x1 PNG."""
    def chunk(kind, data):
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", bytes([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The input files of the table, made once: a model, its bundle, a stream, a feature
    table, a PNG, an empty file, an empty folder, a script, a PNG named .py, benchmark
    folders."""
    devicepkg.use("numpy")
    d = tmp_path_factory.mktemp("inputs")
    f = {k: str(d / n) for k, n in [
        ("model", "model.npz"), ("bundle", "bundle.npz"), ("stream", "stream.npz"),
        ("table", "table.csv"), ("png", "picture.png"), ("empty", "empty.npz"),
        ("folder", "folder"), ("script", "script.py"), ("binpy", "binary.py"),
        ("missing", "absent"), ("docs", "docs"), ("baddocs", "baddocs")]}
    assert cli.main(["train", "--data", "digits", "--epochs", "1", "--hidden", "8",
                     "-o", f["model"], "--json"]) == 0
    assert cli.main(["export", f["model"], "-o", f["bundle"], "--json"]) == 0
    assert cli.main(["stream", "--data", "digits", "--limit", "20", "-o", f["stream"],
                     "--json"]) == 0
    Path(f["table"]).write_text("a,b,label\n1,2,x\n3,4,x\n5,6,y\n7,8,y\n")
    Path(f["png"]).write_bytes(png_bytes())
    Path(f["empty"]).write_bytes(b"")
    Path(f["folder"]).mkdir()
    Path(f["script"]).write_text("print('hello')\n")
    Path(f["binpy"]).write_bytes(png_bytes())
    for name, text in [("docs", '{"benchmark": "tinyol", "title": "TinyOL", '
                        '"plots": ["img/curve.png"]}'), ("baddocs", "[]")]:
        Path(f[name]).mkdir()
        Path(f[name], "tinyol.json").write_text(text)
    return f


def snapshot(*folders):
    """{path: bytes} of every file under ``folders`` (a folder or a FIFO: its kind, never
    opened)."""
    out = {}
    for folder in folders:
        for p in sorted(Path(folder).rglob("*")):
            out[str(p)] = p.read_bytes() if p.is_file() else "folder" if p.is_dir() else "other"
    return out


@pytest.fixture
def silent_pty():
    """A pseudo-terminal nobody answers on: the device name of its far end."""
    master, slave = pty.openpty()
    yield os.ttyname(slave)
    os.close(master)
    os.close(slave)


def closed_port():
    with socket.socket() as s:  # a free local port; nothing listens once it is closed
        s.bind(("127.0.0.1", 0))
        return "socket://127.0.0.1:%d" % s.getsockname()[1]


def test_every_verb_has_each_category():
    have = {(c.verb, c.kind) for c in TABLE} | {(c.verb, "interrupt") for c in INTERRUPTS}
    for verb in cli.VERBS:
        for kind in CATEGORIES:
            assert ((verb, kind) in have) != ((verb, kind) in ABSENT), (verb, kind)
    assert {v for v, _ in have} | {v for v, _ in ABSENT} == set(cli.VERBS)
    # the verbs with a --device are the ones tried on ports (vboard's names a virtual board
    # to stop, which it does not connect to)
    sub = next(a for a in cli._parser()._actions if isinstance(a, argparse._SubParsersAction))
    device = {v for v, p in sub.choices.items() if "--device" in p._option_string_actions}
    assert device - {"vboard"} == set(PORT_VERBS)


@pytest.mark.parametrize("cell", TABLE, ids=repr)
def test_cell(cell, inputs, silent_pty, tmp_path, monkeypatch, capsys):
    work, tmp = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    tmp.mkdir()
    fill = dict(inputs, work=str(work), out=str(work / "out.npz"), png_out=str(work / "old.png"),
                report=str(work / "report.md"), noport=NOPORT, closed=closed_port(),
                pty=silent_pty, tmp=str(tmp))
    for name in ("out", "png_out", "report"):
        Path(fill[name]).write_bytes(OLD)
    argv = [cell.verb] + [a.format(**fill) for a in cell.argv]
    for k, v in cell.env.items():
        monkeypatch.setenv(k, v.format(**fill))
    monkeypatch.chdir(work)  # default outputs land here
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))  # and temporary folders here
    monkeypatch.setattr(board_module, "ANSWER", 1)  # a silent port: 1 s, not 10
    before = snapshot(work, os.path.dirname(inputs["model"]), tmp)
    if cell.status == 2:
        with pytest.raises(SystemExit) as e:
            cli.main(argv)
        status = e.value.code
    else:
        status = cli.main(argv)
    out, err = capsys.readouterr()
    assert status == cell.status, err
    lines = err.splitlines()
    assert "Traceback" not in err and out == "", (out, err)
    if status == 2:
        assert lines[0].startswith("usage: ulearn %s " % cell.verb), err
    else:
        assert len(lines) == 1, err
    assert lines[-1].startswith("ulearn %s: error: " % cell.verb), err
    for says in cell.says:
        assert says.format(**fill) in lines[-1], lines[-1]
    assert snapshot(work, os.path.dirname(inputs["model"]), tmp) == before


# -- (e) Ctrl-C

class Interrupt:
    """``ulearn VERB ARGV`` (the {placeholders} of Cell, plus ``fifo``: a named pipe nobody
    writes to, ``slow``: a program that runs a minute) interrupted once ``sign`` is seen:
    "pty" (it wrote to the silent pseudo-terminal: connecting to a board), "fifo" (blocked
    opening the FIFO: reading its input), "child" (it runs a program), "tmp" (its temporary
    folder exists), "numpy" (numpy loaded, then a second: training), or "out:TEXT" /
    "err:TEXT" (its output shows TEXT). ``progress`` are the stderr lines allowed before the
    last one; ``env`` more environment."""

    def __init__(self, verb, argv, sign, progress=(), env=None, says="ulearn: interrupted"):
        self.verb, self.argv, self.sign = verb, argv, sign
        self.progress, self.env, self.says = progress, env or {}, says

    def __repr__(self):
        return "%s-%s" % (self.verb, self.sign.split(":")[0])


INTERRUPTS = [
    Interrupt("train", ["--data", "digits", "--epochs", "100000", "-o", "{out}"], "numpy"),
    Interrupt("export", ["{fifo}", "-o", "{out}"], "fifo"),
    Interrupt("eval", ["--model", "{bundle}", "--data", "{fifo}", "--plot", "{png_out}"],
              "fifo"),
    Interrupt("stream", ["--data", "{fifo}", "-o", "{out}"], "fifo"),
    Interrupt("budget", ["{bundle}", "--sparse", "{fifo}"], "fifo"),
    Interrupt("report", ["--docs", "{work}/docs", "-o", "{work}/report.html"], "fifo"),
    Interrupt("package", ["--form", "circuitpython", "--mpy-cross", "{slow}", "-o",
                          "{work}/cp.zip"], "child"),
    # a build fetching its sources (no kit: git, here one that takes a minute)
    Interrupt("firmware", ["build", "--target", "mpy-cross", "--json"], "child",
              progress=("building mpy-cross ...",),
              env={"ULEARN_CACHE": "{work}/cache", "ULEARN_FIRMWARE_SRC": "",
                   "PATH": "{work}/bin" + os.pathsep + os.environ.get("PATH", "")}),
    Interrupt("record", ["-d", "{pty}", "-o", "{work}/rec", "--label", "A"], "pty"),
    Interrupt("deploy", ["{bundle}", "-d", "{pty}"], "pty"),
    Interrupt("run", ["-d", "{pty}", "learn", "stream=/ulearn-data/learn.npz"], "pty"),
    Interrupt("monitor", ["-d", "{pty}", "{script}", "--plot", "{png_out}"], "pty"),
    Interrupt("pull", ["-d", "{pty}", "--dest", "{work}/pulled"], "pty"),
    Interrupt("fed", ["{bundle}", "-d", "{pty}", "-o", "{work}/theta.npz"], "pty"),
    Interrupt("demo", ["tinyol"], "tmp"),
    Interrupt("demo", ["board", "--device", "{pty}", "--yes"], "pty"),
    Interrupt("vboard", ["start", "--fs", "{work}/flash.img"], "child"),
]


def _setup(cell, inputs, tmp_path):
    """The folders and the placeholders of an interrupt cell; the outputs that exist hold OLD."""
    work, tmp = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    tmp.mkdir()
    fill = dict(inputs, work=str(work), out=str(work / "out.npz"), png_out=str(work / "old.png"),
                fifo=str(work / "input.csv"), slow=str(work / "bin" / "slow"), tmp=str(tmp))
    for name in ("out", "png_out"):
        Path(fill[name]).write_bytes(OLD)
    if cell.sign == "fifo":
        if cell.verb == "report":  # its plot, read to embed in the page
            (work / "docs" / "img").mkdir(parents=True)
            (work / "docs" / "tinyol.json").write_text(Path(inputs["docs"], "tinyol.json")
                                                       .read_text())
            fill["fifo"] = str(work / "docs" / "img" / "curve.png")
            (work / "report.html").write_bytes(OLD)
        os.mkfifo(fill["fifo"])
    (work / "bin").mkdir()
    for name in ("slow", "git"):
        (work / "bin" / name).write_text("#!/bin/sh\nsleep 60\n")
        os.chmod(work / "bin" / name, 0o755)
    return work, tmp, fill


class Output:
    """A process's stdout and stderr, read as they come."""

    def __init__(self, proc):
        self.data = {"out": b"", "err": b""}
        self.threads = [threading.Thread(target=self._read, args=(f, k), daemon=True)
                        for f, k in ((proc.stdout, "out"), (proc.stderr, "err"))]
        for t in self.threads:
            t.start()

    def _read(self, f, key):
        for chunk in iter(lambda: os.read(f.fileno(), 4096), b""):
            self.data[key] += chunk

    def text(self):
        for t in self.threads:
            t.join(60)
        return self.data["out"].decode(), self.data["err"].decode()


def _children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return f.read().split()
    except OSError:
        return []


def _wait_for_sign(proc, sign, output, master, tmp, timeout=60):
    """Return once ``proc`` shows ``sign`` (see Interrupt); fail if it ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if sign == "pty":
            if select.select([master], [], [], 0.05)[0] and b"\x03" in os.read(master, 1024):
                return  # mpremote's Ctrl-C, the first thing it sends a board
        elif sign == "fifo":
            try:
                with open("/proc/%d/wchan" % proc.pid) as f:
                    if f.read() == "wait_for_partner":  # in open() of the FIFO
                        return
            except OSError:
                pass
        elif sign == "child":
            if _children(proc.pid):
                return
        elif sign == "tmp":
            if os.listdir(tmp):
                return
        elif sign == "numpy":
            with open("/proc/%d/maps" % proc.pid) as f:
                if "_multiarray_umath" in f.read():
                    time.sleep(1.0)  # into the data and the training
                    return
        else:
            stream, text = sign.split(":", 1)
            if text.encode() in output.data[stream]:
                return
        time.sleep(0.02)
    out, err = output.text() if proc.poll() is not None else ("", "")
    pytest.fail("no sign %r of work (exit %r): %s%s" % (sign, proc.poll(), out, err))


def _qemu_on(folder):
    """The QEMU processes whose command line names something in ``folder``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().decode(errors="replace")
        except OSError:
            continue
        if cmd.startswith("qemu-system") and str(folder) in cmd:
            found.append(int(pid))
    return found


def interrupted(argv, sign, env, cwd, master, tmp):
    """Run ``ulearn ARGV`` in its own process group, SIGINT the group once ``sign`` shows:
    (exit status, stdout, stderr)."""
    proc = subprocess.Popen([sys.executable, "-m", "ulearn_host.cli", *argv], cwd=cwd,
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    output = Output(proc)
    try:
        _wait_for_sign(proc, sign, output, master, tmp)
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: ulearn and its children
        proc.wait(60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    out, err = output.text()
    return proc.returncode, out, err


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
@pytest.mark.parametrize("cell", INTERRUPTS, ids=repr)
def test_interrupt(cell, inputs, tmp_path):
    work, tmp, fill = _setup(cell, inputs, tmp_path)
    master, slave = pty.openpty()
    fill["pty"] = os.ttyname(slave)
    env = dict(os.environ, TMPDIR=str(tmp), **{k: v.format(**fill) for k, v in cell.env.items()})
    argv = [cell.verb] + [a.format(**fill) for a in cell.argv]
    before = snapshot(work, os.path.dirname(inputs["model"]))
    try:
        for attempt in range(3):
            status, out, err = interrupted(argv, cell.sign, env, str(work), master, tmp)
            if status != 0 or cell.verb != "vboard":
                break
            # the board was up before the signal: stop it, try again (the race is QEMU's boot)
            assert cli.main(["vboard", "stop", "--fs", fill["work"] + "/flash.img"]) == 0
    finally:
        os.close(master)
        os.close(slave)
    assert status == 130, (status, out, err)
    lines = err.splitlines()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert lines and lines[-1] == cell.says and tuple(lines[:-1]) == cell.progress, err
    assert os.listdir(tmp) == [], "temporary files left: %s" % os.listdir(tmp)
    assert _qemu_on(tmp_path) == []
    after = snapshot(work, os.path.dirname(inputs["model"]))
    if cell.verb == "firmware":  # the log of the build stays; no product, no sources
        assert not (work / "cache" / "firmware").exists() or not any(
            (work / "cache" / "firmware").iterdir())
        assert not (work / "cache" / "src").exists() or not any((work / "cache" / "src").iterdir())
        after = {k: v for k, v in after.items() if "/cache" not in k}
        before = {k: v for k, v in before.items() if "/cache" not in k}
    if cell.verb == "vboard":  # a new image, formatted whole, may stay: the board's flash
        after.pop(fill["work"] + "/flash.img", None)
    assert after == before


def test_run_on_a_board_exits_130_on_ctrl_c(tmp_path):
    """`ulearn run` of a program that runs for ever, Ctrl-C while it prints: 130, one line,
    and the board is told to stop (its REPL answers again)."""
    b = vboards.start(tmp_path)
    try:
        script = tmp_path / "loop.py"
        script.write_text("import time\ni = 0\nwhile True:\n    print('tick', i)\n"
                          "    i += 1\n    time.sleep(0.05)\n")
        master, slave = pty.openpty()  # unused: the sign is its output
        try:
            status, out, err = interrupted(["run", "-d", b.device, str(script)], "out:tick 2",
                                           dict(os.environ, TMPDIR=str(tmp_path)), str(tmp_path),
                                           master, tmp_path)
        finally:
            os.close(master)
            os.close(slave)
        assert status == 130, (out, err)
        assert err == "ulearn: interrupted; sent Ctrl-C to the board\n", err
        assert out.startswith("tick 0\n")
        assert vboards.ok(b.device, "exec", "print(6 * 7)").strip() == "42"
    finally:
        b.stop()


def test_the_board_demo_removes_its_folder_and_board_on_ctrl_c(tmp_path):
    """The board demo on its own virtual board, Ctrl-C while it trains on the host: 130,
    its temporary folder (the board's flash image in it) gone, its QEMU stopped."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    master, slave = pty.openpty()
    try:
        status, out, err = interrupted(["demo"], "out:== host: training",
                                       dict(os.environ, TMPDIR=str(tmp)), str(tmp_path),
                                       master, tmp)
    finally:
        os.close(master)
        os.close(slave)
    if status == 1 and "firmware build" in err and not os.environ.get("CI"):
        pytest.skip(err.strip())
    assert status == 130, (out, err)
    assert err == "ulearn: interrupted\n", err
    assert os.listdir(tmp) == [] and _qemu_on(tmp) == []
