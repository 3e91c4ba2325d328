"""Comparison functions of ulab.numpy: clip, equal, maximum, nonzero, where, ..."""

import numpy as _np

from . import _counter
from . import _dtypes as _d
from ._dtypes import BOOL, FLOAT, UINT16
from ._ndarray import broadcast_shape, compute, ndarray, new, operand, wrap


def _both_scalars(x, y):
    return _d.is_scalar(x) and _d.is_scalar(y)


def _pair(x, y):
    # compare.c converts both operands on their own (other_type 0)
    l, lc = operand(x, 0)
    r, rc = operand(y, 0)
    return l, lc, r, rc


def _extremum(x1, x2, fn):
    if _both_scalars(x1, x2):
        _counter.record(0)
        return float(_np.float32(fn(float(x1), float(x2))))
    l, lc, r, rc = _pair(x1, x2)
    broadcast_shape(l.shape, r.shape)
    code = _d.upcast(lc, rc)
    res = fn(l.astype(_np.float64), r.astype(_np.float64))
    return new(_d.cast(res, code), code)


def maximum(x1, x2):
    return _extremum(x1, x2, _np.maximum)


def minimum(x1, x2):
    return _extremum(x1, x2, _np.minimum)


def clip(a, a_min, a_max):
    """maximum(a_min, minimum(a, a_max)), with ulab's upcasting."""
    if _d.is_scalar(a) and _d.is_scalar(a_min) and _d.is_scalar(a_max):
        _counter.record(0)
        return float(_np.float32(max(a_min, min(a, a_max))))
    l, lc = operand(a, 0)
    lo, loc = operand(a_min, 0)
    hi, hic = operand(a_max, 0)
    broadcast_shape(l.shape, lo.shape, hi.shape)
    code = _d.upcast(loc, _d.upcast(lc, hic))
    res = _np.maximum(lo.astype(_np.float64),
                      _np.minimum(l.astype(_np.float64), hi.astype(_np.float64)))
    return new(_d.cast(res, code), code)


def equal(x, y):
    l, lc, r, rc = _pair(x, y)
    res, code = compute("==", l, lc, r, rc)
    return new(res, code)


def not_equal(x, y):
    l, lc, r, rc = _pair(x, y)
    res, code = compute("!=", l, lc, r, rc)
    return new(res, code)


def _finite_inf(x, fn, int_value):
    if _d.is_scalar(x):
        _counter.record(0)
        return bool(fn(float(x)))
    if not isinstance(x, ndarray):
        raise TypeError("wrong input type")
    if x._code != FLOAT:
        return new(_np.full(x._a.shape, int_value, dtype=_np.bool_), BOOL)
    return new(fn(x._a), BOOL)


def isfinite(x):
    return _finite_inf(x, _np.isfinite, True)


def isinf(x):
    return _finite_inf(x, _np.isinf, False)


def nonzero(x):
    """Tuple of uint16 index arrays, one per dimension (as numpy's nonzero)."""
    if not isinstance(x, ndarray):
        raise TypeError("nonzero is defined for ndarrays only")
    out = tuple(wrap(p.astype(_np.uint16), UINT16) for p in _np.nonzero(x._a))
    _counter.record(sum(_counter.array_bytes(p._a.nbytes) for p in out))   # one op
    return out


def where(condition, x=None, y=None):
    """Three-argument where only; the one-argument form is np.nonzero in ulab."""
    if x is None or y is None:
        raise TypeError("ulab's where takes exactly 3 arguments (condition, x, y): "
                        "use np.nonzero(condition) for the indices")
    c, _ = operand(condition, 0)
    l, lc, r, rc = _pair(x, y)
    shape = broadcast_shape(c.shape, l.shape, r.shape)
    code = _d.upcast(lc, rc)
    res = _np.where(c != 0, l.astype(_np.float64), r.astype(_np.float64))
    return new(_d.cast(_np.broadcast_to(res, shape), code), code)
