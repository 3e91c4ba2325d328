"""Reductions, sorting and the other numerical functions of ulab.numpy."""

import builtins as _b

import numpy as _np

from . import _counter
from . import _dtypes as _d
from ._dtypes import BOOL, FLOAT, INT8, INT16, UINT16
from ._ndarray import ndarray, new, view

_ITERABLES = (list, tuple, range)


def need_ndarray(a, name):
    if not isinstance(a, ndarray):
        raise TypeError("%s argument must be an ndarray" % name)
    return a


def axis_index(axis, ndim):
    """Normalise an axis argument (an int; bool is not an int for MicroPython)."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError("axis must be None, or an integer")
    ax = axis + ndim if axis < 0 else axis
    if not 0 <= ax < ndim:
        raise ValueError("axis is out of bounds")
    return ax


def check_sortable(a, name):
    # ulab's heapsort (numerical.c, numerical_sort_helper / numerical_argsort) reads
    # int8 as uint8 and int16 as uint16 (negatives sort last), and sort() handles
    # uint16 data as floats: only uint8/bool/float (and uint16 for argsort) are safe.
    bad = (INT8, INT16) if name == "argsort" else (INT8, INT16, UINT16)
    if a._code in bad:
        raise TypeError("%s of %s arrays gives wrong results in ulab (signed values "
                        "are compared as unsigned): convert with np.array(a, dtype=np.float)"
                        % (name, _d.NAMES[a._code]))


def _scalar_or_array(res, code):
    """ulab returns a Python scalar when the reduced result has no dimension left."""
    res = _np.asarray(res)
    if res.ndim == 0:
        _counter.record(0)
        return _d.to_python(res, code)
    return new(res, code)


def _iterable_values(a):
    vals = list(a)
    for v in vals:
        if not isinstance(v, (int, float)):
            raise TypeError("can't convert %s to float" % type(v).__name__)
    return vals


# ---------------------------------------------------------------- sum / mean / std

def sum(a, axis=None):
    """Python scalar without axis (int for int arrays); same-dtype array with axis.

    Integer sums along an axis stay in the array's dtype and wrap (numpy widens).
    """
    if isinstance(a, _ITERABLES):
        _counter.record(0)
        return float(_np.float32(_b.sum(float(v) for v in _iterable_values(a))))
    need_ndarray(a, "sum")
    code = a._code
    if axis is None:
        _counter.record(0)
        total = _np.float32(_np.sum(a._a, dtype=_np.float64))   # ulab: float mean * len
        return float(total) if code == FLOAT else int(_np.int64(total))
    ax = axis_index(axis, a._a.ndim)
    if code == FLOAT:
        res = _np.sum(a._a, axis=ax, dtype=_np.float64).astype(_np.float32)
    else:
        res = _d.cast(_np.sum(a._a, axis=ax, dtype=_np.int64), _d.UINT8 if code == BOOL else code)
        code = _d.UINT8 if code == BOOL else code
    return _scalar_or_array(res, code)


def mean(a, axis=None):
    if isinstance(a, _ITERABLES):
        vals = _iterable_values(a)
        _counter.record(0)
        return float(_np.float32(_b.sum(vals) / len(vals))) if vals else 0.0
    need_ndarray(a, "mean")
    if axis is None:
        _counter.record(0)
        return float(_np.float32(_np.mean(a._a, dtype=_np.float64)))
    ax = axis_index(axis, a._a.ndim)
    return _scalar_or_array(_np.mean(a._a, axis=ax, dtype=_np.float64), FLOAT)


def std(a, axis=None, *, ddof=0):
    if axis is not None and axis not in (0, 1):
        raise ValueError("axis must be None, or an integer")
    if isinstance(a, _ITERABLES):
        vals = _np.array(_iterable_values(a), dtype=_np.float64)
        _counter.record(0)
        return float(_np.float32(_np.std(vals, ddof=ddof))) if len(vals) > ddof else 0.0
    need_ndarray(a, "std")
    with _np.errstate(all="ignore"):
        if axis is None:
            _counter.record(0)
            if ddof > a._a.size:
                return 0.0
            return float(_np.float32(_np.std(a._a, dtype=_np.float64, ddof=ddof)))
        ax = axis_index(axis, a._a.ndim)
        if a._a.shape[ax] <= ddof:
            res = _np.zeros(_np.delete(a._a.shape, ax))
        else:
            res = _np.std(a._a, axis=ax, dtype=_np.float64, ddof=ddof)
    return _scalar_or_array(res, FLOAT)


# ---------------------------------------------------------------- min / max / argmin / argmax

def _minmax(a, axis, name, fn, argfn):
    if isinstance(a, _ITERABLES):
        vals = list(a)
        if not vals:
            raise ValueError("attempt to get argmin/argmax of an empty sequence")
        idx = argfn(_np.array(_iterable_values(vals), dtype=_np.float64))
        _counter.record(0)
        return int(idx) if name.startswith("arg") else vals[int(idx)]
    need_ndarray(a, name)
    if a._a.size == 0:
        raise ValueError("attempt to get (arg)min/(arg)max of empty sequence")
    arg = name.startswith("arg")
    if axis is None:
        _counter.record(0)
        if arg:
            return int(argfn(a._a))
        v = fn(a._a)
        return float(v) if a._code == FLOAT else int(v)
    ax = axis_index(axis, a._a.ndim)
    if arg:
        res, code = argfn(a._a, axis=ax).astype(_np.int16), INT16
    else:
        res, code = fn(a._a, axis=ax), a._code
    if res.size == 1:                       # ulab: a one-element result is a scalar
        _counter.record(0)
        return _d.to_python(res.reshape(-1)[0], code)
    return new(res, code)


def max(a, axis=None):
    return _minmax(a, axis, "max", _np.max, _np.argmax)


def min(a, axis=None):
    return _minmax(a, axis, "min", _np.min, _np.argmin)


def argmax(a, axis=None):
    return _minmax(a, axis, "argmax", _np.max, _np.argmax)


def argmin(a, axis=None):
    return _minmax(a, axis, "argmin", _np.min, _np.argmin)


# ---------------------------------------------------------------- all / any

def _all_any(a, axis, fn):
    if _d.is_scalar(a):
        _counter.record(0)
        return bool(a)
    if isinstance(a, _ITERABLES):
        _counter.record(0)
        return bool(fn([bool(v) for v in a]))
    need_ndarray(a, fn.__name__)
    if axis is None:
        _counter.record(0)
        return bool(fn(a._a != 0))
    ax = axis_index(axis, a._a.ndim)
    return _scalar_or_array(fn(a._a != 0, axis=ax), BOOL)


def all(a, axis=None):
    return _all_any(a, axis, _np.all)


def any(a, axis=None):
    return _all_any(a, axis, _np.any)


# ---------------------------------------------------------------- sorting

def sort(a, *, axis=None):
    """Sorted copy; axis=None (the default in ulab.numpy.sort) sorts the flattened array."""
    need_ndarray(a, "sort")
    check_sortable(a, "sort")
    if axis is None:
        return new(_np.sort(a._a, axis=None), a._code)
    return new(_np.sort(a._a, axis=axis_index(axis, a._a.ndim)), a._code)


def argsort(a, *, axis=None):
    """uint16 indices; ulab needs an explicit axis (axis=0 for a 1-D array)."""
    need_ndarray(a, "argsort")
    if axis is None:
        raise NotImplementedError("argsort is not implemented for flattened arrays: "
                                  "pass axis=0 for a 1-D array")
    check_sortable(a, "argsort")
    if _b.max(a._a.shape) > 65535:
        raise ValueError("axis too long")
    ax = axis_index(axis, a._a.ndim)
    return new(_np.argsort(a._a, axis=ax, kind="stable").astype(_np.uint16), UINT16)


def median(a, *, axis=None):
    need_ndarray(a, "median")
    check_sortable(a, "median")
    if a._a.size == 0:
        _counter.record(0)
        return float("nan")
    if axis is None or a._a.ndim == 1:
        _counter.record(0)
        return float(_np.float32(_np.median(a._a.astype(_np.float64))))
    ax = axis_index(axis, a._a.ndim)
    return new(_np.median(a._a.astype(_np.float64), axis=ax), FLOAT)


# ---------------------------------------------------------------- diff / flip / roll / cross

def diff(a, *, n=1, axis=-1):
    need_ndarray(a, "diff")
    ax = axis_index(axis, a._a.ndim)
    if n not in (0, 1):
        # ulab's stencil for n >= 2 has been seen to flip the sign: apply diff twice
        raise ValueError("only n=0 or n=1 is emulated: call np.diff(np.diff(a)) instead")
    if n > a._a.shape[ax]:
        raise ValueError("differentiation order out of range")
    if n == 0:
        return new(a._a.copy(), a._code)
    if a._code == FLOAT:
        return new(_np.diff(a._a, axis=ax), FLOAT)
    code = _d.UINT8 if a._code == BOOL else a._code
    return new(_d.cast(_np.diff(a._a.astype(_np.int64), axis=ax), code), code)


def flip(a, *, axis=None):
    """A view with reversed strides (shares memory with ``a``)."""
    need_ndarray(a, "flip")
    if axis is None:
        return view(_np.flip(a._a), a._code)
    return view(_np.flip(a._a, axis=axis_index(axis, a._a.ndim)), a._code)


def roll(a, shift, *, axis=None):
    """A new rolled array (ulab 6 does not roll in place)."""
    need_ndarray(a, "roll")
    if isinstance(shift, bool) or not isinstance(shift, int):
        raise TypeError("shift must be an integer")
    if axis is None:
        return new(_np.roll(a._a, shift), a._code)
    return new(_np.roll(a._a, shift, axis=axis_index(axis, a._a.ndim)), a._code)


def cross(a, b):
    if not isinstance(a, ndarray) or not isinstance(b, ndarray):
        raise TypeError("arguments must be ndarrays")
    if a._a.shape != (3,) or b._a.shape != (3,):
        raise ValueError("cross is defined for 1D arrays of length 3")
    code = _d.upcast(a._code, b._code)
    res = _np.cross(a._a.astype(_np.float32), b._a.astype(_np.float32))
    return new(_d.cast(res, code), code)
