"""The `ulearn` command: help, the demo, the dataset list, user errors."""
import json
import subprocess
import sys

import pytest

from ulearn_dev import devicepkg
from test_datasets import load
from ulearn_host import cli, datasets, firmware, tasks


@pytest.fixture(autouse=True)
def on_numpy():
    devicepkg.use("numpy")  # the host runs the device package on numpy


def test_help_lists_the_verbs():
    out = subprocess.run([sys.executable, "-m", "ulearn_host.cli", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for verb in ("demo", "datasets", "train", "export", "stream", "budget", "deploy", "run", "pull", "fed",
                 "report"):
        assert verb in out


def test_demo_learns_on_real_data(capsys):
    assert cli.main(["demo", "tinyol", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert len(r["classes_arrived"]) == 7  # every exercise added at run time
    assert r["restored_identical"] is True
    assert r["prequential_accuracy"] > 0.85
    assert r["held_out_accuracy"] > 0.6  # subjects the board never saw
    assert r["anomaly_recall"] > 0.5 and r["anomaly_precision"] > 0.2


def test_demo_prints_a_report(capsys):
    assert cli.main(["demo", "tinyol"]) == 0
    out = capsys.readouterr().out
    assert "new class 'pendulum' added on the board" in out
    assert "prequential accuracy" in out


def test_the_board_demo_says_what_its_virtual_board_needs(tmp_path, monkeypatch, capsys):
    load(tasks.load_task, "watch")  # skip off CI when the data is missing
    monkeypatch.setenv("ULEARN_CACHE", str(tmp_path))  # a cache where nothing is built
    assert cli.main(["demo"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run `ulearn firmware build --target qemu-m3`" in err, err
    monkeypatch.setattr(firmware, "require", lambda target: tmp_path / "firmware.elf")
    monkeypatch.setenv("PATH", str(tmp_path))  # no QEMU on it
    assert cli.main(["demo"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "apt-get install qemu-system-arm" in err, err


def test_datasets_lists_what_is_installed(capsys):
    assert cli.main(["datasets", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["digits"]["installed"] and rows["watch"]["installed"]


def test_missing_data_is_a_clear_error_not_a_traceback(monkeypatch, capsys):
    def missing(*a, **k):
        raise datasets.DatasetUnavailable("dataset 'watch' needs seglearn: pip install seglearn")
    monkeypatch.setattr(datasets, "load_watch", missing)
    assert cli.main(["demo", "tinyol"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ulearn demo: error: dataset 'watch' needs seglearn")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unknown_verb_exits_with_usage():
    with pytest.raises(SystemExit) as e:
        cli.main(["fly"])
    assert e.value.code == 2
