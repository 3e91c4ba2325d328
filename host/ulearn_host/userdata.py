"""Your own labelled data as a feature table: a CSV file with a header row (one
column of labels, every other column a number) or an .npz file (arrays ``X``,
rows of features, and ``y``, their labels).

Everything is checked before anything is trained or written; an error names the
file, and the row and column where there is one (rows count from 1 after the
header, as a spreadsheet shows them from 2).
"""
import csv
import math
import os
import zipfile

import numpy as np

MIN_PER_CLASS = 2  # one row to train on and one to test on
FLOAT32_MAX = float(np.finfo(np.float32).max)


def load_table(path, target="label"):
    """``(X, labels, columns)``: X float32 (n, d), the n labels as strings, the d
    feature names. Raises ValueError naming what is wrong, OSError for a missing file."""
    if not os.path.isfile(path):
        raise FileNotFoundError(2, "No such file or directory", path)
    if path.lower().endswith(".npz"):
        X, labels, columns = _npz(path)
    else:
        X, labels, columns = _csv(path, target)
    check_classes(path, labels)
    return X, labels, columns


def _csv(path, target):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError("%s is empty: it needs a header row, then a row per sample" % path)
    header = [h.strip() for h in rows[0]]
    if target not in header:
        raise ValueError("%s has no column %r (its columns: %s); name the label column with "
                         "--target" % (path, target, ", ".join(header)))
    t = header.index(target)
    columns = [h for i, h in enumerate(header) if i != t]
    if not columns:
        raise ValueError("%s has no feature column besides %r" % (path, target))
    X = np.zeros((len(rows) - 1, len(columns)), np.float32)
    labels = []
    for n, row in enumerate(rows[1:], 1):
        if len(row) != len(header):
            raise ValueError("%s, row %d: %d values, the header has %d"
                             % (path, n, len(row), len(header)))
        label = row[t].strip()
        if not label:
            raise ValueError("%s, row %d, column %r: no label" % (path, n, target))
        labels.append(label)
        for j, v in enumerate(v for i, v in enumerate(row) if i != t):
            X[n - 1, j] = number(v, "%s, row %d, column %r" % (path, n, columns[j]))
    return X, labels, columns


def number(text, where):
    """float(text), checked to be a finite float32; ValueError naming `where` otherwise."""
    try:
        v = float(text)
    except ValueError:
        raise ValueError("%s: %r is not a number" % (where, text.strip()))
    if not math.isfinite(v) or abs(v) > FLOAT32_MAX:
        raise ValueError("%s: %s is not a finite float32" % (where, text.strip()))
    return v


def _npz(path):
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files if k in ("X", "y")}
            files = z.files
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as e:
        raise ValueError("%s is not a readable .npz file: %s" % (path, e))
    if len(arrays) != 2:
        raise ValueError("%s needs arrays X and y; it has: %s" % (path, ", ".join(files) or "none"))
    X, y = arrays["X"], arrays["y"]
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ValueError("%s: X must be 2-D and y 1-D of the same length; got X %s, y %s"
                         % (path, X.shape, y.shape))
    if not np.issubdtype(X.dtype, np.number):
        raise ValueError("%s: X holds %s, not numbers" % (path, X.dtype))
    X = X.astype(np.float32)
    bad = np.argwhere(~np.isfinite(X))
    if len(bad):
        n, j = bad[0]
        raise ValueError("%s, row %d, column %d of X: not finite" % (path, n + 1, j + 1))
    return X, [str(v) for v in y.tolist()], ["x%d" % j for j in range(X.shape[1])]


def check_classes(path, labels):
    """ValueError unless there are two classes or more, each with MIN_PER_CLASS rows."""
    names, counts = np.unique(labels, return_counts=True)
    names, counts = [str(n) for n in names], [int(c) for c in counts]
    if len(names) < 2:
        raise ValueError("%s has %s; a classifier needs two classes or more"
                         % (path, "no rows" if not len(names) else "one class only (%r)" % names[0]))
    few = [(n, c) for n, c in zip(names, counts) if c < MIN_PER_CLASS]
    if few:
        raise ValueError("%s: class %r has %d row; the train/test split needs %d per class"
                         % (path, few[0][0], few[0][1], MIN_PER_CLASS))
