"""``ulearn demo tinyol``: a board that learns shoulder exercises from a smartwatch.

Runs the device package (on numpy, as on a Linux board) over real IMU data:
windows of 6-axis recordings become 26 features on the "board" (the device's
own ``ulearn.features``), an online classifier learns the exercises one window
at a time as they arrive, new exercises are added as they show up, the state
is checkpointed and restored as after a power cut. Then an online autoencoder
watches NASA shuttle sensor readings and flags the anomalous ones as they come.
"""
import os
import tempfile

import numpy as np

from . import datasets, evaluate
from .progress import progress

EXERCISES = {"PEN": "pendulum", "ABD": "abduction", "FEL": "forward elevation",
             "IR": "internal rotation", "ER": "external rotation",
             "TRAP": "trapezius extension", "ROW": "upright row"}


def run(seed=0, held_out=(8, 9, 10), n_shuttle=10000, quiet=False):
    """Run the demo; returns a dict of its figures.

    Examples
    --------
    >>> r = run(quiet=True)  # doctest: +SKIP
    >>> r["held_out_accuracy"] > 0.8  # doctest: +SKIP
    True
    """
    with tempfile.TemporaryDirectory(prefix="ulearn-demo-") as work:  # removed at the end
        return _run(os.path.join(work, "learner.npz"), seed, held_out, n_shuttle, quiet)


def _run(ckpt, seed, held_out, n_shuttle, quiet):
    import ulearn
    data = datasets.load_watch()
    X, y, groups, rec = datasets.watch_windows(data=data, return_recording=True)
    names = data.label_names
    test = np.isin(groups, held_out)
    # the wearer's sessions arrive one recording at a time, in a random order
    rng = np.random.default_rng(seed)
    recs = rng.permutation(np.unique(rec[~test]))
    order = np.concatenate([np.flatnonzero(rec == r) for r in recs])

    clf = ulearn.Classifier(X.shape[1], capacity=8,
                            optimizer=ulearn.SGD(0.02, momentum=0.5, clip=5.0))
    labels = [names[v] for v in y[order]]
    arrivals = [(t, lab) for t, lab in enumerate(labels) if lab not in labels[:t]]
    hits = 0
    for start in progress(range(0, len(order), 500), "learning on the board", quiet):
        part = slice(start, start + 500)  # predict first, then learn; a checkpoint after each 500
        hits += int(evaluate.prequential(clf, X[order[part]], labels[part]).sum())
        ulearn.save(clf, ckpt)
    restored = ulearn.load(ckpt)  # as after a power cut
    test_idx = np.flatnonzero(test)
    same = all(restored.predict_one(X[i]) == clf.predict_one(X[i]) for i in test_idx)
    acc = float(evaluate.holdout(restored, X[test_idx], [names[v] for v in y[test_idx]])[0])

    # anomalies: decide on each reading, then learn from the ones that look normal
    Xs, ys = datasets.load_shuttle()
    Xs, ys = Xs[:n_shuttle], ys[:n_shuttle] == 1
    det = ulearn.AnomalyDetector(Xs.shape[1], hidden=4,
                                 optimizer=ulearn.SGD(0.01, momentum=0.5, clip=5.0))
    flagged = np.zeros(len(Xs), bool)
    for i in progress(range(len(Xs)), "watching shuttle sensors", quiet):
        flagged[i] = det.is_anomaly(Xs[i])
        if not flagged[i]:
            det.learn_one(Xs[i])
    tp = int((flagged & ys).sum())
    return {
        "windows": int(len(order)), "features": int(X.shape[1]),
        "classes_arrived": [(t, EXERCISES[n]) for t, n in arrivals],
        "prequential_accuracy": hits / len(order),
        "held_out_subjects": list(held_out), "held_out_windows": int(len(test_idx)),
        "held_out_accuracy": acc, "restored_identical": bool(same),
        "checkpoint_bytes": os.path.getsize(ckpt),
        "shuttle_readings": int(len(Xs)), "shuttle_anomalies": int(ys.sum()),
        "anomaly_precision": tp / max(int(flagged.sum()), 1),
        "anomaly_recall": tp / max(int(ys.sum()), 1),
        "backend": ulearn.backend.NAME,
    }


def report(r):
    """The demo's figures as text."""
    lines = ["ulearn demo: online learning of 7 shoulder exercises from a smartwatch IMU",
             "(seglearn's watch data, 50 Hz accel+gyro, 2 s windows -> %d features; "
             "backend: %s)" % (r["features"], r["backend"]), ""]
    for t, name in r["classes_arrived"]:
        lines.append("  window %5d: new class '%s' added on the board" % (t, name))
    lines += [
        "",
        "  prequential accuracy (predict, then learn), %d windows: %.3f"
        % (r["windows"], r["prequential_accuracy"]),
        "  accuracy on unseen subjects %s (%d windows), after a checkpoint restore: %.3f"
        % (r["held_out_subjects"], r["held_out_windows"], r["held_out_accuracy"]),
        "  restored learner predicts exactly as before the 'power cut': %s (checkpoint %d bytes)"
        % ("yes" if r["restored_identical"] else "NO", r["checkpoint_bytes"]),
        "",
        "  online autoencoder on %d NASA shuttle readings (%d anomalous), adaptive threshold:"
        % (r["shuttle_readings"], r["shuttle_anomalies"]),
        "  precision %.3f, recall %.3f" % (r["anomaly_precision"], r["anomaly_recall"]),
    ]
    return "\n".join(lines)
