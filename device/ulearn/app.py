# Entry points the host starts on a board (`ulearn run learn stream=...`):
# learn from a labelled stream on flash, evaluate on one, checkpointing as it
# goes. Progress goes to the console and a log file; the last line printed is
# contract.REPORT + a JSON object, which the host parses. While they run they
# may print status lines (contract.STATUS + a JSON object: status) for
# `ulearn monitor`; a program of one's own can print them too.
import gc
import json
import os
import time

from .checkpoint import load, save
from .contract import BUNDLE, CURSOR, LOG, LOG_MAX, PHI, REPORT, STATE, STATUS, THETA
from .stream import Stream

try:
    _ms = time.ticks_ms  # MicroPython: wraps around after 2**30 ms
except AttributeError:
    _ns = getattr(time, "monotonic_ns")  # CircuitPython, CPython (not in MicroPython's stubs)

    def _ms():
        return _ns() // 1000000
_mem_free = getattr(gc, "mem_free", None)  # None on CPython


def open_learner(bundle=BUNDLE, state=STATE):
    """(learner, path): the board's own state when it has one, else the deployed bundle.

    A damaged state raises CheckpointError rather than silently starting over; OSError when
    neither file exists.
    """
    try:
        return load(state), state
    except OSError:
        return load(bundle), bundle


def learn(stream, every=100, passes=1, bundle=BUNDLE, state=STATE, log=LOG, status=0):
    """Prequential learning from the stream file `stream`: predict each sample, then learn it.

    `passes` times over the stream, read from flash again on each pass; saves to `state` every
    `every` samples and at the end, logs (say) and prints the report line (report). With
    `status` > 0, prints a status line every `status` samples (n, pred, conf, y, acc, classes).
    A sample of a new label when every head row is in use is skipped and counted (report
    "skipped", and "no_room": those labels), not learned.
    """
    clf, src = open_learner(bundle, state)
    s = Stream(stream)
    n = hits = skipped = 0
    no_room = []
    for _ in range(passes):
        for x, y in s:
            if y not in clf.labels and len(clf.labels) >= clf.capacity:
                skipped += 1
                if y not in no_room:
                    no_room.append(y)
                continue
            if status and (n + 1) % status == 0:
                # one prediction either way: the probabilities give the label too
                pred, conf = _best(clf.labels, clf.predict_proba_one(x))
            else:
                pred = clf.predict_one(x)
            hits += pred == y
            clf.learn_one(x, y)
            n += 1
            if n % every == 0:
                save(clf, state)
                say(log, "learn: %d samples, prequential accuracy %.3f, saved %s"
                    % (n, hits / n, state))
            if status and n % status == 0:
                _status({"n": n, "pred": pred, "conf": conf, "y": y, "acc": hits / n,
                         "classes": len(clf.labels)})
    save(clf, state)
    say(log, "learn: done, %d samples from %s (%d passes), %d classes"
        % (n, stream, passes, len(clf.labels)))
    if skipped:
        say(log, "learn: skipped %d samples of %d new labels: all %d classes in use"
            % (skipped, len(no_room), clf.capacity))
    report("learn", {"n": n, "passes": passes, "prequential": hits / max(n, 1),
                     "start": src, "classes": clf.labels, "skipped": skipped,
                     "no_room": no_room})


def _best(labels, p):
    # (label, probability) of the most probable label, the first on ties as predict_one;
    # (None, None) before the first label
    best, conf = None, None
    for label in labels:
        if conf is None or p[label] > conf:
            best, conf = label, p[label]
    return best, conf


def evaluate(stream, bundle=BUNDLE, state=STATE, log=LOG):
    """Accuracy per true label on the stream file `stream` (no learning); logs and reports it."""
    clf, src = open_learner(bundle, state)
    counts = {}
    for x, y in Stream(stream):
        c = counts.setdefault(y, [0, 0])
        c[0] += clf.predict_one(x) == y
        c[1] += 1
    n = sum(c[1] for c in counts.values())
    hits = sum(c[0] for c in counts.values())
    say(log, "evaluate: %d samples from %s, accuracy %.3f" % (n, stream, hits / max(n, 1)))
    report("evaluate", {"n": n, "accuracy": hits / max(n, 1), "model": src,
                        "per_class": {str(y): c for y, c in counts.items()}})


def adapt(support, budget_bytes, budget_macs=None, epochs=5, method="fisher", seed=0,
          bundle=BUNDLE, state=STATE, log=LOG):
    """Few-shot adaptation (sparse updates) on the stream file `support`.

    Chooses the frozen layers' channels worth training from the support set, within the budgets
    (Classifier.select_updates, whose ValueError it raises), then trains them and the head on
    it for `epochs` passes, saving to `state` after each.
    """
    clf, src = open_learner(bundle, state)
    s = Stream(support)
    sel = clf.select_updates(s.column(0), list(s.column(1)), budget_bytes, budget_macs,
                             method, seed)
    c = sel["cost"]
    say(log, "adapt: %s channels of %s selected (%s), %d bytes, %d backward MACs per step"
        % ([len(p) for p in sel["picks"]], [f.n_out for f in clf.extractor], method,
           c["bytes"], c["macs"]))
    for e in range(epochs):
        hits = 0
        for x, y in s:
            hits += clf.predict_one(x) == y
            clf.learn_one(x, y)
        save(clf, state)
        say(log, "adapt: epoch %d, support accuracy before each step %.3f, saved %s"
            % (e + 1, hits / len(s), state))
    report("adapt", {"n": len(s), "epochs": epochs, "start": src, "picks": sel["picks"],
                     "cost": c, "classes": clf.labels})


def inner(stream, steps=0, epochs=0, lr=None, theta=THETA, phi=PHI, cursor=CURSOR, log=LOG):
    """One round of a federation on this board, from the weights in `theta`.

    Either `steps` single-sample steps on the next rows of the stream (each used once,
    continuing where the last round stopped, wrapping around: TinyReptile, Reptile) or `epochs`
    passes over all of it (FedAvg); lr overrides the optimizer's. The weights go to `phi` for
    the host to collect. Raises ValueError unless exactly one of steps, epochs is > 0.
    """
    if (steps > 0) == (epochs > 0):
        raise ValueError("inner needs steps > 0 or epochs > 0, not both")
    clf = load(theta)
    if lr is not None:
        clf.optimizer.lr = lr
    s = Stream(stream)
    try:
        with open(cursor) as f:
            start = int(f.read()) % len(s)
    except (OSError, ValueError):
        start = 0
    n = 0
    if steps:
        for k in range(steps):
            x, y = s.row((start + k) % len(s))
            clf.learn_one(x, y)
        n = steps
        with open(cursor, "w") as f:
            f.write(str((start + steps) % len(s)))
    for _ in range(epochs):
        for x, y in s:
            clf.learn_one(x, y)
            n += 1
    save(clf, phi)
    say(log, "inner: %d steps from row %d of %s, saved %s" % (n, start, stream, phi))
    report("inner", {"n": n, "start": start, "rows": len(s)})


def report(entry, fields):
    """Print contract.REPORT + the JSON of fields, with "entry": entry; the host parses it."""
    fields["entry"] = entry
    print(REPORT + json.dumps(fields))


def status(fields):
    """Print a status line: contract.STATUS + the JSON of fields, for `ulearn monitor`.

    Adds "ms" (the board's milliseconds: time.ticks_ms, or time.monotonic_ns() // 1000000)
    and "heap" (gc.mem_free(), without collecting first; left out on CPython). Fields, all
    optional: n (steps so far), pred (predicted label), conf (its probability), y (the true
    label), acc (running prequential accuracy), classes (classes known), score (anomaly
    score), threshold, alarm (bool). Changes fields in place.
    """
    fields["ms"] = _ms()
    if _mem_free:
        fields["heap"] = _mem_free()
    print(STATUS + json.dumps(fields))


_status = status  # learn's argument `status` hides the function


def say(log, msg):
    """Print msg and append it to the file `log` (if any).

    A log over LOG_MAX bytes first moves to log + ".1".
    """
    print(msg)
    if not log:
        return
    try:
        if os.stat(log)[6] > LOG_MAX:
            os.rename(log, log + ".1")  # replaces an older LOG.1 (FAT too)
    except OSError:
        pass  # no log yet
    with open(log, "a") as f:
        f.write(msg + "\n")

