"""Start from a model trained on a computer, and keep teaching it on the board.

`ulearn deploy` puts a bundle (from `ulearn train` and `ulearn export`) on
the board; this reads the sensor, cuts windows as the bundle's features were
cut on the host (n_axes, size, step and rate from its metadata, else 6 axes,
100-sample windows every 50 samples at 50 Hz), and prints each window's
prediction. Hold the button while doing a movement: the windows done
entirely while it is held are learned under the current label (NEW_LABEL at
first, a new class; tap the button for the bundle's labels in turn). What the
board learned is saved to /ulearn-data/state.npz every SAVE_EVERY learned
windows, where `ulearn pull` fetches it; at start the board goes on from that
state when it has one (ulearn.app.open_learner).

MicroPython: `import gesture_bundle; gesture_bundle.main()`, with boardio.py
(what the examples share) beside it. main() takes callables instead of the
hardware: read() -> n_axes numbers, button() -> pressed, led(on).
"""
import ulearn
from boardio import Sampler, Teacher, open_button, open_led
from ulearn.app import open_learner
from ulearn.checkpoint import read_meta
from ulearn.contract import BUNDLE, STATE

NEW_LABEL = "NEW"  # what holding the button teaches first; tap for the bundle's labels
RECIPE = "ulearn.features.window_features"  # the host's name for Windower's features
DEFAULTS = {"n_axes": 6, "size": 100, "step": 50, "rate_hz": 50}  # the watch task's
TAP = 25  # samples: a press shorter than this is a tap
SAVE_EVERY = 10  # learned windows between saves of STATE
STATUS_EVERY = 5  # windows between status lines for `ulearn monitor`
BUTTON_PIN = "GP14"  # to GND, internal pull-up
LED_PIN = "LED"  # None: no LED
_G = 9.80665  # m/s^2 per g


# -- hardware: each returns a callable, so main() can be given others

def open_sensor(info):
    # examples/mpu6050.py: read() -> (ax, ay, az in m/s^2, gx, gy, gz in rad/s), as
    # `ulearn record` records it by default; the smartwatch data (a bundle of the watch
    # task) have the acceleration in g
    import mpu6050

    if info.get("dataset") != "watch":
        return mpu6050.read
    out = [0.0] * 6

    def read():
        r = mpu6050.read()
        for i in range(6):
            out[i] = r[i] / _G if i < 3 else r[i]
        return out
    return read


# -- the bundle

def recipe(path, n_features):
    # (info, features): the checkpoint's metadata and its window recipe, defaults filled
    # in; ValueError when its features are not windows of a sensor, or not n_features long
    info = read_meta(path).get("info") or {}
    feat = info.get("features") or {}
    if feat.get("recipe", RECIPE) != RECIPE:
        raise ValueError("%s was trained on %s, not on windows of a sensor"
                         % (path, feat.get("recipe")))
    got = {}
    for k in DEFAULTS:
        got[k] = feat.get(k) or DEFAULTS[k]  # a recording's rate is 0 when unknown
    if ulearn.features.n_features(got["n_axes"]) != n_features:
        raise ValueError("%s takes %d features, not those of %d axes"
                         % (path, n_features, got["n_axes"]))
    return info, got


def slots(labels, new_label, capacity):
    # the labels a tap cycles through: the learner's, then new_label while it is new
    if new_label in labels or len(labels) >= capacity:
        return labels
    return labels + [new_label]


def main(read=None, button=None, led=None, max_samples=None, period_ms=None,
         new_label=NEW_LABEL, bundle=BUNDLE, state=STATE):
    # read() -> n_axes numbers; button() -> True while pressed; led(on); None = the
    # hardware. period_ms: None = the bundle's rate. The button is polled once per sample.
    clf, src = open_learner(bundle, state)  # OSError: run `ulearn deploy` first
    info, feat = recipe(src, clf.n_features)
    read = open_sensor(info) if read is None else read
    button = open_button(BUTTON_PIN) if button is None else button
    led = open_led(LED_PIN) if led is None else led
    print("%s: %d classes %s, %d windows learned on the board; windows of %d samples "
          "every %d" % (src, len(clf.labels), clf.labels, clf.n_seen if src == state else 0,
                        feat["size"], feat["step"]))
    if period_ms is None:
        period_ms = int(1000 // feat["rate_hz"])
    choices = slots(clf.labels, new_label, clf.capacity)
    slot = choices.index(new_label) if new_label in choices else 0
    print("label:", choices[slot])
    win = ulearn.Windower(feat["n_axes"], feat["size"], feat["step"])
    # info: the recipe goes along with each save, for the next start
    teach = Teacher(clf, win, button, led, state, info, tap=TAP, save_every=SAVE_EVERY,
                    status_every=STATUS_EVERY)
    sample = Sampler(read, feat["n_axes"], period_ms)
    samples = 0
    try:
        while max_samples is None or samples < max_samples:
            samples += 1
            x = sample()  # None: a bus error or a bad value (printed once)
            if teach.poll(x):  # a tap: the next label
                choices = slots(clf.labels, new_label, clf.capacity)
                slot = (slot + 1) % len(choices)
                print("label:", choices[slot])
            teach(x, choices[slot])  # learned if the whole window was done with the button held
    finally:  # also on Ctrl-C
        teach.close()
    return clf


if __name__ == "__main__":
    main()
