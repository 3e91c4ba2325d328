# Pure-Python kernels: the path for firmware without ulab.
# Vectors are array('f'); a matrix is a flat row-major array('f') whose row
# length the caller knows. Every function writes into `out` and returns it.
import math
from array import array

from .inputs import LIMIT, check_len, number

NAME = "python"
_SIZE = {"f": 4, "b": 1}


def _zeros(tc, n):
    try:
        return array(tc, bytes(n * _SIZE[tc]))  # MicroPython: raw bytes
    except TypeError:
        a = array(tc)  # CPython refuses bytes in the constructor
        a.frombytes(bytes(n * _SIZE[tc]))
        return a


def vec(n):
    """A zero array('f') of n values."""
    return _zeros("f", n)


def mat(rows, cols):
    """A zero rows x cols matrix: a flat row-major array('f')."""
    return _zeros("f", rows * cols)


def mat_i8(rows, cols):
    """A zero int8 rows x cols matrix: a flat row-major array('b')."""
    return _zeros("b", rows * cols)


def fill(a, values):
    """Copy a flat iterable of numbers into a vector or matrix; returns a."""
    i = 0
    for v in values:
        a[i] = v
        i += 1
    return a


def tolist(a):
    """The values of a vector or flat matrix as a list."""
    return list(a)


def row_bytes(a, i, cols):
    """Raw little-endian bytes of row i (cols == 0: the whole vector)."""
    if cols == 0:
        return bytes(a)
    return bytes(memoryview(a)[i * cols:(i + 1) * cols])


def set_row(a, i, cols, values):
    """Set row i of the flat matrix a (rows of cols values; 0: a vector) to values."""
    k = i * cols
    for v in values:
        a[k] = v
        k += 1


_NLIMIT = -LIMIT


def load_vec(x, out):
    """Copy user input x into out, refusing what is not a finite number; returns out.

    The fast loop stops at the first doubtful value, the checked one says why: ValueError
    (wrong length, inf/nan, beyond inputs.LIMIT) or TypeError (not a number).
    """
    n = len(out)
    check_len(x, n)
    lo, hi = _NLIMIT, LIMIT
    i = 0
    try:
        for v in x:
            if not lo <= v <= hi:  # False for nan too
                break
            out[i] = v
            i += 1
    except TypeError:
        pass
    if i < n:
        for i in range(n):
            out[i] = number(x[i], i)
    return out


# The loops iterate over the input vector with a running index into the flat
# matrix: in MicroPython that is about 1.5x faster than indexing both.

def affine(W, b, x, rows, out):
    """out[:rows] = W[:rows] . x + b[:rows]; returns out."""
    k = 0
    for i in range(rows):
        s = b[i]
        for xj in x:
            s += W[k] * xj
            k += 1
        out[i] = s
    return out


def affine_q(Wq, scale, b, x, out):
    """Int8 weights with one scale per row: out = (Wq . x) * scale + b."""
    k = 0
    for i in range(len(out)):
        s = 0.0
        for xj in x:
            s += Wq[k] * xj
            k += 1
        out[i] = s * scale[i] + b[i]
    return out


def activate(y, kind, rows):
    """Activation kind ("relu", "tanh", else linear) on y[:rows] in place; returns y."""
    if kind == "relu":
        for i in range(rows):
            if y[i] < 0.0:
                y[i] = 0.0
    elif kind == "tanh":
        for i in range(rows):
            y[i] = math.tanh(y[i])
    return y


def act_grad(g, y, kind, rows):
    """g *= f'(.) written in terms of the activation's output y; returns g."""
    if kind == "relu":
        for i in range(rows):
            if y[i] <= 0.0:
                g[i] = 0.0
    elif kind == "tanh":
        for i in range(rows):
            g[i] *= 1.0 - y[i] * y[i]
    return g


def matT_vec(W, g, rows, out):
    """out = W[:rows]^T . g; returns out."""
    n = len(out)
    for j in range(n):
        out[j] = 0.0
    k = 0
    for i in range(rows):
        gi = g[i]
        for j in range(n):
            out[j] += W[k] * gi
            k += 1
    return out


def matT_vec_q(Wq, scale, g, out):
    """The int8 counterpart of matT_vec: (Wq with row scales)^T . g."""
    n = len(out)
    for j in range(n):
        out[j] = 0.0
    k = 0
    for i in range(len(scale)):
        gi = g[i] * scale[i]
        for j in range(n):
            out[j] += Wq[k] * gi
            k += 1
    return out


def copy(dst, src):
    """dst[:] = src for vectors of one length; returns dst."""
    for i in range(len(src)):
        dst[i] = src[i]
    return dst


def iadd(a, b):
    """a += b, elementwise in place; returns a."""
    for i in range(len(a)):
        a[i] += b[i]
    return a


def step(W, U, b, u, g, x, rows, lr, mu, gin):
    """One SGD step on the rank-1 gradient g x^T of a dense layer.

    W[:rows] -= lr g x^T and b[:rows] -= lr g, through the lr-scaled velocities U, u when
    given; with gin, also gin = W[:rows]^T g from the weights before the step (returned). One
    pass over W with momentum, two without.
    """
    if gin is not None:
        if U is None:
            gin = matT_vec(W, g, rows, gin)
            step(W, U, b, u, g, x, rows, lr, mu, None)
            return gin
        for j in range(len(gin)):
            gin[j] = 0.0
    k = 0
    for i in range(rows):
        gi = g[i]
        li = lr * gi
        if gin is not None:
            j = 0
            for xj in x:
                w = W[k]
                gin[j] += w * gi
                v = mu * U[k] + li * xj
                U[k] = v
                W[k] = w - v
                j += 1
                k += 1
        elif U is None:
            for xj in x:
                W[k] -= li * xj
                k += 1
        else:
            for xj in x:
                v = mu * U[k] + li * xj
                U[k] = v
                W[k] -= v
                k += 1
        if u is None:
            b[i] -= li
        else:
            v = mu * u[i] + li
            u[i] = v
            b[i] -= v
    return gin


def scale(a, n, f):
    """a[:n] *= f in place."""
    for i in range(n):
        a[i] *= f


def sqnorm(v, rows):
    """Sum of squares of v[:rows]."""
    s = 0.0
    for i in range(rows):
        s += v[i] * v[i]
    return s


def softmax(z, rows, out):
    """out[:rows] = softmax of z[:rows]; returns out."""
    m = z[0]
    for i in range(1, rows):
        if z[i] > m:
            m = z[i]
    s = 0.0
    for i in range(rows):
        e = math.exp(z[i] - m)
        out[i] = e
        s += e
    for i in range(rows):
        out[i] /= s
    return out


def argmax(v, rows):
    """Index of the largest of v[:rows] (the first on ties)."""
    best = 0
    for i in range(1, rows):
        if v[i] > v[best]:
            best = i
    return best


def sub(a, b, out):
    """out = a - b elementwise; returns out."""
    for i in range(len(out)):
        out[i] = a[i] - b[i]
    return out


def sqdist(a, b):
    """Squared distance between a and b: the sum of (a - b)^2, as a float."""
    s = 0.0
    for i in range(len(a)):
        d = a[i] - b[i]
        s += d * d
    return s


def welford(mean, var, x, w):
    """Running mean/variance, in place, with weight w = 1/n of the new sample x."""
    for i in range(len(x)):
        d = x[i] - mean[i]
        mean[i] += w * d
        var[i] += w * (d * (x[i] - mean[i]) - var[i])


def standardize(x, mean, inv_std, out):
    """out = (x - mean) * inv_std elementwise; returns out."""
    for i in range(len(x)):
        out[i] = (x[i] - mean[i]) * inv_std[i]
    return out


def inv_sqrt(var, eps, out):
    """out = 1 / sqrt(var + eps) elementwise; returns out."""
    for i in range(len(var)):
        out[i] = 1.0 / math.sqrt(var[i] + eps)
    return out


def row_i8_to(A, i, cols, s, out):
    """Dequantise: out = int8 row i of A times its scale s (a float); returns out."""
    k = i * cols
    for j in range(cols):
        out[j] = A[k + j] * s
    return out
