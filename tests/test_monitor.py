"""`ulearn monitor` and the board's status lines (ulearn.app.status).

Unit: parsing status lines, the view's text, steps/s from the board's ms, garbled lines, the
plot (written, and not on an error), app.status and app.learn(status=K) on CPython. Then on
the virtual board (MicroPython + ulab under QEMU, 192 KB heap): monitor starting `learn`
with status lines and a plot, listening to a program already running, and Ctrl-C.
"""
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from test_datasets import load
from ulearn_dev import devicepkg, tier3, vboards
from ulearn_host import cli
from ulearn_host.monitor import Screen, Tally, parse, plot

STATUS = "ulearn-status "
HEAP = 192 * 1024


@pytest.fixture(autouse=True)
def on_numpy():
    devicepkg.use("numpy")


def ulearn_cmd(*argv, check=True, timeout=300):
    r = subprocess.run([sys.executable, "-m", "ulearn_host.cli", *map(str, argv)],
                       capture_output=True, text=True, timeout=timeout)
    if check and r.returncode:
        raise AssertionError("ulearn %s failed:\n%s%s" % (" ".join(map(str, argv)), r.stdout,
                                                          r.stderr))
    return r


def status(**fields):
    return STATUS + json.dumps(fields)


class Out:
    """A stream that is or is not a terminal."""

    def __init__(self, tty):
        self.tty, self.text = tty, ""

    def isatty(self):
        return self.tty

    def write(self, s):
        self.text += s

    def flush(self):
        pass


# -- unit: the lines, the view, the plot

def test_the_contract_names_agree():
    from ulearn import contract
    assert contract.STATUS == STATUS and contract.REPORT != STATUS


def test_parse_a_status_line():
    assert parse(status(n=3, pred="a", conf=0.5, alarm=False)) == {
        "n": 3, "pred": "a", "conf": 0.5, "alarm": False}
    assert parse("learn: 100 samples") is None
    assert parse("ulearn-report {}") is None
    for bad in (STATUS + '{"n": 3', STATUS + "[1, 2]", STATUS, STATUS + "nan"):
        with pytest.raises(ValueError, match="garbled status line"):
            parse(bad)


def test_garbled_lines_and_reports_are_counted_not_fatal():
    t = Tally()
    kinds = [t.line(s) for s in (status(n=1, acc=1.0), STATUS + '{"n": 2, "acc"',
                                 "hello", 'ulearn-report {"n": 2}', "ulearn-report {bro",
                                 STATUS + "42", status(n=3, acc=0.5))]
    assert kinds == ["status", "garbled", "other", "report", "report", "garbled", "status"]
    assert t.garbled == 2 and [r["n"] for r in t.records] == [1, 3]
    assert t.reports == [{"n": 2}] and t.last["acc"] == 0.5
    assert t.summary("done") == "monitor: 2 status lines, 3 steps, accuracy 0.500, " \
                                "2 garbled (done)"
    assert Tally().summary("Ctrl-C") == "monitor: no status lines (Ctrl-C)"


def test_steps_per_second_come_from_the_board_clock():
    t = Tally()
    t.add({"n": 10, "ms": 5000})
    assert t.rate is None and t.mean_rate() is None
    t.add({"n": 30, "ms": 5400})  # 20 steps in 0.4 s of board time
    assert t.rate == pytest.approx(50.0)
    t.add({"acc": 0.5})  # no n or ms: the rate stands
    assert t.rate == pytest.approx(50.0)
    t.add({"n": 40, "ms": 5500})
    assert t.rate == pytest.approx(100.0)
    assert t.mean_rate() == pytest.approx(1000.0 * 30 / 500)
    t.add({"n": 45, "ms": 100})  # ticks_ms wrapped around: no rate from that pair
    assert t.rate is None
    t.add({"n": 5, "ms": 200})  # a new run (n went down): none either
    assert t.rate is None
    t.add({"n": 25, "ms": 400})
    assert t.rate == pytest.approx(100.0)
    assert t.mean_rate() == pytest.approx(1000.0 * 50 / 700)


SEQUENCE = [
    dict(n=10, pred="a", conf=0.5, y="b", acc=0.4, classes=2, ms=1000, heap=50000),
    dict(n=20, pred="b", conf=0.75, y="b", acc=0.55, classes=3, ms=1250, heap=40960),
    dict(score=3.5, threshold=2.0, alarm=True, ms=1300, heap=60000),
    dict(n=30, score=1.25, threshold=2.0, alarm=False, ms=1500, heap=45000),
]


def test_the_view_of_a_known_sequence():
    t = Tally()
    for rec in SEQUENCE:
        t.add(rec)
    assert t.view() == [
        "steps      30   40.0 steps/s",
        "predicted  b   confidence 0.750   (true b)",
        "accuracy   0.550 prequential   3 classes known",
        "anomaly    score 1.25 / threshold 2   1 alarms",
        "heap free  43.9 KB   (lowest 40.0 KB)",
        "4 status lines",
    ]
    assert t.plain(SEQUENCE[1]) == ("status: n 20 (40.0 steps/s)  pred b 0.75  y b  acc 0.550  "
                                    "classes 3  heap 40.0 KB")
    assert t.plain(SEQUENCE[2]) == "status: score 3.5/2  ALARM  heap 58.6 KB"
    assert t.summary("the program ended") == (
        "monitor: 4 status lines, 30 steps (40.0 steps/s), accuracy 0.550, 3 classes, "
        "1 alarms, heap free lowest 40.0 KB (the program ended)")
    first = Tally()
    first.add(SEQUENCE[0])
    assert first.view()[0] == "steps      10" and "lowest 48.8 KB" in first.view()[-2]


def test_the_screen_plain_and_live():
    plain = Screen(Tally(), Out(tty=False))
    for line in ("booting", status(n=1, acc=1.0), "learn: saved", status(n=2, acc=0.5)):
        plain.line(line)
    plain.draw()  # nothing to redraw off a terminal
    assert plain.out.text.splitlines() == ["booting", "status: n 1  acc 1.000", "learn: saved",
                                           "status: n 2  acc 0.500"]
    live = Screen(Tally(), Out(tty=True))
    assert live.live
    live.line(status(n=1, acc=1.0))  # the first is drawn at once
    view = "steps      1\naccuracy   1.000 prequential\n1 status lines\n"
    assert live.out.text == view and live.drawn == 3
    live.line("learn: saved")  # scrolls above: the view is erased, the line, the view again
    assert live.out.text == view + "\x1b[3F\x1b[J" + "learn: saved\n" + view
    live.at = 0.0  # as if the last draw was long ago
    live.line(status(n=2, acc=0.5))
    assert live.out.text.endswith("\x1b[3F\x1b[Jsteps      2\naccuracy   0.500 prequential\n"
                                  "2 status lines\n")
    live.line(status(n=3, acc=0.5))  # at once after a draw: not redrawn yet
    assert "steps      3" not in live.out.text and live.tally.records[-1]["n"] == 3
    live.draw()  # the end
    assert live.out.text.endswith("steps      3\naccuracy   0.500 prequential\n3 status lines\n")


def test_the_plot_draws_the_panels_with_data(tmp_path):
    path = tmp_path / "curves.png"
    plot(SEQUENCE, str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image
    tall = matplotlib.image.imread(str(path)).shape[0]
    plot([{"n": 1, "acc": 0.5}, {"n": 2, "acc": 0.75}], str(tmp_path / "one.png"))
    short = matplotlib.image.imread(str(tmp_path / "one.png")).shape[0]
    assert tall > 2.5 * short  # four panels against one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png", "one.png"]


@pytest.mark.parametrize("records", [[], [{"n": 1, "ms": 5}, {"n": 2, "pred": "a"}]])
def test_no_curves_is_an_error_and_no_file(records, tmp_path):
    with pytest.raises(ValueError, match="no status lines with values to plot"):
        plot(records, str(tmp_path / "out.png"))
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_are_one_line(tmp_path, capsys):
    assert cli.main(["monitor", "-d", "socket://127.0.0.1:9", "learn", "every"]) == 1
    err = capsys.readouterr().err
    assert err == "ulearn monitor: error: argument 'every' is not key=value\n"
    script = tmp_path / "s.py"
    script.write_text("print(1)\n")
    with pytest.raises(SystemExit) as e:
        cli.main(["monitor", "-d", "socket://127.0.0.1:9", str(script), "every=3"])
    assert e.value.code == 2 and "go with an entry point" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        cli.main(["monitor", "--seconds", "0"])
    assert e.value.code == 2 and "--seconds must be above 0" in capsys.readouterr().err
    assert cli.main(["monitor", "-d", "socket://127.0.0.1:9", "--seconds", "1"]) == 1
    assert capsys.readouterr().err.startswith("ulearn monitor: error: cannot connect to socket:")


# -- the device side on CPython

def test_app_status_prints_one_line_with_the_clock(capsys):
    from ulearn import app
    fields = {"n": 7, "pred": "a", "conf": 0.25, "alarm": True}
    app.status(fields)
    app.status({})
    first, second = capsys.readouterr().out.splitlines()
    rec = parse(first)
    assert set(rec) == {"n", "pred", "conf", "alarm", "ms"}  # no heap on CPython
    assert rec["alarm"] is True and isinstance(rec["ms"], int)
    assert 0 <= parse(second)["ms"] - rec["ms"] < 1000


@tier3.on(("unix32-ulab", "mpy"), ("unix32", "py"), ("cp-unix", "py"))
def test_app_status_on_micropython_and_circuitpython(mp):
    out = mp.exec("from ulearn.app import status\nstatus({'n': 1, 'pred': 'a', 'alarm': False})"
                  "\nx = [0] * 5000\nstatus({'n': 2})")
    first, second = (parse(line) for line in out.splitlines())
    assert first["pred"] == "a" and first["alarm"] is False and second["n"] == 2
    for rec in (first, second):
        assert isinstance(rec["ms"], int) and isinstance(rec["heap"], int) and rec["heap"] > 0
    assert 0 <= second["ms"] - first["ms"] < 5000
    assert second["heap"] < first["heap"]  # the list took heap, not yet collected


@pytest.fixture
def learner_files(tmp_path):
    """A bundle knowing classes 0 and 1, and a stream of 60 rows of classes 0, 1, 2."""
    import ulearn
    from ulearn import stream
    rng = np.random.default_rng(3)
    centres = rng.normal(0, 3, (3, 8))
    clf = ulearn.Classifier(8, capacity=4)
    for i in range(40):
        clf.learn_one(centres[i % 2] + rng.normal(0, 1, 8), i % 2)
    bundle, data = str(tmp_path / "bundle.npz"), str(tmp_path / "s.npz")
    ulearn.save(clf, bundle)
    y = [i % 3 for i in range(60)]
    stream.save(data, [centres[c] + rng.normal(0, 1, 8) for c in y], y)
    return bundle, data, tmp_path


def test_learn_prints_status_lines_and_the_same_report(learner_files, capsys):
    import ulearn
    from ulearn import app
    from ulearn.stream import Stream
    bundle, data, d = learner_files
    reports = {}
    for k in (0, 6):
        state = str(d / ("state%d.npz" % k))
        app.learn(data, every=25, bundle=bundle, state=state, log=None, status=k)
        lines = capsys.readouterr().out.splitlines()
        t = Tally()
        for line in lines:
            t.line(line)
        reports[k] = t.reports[-1]
        assert lines[-1].startswith("ulearn-report ")
    assert reports[6] == reports[0]  # the same predictions, with or without status lines
    assert t.records and Tally().records == []
    assert [r["n"] for r in t.records] == list(range(6, 61, 6))
    assert t.records[-1]["acc"] == reports[6]["prequential"]
    # each status line's prediction is predict_one's, made before learning that sample
    clf, hits = ulearn.load(bundle), 0
    for n, (x, y) in enumerate(Stream(data), 1):
        pred = clf.predict_one(x)
        hits += pred == y
        proba = clf.predict_proba_one(x)
        clf.learn_one(x, y)
        if n % 6 == 0:
            r = t.records[n // 6 - 1]
            assert set(r) == {"n", "pred", "conf", "y", "acc", "classes", "ms"}  # no heap
            assert (r["pred"], r["y"], r["acc"], r["classes"]) == (pred, y, hits / n,
                                                                   len(clf.labels))
            assert r["conf"] == pytest.approx(proba[pred]) and r["conf"] == max(proba.values())
    assert {r["classes"] for r in t.records} == {3}  # class 2 came in at row 3
    assert 0 < reports[0]["prequential"] < 1


# -- on the virtual board

@pytest.fixture(scope="module")
def board(tmp_path_factory):
    b = vboards.start(tmp_path_factory.mktemp("monitor"))
    yield b
    b.stop()


@pytest.fixture(scope="module")
def deployed(board, tmp_path_factory):
    """A digits bundle trained without the 9s and a stream of 300 rows with them, on the
    board."""
    from ulearn_host import tasks
    load(tasks.load_task, "digits")  # skip off CI when the data is missing
    d = tmp_path_factory.mktemp("monitor-files")
    model, bundle, data = d / "model.npz", d / "bundle.npz", d / "learn.npz"
    ulearn_cmd("train", "--data", "digits", "--exclude", "9", "--epochs", "10", "-o", model)
    ulearn_cmd("export", model, "--capacity", "12", "-o", bundle)
    ulearn_cmd("stream", "--data", "digits", "--split", "test", "--shuffle", "--limit", "300",
               "-o", data)
    ulearn_cmd("deploy", bundle, "-d", board.device, "--file", data)
    return "/ulearn-data/learn.npz"


def test_monitor_learn_on_the_virtual_board(board, deployed, tmp_path):
    dev, png = board.device, tmp_path / "out.png"
    r = ulearn_cmd("monitor", "-d", dev, "learn", "stream=" + deployed, "every=50", "status=10",
                   "--plot", png, "--json")
    records = json.loads(r.stdout)
    log = r.stderr.splitlines()  # with --json the lines go to stderr
    report = json.loads([s for s in log if s.startswith("ulearn-report ")][-1][14:])
    assert [rec["n"] for rec in records] == list(range(10, 301, 10))
    assert report["n"] == 300 and "9" in report["classes"]
    assert records[-1]["acc"] == pytest.approx(report["prequential"], abs=1e-6)
    accs = [rec["acc"] for rec in records]
    assert min(accs) < max(accs)  # the 9s were new: it learned as it went
    for rec in records:
        assert 0 < rec["heap"] < HEAP and isinstance(rec["ms"], int)
        assert 0 < rec["conf"] <= 1 and rec["classes"] in (9, 10)
    assert [rec["ms"] for rec in records] == sorted(rec["ms"] for rec in records)
    assert sum(s.startswith("status: n ") for s in log) == 30
    assert sum(s.startswith(STATUS) for s in log) == 0  # shown as plain lines, not raw
    assert "learn: 50 samples, prequential accuracy" in r.stderr
    last = log[-1]
    assert last.startswith("monitor: 30 status lines, 300 steps (") and " steps/s)" in last
    assert last.endswith("(the program ended)") and "accuracy %.3f" % accs[-1] in last
    assert png.read_bytes()[:4] == b"\x89PNG"

    # the same learning from the same start, without status lines: the same report
    vboards.ok(dev, "rm", ":/ulearn-data/state.npz")
    records_rerun = ulearn_cmd("monitor", "-d", dev, "learn", "stream=" + deployed,
                               "status=0", "--json")
    assert json.loads(records_rerun.stdout) == []
    again = [s for s in records_rerun.stderr.splitlines() if s.startswith("ulearn-report ")]
    assert json.loads(again[-1][14:]) == report
    assert records_rerun.stderr.splitlines()[-1] == "monitor: no status lines (the program ended)"


LOOP = """import time
from ulearn.app import status
for i in range(1, %d):
    status({"n": i, "score": 0.5 + (i %% 7) * 0.5, "threshold": 2.0, "alarm": i %% 7 > 2})
    time.sleep_ms(10)
print("loop done")
"""


def test_monitor_listens_to_a_running_program(board, deployed, tmp_path):
    dev, png = board.device, tmp_path / "listen.png"
    # nothing runs: nothing to draw, one line, no file
    r = ulearn_cmd("monitor", "-d", dev, "--seconds", "1", "--plot", png, check=False)
    assert r.returncode == 1 and not png.exists()
    assert r.stdout.splitlines()[-1] == "monitor: no status lines (1 s passed)"
    assert r.stderr == ("ulearn monitor: error: no status lines with values to plot came from "
                        "the board (a program prints them with ulearn.app.status)\n")
    # a program started and left running (as main.py after a reset): monitor only listens
    vboards.ok(dev, "exec", "--no-follow", LOOP % 100000)
    try:
        r = ulearn_cmd("monitor", "-d", dev, "--seconds", "3", "--plot", png, "--json")
        records = json.loads(r.stdout)
        ns = [rec["n"] for rec in records]
        assert len(ns) > 20 and ns == sorted(ns) and ns[-1] - ns[0] == len(ns) - 1
        assert all(0 < rec["heap"] < HEAP for rec in records)
        alarms = sum(rec["alarm"] for rec in records)
        assert r.stderr.splitlines()[-1].startswith("monitor: %d status lines, %d steps ("
                                                    % (len(ns), ns[-1]))
        assert "%d alarms" % alarms in r.stderr and r.stderr.endswith("(3 s passed)\n")
        assert png.exists()
        # still running, untouched: a second listener picks up where it is
        later = json.loads(ulearn_cmd("monitor", "-d", dev, "--seconds", "1", "--json").stdout)
        assert later and later[0]["n"] > ns[-1]
    finally:
        vboards.ok(dev, "exec", "pass")  # mpremote's Ctrl-C stops the loop


def test_ctrl_c_stops_the_board_and_keeps_the_curves(board, deployed, tmp_path):
    dev, png = board.device, tmp_path / "stopped.png"
    proc = subprocess.Popen([sys.executable, "-m", "ulearn_host.cli", "monitor", "-d", dev,
                             "learn", "stream=" + deployed, "passes=20", "status=5", "--plot",
                             str(png)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        seen = 0
        while seen < 3:  # a few status lines in
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            seen += line.startswith("status: n ")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert err == "" and out.splitlines()[-1].endswith("(Ctrl-C)")
    assert png.exists()
    # the board's program was stopped: it answers at once
    t = time.monotonic()
    assert vboards.ok(dev, "exec", "print(6 * 7)").strip() == "42"
    assert time.monotonic() - t < 10


def test_a_board_traceback_fails_after_the_summary_and_the_plot(board, deployed, tmp_path):
    script, png = tmp_path / "boom.py", tmp_path / "boom.png"
    script.write_text("from ulearn.app import status\nstatus({'n': 1, 'acc': 0.5})\n"
                      "status({'n': 2, 'acc': 0.75})\nraise MemoryError('out of heap')\n")
    r = ulearn_cmd("monitor", "-d", board.device, script, "--plot", png, check=False)
    assert r.returncode == 1
    last = r.stdout.splitlines()[-1]
    assert last.startswith("monitor: 2 status lines, 2 steps (") and "accuracy 0.750, " in last
    assert last.endswith("(the board raised)")
    assert r.stderr.startswith("ulearn monitor: error: the board raised:\nTraceback")
    assert "MemoryError: out of heap" in r.stderr and png.exists()
