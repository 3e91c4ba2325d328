"""Watch a machine for unusual vibration (or motor current), learning what normal is.

A sensor is read at 100 Hz: an accelerometer's 3 axes on the machine by
default (examples/mpu6050.py), or one ADC reading of a current sensor. Every
0.25 s the last 0.5 s are summarised: for each axis its level and its
change from one sample to the next (mean, std, min, max of each: vibration
shows in the changes, a shifted load or mounting in the levels). An
autoencoder (ulearn.AnomalyDetector) learns the first WARMUP windows as
normal; after that a window scoring above its adaptive threshold raises the
alarm (an LED or a relay pin, and a printed line) and is not learned, while
normal windows keep teaching it (slow drift is followed). The detector is
saved atomically every SAVE_EVERY windows learned and restored at start.

MicroPython: `import anomaly_vibration; anomaly_vibration.main()`;
CircuitPython: the same line in code.py. Copy boardio.py (what the examples
share) beside it. main() takes callables instead of the hardware: read() ->
n_axes numbers, alarm(on).
"""
import ulearn
from boardio import Sampler, open_led, restore, save
from ulearn.app import status

N_AXES = 3  # accelerometer x, y, z; 1 for a current sensor on an ADC
SIZE, STEP = 50, 25  # 0.5 s windows, one every 0.25 s
PERIOD_MS = 10  # 100 Hz
WARMUP = 40  # windows learned as normal before any alarm (10 s)
HIDDEN = 4  # the autoencoder's bottleneck
K = 3.0  # threshold: exp(mean + K * std) of the log scores of normal windows
SAVE_EVERY = 200  # windows learned between checkpoints
STATUS_EVERY = 4  # windows between status lines for `ulearn monitor`
CHECKPOINT = "vibration.npz"
ALARM_PIN = "LED"  # an LED, or a pin driving a buzzer or relay; None: print only


def open_sensor():
    # examples/mpu6050.py: read() -> (ax, ay, az in m/s^2, gx, gy, gz); the accelerometer
    import mpu6050

    return lambda: mpu6050.read()[:3]


def open_alarm(pin=ALARM_PIN):
    # alarm(on): the pin driven high while the alarm is on
    return open_led(pin)


def detector(path, n_features):
    # the detector saved at path, or a new one that first learns what normal is
    det = restore(path, "AnomalyDetector", n_features, "learning what normal looks like")
    if det is None:
        return ulearn.AnomalyDetector(n_features, hidden=HIDDEN, k=K, alpha=0.02, warmup=WARMUP)
    print("restored %s: %d windows learned" % (path, det.n_seen))
    return det


def main(read=None, alarm=None, n_axes=N_AXES, max_samples=None, period_ms=PERIOD_MS,
         checkpoint=CHECKPOINT):
    # read() -> n_axes numbers; alarm(on); None = the hardware
    read = open_sensor() if read is None else read
    alarm = open_alarm() if alarm is None else alarm
    win = ulearn.Windower(2 * n_axes, SIZE, STEP)  # the levels, then the changes
    row = [0.0] * (2 * n_axes)  # preallocated, refilled every sample
    feats = [0.0] * win.n_features
    det = detector(checkpoint, win.n_features)
    fields = {}
    samples = windows = unsaved = flagged = 0
    first = True  # no previous sample: the changes are 0
    warm = det.n_seen >= det.warmup
    sample = Sampler(read, n_axes, period_ms)
    try:
        while max_samples is None or samples < max_samples:
            samples += 1
            x = sample()  # None: a bus error or a bad value (printed once)
            if x is None:
                win.reset()  # no window may span a gap or hold a bad value
                first = True
                continue
            for a in range(n_axes):
                v = x[a]
                row[n_axes + a] = 0.0 if first else v - row[a]
                row[a] = v
            first = False
            if not win.push(row):
                continue
            windows += 1
            win.features(feats)
            score = det.score_one(feats)
            threshold = det.threshold
            if score > threshold:  # never during the warm-up (threshold inf)
                if not flagged:
                    alarm(True)
                flagged += 1
                print("%d: ALARM score %.4g > threshold %.4g" % (windows, score, threshold))
            else:
                if flagged:
                    alarm(False)
                    print("%d: normal again after %d windows" % (windows, flagged))
                    flagged = 0
                det.learn_one(feats)  # only normal windows teach it
                unsaved += 1
                if not warm and det.n_seen >= det.warmup:
                    warm = True
                    print("%d: warm-up done, threshold %.4g" % (windows, det.threshold))
                if unsaved >= SAVE_EVERY and save(det, checkpoint):
                    unsaved = 0
            if flagged or windows % STATUS_EVERY == 0:
                fields["n"] = windows
                fields["score"] = score
                fields["threshold"] = threshold if warm else None  # inf is not JSON
                fields["alarm"] = flagged > 0
                status(fields)
    finally:  # also on Ctrl-C
        if unsaved:
            save(det, checkpoint)
        alarm(False)
    return det


if __name__ == "__main__":
    main()
