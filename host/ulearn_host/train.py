"""Train a feature extractor and a softmax head on the host, for a board.

The network is the device's own layer code (``ulearn.Dense``, ``ulearn.SGD``)
run on minibatches through :mod:`ulearn_host.batch`, so host and board share
one implementation of the maths. The result is a ``ulearn.Classifier`` whose
extractor layers are ``ulearn.Frozen`` copies of the trained hidden layers
(float32, or int8 with one scale per row), ready to save as a bundle.
"""
import numpy as np

import ulearn
from ulearn.rng import Rng
from ulearn.scaler import Scaler

from . import batch
from .progress import progress


def train(X, y, n_classes, hidden=(32,), epochs=40, batch_size=32, lr=0.05, momentum=0.9,
          weight_decay=1e-4, seed=0, quiet=False):
    """Train an MLP with softmax cross-entropy by minibatch SGD.

    Parameters
    ----------
    X : ndarray (n, d)
        Inputs, as the board will see them (standardised inside, as on the board).
    y : ndarray (n,) of int
        Class index per row, in ``range(n_classes)``.
    hidden : tuple of int
        Widths of the relu layers that become the frozen extractor.

    Returns
    -------
    Net
        ``layers`` (hidden + head, ``ulearn.Dense``) and ``scaler`` (the
        board's ``Scaler`` holding the training data's mean and variance).
    """
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64)
    if X.ndim != 2 or len(X) != len(y) or len(X) == 0:
        raise ValueError("X must be (n, d) with one label per row, got %r and %d labels"
                         % (X.shape, len(y)))
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError("labels must lie in [0, %d)" % n_classes)
    scaler = Scaler(X.shape[1])
    scaler.mean[:] = X.mean(axis=0)
    scaler.var[:] = X.var(axis=0)
    scaler.count = len(X)
    scaler.refresh()
    Xs = scaler.transform(X, None)

    rng = Rng(seed + 1)
    widths = [X.shape[1]] + list(hidden) + [n_classes]
    layers = []
    for i in range(len(widths) - 1):
        act = "relu" if i < len(widths) - 2 else "linear"
        layer = ulearn.Dense(widths[i], widths[i + 1], act, kern=batch)
        layer.init_glorot(rng)
        layers.append(layer)
    opt = ulearn.SGD(lr, momentum=momentum, weight_decay=weight_decay)
    for layer in layers:
        opt.init(layer)

    order = np.random.default_rng(seed)
    for _ in progress(range(epochs), "training", quiet):
        perm = order.permutation(len(Xs))
        for s in range(0, len(perm), batch_size):
            idx = perm[s:s + batch_size]
            g = batch.softmax(forward(layers, Xs[idx]), n_classes, None)
            g[np.arange(len(idx)), y[idx]] -= 1.0  # p - onehot(y)
            for i in range(len(layers) - 1, -1, -1):
                g = layers[i].backward(g, opt, i > 0)
    return Net(layers, scaler)


class Net:
    """A trained network: hidden layers + head, and the input statistics."""

    def __init__(self, layers, scaler):
        self.layers, self.scaler = layers, scaler

    def predict(self, X):
        Xs = self.scaler.transform(np.asarray(X, dtype=np.float32), None)
        return np.argmax(forward(self.layers, Xs), axis=1)

    def to_classifier(self, labels, **kw):
        """A ``ulearn.Classifier`` holding this network; see :func:`classifier`."""
        *hidden, head = self.layers
        sc = self.scaler
        return classifier([(h.W, h.b, h.act) for h in hidden], (head.W, head.b), labels,
                          (sc.mean, sc.var, sc.count), **kw)


def classifier(hidden, head, labels, stats, capacity=None, int8=False, optimizer=None,
               stats_window=0, trainable=None, **kw):
    """A ``ulearn.Classifier`` from weights.

    Parameters
    ----------
    hidden : list of (W, b, act)
        Float weights of the extractor layers; stored int8 when `int8`.
    head : (W, b)
        Head rows, one per label, in the order of `labels`.
    stats : (mean, var, count) or None
        Input statistics for the board's online scaler; None: no scaler.
    capacity : int, optional
        Head rows to allocate (>= len(labels)); room for classes added on the board.
    trainable : (W, b), optional
        A relu layer the board keeps training, between the extractor and the head.
    **kw
        More ``ulearn.Classifier`` settings: replay, replay_k, grow_step, ...
    """
    W, b = head
    if len(labels) != len(W):
        raise ValueError("%d labels for a head of %d classes" % (len(labels), len(W)))
    capacity = capacity or len(labels)
    if capacity < len(labels):
        raise ValueError("capacity %d is below the %d trained classes" % (capacity, len(labels)))
    ext = [ulearn.Frozen(w.shape[1], w.shape[0], act, int8).set_weights(w, bias)
           for w, bias, act in hidden]
    first = hidden[0][0] if hidden else trainable[0] if trainable is not None else W
    clf = ulearn.Classifier(first.shape[1], capacity, extractor=ext, optimizer=optimizer,
                            standardize=stats is not None, stats_window=stats_window,
                            hidden=0 if trainable is None else len(trainable[0]), **kw)
    if stats:
        set_stats(clf, *stats)
    if trainable is not None:
        clf.hidden.W[:] = trainable[0]
        clf.hidden.b[:] = trainable[1]
    for label in labels:
        clf.add_class(label)
    clf.head.W[:len(W)] = W
    clf.head.b[:len(W)] = b
    return clf


def embed(clf, X):
    """What a classifier's trainable part sees for rows X: its scaler and
    frozen extractor, batched (the device's own layer code on batch kernels)."""
    X = np.asarray(X, dtype=np.float32)
    if clf.scaler is not None:
        X = clf.scaler.transform(X, None)
    for layer in clf.extractor:
        X = layer(X, batch)
    return X


def forward(layers, X):
    for layer in layers:
        X = layer.forward(X)
    return X


def set_stats(clf, mean, var, count):
    """Give a classifier's input scaler these statistics."""
    clf.scaler.mean[:] = mean
    clf.scaler.var[:] = var
    clf.scaler.count = int(count)
    clf.scaler.refresh()
