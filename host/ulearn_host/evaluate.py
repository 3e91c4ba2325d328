"""How a learner is scored, in one place: on a held-out set, prequentially
(predict each sample, then learn it) and per task of a class-incremental
sequence. Every score runs through the learner's own ``predict_one``, one
sample at a time, as on a board; any learner with ``predict_one`` (and
``learn_one`` for the prequential score) will do: ulearn's, river's, a
board's proxy.

Used by ``ulearn train`` and ``ulearn demo``, and by the benchmarks.
"""
import numpy as np


def holdout(model, X, labels):
    """Accuracy of ``model`` on rows ``X`` with true ``labels``, and per label.

    Returns ``(accuracy, {label: accuracy})``; an empty set scores 0.0.
    """
    per = {}
    for x, lab in zip(X, labels):
        c = per.setdefault(lab, [0, 0])
        c[0] += model.predict_one(x) == lab
        c[1] += 1
    hits = sum(c[0] for c in per.values())
    return hits / max(len(labels), 1), {k: c[0] / c[1] for k, c in per.items()}


def prequential(model, X, labels):
    """Test-then-train over a stream: for each row, predict, then ``learn_one``.

    Returns a bool array, True where the prediction made before learning the
    row was right (its mean is the prequential accuracy; its tail, the
    accuracy once the learner has settled)."""
    ok = np.zeros(len(labels), dtype=bool)
    for n, (x, lab) in enumerate(zip(X, labels)):
        ok[n] = model.predict_one(x) == lab
        model.learn_one(x, lab)
    return ok


def per_task(model, X, y, tasks, upto):
    """Class-incremental accuracy: for each task ``j <= upto`` (a task is a
    collection of labels), the accuracy on the rows of ``X`` whose label ``y``
    belongs to it; tasks not seen yet are NaN. Returns a float array of
    ``len(tasks)`` (a row of the accuracy matrix after task ``upto``)."""
    y = np.asarray(y)
    row = np.full(len(tasks), np.nan)
    for j in range(upto + 1):
        idx = np.flatnonzero(np.isin(y, tasks[j]))
        row[j] = holdout(model, (X[i] for i in idx), y[idx])[0]
    return row


def confusion(model, X, labels, classes):
    """Counts of (true label, prediction) over rows ``X``: a list of rows, one per
    class of ``classes`` (true), with a column per class and a last column for
    predictions outside ``classes`` (a class the learner has and the data lacks)."""
    col = {c: j for j, c in enumerate(classes)}
    m = [[0] * (len(classes) + 1) for _ in classes]
    for x, lab in zip(X, labels):
        m[col[lab]][col.get(model.predict_one(x), len(classes))] += 1
    return m
