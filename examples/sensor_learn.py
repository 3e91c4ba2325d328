"""Teach a board movements from an IMU, one 2-second window at a time.

An MPU-6050 (accelerometer + gyroscope: the same 6 axes as the smartwatch
recordings ulearn is evaluated on) is read at 50 Hz; every second the last
2 s are summarised (26 features), classified and printed. Hold the learn
button to learn the windows under the current label, tap the label button
for the next label, or type a label on the serial console. The learner is
checkpointed atomically and restored at start.

Runs unchanged on CircuitPython, on MicroPython (with examples/shim/) and on
CPython through Adafruit Blinka; see examples/README.md. On CircuitPython,
code.py is: import sensor_learn; sensor_learn.main()
"""
import sys
import time
from math import isfinite

import ulearn

LABELS = ("PEN", "ABD", "FEL", "IR", "ER", "TRAP", "ROW")  # the tap order
CAPACITY = 8  # classes: one spare for a label typed on the console
PERIOD_MS = 20  # 50 Hz
SIZE, STEP = 100, 50  # 2 s windows, one every 1 s
SAVE_EVERY = 60  # windows between checkpoints, when something was learned
CHECKPOINT = "learner.npz"
I2C_PINS = ("SCL", "SDA")  # names in `board`
BUTTON_PINS = ("D5", "D6")  # learn, next label: each wired to GND


def _pin(board, name):
    if not hasattr(board, name):
        raise ValueError("board has no pin %r: edit I2C_PINS / BUTTON_PINS" % name)
    return getattr(board, name)


def open_sensor(pins=I2C_PINS):
    import adafruit_mpu6050 as mpu6050
    import board
    import busio

    mpu = mpu6050.MPU6050(busio.I2C(_pin(board, pins[0]), _pin(board, pins[1])))
    # a wrist doing shoulder exercises peaks near 6 g and 1700 deg/s
    mpu.accelerometer_range = mpu6050.Range.RANGE_8_G
    mpu.gyro_range = mpu6050.GyroRange.RANGE_2000_DPS
    mpu.filter_bandwidth = mpu6050.Bandwidth.BAND_21_HZ  # below 25 Hz: no aliasing at 50 Hz
    return mpu


def open_buttons(pins=BUTTON_PINS):
    import board
    import digitalio

    buttons = []
    for name in pins:
        b = digitalio.DigitalInOut(_pin(board, name))
        b.switch_to_input(pull=digitalio.Pull.UP)  # pressed reads False
        buttons.append(b)
    return buttons


class Clock:
    # MicroPython's time.ticks_* API over monotonic_ns (CircuitPython, CPython):
    # CircuitPython's float monotonic() loses millisecond precision after an hour
    def ticks_ms(self):
        return time.monotonic_ns() // 1000000

    def ticks_add(self, t, delta):
        return t + delta

    def ticks_diff(self, a, b):
        return a - b

    def sleep_ms(self, ms):
        time.sleep(ms / 1000)


class Console:
    # Labels typed on the serial console, one per line, read without blocking.
    def __init__(self):
        if sys.implementation.name == "circuitpython":
            import supervisor

            self._ready = lambda: supervisor.runtime.serial_bytes_available
        else:
            import select

            poll = select.poll()
            poll.register(sys.stdin, select.POLLIN)
            self._ready = lambda: poll.poll(0)
        if sys.implementation.name == "cpython":  # unbuffered: poll then sees all pending input
            import os

            self._read = lambda: os.read(sys.stdin.fileno(), 64).decode()
        else:
            self._read = lambda: sys.stdin.read(1)
        self._text = ""

    def __call__(self):
        while "\n" not in self._text and self._ready():
            s = self._read()
            if not s:  # end of input: stop polling
                self._ready = lambda: False
            self._text += s.replace("\r", "\n")
        while "\n" in self._text:
            line, self._text = self._text.split("\n", 1)
            if line.strip():
                return line.strip()
        return None


def read_sample(sensor, out):
    # acceleration (m/s^2) then rotation (rad/s) into out
    a = sensor.acceleration
    g = sensor.gyro
    for i in range(3):
        out[i] = a[i]
        out[3 + i] = g[i]
    for v in out:
        if not isfinite(v):
            raise ValueError("sensor gave %r, not a finite number" % v)


def restore(path, n_features):
    try:
        clf = ulearn.load(path)
        if clf.kind == "Classifier" and clf.n_features == n_features:
            print("restored %s: %d windows learned, labels %s" % (path, clf.n_seen, clf.labels))
            return clf
        print("%s holds another learner: starting fresh" % path)
    except ulearn.CheckpointError as e:
        print("checkpoint unusable, starting fresh:", e)
    except OSError:
        print("no checkpoint at %s: starting fresh" % path)
    return ulearn.Classifier(n_features, CAPACITY,
                             optimizer=ulearn.SGD(0.02, momentum=0.5, clip=5.0))


def save(clf, path):
    try:
        ulearn.save(clf, path)
        return True
    except OSError as e:  # e.g. CircuitPython's drive is read-only to code (see README)
        print("cannot save %s: %s" % (path, e))
        return False


def show(n, prediction, learned):
    # one line per window; a display or an LED could go here
    print("%d: %s%s" % (n, "?" if prediction is None else prediction,
                        "" if learned is None else ", learned " + str(learned)))


def main(sensor=None, buttons=None, labels=None, max_windows=None, checkpoint=CHECKPOINT,
         clock=None, label_names=LABELS, show=show):
    # sensor: .acceleration and .gyro (Adafruit IMU drivers); buttons: (learn,
    # next label), .value False while pressed; labels(): None or a label, once
    # per window; clock: MicroPython's time.ticks_* API. None = the hardware.
    sensor = open_sensor() if sensor is None else sensor
    learn_button, label_button = open_buttons() if buttons is None else buttons
    labels = Console() if labels is None else labels
    if clock is None:
        clock = time if hasattr(time, "ticks_ms") else Clock()
    win = ulearn.Windower(6, SIZE, STEP)
    clf = restore(checkpoint, win.n_features)
    feats = [0.0] * win.n_features  # preallocated, refilled every window
    sample = [0.0] * 6
    current = 0
    print("label:", label_names[current])
    learn = held = False
    bad = windows = unsaved = 0
    due = clock.ticks_ms()
    try:
        while max_windows is None or windows < max_windows:
            wait = clock.ticks_diff(due, clock.ticks_ms())
            if wait > 0:
                clock.sleep_ms(wait)
            elif wait < -PERIOD_MS:  # fell behind (a checkpoint write): skip, don't burst
                due = clock.ticks_ms()
            due = clock.ticks_add(due, PERIOD_MS)
            learn = learn or not learn_button.value  # any press since the last window
            down = not label_button.value
            if down and not held:
                current = (current + 1) % len(label_names)
                print("label:", label_names[current])
            held = down
            try:
                read_sample(sensor, sample)
            except (OSError, ValueError) as e:  # a bus error, a bad value
                if not bad:
                    print("sensor error, window discarded:", e)
                bad += 1
                win.reset()  # no window may span a gap or hold a bad value
                learn = False  # a press meant a window that is now dropped
                continue
            if bad:
                print("sensor back after %d bad samples" % bad)
                bad = 0
            if not win.push(sample):
                continue
            windows += 1
            win.features(feats)
            prediction = clf.predict_one(feats)
            label = labels()
            if label is None and learn:
                label = label_names[current]
            learn = False
            if label is not None:
                try:
                    clf.learn_one(feats, label)
                    unsaved += 1
                except ValueError as e:  # e.g. a typed label beyond CAPACITY
                    print("not learned:", e)
                    label = None
            show(windows, prediction, label)
            if unsaved and windows % SAVE_EVERY == 0 and save(clf, checkpoint):
                unsaved = 0
    finally:  # also on Ctrl-C
        if unsaved:
            save(clf, checkpoint)
    return clf


if __name__ == "__main__":
    main()
