"""`ulearn record`: the sampler protocol, labels, sessions and saves (no board); the sampler
and the example MPU-6050 reader in real MicroPython and CircuitPython; and the whole command
on the virtual board (a simulated sensor replaying smartwatch IMU recordings), on a user's
script, and listening to a pseudo-terminal that prints like an Arduino sketch."""
import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import sim_mpu6050
from helpers import watch_replay
from test_example_sensor import MACHINE
from ulearn_dev import tier3, vboards
from ulearn_host import cli, files, record, recording

ROOT = Path(__file__).resolve().parents[1]
CHANNELS = ["ax", "ay", "az", "wx", "wy", "wz"]


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))


def replay_rows(label, n=None):
    """The rows a Replay of watch_replay(label) returns, as float32."""
    text = watch_replay(label)
    rows = [[float(v) for v in line.split(",")] for line in text.splitlines()]
    return np.array(rows[:n], np.float32)


# ---------------------------------------------------------------- protocol

def test_protocol_readings_banners_malformed_and_drops():
    p = record.Protocol()
    lines = ["MPU6050 found!",  # a banner
             "# ulearn-record rate=50.0 channels=ax,ay",
             "1.5,2", "3\t4.25", "5 6", "7,8,",  # commas, tabs, spaces, a trailing comma
             "1,2,3",  # another count of values: malformed
             "nan,1",  # not finite: malformed
             "# dropped 2",
             "9,10", "", "ready: 1 2", "1e39,1"]  # 1e39 is beyond float32
    got = [p.feed(line, now=100.0) for line in lines]
    readings = [r for r in got if r is not None]
    assert readings == [(0.0, [1.5, 2.0]), (0.02, [3.0, 4.25]), (0.04, [5.0, 6.0]),
                        (0.06, [7.0, 8.0]), (0.12, [9.0, 10.0])]  # the 2 dropped: a gap
    assert (p.rate, p.channels, p.width) == (50.0, ["ax", "ay"], 2)
    assert (p.readings, p.dropped, p.malformed, p.ignored) == (5, 2, 3, 2)
    assert not p.ended
    p.feed("# end readings=5 dropped=2")
    assert p.ended


def test_protocol_without_a_rate_uses_arrival_time_and_plotter_names():
    p = record.Protocol()
    assert p.feed("temp:20.5,hum:40", now=10.0) == (0.0, [20.5, 40.0])
    assert p.feed("temp:21,hum:41", now=10.75) == (0.75, [21.0, 41.0])
    assert p.channels == ["temp", "hum"] and p.rate == 0


def test_sensor_keys_channels_and_labels_are_checked():
    assert record.check_sensor("mpu6050.read") == "mpu6050"
    assert record.check_sensor("replay_sensor.Replay('/pen.csv')") == "replay_sensor"
    assert record.check_sensor("a.b.c(1, x=-2.5, y=(1, 2))") == "a"
    for bad in ("read", "read()", "m.f(x)", "m.f(*a)", "m.f(**k)", "m.f()()", "1 + m.f",
                "m.f; import os", "m[0]", "", "m.f(open('x'))"):
        with pytest.raises(ValueError, match="is not MODULE.CALLABLE"):
            record.check_sensor(bad)
    assert record.parse_keys("1=PEN,2=ABD,0=") == {" ": None, "1": "PEN", "2": "ABD",
                                                   "0": None}
    assert record.describe_keys(record.parse_keys("1=PEN,0=")) == "1 PEN, space or 0 pause"
    for bad in ("1PEN", "12=PEN", "1=PEN,1=ABD", "0=", "1= PEN", "=PEN", "1=A,"):
        with pytest.raises(ValueError, match="--labels-from"):
            record.parse_keys(bad)
    assert record.parse_channels("ax, ay,az") == ["ax", "ay", "az"]
    for bad in ("a,,b", "a,a", "a,label", "time"):
        with pytest.raises(ValueError, match="--channels"):
            record.parse_channels(bad)


# ---------------------------------------------------------------- labels, sessions, saves

def session(out, values, label="PEN", channels=("a", "b"), rate=10.0, keys=None, presses=None):
    """A Recorder that took `values` (one reading each, at index / rate), saved."""
    rec = record.Recorder(out, label=label, keys=keys)
    rec.begin(len(channels), list(channels), rate)
    for i, v in enumerate(values):
        if presses and i in presses:
            rec.press(presses[i])
        rec.add(i / rate, v)
    assert rec.save()
    return rec


def test_keys_label_what_follows_and_nothing_before(tmp_path):
    keys = record.parse_keys("1=PEN,2=ABD,0=")
    values = [[i, -i] for i in range(10)]
    rec = session(tmp_path / "d", values, label=None, keys=keys,
                  presses={2: "1", 4: "x", 5: "2", 7: "0", 8: " ", 9: "1"})
    got = recording.load(tmp_path / "d")
    assert got.label.tolist() == ["PEN", "PEN", "PEN", "ABD", "ABD", "PEN"]
    assert got.readings[:, 0].tolist() == [2, 3, 4, 5, 6, 9]  # 0, 1 before a key; 7, 8 paused
    assert got.time.tolist() == [0.2, 0.3, 0.4, 0.5, 0.6, 0.9]  # the pause shows as a gap
    assert rec.unlabelled == 4 and rec.counts() == {"PEN": 4, "ABD": 2}


def test_sessions_append_and_other_channels_or_rates_are_refused(tmp_path):
    out = tmp_path / "d.csv"
    session(out, [[1, 2], [3, 4]])
    first = {n: (tmp_path / n).read_bytes() for n in ("d.csv", "d.npz")}
    rec = session(tmp_path / "d.npz", [[5, 6]], label="ABD")
    assert rec.session == 2
    got = recording.load(tmp_path / "d")
    assert got.session.tolist() == [1, 1, 2] and got.label.tolist() == ["PEN", "PEN", "ABD"]
    assert got.readings.tolist() == [[1, 2], [3, 4], [5, 6]] and got.rate == 10.0
    assert (tmp_path / "d.csv").read_bytes().startswith(first["d.csv"])  # rows kept as they were
    before = {n: (tmp_path / n).read_bytes() for n in ("d.csv", "d.npz")}
    with pytest.raises(ValueError, match="has channels a,b; this session's are x,y"):
        record.Recorder(tmp_path / "d").begin(2, ["x", "y"], 10.0)
    with pytest.raises(ValueError, match="recorded at 10 Hz, this session at 20 Hz"):
        record.Recorder(tmp_path / "d").begin(2, None, 20.0)
    with pytest.raises(ValueError, match="gives 3 values per reading"):
        record.Recorder(tmp_path / "d").begin(3, ["a", "b"], 10.0)
    rec = record.Recorder(tmp_path / "d")
    rec.begin(2, None, 10.0)  # no names given: the recording's, when the count fits
    assert rec.channels == ["a", "b"] and rec.session == 3
    assert {n: (tmp_path / n).read_bytes() for n in before} == before
    assert listing(tmp_path) == ["d.csv", "d.npz"]


class FakeLine:
    """A sampler's lines, a few per read, on a clock that advances a second per read;
    `check(k)` runs before read k; then the line drops (Lost)."""

    def __init__(self, lines, per_read, check=None):
        self.lines, self.per_read, self.check = list(lines), per_read, check
        self.raw, self.done, self.error, self.interrupted = True, False, None, False
        self.reads = 0

    def read(self):
        if self.check:
            self.check(self.reads)
        self.reads += 1
        if not self.lines:
            raise record.Lost("gone")
        out, self.lines = self.lines[:self.per_read], self.lines[self.per_read:]
        return out

    def interrupt(self):
        self.interrupted = True

    def drain(self):
        return []


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        self.t += 1.0
        return self.t


def test_periodic_saves_leave_a_loadable_pair(tmp_path, monkeypatch):
    monkeypatch.setattr(record, "SAVE_EVERY", 3.0)
    lines = ["# ulearn-record rate=10 channels=a,b"] + ["%d,%d" % (i, 2 * i) for i in range(40)]
    seen = []
    rec = record.Recorder(tmp_path / "d", label="PEN")

    def check(k):  # what a killed host would leave, before each read
        if rec._saver is not None:
            rec._saver.join()
        if (tmp_path / "d.npz").exists():
            a, b = (recording.read(tmp_path / n) for n in ("d.csv", "d.npz"))
            assert a.readings.tolist() == b.readings.tolist() and a.label.tolist() == b.label.tolist()
            seen.append(len(a.time))
            assert a.readings[:, 0].tolist() == list(range(len(a.time)))
    out = record.capture(FakeLine(lines, 4, check), record.Protocol(), rec, clock=Clock())
    assert out.how == "lost" and rec.kept == 40 and rec.saved == 40
    # a save every 3 clock seconds (one read each), while the readings came
    assert seen[0] == 0 or seen[0] > 0
    assert sorted(set(seen)) == [11, 23, 35] and seen.count(0) == 0
    got = recording.load(tmp_path / "d")
    assert got.readings[:, 1].tolist() == [2 * i for i in range(40)]
    assert np.allclose(got.time, np.arange(40) / 10)
    assert listing(tmp_path) == ["d.csv", "d.npz"]


@pytest.mark.parametrize("error", [OSError, KeyboardInterrupt])
def test_an_interrupted_write_leaves_the_old_files(error, tmp_path, monkeypatch):
    session(tmp_path / "d", [[1, 2], [3, 4]])
    before = {n: (tmp_path / n).read_bytes() for n in ("d.csv", "d.npz")}

    def half_then_fail(path, data):  # the disk fills, or Ctrl-C, halfway through a file
        with files.atomic(path) as tmp:
            with open(tmp, "wb") as f:
                f.write(data[:len(data) // 2])
            raise error(errno.ENOSPC, "No space left on device") if error is OSError else error()
    monkeypatch.setattr(recording, "write_atomic", half_then_fail)
    lines = ["# ulearn-record rate=10 channels=a,b"] + ["%d,0" % i for i in range(10)]
    rec = record.Recorder(tmp_path / "d", label="ABD")
    with pytest.raises(error):
        record.capture(FakeLine(lines, 5), record.Protocol(), rec, clock=Clock())
    assert {n: (tmp_path / n).read_bytes() for n in before} == before
    assert listing(tmp_path) == ["d.csv", "d.npz"]
    assert recording.load(tmp_path / "d").session.tolist() == [1, 1]


def test_a_background_save_error_is_raised(tmp_path, monkeypatch):
    monkeypatch.setattr(record, "SAVE_EVERY", 1.0)

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    monkeypatch.setattr(recording, "write_atomic", full)
    lines = ["%d" % i for i in range(100)]
    with pytest.raises(OSError, match="No space"):
        record.capture(FakeLine(lines, 2), record.Protocol(10), record.Recorder(
            tmp_path / "d", label="A"), clock=Clock())
    assert listing(tmp_path) == []


def test_other_channels_stop_the_sampler_and_write_nothing(tmp_path):
    session(tmp_path / "d", [[1, 2]])
    before = {n: (tmp_path / n).read_bytes() for n in ("d.csv", "d.npz")}
    line = FakeLine(["1,2,3"] * 10, 2)
    with pytest.raises(ValueError, match="has channels a,b; this session's are ch0,ch1,ch2"):
        record.capture(line, record.Protocol(10), record.Recorder(tmp_path / "d", label="A"),
                       clock=Clock())
    assert line.interrupted
    assert {n: (tmp_path / n).read_bytes() for n in before} == before


BAD_ARGS = [
    (["--rate", "0"], "--rate must be more than 0"),
    (["--rate", "-5"], "--rate must be more than 0"),
    (["--rate", "nan"], "--rate must be more than 0"),
    (["--seconds", "0"], "--seconds must be more than 0"),
    (["--sensor", "read"], "is not MODULE.CALLABLE"),
    (["--sensor", "os.system(cmd)"], "is not MODULE.CALLABLE"),
    (["--labels-from", "1PEN"], "is not KEY=LABEL"),
    (["--labels-from", "1=A,1=B"], "given twice"),
    (["--label", ""], "is not a label"),
    (["--label", "a,b"], "is not a label"),
    (["--channels", "a,,b"], "is not a channel name"),
]


@pytest.mark.parametrize("argv,message", BAD_ARGS, ids=[" ".join(a) for a, _ in BAD_ARGS])
def test_bad_arguments_say_so_in_one_line_and_write_nothing(argv, message, tmp_path, capsys):
    labelled = any(a.startswith("--label") for a in argv)
    full = ["record", "-d", "socket://127.0.0.1:9", "-o", str(tmp_path / "d")] + argv + (
        [] if labelled else ["--label", "PEN"])
    with pytest.raises(SystemExit) as e:
        cli.main(full)
    assert e.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("ulearn record: error: ") and message in err[-1]
    assert listing(tmp_path) == []


@pytest.mark.parametrize("text,message", [
    ("time,a,label\n0,1,PEN\n", "d.csv is there and is not a recording"),
    ("time,a,label,session\n0,x,PEN,1\n", "d.csv, row 1, column 'a': 'x' is not a number")])
def test_a_bad_recording_is_refused_before_the_board(text, message, tmp_path, capsys):
    (tmp_path / "d.csv").write_text(text)
    assert cli.main(["record", "-d", "socket://127.0.0.1:9", "-o", str(tmp_path / "d"),
                     "--label", "PEN"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert listing(tmp_path) == ["d.csv"] and (tmp_path / "d.csv").read_text() == text


# ---------------------------------------------------------------- in real interpreters

COUNTER = """\
import time


class Count:
    # (k, k / 2, -k) at the k-th call; `slow`: every 5th call takes 3.5 ticks at `rate`
    def __init__(self, slow=0):
        self.k = 0
        self.slow = slow

    def __call__(self):
        self.k += 1
        if self.slow and self.k % 5 == 0:
            time.sleep(3.5 / self.slow)
        return (self.k, self.k / 2, -self.k)


def one():
    return 7
"""


def run_sampler(mp, sensor, rate, seconds, channels=()):
    out = mp.exec(record.sampler_code(sensor, rate, seconds, channels))
    p = record.Protocol()
    readings = [r for r in (p.feed(line) for line in out.splitlines()) if r is not None]
    return p, readings, out.splitlines()


@tier3.on(("unix32", "py"), ("cp-unix", "py"))
def test_the_sampler_runs_on_micropython_and_circuitpython(mp):
    mp.write_file("/lib/counter.py", COUNTER)
    p, readings, lines = run_sampler(mp, "counter.Count()", 200, 0.5, ["k", "half", "neg"])
    assert lines[0] == "# ulearn-record rate=200.0 channels=k,half,neg"
    assert p.channels == ["k", "half", "neg"] and p.rate == 200 and p.ended
    n = p.readings
    assert n + p.dropped == 100 and lines[-1] == "# end readings=%d dropped=%d" % (n, p.dropped)
    assert [v for _, v in readings] == [[k, k / 2, -k] for k in range(1, n + 1)]
    assert p.malformed == p.ignored == 0

    # a sensor slower than the rate: the missed ticks are skipped, counted and timed
    p, readings, lines = run_sampler(mp, "counter.Count(slow=100)", 100, 1)
    drops = [int(line.split()[2]) for line in lines if line.startswith("# dropped")]
    assert len(drops) >= 10 and all(d >= 2 for d in drops) and sum(drops) == p.dropped
    assert p.readings + p.dropped == 100 and p.ended
    assert [v[0] for _, v in readings] == list(range(1, p.readings + 1))
    after = lines[lines.index(next(ln for ln in reversed(lines) if ln[:1].isdigit())):]
    trailing = sum(int(ln.split()[2]) for ln in after if ln.startswith("# dropped"))
    ticks = np.round(np.array([t for t, _ in readings]) * 100)
    assert ticks[0] == 0 and ticks[-1] + 1 + trailing == 100
    assert (np.diff(ticks) >= 1).all() and int((np.diff(ticks) - 1).sum()) + trailing == p.dropped

    p, readings, _ = run_sampler(mp, "counter.one", 100, 0.1)  # one number per reading
    assert [v for _, v in readings] == [[7.0]] * p.readings and p.width == 1


MPU_RUN = """\
import json
import sys
import sim_machine
sys.modules["machine"] = sim_machine  # over the unix port's own machine module
import sim_mpu6050 as sim
clock = sim.Clock()
dev = sim.MPU6050(json.load(open("/samples.json")), clock)
sim.BUS = sim.Bus(dev)
import mpu6050
out = []
for _ in range(%d):
    out.append(mpu6050.read())
    clock.sleep_ms(20)
print(json.dumps({"readings": out, "regs": [dev.regs[0x1A], dev.regs[0x1B], dev.regs[0x1C],
                                            dev.regs[0x6B]]}))
"""


@tier3.on(("unix32", "py"))
def test_the_example_mpu6050_reader_on_micropython(mp):
    """examples/mpu6050.py in real MicroPython, over the simulated chip of
    tests/sim_mpu6050.py behind test_example_sensor's `machine` stand-in."""
    samples = replay_rows("ABD", 100).astype(np.float64)  # g and rad/s, within +-8 g
    mp.write_file("/lib/sim_mpu6050.py", (ROOT / "tests" / "sim_mpu6050.py").read_bytes())
    mp.write_file("/lib/sim_machine.py", MACHINE)
    mp.write_file("/lib/mpu6050.py", (ROOT / "examples" / "mpu6050.py").read_bytes())
    mp.write_file("/samples.json", json.dumps(samples.tolist()))
    got = json.loads(mp.exec(MPU_RUN % len(samples)).splitlines()[-1])
    assert got["regs"] == [4, 0x18, 0x10, 0x01]  # 21 Hz low-pass, +-2000 deg/s, +-8 g, awake
    readings = np.array(got["readings"])
    # the Adafruit driver's units: m/s^2 and rad/s, to the chip's resolution
    assert np.abs(readings[:, :3] - samples[:, :3] * 9.80665).max() <= 9.80665 / 4096
    assert np.abs(readings[:, 3:] - samples[:, 3:]).max() <= np.radians(1 / 16.4)
    assert np.abs(samples).max() > 1  # not a trivial replay


def test_the_example_reader_names_the_chips_settings_like_the_learning_example():
    text = (ROOT / "examples" / "sensor_learn.py").read_text()
    assert "RANGE_8_G" in text and "RANGE_2000_DPS" in text and "BAND_21_HZ" in text
    assert sim_mpu6050._ACCEL_LSB[2] == 4096 and sim_mpu6050._GYRO_LSB[3] == 16.4


# ---------------------------------------------------------------- on the virtual board

def ulearn(*argv, check=True, **kw):
    r = subprocess.run([sys.executable, "-m", "ulearn_host.cli", *map(str, argv)],
                       capture_output=True, text=True, timeout=600, **kw)
    if check and r.returncode:
        raise AssertionError("ulearn %s failed (%d):\n%s%s" % (" ".join(map(str, argv)),
                                                               r.returncode, r.stdout, r.stderr))
    return r


LABELS = ("PEN", "ABD", "FEL")


def put_replays(board, tmp_path):
    args = ["cp", ROOT / "examples" / "replay_sensor.py", ":/replay_sensor.py"]
    for lab in LABELS:
        local = tmp_path / ("%s.csv" % lab.lower())
        local.write_text(watch_replay(lab))
        args += ["+", "cp", local, ":/%s.csv" % lab.lower()]
    vboards.ok(board.device, *args)


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("record-board")
    b = vboards.start(tmp)
    try:
        put_replays(b, tmp)
        yield b
    finally:
        b.stop()


def sensor(label):
    return "replay_sensor.Replay('/%s.csv')" % label.lower()


def test_three_sessions_from_the_simulated_sensor(board, tmp_path):
    data = tmp_path / "data"
    files_after = []
    for lab in LABELS:
        r = ulearn("record", "-d", board.device, "--sensor", sensor(lab), "--label", lab,
                   "--rate", 50, "--seconds", 6, "--channels", ",".join(CHANNELS), "--out", data,
                   "--json")
        s = json.loads(r.stdout)
        assert s["samples"][lab] + s["dropped"] == 300 and s["ended"] == "end"
        assert s["malformed"] == s["unlabelled"] == 0 and s["rate"] == 50
        files_after.append((tmp_path / "data.csv").read_bytes())
    # each run appended: the file after run 2 still holds run 1, unchanged
    assert files_after[1].startswith(files_after[0]) and files_after[2].startswith(files_after[1])
    header = files_after[2].decode().splitlines()[0]
    assert header == "time,ax,ay,az,wx,wy,wz,label,session"
    rec, npz = recording.read(tmp_path / "data.csv"), recording.read(tmp_path / "data.npz")
    assert npz.rate == 50 and npz.channels == CHANNELS == rec.channels
    for a, b in zip(rec, npz):
        if isinstance(a, np.ndarray):
            assert a.tolist() == b.tolist() if a.dtype.kind in "UO" else np.allclose(a, b)
    for s, lab in enumerate(LABELS, 1):
        m = npz.session == s
        n = int(m.sum())
        assert n > 250 and set(npz.label[m]) == {lab}
        # the board's readings are the replayed recording's first rows, in order
        np.testing.assert_allclose(npz.readings[m], replay_rows(lab, n), rtol=1e-6, atol=1e-6)
        t = npz.time[m]
        steps = np.round(np.diff(t) * 50)
        assert t[0] == 0 and (steps >= 1).all() and np.allclose(np.diff(t), steps / 50)
        assert int(steps.sum()) + 1 <= 300
        if n == 300:
            assert np.allclose(np.diff(t), 1 / 50)
    assert npz.session.tolist() == sorted(npz.session.tolist())


def test_labels_typed_while_recording_and_ctrl_c(board, tmp_path):
    data = tmp_path / "typed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ulearn_host.cli", "record", "-d", board.device, "--sensor",
         sensor("PEN"), "--labels-from", "1=PEN,2=ABD,3=FEL,0=", "--rate", "50",
         "--channels", ",".join(CHANNELS), "-o", str(data), "--json"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr.readline().startswith("keys: 1 PEN, 2 ABD, 3 FEL, space or 0 pause")
        for key, wait in (("", 3), ("1", 3), ("2", 3), ("0", 2), ("3", 3)):
            if key:
                proc.stdin.write(key + "\n")
                proc.stdin.flush()
            time.sleep(wait)
        proc.send_signal(signal.SIGINT)  # how a recording without --seconds ends
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    s = json.loads(out)
    assert s["ended"] == "interrupted" and s["unlabelled"] > 0
    rec = recording.load(data)
    labels = rec.label.tolist()
    runs = [lab for i, lab in enumerate(labels) if i == 0 or labels[i - 1] != lab]
    assert runs == ["PEN", "ABD", "FEL"]  # in the order typed, each a block
    assert s["samples"] == {lab: labels.count(lab) for lab in runs}
    # every tick up to the last reading was kept, unlabelled or dropped
    assert len(labels) + s["unlabelled"] + s["dropped"] == round(rec.time[-1] * 50) + 1
    i = labels.index("FEL")
    assert round((rec.time[i] - rec.time[i - 1]) * 50) > 1  # the pause: a gap in time
    # the readings are the replay's, in order (reading k is row k: Replay wraps at the end)
    whole = replay_rows("PEN")
    if s["dropped"] == 0:
        rows = np.round(rec.time * 50).astype(int) % len(whole)
        np.testing.assert_allclose(rec.readings, whole[rows], rtol=1e-6, atol=1e-6)


def test_a_dropped_line_keeps_the_saved_samples_and_the_same_command_appends(tmp_path):
    b = vboards.start(tmp_path)
    data = tmp_path / "cut"
    cmd = [sys.executable, "-m", "ulearn_host.cli", "record", "-d", b.device, "--sensor",
           sensor("PEN"), "--label", "PEN", "--channels", ",".join(CHANNELS), "-o", str(data)]
    try:
        put_replays(b, tmp_path)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            while not (tmp_path / "cut.npz").exists() and time.monotonic() < deadline:
                time.sleep(0.2)  # the first save, SAVE_EVERY s in
            saved = len(recording.load(data).time)
            assert saved > 0
            time.sleep(1)
            b.kill()  # the board is gone: the serial line drops mid-recording
            out, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
        assert proc.returncode == 1 and out == ""
        assert err.count("\n") == 1 and err.startswith("ulearn record: error: the connection to")
        kept = int(err.split("kept ")[1].split()[0])
        assert kept >= saved and "run the same command again to append" in err
        rec = recording.load(data)
        assert len(rec.time) == kept and len(recording.read(tmp_path / "cut.csv").time) == kept
        np.testing.assert_allclose(rec.readings, replay_rows("PEN", kept), rtol=1e-6, atol=1e-6)
        assert not [n for n in listing(tmp_path) if n.startswith(".cut")]  # nothing half-written

        b.device = None
        b.start()  # the board is back (on a new device name): the same command appends
        cmd[cmd.index("-d") + 1] = b.device
        r = subprocess.run(cmd + ["--seconds", "1", "--json"], capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stderr
        again = recording.load(data)
        assert again.session.tolist() == [1] * kept + [2] * json.loads(r.stdout)["kept"]
        assert again.readings[:kept].tolist() == rec.readings.tolist()
    finally:
        b.stop()


SCRIPT = """\
print("my sampler, v1")
for i in range(120):
    print("%d, %d" % (i, i * i))
print("1,2,3")
"""


def test_run_records_what_a_users_script_prints(board, tmp_path):
    script = tmp_path / "mine.py"
    script.write_text(SCRIPT)
    r = ulearn("record", "-d", board.device, "--run", script, "--label", "SQ", "--rate", 10,
               "-o", tmp_path / "sq", "--json")
    s = json.loads(r.stdout)
    assert (s["kept"], s["ignored"], s["malformed"], s["ended"]) == (120, 1, 1, "end")
    rec = recording.load(tmp_path / "sq")
    assert rec.channels == ["ch0", "ch1"] and rec.rate == 10
    assert rec.readings.tolist() == [[i, i * i] for i in range(120)]
    assert np.allclose(rec.time, np.arange(120) / 10) and set(rec.label) == {"SQ"}

    # a script that never ends: --seconds stops it (Ctrl-C to the board), which is no error
    script.write_text("import time\ni = 0\nwhile True:\n    print(i)\n    i += 1\n"
                      "    time.sleep_ms(5)\n")
    r = ulearn("record", "-d", board.device, "--run", script, "--label", "N", "--rate", 100,
               "--seconds", 1, "-o", tmp_path / "n", "--json")
    s = json.loads(r.stdout)
    assert s["kept"] == 100 and s["ended"] == "end" and r.stderr == ""
    assert recording.load(tmp_path / "n").readings[:, 0].tolist() == list(range(100))
    assert vboards.ok(board.device, "exec", "print(6 * 7)").strip() == "42"  # stopped


class Arduino:
    """A pseudo-terminal printing like a sketch: a banner, then `i<TAB>2i` lines."""

    def __init__(self, lines=None, every=0.002):
        self.master, slave = os.openpty()
        self.device = os.ttyname(slave)
        os.close(slave)
        self.lines, self.every, self.stop = lines, every, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        os.write(self.master, b"MPU6050 Found!\r\n")
        i = 0
        while not self.stop.is_set() and (self.lines is None or i < self.lines):
            try:
                os.write(self.master, b"%d\t%d\r\n" % (i, 2 * i))
            except OSError:
                return
            i += 1
            time.sleep(self.every)
        if self.lines is not None:
            time.sleep(1)
            os.close(self.master)  # the cable is pulled

    def close(self):
        self.stop.set()
        self.thread.join()
        try:
            os.close(self.master)
        except OSError:
            pass


def test_listen_records_an_arduino_sketchs_lines(tmp_path, capsys):
    ard = Arduino()
    try:
        assert cli.main(["record", "-d", ard.device, "--listen", "--rate", "100", "--seconds",
                         "2", "--label", "ARD", "-o", str(tmp_path / "ard"), "--json"]) == 0
    finally:
        ard.close()
    s = json.loads(capsys.readouterr().out)
    assert s["kept"] == 200 and s["ended"] == "end" and s["malformed"] == 0
    rec = recording.load(tmp_path / "ard")
    i = rec.readings[:, 0]
    assert (np.diff(i) == 1).all() and (rec.readings[:, 1] == 2 * i).all()  # no line lost
    assert np.allclose(rec.time, np.arange(200) / 100) and rec.rate == 100

    # no --rate: the host's arrival time; the line drops: saved, exit 1
    ard = Arduino(lines=300)
    try:
        assert cli.main(["record", "-d", ard.device, "--listen", "--label", "ARD", "-o",
                         str(tmp_path / "host")]) == 1
    finally:
        ard.close()
    err = capsys.readouterr().err
    assert "the connection to %s was lost" % ard.device in err and err.count("\n") == 1
    rec = recording.load(tmp_path / "host")
    assert rec.rate == 0 and rec.time[0] == 0 and (np.diff(rec.time) >= 0).all()
    assert rec.time[-1] > 0.2 and "kept %d samples" % len(rec.time) in err
    assert (np.diff(rec.readings[:, 0]) == 1).all() and rec.readings[-1, 0] == 299


def test_keys_on_a_terminal_come_as_typed_and_the_terminal_is_restored():
    import termios
    master, slave = os.openpty()
    try:
        stream = os.fdopen(slave, "r", closefd=False)
        before = termios.tcgetattr(slave)
        with record.Keys(stream) as keys:
            assert keys.tty and not termios.tcgetattr(slave)[3] & termios.ICANON  # cbreak
            assert keys.poll() == ""
            os.write(master, b"1")  # no Enter: a key comes as it is typed
            time.sleep(0.1)
            assert keys.poll() == "1"
            os.write(master, b"2 ")
            time.sleep(0.1)
            assert keys.poll() == "2 "
        assert termios.tcgetattr(slave) == before
        with pytest.raises(KeyboardInterrupt):  # restored on every way out
            with record.Keys(stream):
                raise KeyboardInterrupt
        assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)


def test_keys_from_a_pipe_come_line_by_line():
    r, w = os.pipe()
    with os.fdopen(r) as stream, record.Keys(stream) as keys:
        assert not keys.tty and keys.poll() == ""
        os.write(w, b"1\n0\n")
        time.sleep(0.05)
        assert keys.poll() == "1\n0\n"
        os.close(w)
        assert keys.poll() == "" and keys.poll() == ""  # end of input: no more polling


FLAKY = """\
class Flaky:
    # 20 readings, then the bus fails as a loose wire does
    def __init__(self):
        self.n = 0

    def __call__(self):
        self.n += 1
        if self.n > 20:
            raise OSError(5)
        return (self.n, 0.5)
"""


def test_a_missing_or_failing_sensor_is_one_line(board, tmp_path):
    r = ulearn("record", "-d", board.device, "--label", "PEN", "-o", tmp_path / "d",
               check=False)  # the default sensor, mpu6050.read: not on this board
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == ("ulearn record: error: the board has no module mpu6050: copy it there "
                        "(for the example reader: mpremote cp examples/mpu6050.py :lib/), or "
                        "name another --sensor\n")
    assert listing(tmp_path) == []

    (tmp_path / "flaky.py").write_text(FLAKY)
    vboards.ok(board.device, "cp", tmp_path / "flaky.py", ":/flaky.py")
    r = ulearn("record", "-d", board.device, "--sensor", "flaky.Flaky()", "--label", "PEN",
               "-o", tmp_path / "d", check=False)
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("ulearn record: error: the sensor flaky.Flaky() raised on the "
                               "board: OSError: ")
    assert "5" in r.stderr and "(kept 20 samples in %s.csv and %s.npz)" % (
        tmp_path / "d", tmp_path / "d") in r.stderr
    rec = recording.load(tmp_path / "d")
    assert rec.readings[:, 0].tolist() == list(range(1, 21)) and rec.channels == ["ch0", "ch1"]
