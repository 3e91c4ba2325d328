"""examples/sensor_learn.py, run on a simulated board replaying real IMU data.

CPython: Blinka's simulated board (BLINKA_OS_AGNOSTIC=1). Blinka 10 gives it
`board` pins, `digitalio` pins with fixed behaviours (always high, toggling on
every read, ...) and a `busio.I2C` whose backend
(adafruit_blinka.microcontroller.generic_agnostic_board.i2c.I2C) has only
scan(): no transfer method, so no driver can talk to it. That backend class
is the one thing replaced: by tests/sim_mpu6050.Bus, which has the backend's
transfer methods and answers register reads from a simulated MPU-6050
replaying a smartwatch recording (seglearn's watch dataset, 6 axes at 50 Hz)
as raw int16 in the ranges the example configures. The example's own
open_sensor(), Blinka's busio.I2C, adafruit_bus_device, adafruit_register and
the real adafruit_mpu6050 driver all run. Two more seams: the buttons the
user presses at scripted times are sim_mpu6050.Button objects (Blinka's pins
cannot be scripted; the label test drives real digitalio on Blinka's toggling
pin), and time is a virtual clock (the loop's clock= and the driver's
start-up sleeps), so a replay is deterministic and takes no real time. The
NaN test wraps the driver's readings: its int16 registers cannot hold a NaN.

MicroPython: the same example in real MicroPython (ulearn_dev.tier3) with
examples/shim/ as board, busio and digitalio, the unmodified Adafruit driver,
and a `machine` stand-in whose SoftI2C is the same simulated bus.
"""
import importlib.util
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from ulearn_dev import devicepkg
import sim_mpu6050 as sim
from ulearn_dev import tier3
from ulearn_host import datasets

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SIZE, STEP = 100, 50  # the example's windows


def required(fn, *args):
    """Off CI, skip when data or a package is missing (with the install hint); on CI, fail."""
    try:
        return fn(*args)
    except (datasets.DatasetUnavailable, ModuleNotFoundError) as e:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(e))


def _spec(name):
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise ModuleNotFoundError("%s is not installed: pip install adafruit-blinka "
                                  "adafruit-circuitpython-mpu6050" % name)
    return spec


@pytest.fixture(scope="module")
def watch():
    return required(datasets.load_watch)


def replay(data, sets, rounds, bout=300, test=300):
    """What a simulated user works through. For each set (one recording per
    exercise, in label order): `rounds` rounds of `bout`-sample stretches of
    each recording, the label button tapped as each starts (the first label is
    the initial one) and the learn button held from 1 s in; then the next
    `test` samples of every recording, no buttons. Returns (samples, learn
    spans, label spans, test segments (start, end, label))."""
    samples, learn, label, tests = [], [], [], []
    for recs in sets:
        for r in range(rounds):
            for k in recs:
                s = len(samples)
                if s:
                    label.append((s, s + 5))
                samples += data.recordings[k][r * bout:(r + 1) * bout].tolist()
                learn.append((s + STEP, len(samples)))
    for recs in sets:
        for c, k in enumerate(recs):
            s = len(samples)
            samples += data.recordings[k][rounds * bout:rounds * bout + test].tolist()
            tests.append((s, len(samples), data.label_names[c]))
    return samples, learn, label, tests


def recording_sets(data, n, length):
    """n sets of one recording per exercise (label order), each >= length samples."""
    per_class = [[k for k in range(len(data.labels)) if data.labels[k] == c
                  and len(data.recordings[k]) >= length][:n] for c in range(7)]
    return [[ks[i] for ks in per_class] for i in range(n)]


def in_segment(end, segments):
    """The label of the segment holding the whole window that ends at sample `end`."""
    for a, b, y in segments:
        if a <= end - SIZE + 1 and end < b:
            return y
    return None


class Rig:
    """Runs examples/sensor_learn.main() on Blinka's simulated board with a
    simulated MPU-6050 replaying `samples`."""

    def __init__(self, example, monkeypatch, tmp_path):
        from adafruit_blinka.microcontroller.generic_agnostic_board import i2c

        import adafruit_mpu6050

        self.mp, self.i2c, self.driver, self.ex = monkeypatch, i2c, adafruit_mpu6050, example
        self.checkpoint = str(tmp_path / "learner.npz")
        self.saved = []  # per window: did the checkpoint file exist when it was shown

    def run(self, samples, learn=(), label=(), faults=(), wrap=None, buttons=None, **kw):
        """main()'s classifier and its windows: [(sample position, prediction, learned)]."""
        clock = sim.Clock()
        dev = self.dev = sim.MPU6050(samples, clock, faults=faults)
        self.mp.setattr(self.i2c, "I2C", lambda frequency=None: sim.Bus(dev))  # Blinka's backend
        self.mp.setattr(self.driver, "sleep", clock.sleep)  # the driver's start-up waits
        windows, self.saved = [], []

        def show(n, prediction, learned):
            windows.append((dev.position(), prediction, learned))
            self.saved.append(os.path.exists(self.checkpoint))

        kw.setdefault("max_windows", (len(samples) - SIZE) // STEP + 1)
        kw.setdefault("labels", lambda: None)
        clf = self.ex.main(
            sensor=wrap(self.ex.open_sensor(), dev) if wrap else None,
            buttons=buttons or (sim.Button(dev, learn), sim.Button(dev, label)),
            checkpoint=self.checkpoint, clock=clock, show=show, **kw)
        return clf, windows


@pytest.fixture
def example(monkeypatch):
    """examples/sensor_learn.py, imported afresh on the numpy backend (CPython on a Linux board)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    devicepkg.use("numpy")
    import sensor_learn

    yield sensor_learn
    sys.modules.pop("sensor_learn", None)


@pytest.fixture
def rig(example, monkeypatch, tmp_path):
    required(_spec, "adafruit_blinka")
    required(_spec, "adafruit_mpu6050")
    monkeypatch.setenv("BLINKA_OS_AGNOSTIC", "1")
    yield Rig(example, monkeypatch, tmp_path)
    # Blinka's simulated board must not reach other tests
    for name in [n for n in sys.modules if _board_module(n)]:
        del sys.modules[name]


def _board_module(name):
    top = name.split(".")[0]
    return top.startswith("adafruit") or top in (
        "board", "busio", "digitalio", "microcontroller", "circuitpython_typing")


def snapshot(clf):
    return clf.config(), clf.state(), [a.tolist() for a in clf.arrays()]


class NaNAt:
    """The real driver's readings with NaN on one axis at one sample position,
    as a driver reporting a failed conversion as NaN would give (the MPU-6050's
    int16 registers cannot hold a NaN)."""

    def __init__(self, mpu, dev, position):
        self.mpu, self.dev, self.position = mpu, dev, position

    @property
    def acceleration(self):
        a = self.mpu.acceleration
        return (math.nan, a[1], a[2]) if self.dev.position() == self.position else a

    @property
    def gyro(self):
        return self.mpu.gyro


# ---------------------------------------------------------------- CPython + Blinka


def test_learns_exercises_from_button_presses(rig, watch, capsys):
    assert list(rig.ex.LABELS) == watch.label_names  # tapping cycles in this order
    rounds, bout, test = 2, 300, 300
    sets = recording_sets(watch, 2, rounds * bout + test)
    samples, learn, label, tests = replay(watch, sets, rounds, bout, test)
    clf, windows = rig.run(samples, learn, label)
    # the driver configured the chip: +-8 g, +-2000 deg/s, 21 Hz low-pass, awake
    r = rig.dev.regs
    assert (r[0x1C] >> 3 & 3, r[0x1B] >> 3 & 3, r[0x1A] & 7, r[0x6B] & 0x40) == (2, 3, 4, 0)
    assert clf.labels == watch.label_names
    assert clf.n_seen == len(sets) * rounds * 7 * 5  # 5 windows fit a bout after its first second
    hits = [p == in_segment(end, tests) for end, p, _ in windows if in_segment(end, tests)]
    assert len(hits) == len(sets) * 7 * 5
    # measured: 0.971 (68 of 70 windows); chance is 1/7
    assert sum(hits) / len(hits) >= 0.8
    out = capsys.readouterr().out
    assert out.count("label: ") == 1 + len(label)
    assert "no checkpoint at" in out and os.path.exists(rig.checkpoint)


def test_checkpoint_restores_the_same_learner(rig, watch, capsys, monkeypatch):
    monkeypatch.setattr(rig.ex, "SAVE_EVERY", 10)
    samples, learn, label, tests = replay(watch, recording_sets(watch, 1, 600), 1)
    cut = tests[0][0]  # where the untouched part starts: a multiple of STEP
    whole, whole_windows = rig.run(samples, learn, label)  # no restart
    os.remove(rig.checkpoint)

    first, _ = rig.run(samples[:cut], learn, label)
    assert rig.saved.index(True) == 10  # saved at window 10, before the run ended
    capsys.readouterr()
    second, windows = rig.run(samples[cut:])  # a restart, no buttons
    out = capsys.readouterr().out
    assert "restored %s: %d windows learned" % (rig.checkpoint, first.n_seen) in out
    assert snapshot(second) == snapshot(first) == snapshot(whole)
    # from the first window on, the restored learner predicts what the
    # uninterrupted one did on the same samples
    again = [(end + cut, p) for end, p, _ in windows]
    assert again == [(end, p) for end, p, _ in whole_windows if end >= cut + SIZE - 1]
    assert len(set(p for _, p in again)) == 7


def test_label_button_cycles_through_labels(rig, watch, capsys):
    with pytest.raises(ValueError, match="board has no pin 'D5'"):
        rig.ex.open_buttons()  # Blinka's simulated board names its pins differently
    # real digitalio: learn on a pin that always reads high (never pressed),
    # next-label on the pin that toggles at every read (pressed every other sample)
    buttons = rig.ex.open_buttons(("Dx_INPUT_TRUE_PULL_UP", "Dx_INPUT_TOGGLE"))
    clf, windows = rig.run(watch.recordings[0][:SIZE].tolist(), buttons=buttons)
    out = capsys.readouterr().out
    shown = [line[7:] for line in out.splitlines() if line.startswith("label: ")]
    assert shown == [rig.ex.LABELS[i % 7] for i in range(1 + SIZE // 2)]
    assert clf.n_seen == 0 and windows == [(SIZE - 1, None, None)]


def test_labels_from_a_callback(rig, watch, capsys, monkeypatch):
    monkeypatch.setattr(rig.ex, "CAPACITY", 2)
    samples = watch.recordings[0][:300].tolist()

    def typed(labels):
        n = iter(range(1, 100))
        return lambda: labels.get(next(n))  # called once per window

    clf, windows = rig.run(samples, labels=typed({2: "ER", 3: "wave", 4: "clap"}))
    out = capsys.readouterr().out
    assert "not learned: label 'clap' would be class 3, beyond capacity 2" in out
    assert [y for _, _, y in windows] == [None, "ER", "wave", None, None]
    assert clf.labels == ["ER", "wave"] and clf.n_seen == 2
    os.remove(rig.checkpoint)
    without, _ = rig.run(samples, labels=typed({2: "ER", 3: "wave"}))
    assert snapshot(clf) == snapshot(without)  # the refused label changed nothing


@pytest.mark.parametrize("fault", ["i2c", "nan"])
def test_bad_sample_is_reported_and_learns_nothing(rig, watch, capsys, fault):
    pen, abd = recording_sets(watch, 1, 500)[0][:2]
    samples = watch.recordings[pen][:500].tolist() + watch.recordings[abd][:500].tolist()
    label = [(500, 505)]
    bad = 549  # the last sample of a hop, so windows after the gap line up with the clean run's
    # the clean run leaves out (button released) the two windows that hold sample `bad`
    clean, clean_windows = rig.run(samples, [(STEP, 500), (600, 1000)], label)
    os.remove(rig.checkpoint)
    capsys.readouterr()
    if fault == "i2c":
        kw = {"faults": (bad,)}  # every transfer fails, as on a loose wire
        message = "[Errno 5] Input/output error"
    else:
        kw = {"wrap": lambda mpu, dev: NaNAt(mpu, dev, bad)}
        message = "sensor gave nan, not a finite number"
    # learn held throughout: only the lost windows differ from the clean run
    got, windows = rig.run(samples, [(STEP, 1000)], label, max_windows=len(clean_windows) - 2, **kw)
    out = capsys.readouterr().out
    assert "sensor error, window discarded: " + message in out
    assert "sensor back after 1 bad samples" in out
    assert windows == [w for w in clean_windows if not bad <= w[0] < bad + SIZE]
    assert snapshot(got) == snapshot(clean) and clean.n_seen == 17


def test_console_labels_one_per_line(example, monkeypatch):
    r, w = os.pipe()
    stdin = os.fdopen(r)
    monkeypatch.setattr(sys, "stdin", stdin)
    console = example.Console()
    assert console() is None  # nothing typed
    os.write(w, b"E")
    assert console() is None  # no Enter yet
    os.write(w, b"R\r\n\n  wave \nFEL\n")
    assert [console(), console(), console(), console()] == ["ER", "wave", "FEL", None]
    os.close(w)
    assert console() is None and console() is None  # end of input
    stdin.close()


# ---------------------------------------------------------------- MicroPython

MACHINE = '''\
# machine stand-in: SoftI2C is the simulated bus, Pin.value() the scripted buttons
import sim_mpu6050 as sim


class Pin:
    IN = 0
    PULL_UP = 1

    def __init__(self, id, mode=-1, pull=-1):
        self.id = id

    def init(self, mode=-1, pull=-1):
        pass

    def value(self):
        return int(sim.PINS[self.id].value)


def SoftI2C(scl, sda, freq=400000):
    return sim.BUS
'''

RUN = '''\
import json
import sys
import sim_machine
sys.modules["machine"] = sim_machine  # over the unix port's own machine module
import board
import sim_mpu6050 as sim
import sensor_learn

r = json.load(open("/replay.json"))
clock = sim.Clock()
dev = sim.MPU6050(sim.FileSamples("/samples.f32"), clock)
sim.BUS = sim.Bus(dev)
sim.PINS[board.D5] = sim.Button(dev, r["learn"])
sim.PINS[board.D6] = sim.Button(dev, r["label"])
sensor_learn.main(labels=lambda: None, clock=clock, max_windows=r["windows"],
                  checkpoint="/learner.npz")
'''


def windows_printed(out):
    """(prediction, learned) of each window line the example prints."""
    rows = []
    for line in out.splitlines():
        n, _, rest = line.partition(": ")
        if n.isdigit():
            p, _, y = rest.partition(", learned ")
            rows.append((None if p == "?" else p, y or None))
    return rows


@tier3.on(("unix32-ulab", "py"), ("unix32", "mpy"), ("cp-unix", "py"))
def test_runs_on_micropython_with_the_shim(mp, rig, watch, tmp_path):
    """Tier 3, one form per interpreter: MicroPython with ulab from sources, without
    ulab from .mpy as stock firmware would, and CircuitPython (whose unix port has no
    board or busio: the shim stands in for its firmware's)."""
    pen, abd = recording_sets(watch, 1, 600)[0][:2]
    rec = [watch.recordings[k].astype(np.float32).tolist() for k in (pen, abd)]  # as sent
    runs = [  # learn 8 s of each exercise, then a restart that predicts the next 4 s
        {"samples": rec[0][:400] + rec[1][:400], "learn": [[50, 400], [450, 800]],
         "label": [[400, 405]], "windows": 15},
        {"samples": rec[0][400:600] + rec[1][400:600], "learn": [], "label": [], "windows": 7},
    ]
    outs = []
    mp.put_tree(EXAMPLES / "shim", "/lib")
    driver = Path(_spec("adafruit_mpu6050").origin)
    mp.write_file("/lib/adafruit_mpu6050.py", driver.read_bytes())
    for pkg in ("adafruit_register", "adafruit_bus_device"):
        mp.put_tree(_spec(pkg).submodule_search_locations[0], "/lib/" + pkg)
    mp.write_file("/lib/sim_mpu6050.py", (ROOT / "tests" / "sim_mpu6050.py").read_bytes())
    mp.write_file("/lib/sim_machine.py", MACHINE)
    mp.write_file("/sensor_learn.py", (EXAMPLES / "sensor_learn.py").read_bytes())
    for r in runs:
        mp.write_file("/samples.f32", np.array(r["samples"], dtype="<f4").tobytes())
        mp.write_file("/replay.json", json.dumps({k: v for k, v in r.items() if k != "samples"}))
        outs.append(mp.exec(RUN))
    (tmp_path / "board.npz").write_bytes(mp.read_file("/learner.npz"))

    learned, restarted = outs
    assert "no checkpoint at /learner.npz" in learned
    assert "restored /learner.npz: 14 windows learned, labels ['PEN', 'ABD']" in restarted
    assert [y for _, y in windows_printed(learned)] == ["PEN"] * 7 + [None] + ["ABD"] * 7
    # after the restart, the windows wholly inside each exercise are recognised
    predicted = [p for p, _ in windows_printed(restarted)]
    assert predicted[:3] == ["PEN"] * 3 and predicted[4:] == ["ABD"] * 3

    # CPython's example, on the same replay, prints the same and saves the same learner
    on_cpython = []
    for r in runs:
        on_cpython += rig.run(r["samples"], r["learn"], r["label"], max_windows=r["windows"])[1]
    printed = windows_printed(learned) + windows_printed(restarted)
    assert [(p, y) for _, p, y in on_cpython] == printed
    ul = devicepkg.use("numpy")
    board, host = ul.load(str(tmp_path / "board.npz")), ul.load(rig.checkpoint)
    assert board.config() == host.config() and board.state() == host.state()
    for a, b in zip(board.arrays(), host.arrays()):
        assert np.allclose(a, b, rtol=1e-5, atol=1e-6)


def test_simulated_board_stays_in_its_tests():
    # whenever this runs, nothing of Blinka's simulated board is left behind
    assert "BLINKA_OS_AGNOSTIC" not in os.environ
    assert not [n for n in sys.modules if _board_module(n) or n == "sensor_learn"]
