"""Elementwise math functions of ulab.numpy (the only functions that take out=)."""

import numpy as _np

from . import _counter
from . import _dtypes as _d
from ._dtypes import FLOAT
from ._ndarray import broadcast_shape, from_values, ndarray, new, operand


def _math_function(ufunc, name):
    def f(a, *, out=None):
        # a number -> a Python float (computed in float32, like mp_float_t)
        if _d.is_scalar(a):
            if out is not None:
                raise TypeError("out= needs an ndarray input")
            _counter.record(0)
            with _np.errstate(all="ignore"):
                return float(ufunc(_np.float32(a)))
        if isinstance(a, ndarray):
            src = a._a
        elif isinstance(a, (list, tuple, range)):
            if out is not None:
                raise TypeError("out= needs an ndarray input")
            src = from_values(a, FLOAT)
        else:
            raise TypeError("%s: wrong input type %s" % (name, type(a).__name__))
        with _np.errstate(all="ignore"):
            res = ufunc(src.astype(_np.float32))
        if out is None:
            return new(res, FLOAT)
        if not isinstance(out, ndarray):
            raise ValueError("out must be an ndarray")
        if out._code != FLOAT:
            raise ValueError("out must be of float dtype")
        if out._a.shape != src.shape:
            raise ValueError("input and output shapes differ")
        if not out._a.flags.c_contiguous:
            # the C loop writes out's data linearly, ignoring its strides
            raise ValueError("out must be a dense (contiguous) array, not a view")
        out._a[...] = res
        _counter.record(0)
        return out
    f.__name__ = name
    f.__doc__ = "Elementwise %s; float result; accepts out= (a dense float array)." % name
    return f


acos = _math_function(_np.arccos, "acos")
acosh = _math_function(_np.arccosh, "acosh")
asin = _math_function(_np.arcsin, "asin")
asinh = _math_function(_np.arcsinh, "asinh")
atan = _math_function(_np.arctan, "atan")
atanh = _math_function(_np.arctanh, "atanh")
ceil = _math_function(_np.ceil, "ceil")
cos = _math_function(_np.cos, "cos")
cosh = _math_function(_np.cosh, "cosh")
degrees = _math_function(_np.degrees, "degrees")
exp = _math_function(_np.exp, "exp")
expm1 = _math_function(_np.expm1, "expm1")
floor = _math_function(_np.floor, "floor")
log = _math_function(_np.log, "log")
log10 = _math_function(_np.log10, "log10")
log2 = _math_function(_np.log2, "log2")
radians = _math_function(_np.radians, "radians")
sin = _math_function(_np.sin, "sin")
sinh = _math_function(_np.sinh, "sinh")
sqrt = _math_function(_np.sqrt, "sqrt")
tan = _math_function(_np.tan, "tan")
tanh = _math_function(_np.tanh, "tanh")


def around(a, *, decimals=0):
    """Float array rounded with C round(): halves go AWAY from zero (numpy: to even)."""
    if not isinstance(a, ndarray):
        raise TypeError("first argument must be an ndarray")
    mul = _np.float32(10.0) ** decimals
    x = a._a.astype(_np.float32) * mul
    res = _np.sign(x) * _np.floor(_np.abs(x) + _np.float32(0.5)) / mul
    return new(res.astype(_np.float32), FLOAT)


def arctan2(ya, xa):
    if _d.is_scalar(ya) and _d.is_scalar(xa):
        _counter.record(0)
        return float(_np.arctan2(_np.float32(ya), _np.float32(xa)))
    y, _ = operand(ya, 0)
    x, _ = operand(xa, 0)
    broadcast_shape(y.shape, x.shape)
    return new(_np.arctan2(y.astype(_np.float32), x.astype(_np.float32)), FLOAT)


def vectorize(f, *, otypes=None):
    """Wrap a Python function so it maps over an array (result float unless otypes)."""
    if not callable(f):
        raise TypeError("first argument must be a callable")
    code = FLOAT if otypes is None else _d.check_dtype(otypes)

    def vectorized(a):
        if _d.is_scalar(a):
            src = _np.array([a], dtype=_np.float64)
            items = [a]
        elif isinstance(a, ndarray):
            src = a._a
            items = [_d.to_python(v, a._code) for v in a._a.reshape(-1)]
        elif isinstance(a, (list, tuple, range)):
            src = from_values(a, FLOAT)
            items = list(a)
        else:
            raise TypeError("wrong input type")
        vals = _np.array([f(v) for v in items], dtype=_np.float64).reshape(src.shape)
        return new(_d.cast(vals, code), code)
    return vectorized
