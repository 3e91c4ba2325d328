"""Array creation functions of ulab.numpy (all dtype arguments are keyword-only)."""

import math as _math

import numpy as _np

from . import _dtypes as _d
from ._dtypes import BOOL, FLOAT, INT16
from ._ndarray import MAX_DIMS, from_values, ndarray, new


def _shape(shape):
    if isinstance(shape, bool):
        raise TypeError("input argument must be an integer, a tuple, or a list")
    if isinstance(shape, int):
        shape = (shape,)
    elif isinstance(shape, (tuple, list)):
        shape = tuple(shape)
    else:
        raise TypeError("input argument must be an integer, a tuple, or a list")
    if len(shape) > MAX_DIMS:
        raise TypeError("too many dimensions (ulab is built with at most %d)" % MAX_DIMS)
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in shape):
        raise ValueError("shape must hold non-negative integers")
    return shape


def _filled(shape, value, dtype):
    code = _d.check_dtype(dtype)
    a = _np.full(_shape(shape), value, dtype=_np.float64 if code == FLOAT else _np.int64)
    return new(_d.cast(a, code), code)


def zeros(shape, *, dtype=FLOAT):
    return _filled(shape, 0, dtype)


def empty(shape, *, dtype=FLOAT):
    """An alias of zeros in ulab: the data is zeroed."""
    return _filled(shape, 0, dtype)


def ones(shape, *, dtype=FLOAT):
    return _filled(shape, 1, dtype)


def full(shape, fill_value, *, dtype=FLOAT):
    code = _d.check_dtype(dtype)
    if not isinstance(fill_value, (int, float)):
        raise TypeError("fill_value must be a number")
    if code == BOOL:
        fill_value = 1 if fill_value else 0
    elif code != FLOAT and isinstance(fill_value, float):
        raise TypeError("can't convert float to int")
    return _filled(shape, fill_value, code)


def _number(x, name):
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError("%s must be a number" % name)
    return float(x)


def _ramp(start, step, length, code):
    values = start + step * _np.arange(length, dtype=_np.float64)
    return new(_d.cast(values.astype(_np.float32), code), code)


def arange(*args, dtype=None):
    """Integer arguments give an int16 array (float if any |value| > 32768)."""
    if not 1 <= len(args) <= 3:
        raise TypeError("wrong number of arguments")
    nums = [_number(x, "arange argument") for x in args]
    if len(nums) == 1:
        start, stop, step = 0.0, nums[0], 1.0
    elif len(nums) == 2:
        start, stop, step = nums[0], nums[1], 1.0
    else:
        start, stop, step = nums
    code = INT16 if all(isinstance(x, int) for x in args) else FLOAT
    if max(abs(start), abs(stop), abs(step)) > 32768:
        code = FLOAT
    if dtype is not None:
        code = _d.check_dtype(dtype)
    if step == 0:
        raise ValueError("step must not be zero")
    length = 0 if (stop - start) / step < 0 else int(_math.ceil((stop - start) / step))
    return _ramp(start, step, length, code)


def linspace(start, stop, num=50, *, endpoint=True, retstep=False, dtype=FLOAT):
    code = _d.check_dtype(dtype)
    start, stop = _number(start, "start"), _number(stop, "stop")
    if isinstance(num, bool) or not isinstance(num, int) or num < 2:
        raise ValueError("number of points must be at least 2")
    step = (stop - start) / (num - 1 if endpoint else num)
    arr = _ramp(start, step, num, code)
    return (arr, float(_np.float32(step))) if retstep else arr


def logspace(start, stop, num=50, *, base=10.0, endpoint=True, dtype=FLOAT):
    code = _d.check_dtype(dtype)
    start, stop = _number(start, "start"), _number(stop, "stop")
    if isinstance(num, bool) or not isinstance(num, int) or num < 2:
        raise ValueError("number of points must be at least 2")
    step = (stop - start) / (num - 1 if endpoint else num)
    values = _np.float32(base) ** (start + step * _np.arange(num, dtype=_np.float64))
    return new(_d.cast(values.astype(_np.float32), code), code)


def eye(N, *, M=None, k=0, dtype=FLOAT):
    code = _d.check_dtype(dtype)
    a = _np.eye(N, N if M is None else M, k=k, dtype=_np.int64)
    return new(_d.cast(a, code), code)


def diag(a, *, k=0):
    """2-D -> copy of the k-th diagonal; 1-D -> square matrix with it on the diagonal."""
    if isinstance(a, ndarray):
        src, code = a._a, a._code
    else:
        src, code = from_values(a, FLOAT), FLOAT
    if src.ndim not in (1, 2):
        raise ValueError("input must be 1- or 2-d")
    return new(_np.diag(src, k=k).copy(), code)


def concatenate(arrays, *, axis=0):
    """Join arrays of the SAME dtype and ndim; the arrays must come in a tuple."""
    if not isinstance(arrays, tuple):
        raise TypeError("first argument must be a tuple of ndarrays (ulab refuses a "
                        "list: np.concatenate((a, b)))")
    if not arrays or not all(isinstance(x, ndarray) for x in arrays):
        raise TypeError("first argument must be a tuple of ndarrays")
    first = arrays[0]
    ndim = first._a.ndim
    ax = axis + ndim if axis < 0 else axis
    if not 0 <= ax < ndim:
        raise ValueError("wrong axis specified")
    for x in arrays[1:]:
        if x._code != first._code or x._a.ndim != ndim:
            raise ValueError("input arrays are not compatible (ulab needs identical "
                             "dtypes: convert with np.array(x, dtype=...) first)")
    try:
        res = _np.concatenate([x._a for x in arrays], axis=ax)
    except ValueError:
        raise ValueError("input arrays are not compatible") from None
    return new(res, first._code)
