"""The weights a federation moves around: a Classifier's trainable layers.

theta is a list of float32 numpy arrays, the hidden layer's and the head's
weights and biases (momentum buffers excluded). The frozen extractor, the
input statistics and the label order come with the learner a factory makes,
the same on every client. Host side: the learner runs on numpy kernels.
"""
import numpy as np


def layers(clf):
    """The trainable Dense layers of a Classifier, input side first."""
    return ([clf.hidden] if clf.hidden is not None else []) + [clf.head]


def get(clf):
    """A copy of clf's trainable weights (theta)."""
    return [np.array(a, dtype=np.float32) for d in layers(clf) for a in (d.W, d.b)]


def put(clf, theta):
    """Load theta into clf and zero its momentum; ValueError (and nothing
    changed) if the arrays do not match."""
    arrays = [a for d in layers(clf) for a in (d.W, d.b)]
    if len(theta) != len(arrays):
        raise ValueError("theta has %d arrays, the learner has %d" % (len(theta), len(arrays)))
    for t, a in zip(theta, arrays):
        if np.shape(t) != a.shape:
            raise ValueError("theta array of shape %s for a %s array" % (np.shape(t), a.shape))
    for t, a in zip(theta, arrays):
        a[...] = t
    for d in layers(clf):
        for m in (d.U, d.u):
            if m is not None:
                m[...] = 0.0
    return clf


def nbytes(theta):
    return sum(int(np.asarray(t).nbytes) for t in theta)
