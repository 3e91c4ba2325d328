# Array kernels for ulab.numpy (boards) and numpy (CPython hosts and Linux
# boards), written against the ulab subset: 2-D at most, no outer/matmul/
# astype, few operations per call since every ulab operation allocates.
import struct

from .inputs import LIMIT, check_len, number

try:
    from ulab import numpy as np
    NAME = "ulab"
except ImportError:
    import numpy as np
    NAME = "numpy"

F = getattr(np, "float32", None) or np.float  # float32 as on the boards
I8 = np.int8
_BLOCK = 4096  # bytes: the largest temporary a training step makes


def vec(n):
    """A zero float32 vector of n values (ulab/numpy array)."""
    return np.zeros(n, dtype=F)


def mat(rows, cols):
    """A zero float32 (rows, cols) matrix."""
    return np.zeros((rows, cols), dtype=F)


def mat_i8(rows, cols):
    """A zero int8 (rows, cols) matrix."""
    return np.zeros((rows, cols), dtype=I8)


def fill(a, values):
    """Copy a flat iterable of numbers into a vector or matrix; returns a."""
    if len(a.shape) == 1:
        a[:] = np.array(list(values), dtype=a.dtype)
    else:
        cols = a.shape[1]
        flat = list(values)
        for i in range(a.shape[0]):
            a[i, :] = np.array(flat[i * cols:(i + 1) * cols], dtype=a.dtype)
    return a


def tolist(a):
    """A vector's values, or a matrix's row by row, as a list of floats."""
    if len(a.shape) == 1:
        return [float(v) for v in a]
    return [float(v) for row in a for v in row]


def row_bytes(a, i, cols):
    """Raw little-endian bytes of row i (cols == 0: the whole vector)."""
    r = a if cols == 0 else a[i]
    fmt = "<%d%s" % (len(r), "b" if a.dtype == I8 else "f")
    return struct.pack(fmt, *[v for v in r])


def set_row(a, i, cols, values):
    """Set row i of a to values (cols == 0: the whole vector)."""
    if cols == 0:
        a[:] = np.array(values, dtype=a.dtype)
    else:
        a[i, :] = np.array(values, dtype=a.dtype)


def load_vec(x, out):
    """Copy user input x into out, refusing what is not a finite number.

    Returns out, or x itself when it is already a finite 1-D array of out's dtype (the kernels
    only read their inputs). Raises ValueError (wrong length or shape, inf/nan, beyond
    inputs.LIMIT) or TypeError (not a number).
    """
    n = len(out)
    check_len(x, n)
    if isinstance(x, type(out)):
        if len(x.shape) != 1:
            raise ValueError("x must be 1-D, got shape %r" % (x.shape,))
        if x.dtype == out.dtype and _small(x):
            return x  # the kernels only read their inputs: no copy
        if np.sum(np.isfinite(x)) == n and -LIMIT <= np.min(x) and np.max(x) <= LIMIT:
            out[:] = x  # another dtype (min and max after isfinite: they may pass over a nan)
            return out
    elif NAME == "ulab":
        # a list or array('f') converted in C (ulab refuses strings, numpy
        # would parse them); anything doubtful goes to the checked loop,
        # which says why
        try:
            v = np.array(x, dtype=out.dtype)
        except (TypeError, ValueError):
            v = None
        if v is not None and len(v.shape) == 1 and _small(v):
            out[:] = v
            return out
    for i in range(n):
        out[i] = number(x[i], i)
    return out


def _small(v):
    # one op: |v| <= LIMIT implies every value finite and within +-LIMIT (a nan, an inf or
    # an overflow fails the comparison); a vector above it goes to the checked loop
    return np.dot(v, v) <= _LIMIT2


_LIMIT2 = LIMIT * LIMIT


def _rows(a, rows):
    return a if rows == a.shape[0] else a[:rows]


def affine(W, b, x, rows, out):
    """W[:rows] . x + b[:rows] as a new array (out is unused)."""
    y = np.dot(_rows(W, rows), x)
    y += _rows(b, rows)
    return y


def affine_q(Wq, scale, b, x, out):
    """(Wq . x) * scale + b for int8 weights with one scale per row (new array)."""
    y = np.dot(Wq, x)  # int8 . float is float in ulab and numpy
    y *= scale
    y += b
    return y


def activate(y, kind, rows):
    """y through activation kind ("relu", "tanh", else linear)."""
    if kind == "relu":
        return np.maximum(y, 0.0)
    if kind == "tanh":
        return np.tanh(y)
    return y


def act_grad(g, y, kind, rows):
    """g times the activation's derivative, in terms of its output y."""
    if kind == "relu":
        return g * (y > 0.0)
    if kind == "tanh":
        return g * (1.0 - y * y)
    return g


def matT_vec(W, g, rows, out):
    """W[:rows]^T . g as a new array.

    As dot(W.T, g): ulab's dot(vector, matrix) sizes its result wrongly.
    """
    return np.dot(_rows(W, rows).T, g)


def matT_vec_q(Wq, scale, g, out):
    """The int8 counterpart of matT_vec: (Wq with row scales)^T . g."""
    return np.dot(Wq.T, g * scale)


def copy(dst, src):
    """dst[:] = src for vectors of one length; returns dst."""
    dst[:] = src
    return dst


def iadd(a, b):
    """a += b, elementwise in place; returns a."""
    a += b
    return a


def step(W, U, b, u, g, x, rows, lr, mu, gin):
    """One SGD step on the rank-1 gradient g x^T (kern_py.step says what).

    The input gradient gin (returned; None when gin is None) comes first, from the weights
    before the step.
    """
    if gin is not None:
        gin = matT_vec(W, g, rows, gin)
    lg = lr * g  # scaled before the outer product: no full-size temporary for it
    n = len(x)
    P, V = _rows(W, rows), _rows(U, rows) if U is not None else None
    k = _BLOCK // (4 * n) or 1  # rows of g x^T per temporary
    if rows <= k:
        _descend(P, V, lg.reshape((rows, 1)) * x.reshape((1, n)), mu)
    else:
        _descend_blocks(P, V, lg.reshape((rows, 1)), x.reshape((1, n)), mu, k)
    _descend(_rows(b, rows), _rows(u, rows) if u is not None else None, lg, mu)
    return gin


def _descend(P, V, d, mu):
    # P -= d, through the velocity V when there is one (in place, views too)
    if V is None:
        P -= d
    else:
        V *= mu
        V += d
        P -= V


def _descend_blocks(P, V, c, r, mu, k):
    # _descend(P, V, c * r, mu) for a column c times a row r, making c * r k
    # rows at a time: on a 192 KB heap, live objects and garbage pinned by
    # pointer-like numbers can leave no free run of 16 KB (a 64 x 64 float32
    # outer product) while many of 4 KB remain
    A = P if V is None else V
    if V is not None:
        V *= mu
    for i in range(0, len(c), k):
        a = A[i:i + k]
        if V is None:
            a -= c[i:i + k] * r
        else:
            a += c[i:i + k] * r
    if V is not None:
        P -= V


def scale(a, n, f):
    """a *= f in place (n is unused)."""
    a *= f


def sqnorm(v, rows):
    """Sum of squares of v (rows is unused)."""
    return float(np.dot(v, v))


def softmax(z, rows, out):
    """Softmax of z as a new array (rows and out are unused)."""
    e = np.exp(z - np.max(z))
    e /= np.sum(e)
    return e


def argmax(v, rows):
    """Index of v's largest value (rows is unused)."""
    return int(np.argmax(v))


def sub(a, b, out):
    """a - b as a new array."""
    return a - b


def sqdist(a, b):
    """Squared distance between a and b: the sum of (a - b)^2, as a float."""
    d = a - b
    return float(np.sum(d * d))


def welford(mean, var, x, w):
    """Running mean/variance, in place, with weight w = 1/n of the new sample x."""
    d = x - mean
    mean += w * d
    var += w * (d * (x - mean) - var)


def standardize(x, mean, inv_std, out):
    """(x - mean) * inv_std as a new array."""
    y = x - mean
    y *= inv_std
    return y


def inv_sqrt(var, eps, out):
    """1 / sqrt(var + eps) as a new array."""
    return 1.0 / np.sqrt(var + eps)


def row_i8_to(A, i, cols, s, out):
    """Dequantise: out = int8 row i of A times its scale s (a float); returns out."""
    out[:] = A[i]  # converts int8 to float
    out *= s
    return out
