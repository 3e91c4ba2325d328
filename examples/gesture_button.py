"""Teach a board gestures with one button, no computer needed.

An MPU-6050 (accelerometer + gyroscope, 6 axes) is read at 50 Hz; every
second the last 2 s are summarised (26 features) and classified. Hold the
button while doing a gesture: the windows done entirely while it is held are
learned under the current gesture (G1 at first). Tap it (under 0.5 s) for
the next gesture: G1, G2, ... and one new slot, which becomes a new class
once you teach it. Otherwise each window's gesture and confidence are
printed. An LED is lit while the button is held. The learner is saved
atomically every SAVE_EVERY learned windows and restored at start (hold the
button at reset to start afresh).

MicroPython: `import gesture_button; gesture_button.main()` (or a main.py
holding that line); CircuitPython: the same line in code.py. Copy boardio.py
(what the examples share) beside it. main() takes callables instead of the
hardware: read() -> 6 numbers, button() -> pressed, led(on).
"""
import ulearn
from boardio import Sampler, Teacher, open_button, open_led, restore

SIZE, STEP = 100, 50  # 2 s windows, one every 1 s
PERIOD_MS = 20  # 50 Hz
TAP = 25  # samples: a press shorter than this (0.5 s) is a tap
CAPACITY = 8  # gestures
SAVE_EVERY = 10  # learned windows between checkpoints
STATUS_EVERY = 5  # windows between status lines for `ulearn monitor`
CHECKPOINT = "gestures.npz"
BUTTON_PIN = "GP14"  # to GND, internal pull-up (a Pico's pin name, on both firmwares)
LED_PIN = "LED"  # None: no LED


def open_sensor():
    # examples/mpu6050.py: read() -> (ax, ay, az in m/s^2, gx, gy, gz in rad/s)
    import mpu6050

    return mpu6050.read


def learner(path, n_features, fresh):
    # the classifier saved at path, or a new one (fresh: the button held at start)
    clf = None
    if fresh:
        print("button held at start: starting fresh")
    else:
        clf = restore(path, "Classifier", n_features)
    if clf is None:
        return ulearn.Classifier(n_features, CAPACITY,
                                 optimizer=ulearn.SGD(0.02, momentum=0.5, clip=5.0))
    print("restored %s: %d windows learned, gestures %s" % (path, clf.n_seen, clf.labels))
    return clf


def slot_name(labels, slot):
    # the gesture of slot `slot`: a learned one, or the new one after them
    if slot < len(labels):
        return labels[slot]
    k = len(labels) + 1
    while "G%d" % k in labels:
        k += 1
    return "G%d" % k


def main(read=None, button=None, led=None, max_samples=None, period_ms=PERIOD_MS,
         checkpoint=CHECKPOINT):
    # read() -> 6 numbers; button() -> True while pressed; led(on); None = the hardware.
    # The button is polled once per sample, right after read().
    read = open_sensor() if read is None else read
    button = open_button(BUTTON_PIN) if button is None else button
    led = open_led(LED_PIN) if led is None else led
    win = ulearn.Windower(6, SIZE, STEP)
    clf = learner(checkpoint, win.n_features, button())
    slot = 0
    label = slot_name(clf.labels, slot)
    print("gesture:", label)
    teach = Teacher(clf, win, button, led, checkpoint, tap=TAP, save_every=SAVE_EVERY,
                    status_every=STATUS_EVERY)
    sample = Sampler(read, 6, period_ms)
    samples = 0
    try:
        while max_samples is None or samples < max_samples:
            samples += 1
            x = sample()  # None: a bus error or a bad value (printed once)
            if teach.poll(x):  # a tap: the next gesture, then the new slot, then G1
                slot = (slot + 1) % (len(clf.labels) + (len(clf.labels) < clf.capacity))
                label = slot_name(clf.labels, slot)
                print("gesture: %s%s" % (label, " (new)" if slot == len(clf.labels) else ""))
            teach(x, label)  # learned if the whole window was done with the button held
    finally:  # also on Ctrl-C
        teach.close()
    return clf


if __name__ == "__main__":
    main()
