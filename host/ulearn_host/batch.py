"""Array kernels over minibatches, for training the device's own layer code.

``ulearn.Dense(..., kern=batch)`` runs the board's forward/backward and
``ulearn.SGD`` update unchanged, with each vector replaced by a float32 matrix
holding one sample per row; the weight gradient is the minibatch mean. Only
the kernels a trainable layer uses are here (no gradient clipping: its
rank-1 norm shortcut holds for one sample only).
"""
import numpy as np

from ulearn.kern_np import _descend, activate, act_grad, mat, scale, set_row, vec  # noqa: F401 (same on batches)


def affine(W, b, X, rows, out):
    return X @ W[:rows].T + b[:rows]


def affine_q(Wq, sc, b, X, out):
    return (X @ Wq.T.astype(np.float32)) * sc + b


def matT_vec(W, G, rows, out):
    return G @ W[:rows]


def step(W, U, b, u, G, X, rows, lr, mu, gin):
    if gin is not None:
        gin = matT_vec(W, G, rows, gin)
    _descend(W[:rows], None if U is None else U[:rows], (lr / len(X)) * (G.T @ X), mu)
    _descend(b[:rows], None if u is None else u[:rows], lr * G.mean(axis=0), mu)
    return gin


def softmax(Z, rows, out):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)
