"""dot, trace, take, interp and trapz of ulab.numpy."""

import numpy as _np

from . import _counter
from ._dtypes import FLOAT
from ._ndarray import ndarray, new
from ._numerical import axis_index, need_ndarray


def dot(m1, m2):
    """Always float: a float32 array, or a Python float for vector . vector. No out=."""
    if not isinstance(m1, ndarray) or not isinstance(m2, ndarray):
        raise TypeError("arguments must be ndarrays")
    a, b = m1._a, m2._a
    if a.ndim == 1 and b.ndim == 2:
        # transform_dot sizes the result for one element but writes b.shape[1] values:
        # wrong shape plus heap corruption (v923z/micropython-ulab issue #574). No fix
        # was found in the sources seen, so refuse; M.T is a free view anyway.
        raise ValueError("vector . matrix overflows the result buffer in ulab's dot: "
                         "use np.dot(m.T, v) (matrix . vector) instead")
    if a.shape[-1] != b.shape[0]:
        raise ValueError("dimensions do not match")
    with _np.errstate(over="ignore", invalid="ignore"):  # C overflows to inf, silently
        res = _np.dot(a.astype(_np.float32), b.astype(_np.float32))
    if a.ndim == 1 and b.ndim == 1:
        _counter.record(_counter.array_bytes(4))   # the C code still builds a 1-element array
        return float(res)
    return new(_np.asarray(res, dtype=_np.float32), FLOAT)


def trace(m):
    need_ndarray(m, "trace")
    if m._a.ndim != 2 or m._a.shape[0] != m._a.shape[1]:
        raise ValueError("input must be square matrix")
    _counter.record(0)
    t = _np.float32(_np.trace(m._a, dtype=_np.float64))
    return float(t) if m._code == FLOAT else int(t)


def take(a, indices, *, axis=None):
    """Copy of the elements at ``indices`` (flattened when axis is None)."""
    need_ndarray(a, "take")
    if isinstance(indices, ndarray):
        if indices._code == FLOAT:
            raise TypeError("indices must be integers")
        idx = [int(i) for i in indices._a.reshape(-1)]
    elif isinstance(indices, (list, tuple, range)):
        idx = list(indices)
        if any(isinstance(i, bool) or not isinstance(i, int) for i in idx):
            raise TypeError("indices must be integers")
    else:
        raise TypeError("indices must be a list, tuple, range or integer ndarray")
    src = a._a.reshape(-1) if axis is None else a._a
    ax = 0 if axis is None else axis_index(axis, a._a.ndim)
    n = src.shape[ax]
    if any(i < 0 or i >= n for i in idx):
        # negative indices are refused here: not confirmed to wrap in ulab's take
        raise ValueError("index out of range (use 0 <= index < %d)" % n)
    return new(_np.take(src, idx, axis=ax), a._code)


def interp(x, xp, fp, *, left=None, right=None):
    for arr, name in ((x, "x"), (xp, "xp"), (fp, "fp")):
        if not isinstance(arr, ndarray) or arr._a.ndim != 1:
            raise TypeError("interp: %s must be a 1-D ndarray" % name)
    if len(xp._a) != len(fp._a):
        raise ValueError("interp is defined for 1D iterables of equal length")
    res = _np.interp(x._a.astype(_np.float64), xp._a.astype(_np.float64),
                     fp._a.astype(_np.float64), left=left, right=right)
    return new(res, FLOAT)


def trapz(y, x=None, dx=1.0):
    if not isinstance(y, ndarray) or y._a.ndim != 1:
        raise TypeError("trapz: y must be a 1-D ndarray")
    if x is not None:
        if not isinstance(x, ndarray) or x._a.ndim != 1 or len(x._a) != len(y._a):
            raise ValueError("trapz is defined for 1D arrays of equal length")
        res = _np.trapezoid(y._a.astype(_np.float64), x._a.astype(_np.float64))
    else:
        res = _np.trapezoid(y._a.astype(_np.float64), dx=float(dx))
    _counter.record(0)
    return float(_np.float32(res))
