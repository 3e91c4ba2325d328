"""What the examples share: clock, pins, a paced sensor, one-button teaching, saving.

Copy it beside the example (gesture_button.py, anomaly_vibration.py,
gesture_bundle.py), e.g. `mpremote cp examples/boardio.py :`. Runs on
MicroPython, CircuitPython and CPython.
"""
import time
from math import isfinite

import ulearn
from ulearn.app import status

try:
    from time import sleep_ms, ticks_add, ticks_diff, ticks_ms
except ImportError:  # CircuitPython, CPython
    def ticks_ms():
        return time.monotonic_ns() // 1000000

    def ticks_add(t, delta):
        return t + delta

    def ticks_diff(a, b):
        return a - b

    def sleep_ms(ms):
        time.sleep(ms / 1000)


# -- pins: each returns a callable, so an example's main() can be given others

def pin(name, output):
    # output: led(on); input: pressed() -> True while the pin is pulled to GND (internal
    # pull-up). name: a pin name ("GP14", "LED"), or on MicroPython an int GPIO too
    try:
        from machine import Pin  # MicroPython
    except ImportError:  # CircuitPython (and Blinka)
        import board
        import digitalio

        p = digitalio.DigitalInOut(getattr(board, name))
        if output:
            p.switch_to_output(value=False)
            return lambda on: setattr(p, "value", bool(on))
        p.switch_to_input(pull=digitalio.Pull.UP)
        return lambda: not p.value
    if output:
        p = Pin(name, Pin.OUT, value=0)
        return lambda on: p.value(1 if on else 0)
    p = Pin(name, Pin.IN, Pin.PULL_UP)
    return lambda: not p.value()


def open_button(name):
    # True while pressed (the button pulls the pin to GND)
    return pin(name, False)


def open_led(name):
    # led(on), off at first; name None: no LED (or buzzer, or relay)
    return pin(name, True) if name is not None else (lambda on: None)


# -- the sensor

class Sampler:
    # sample() -> the next reading of read(), or None for a bad one: read() raised OSError
    # (a bus error) or gave other than n_values finite numbers. The first error of a run
    # is printed, and how many readings were bad once it is back. Calls are paced one every
    # period_ms (0: as fast as it goes); after a stall longer than a period (a checkpoint
    # write) it skips ahead rather than bursting.
    def __init__(self, read, n_values, period_ms):
        self.read = read
        self.n_values = n_values
        self.period_ms = period_ms
        self.bad = 0  # bad readings in a row
        self.due = ticks_ms()

    def __call__(self):
        period = self.period_ms
        if period:
            wait = ticks_diff(self.due, ticks_ms())
            if wait > 0:
                sleep_ms(wait)
            elif wait < -period:  # fell behind: skip, don't burst
                self.due = ticks_ms()
            self.due = ticks_add(self.due, period)
        try:
            r = self.read()
            if len(r) != self.n_values:
                raise ValueError("sensor gave %d values, expected %d" % (len(r), self.n_values))
            for v in r:
                if not isfinite(v):
                    raise ValueError("sensor gave %r, not a finite number" % v)
        except (OSError, ValueError) as e:
            if not self.bad:
                print("sensor error, window discarded:", e)
            self.bad += 1
            return None
        if self.bad:
            print("sensor back after %d bad samples" % self.bad)
            self.bad = 0
        return r


# -- one button that teaches a classifier

def best(p):
    # (label, probability) of the most probable label of predict_proba_one's dict
    pred, conf = None, 0.0
    for label in p:
        if p[label] > conf:
            pred, conf = label, p[label]
    return pred, conf


class Teacher:
    # One button teaches clf, window by window (win: a ulearn.Windower). For each reading x
    # of a Sampler: poll(x) polls button() once (not for a bad reading, x None), lights
    # led while it is down, and is True when a tap (a press shorter than `tap` readings)
    # has just ended; then teach(x, label) pushes x and, at a full window, prints
    # "N: PRED CONF" and learns the window under label when it was done entirely with the
    # button held (", learned LABEL"). A bad reading drops the window so far, and the press.
    # Saves clf to path (with info) every save_every learned windows, and prints a status
    # line for `ulearn monitor` every status_every windows (acc: how often a window was
    # recognised right before it was learned). close(): saves what is not saved, LED off.
    def __init__(self, clf, win, button, led, path, info=None, tap=25, save_every=10,
                 status_every=5):
        self.clf = clf
        self.win = win
        self.button = button
        self.led = led
        self.path = path
        self.info = info
        self.tap = tap
        self.save_every = save_every
        self.status_every = status_every
        self.feats = [0.0] * win.n_features  # refilled every window
        self.held = 0  # readings the button has been down for
        self.n = self.learned = self.hits = self.unsaved = 0
        self.fields = {}

    def poll(self, x):
        if x is None:
            return False
        if self.button():
            self.held += 1
            if self.held == 1:
                self.led(True)
            return False
        held = self.held
        if held:
            self.led(False)
            self.held = 0
        return 0 < held < self.tap

    def __call__(self, x, label):
        if x is None:
            self.win.reset()  # no window may span a gap or hold a bad value
            self.held = 0  # nor be learned from a press that spans it
            return
        if not self.win.push(x):
            return
        clf, f = self.clf, self.win.features(self.feats)
        self.n += 1
        pred, conf = best(clf.predict_proba_one(f))
        if self.held >= self.win.size:  # the whole window was done with the button held
            self.hits += pred == label  # right before learning it: the running accuracy
            clf.learn_one(f, label)
            self.learned += 1
            self.unsaved += 1
            print("%d: %s %.2f, learned %s" % (self.n, pred, conf, label))
            if self.unsaved >= self.save_every and save(clf, self.path, self.info):
                self.unsaved = 0
        else:
            print("%d: %s %.2f" % (self.n, pred, conf))
        if self.n % self.status_every == 0:
            fields = self.fields
            fields["n"] = self.n
            fields["pred"] = pred
            fields["conf"] = conf
            fields["acc"] = self.hits / self.learned if self.learned else None
            fields["classes"] = len(clf.labels)
            status(fields)

    def close(self):
        if self.unsaved and save(self.clf, self.path, self.info):
            self.unsaved = 0
        self.led(False)


# -- checkpoints

def save(learner, path, info=None):
    # ulearn.save (atomic), True; on OSError says so and returns False: the loop goes on
    try:
        ulearn.save(learner, path, info)
        return True
    except OSError as e:  # e.g. CircuitPython's drive is read-only to code (examples/README.md)
        print("cannot save %s: %s" % (path, e))
        return False


def restore(path, kind, n_features, missing="starting fresh"):
    # the learner saved at path when it is a `kind` ("Classifier", ...) of n_features, else
    # None, saying why ("no checkpoint at PATH: " + missing when there is no file)
    try:
        learner = ulearn.load(path)
        if learner.kind == kind and learner.n_features == n_features:
            return learner
        print("%s holds another learner: starting fresh" % path)
    except ulearn.CheckpointError as e:
        print("checkpoint unusable, starting fresh:", e)
    except OSError:
        print("no checkpoint at %s: %s" % (path, missing))
    return None
