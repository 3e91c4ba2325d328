# Pure-Python kernels: the path for firmware without ulab.
# Vectors are array('f'); a matrix is a flat row-major array('f') whose row
# length the caller knows. Every function writes into `out` and returns it.
import math
from array import array

from .inputs import INF, check_len, number

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
    return _zeros("f", n)


def mat(rows, cols):
    return _zeros("f", rows * cols)


def mat_i8(rows, cols):
    return _zeros("b", rows * cols)


def fill(a, values):
    # copy a flat iterable of numbers into a vector or matrix
    i = 0
    for v in values:
        a[i] = v
        i += 1
    return a


def tolist(a):
    return list(a)


def row_bytes(a, i, cols):
    # raw little-endian bytes of row i (cols == 0: the whole vector)
    if cols == 0:
        return bytes(a)
    return bytes(memoryview(a)[i * cols:(i + 1) * cols])


def set_row(a, i, cols, values):
    k = i * cols
    for v in values:
        a[k] = v
        k += 1


_NINF = -INF


def load_vec(x, out):
    # copy user input into out, refusing what is not a finite number: the
    # fast loop stops at the first doubtful value, the checked one says why
    n = len(out)
    check_len(x, n)
    lo, hi = _NINF, INF
    i = 0
    try:
        for v in x:
            if not lo < v < hi:
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
    # out[:rows] = W[:rows] . x + b[:rows]
    k = 0
    for i in range(rows):
        s = b[i]
        for xj in x:
            s += W[k] * xj
            k += 1
        out[i] = s
    return out


def affine_q(Wq, scale, b, x, out):
    # int8 weights with one scale per row: out = (Wq . x) * scale + b
    k = 0
    for i in range(len(out)):
        s = 0.0
        for xj in x:
            s += Wq[k] * xj
            k += 1
        out[i] = s * scale[i] + b[i]
    return out


def activate(y, kind, rows):
    if kind == "relu":
        for i in range(rows):
            if y[i] < 0.0:
                y[i] = 0.0
    elif kind == "tanh":
        for i in range(rows):
            y[i] = math.tanh(y[i])
    return y


def act_grad(g, y, kind, rows):
    # g *= f'(.) written in terms of the activation's output y
    if kind == "relu":
        for i in range(rows):
            if y[i] <= 0.0:
                g[i] = 0.0
    elif kind == "tanh":
        for i in range(rows):
            g[i] *= 1.0 - y[i] * y[i]
    return g


def matT_vec(W, g, rows, out):
    # out = W[:rows]^T . g
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
    # the int8 counterpart: (Wq with row scales)^T . g
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


def iadd(a, b):
    for i in range(len(a)):
        a[i] += b[i]
    return a


def step(W, U, b, u, g, x, rows, lr, mu, gin):
    # one SGD step on the rank-1 gradient g x^T of a dense layer: W[:rows] -=
    # lr g x^T and b[:rows] -= lr g, through the lr-scaled velocities U, u
    # when given; with gin, also gin = W[:rows]^T g from the weights before
    # the step (returned). One pass over W with momentum, two without.
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
    for i in range(n):
        a[i] *= f


def sqnorm(v, rows):
    s = 0.0
    for i in range(rows):
        s += v[i] * v[i]
    return s


def softmax(z, rows, out):
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
    best = 0
    for i in range(1, rows):
        if v[i] > v[best]:
            best = i
    return best


def sub(a, b, out):
    for i in range(len(out)):
        out[i] = a[i] - b[i]
    return out


def sqdist(a, b):
    s = 0.0
    for i in range(len(a)):
        d = a[i] - b[i]
        s += d * d
    return s


def welford(mean, var, x, w):
    # running mean/variance with weight w = 1/n of the new sample
    for i in range(len(x)):
        d = x[i] - mean[i]
        mean[i] += w * d
        var[i] += w * (d * (x[i] - mean[i]) - var[i])


def standardize(x, mean, inv_std, out):
    for i in range(len(x)):
        out[i] = (x[i] - mean[i]) * inv_std[i]
    return out


def inv_sqrt(var, eps, out):
    for i in range(len(var)):
        out[i] = 1.0 / math.sqrt(var[i] + eps)
    return out


def row_i8_to(A, i, cols, s, out):
    # dequantise: out = int8 row i of A times its scale s (a float)
    k = i * cols
    for j in range(cols):
        out[j] = A[k + j] * s
    return out
