"""The emulated ulab ndarray (2-D build), backed by a numpy array.

Strict on purpose: where real ulab raises, this raises; where real ulab
silently does something different from numpy, this either reproduces it or
refuses the construct with a message saying what to write instead.
"""

import array as _array
import operator as _op

import numpy as _np

from . import _counter
from . import _dtypes as _d
from ._dtypes import BOOL, FLOAT

MAX_DIMS = 2
_printopts = {"threshold": 10, "edgeitems": 3}


# ---------------------------------------------------------------- construction

def wrap(a, code):
    """Wrap a numpy array (no counting)."""
    if not 1 <= a.ndim <= MAX_DIMS:
        raise ValueError("maximum number of dimensions is %d" % MAX_DIMS)
    obj = object.__new__(ndarray)
    obj._a = a
    obj._code = code
    return obj


def new(a, code):
    """Wrap freshly allocated data and count it as one op (header + data)."""
    arr = wrap(_d.cast(a, code) if a.dtype != _d.STORAGE[code] else a, code)
    _counter.record(_counter.array_bytes(arr._a.nbytes))
    return arr


def view(a, code):
    """Wrap a view on existing data: one op, header only."""
    arr = wrap(a, code)
    _counter.record(_counter.HEADER_BYTES)
    return arr


def _is_row(x):
    return isinstance(x, (list, tuple, range, bytes, bytearray, _array.array, ndarray))


def _row_items(x):
    if isinstance(x, ndarray):
        if x._a.ndim != 1:
            raise ValueError("maximum number of dimensions is %d" % MAX_DIMS)
        return [_d.to_python(v, x._code) for v in x._a]
    return list(x)


def _convert_items(items, code):
    """Elements of a Python iterable -> numpy storage, the way ulab assigns them."""
    for v in items:
        if _is_row(v):
            raise ValueError("too many dimensions: ulab is built with at most %d" % MAX_DIMS)
        if code == FLOAT:
            if not isinstance(v, (int, float)):
                raise TypeError("can't convert %s to float" % type(v).__name__)
        elif code != BOOL and not isinstance(v, int):
            # mp_binary_set_val_array -> mp_obj_get_int: floats are not truncated
            raise TypeError("can't convert %s to int (ulab does not truncate floats "
                            "into integer arrays; build a float array and convert it "
                            "with np.array(a, dtype=...))" % type(v).__name__)
    if code == FLOAT:
        return _np.array(items, dtype=_np.float64).astype(_np.float32)
    if code == BOOL:
        return _np.array([bool(v) for v in items], dtype=_np.bool_)
    # C cast from mp_int_t: out-of-range values wrap silently (200 -> -56 for int8)
    return _np.array([int(v) & 0xFFFFFFFF for v in items], dtype=_np.int64).astype(
        _d.STORAGE[code])


def from_values(values, code):
    """numpy storage for ``np.array(values, dtype=code)``."""
    if isinstance(values, ndarray):
        return _d.cast(values._a, code).copy()
    if isinstance(values, (bytes, bytearray, _array.array, memoryview)):
        return _convert_items(list(values), code)
    if not isinstance(values, (list, tuple, range)):
        # ulab needs len(); generators and scalars are refused
        raise TypeError("ulab.numpy.array() takes a list, tuple, range, buffer or "
                        "ndarray, not %s" % type(values).__name__)
    items = list(values)
    rows = [_is_row(v) for v in items]
    if not any(rows):
        return _convert_items(items, code)
    if not all(rows):
        raise ValueError("iterables are not of the same length")
    rows = [_row_items(v) for v in items]
    if len({len(r) for r in rows}) > 1:
        raise ValueError("iterables are not of the same length")
    flat = [v for r in rows for v in r]
    return _convert_items(flat, code).reshape(len(rows), len(rows[0]) if rows else 0)


def array(values, *, dtype=FLOAT):
    """ulab.numpy.array: float unless dtype is given (also for ndarray input)."""
    code = _d.check_dtype(dtype)
    return new(from_values(values, code), code)


def frombuffer(buffer, *, dtype=FLOAT, count=-1, offset=0):
    """Zero-copy 1-D array over a buffer (writes show up in the buffer)."""
    code = _d.check_dtype(dtype)
    nbytes = memoryview(buffer).nbytes
    size = _d.itemsize(code)
    if offset < 0 or nbytes < offset:
        raise ValueError("offset must be non-negative and no greater than buffer length")
    length = (nbytes - offset) // size
    if length * size != nbytes - offset:
        # checked on the whole remaining buffer, even when count is given
        raise ValueError("buffer size must be a multiple of element size")
    if count > 0:
        if length < count:
            raise ValueError("buffer is smaller than requested size")
        length = count
    a = _np.frombuffer(buffer, dtype=_d.STORAGE[code], count=length, offset=offset)
    return view(a, code)


# ---------------------------------------------------------------- operands

def operand(x, other=0):
    """(numpy array, code) for an operand; scalars get ulab's smallest dtype."""
    if isinstance(x, ndarray):
        return x._a, x._code
    if _d.is_scalar(x) or isinstance(x, bool):
        code = _d.scalar_code(x, other)
        return _d.cast(_np.array([x], dtype=_np.float64 if code == FLOAT else _np.int64),
                       code), code
    if isinstance(x, (list, tuple, range)):
        raise TypeError("ulab would turn this %s into a float array; wrap it in "
                        "np.array(...) explicitly" % type(x).__name__)
    raise TypeError("unsupported operand type for ulab: %s" % type(x).__name__)


def broadcast_shape(*shapes):
    try:
        return _np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError("operands could not be broadcast together") from None


_ARITH = {"+": _op.add, "-": _op.sub, "*": _op.mul, "/": _op.truediv, "**": _op.pow}
_COMPARE = {"<": _op.lt, "<=": _op.le, ">": _op.gt, ">=": _op.ge, "==": _op.eq, "!=": _op.ne}

_INT_DIVISION = (
    "ulab divides integer arrays in integers (int8 array / 127 gives -1, 0, 1): "
    "divide by a float (a / 127.0) or convert first with np.array(a, dtype=np.float)")


def compute(op, l, lc, r, rc):
    """Elementwise ``l op r`` with ulab's result dtype; returns (numpy array, code)."""
    broadcast_shape(l.shape, r.shape)
    with _np.errstate(all="ignore"):
        if op in _COMPARE:
            return _COMPARE[op](l, r), BOOL
        code = _d.upcast(lc, rc)
        if op == "/" and code != FLOAT:
            raise TypeError(_INT_DIVISION)
        if code == FLOAT:
            return _ARITH[op](l.astype(_np.float32), r.astype(_np.float32)), FLOAT
        if op == "**":
            if _np.any(r < 0):
                raise ValueError("negative integer powers of integer arrays: use a float array")
            res = _np.power(l.astype(_np.float64), r.astype(_np.float64))
        else:
            res = _ARITH[op](l.astype(_np.int64), r.astype(_np.int64))
        return _d.cast(res, code), code


def binary(op, left, right, reflected=False):
    """A binary operator as ulab's ndarray_binary_op does it.

    ``left`` is always the ndarray whose method was called. For ``2 - a``
    (reflected) the scalar is converted first, WITHOUT looking at a's dtype,
    so ``2 - int8_array`` is int16 while ``int8_array - 2`` stays int8.
    """
    if reflected:
        l, lc = operand(right, 0)
        r, rc = operand(left, lc)
    else:
        l, lc = operand(left, 0)
        r, rc = operand(right, lc)
    res, code = compute(op, l, lc, r, rc)
    return new(res, code)


def _refuse(message):
    def method(self, *args):
        raise TypeError(message)
    return method


# ---------------------------------------------------------------- indexing

_FANCY = ("ulab does not support list (fancy) indexing: v[[0, 2]] silently returns "
          "None on a board; use np.take(v, [0, 2])")


def _index(self, index):
    """Normalise an int / slice / tuple index; refuse everything ulab can't do."""
    if isinstance(index, list):
        raise TypeError(_FANCY)
    items = index if isinstance(index, tuple) else (index,)
    if len(items) > self._a.ndim:
        raise IndexError("too many indices")
    for it in items:
        if isinstance(it, list):
            raise TypeError(_FANCY)
        if isinstance(it, bool) or not isinstance(it, (int, slice)):
            raise TypeError("ulab indices must be ints, slices or a tuple of them "
                            "(or a 1-D Boolean ndarray), not %s" % type(it).__name__)
    return items


def _mask(self, index):
    if index._code != BOOL or index._a.ndim != 1:
        raise NotImplementedError(
            "operation is implemented for 1D Boolean arrays only (integer index "
            "arrays are not supported: use np.take)")
    if self._a.ndim != 1:
        raise NotImplementedError(
            "ulab applies Boolean masks to 1-D arrays only (a 2-D array is walked "
            "along its last stride, giving wrong results): mask a flattened copy")
    if len(index._a) != len(self._a):
        raise ValueError("array and index length must be equal")
    return index._a


# ---------------------------------------------------------------- the ndarray

_NUMPY_ONLY = {
    "astype": "ulab has no .astype(): convert with np.array(a, dtype=np.float)",
    "sum": "use np.sum(a)", "mean": "use np.mean(a)", "max": "use np.max(a)",
    "min": "use np.min(a)", "std": "use np.std(a)", "argmax": "use np.argmax(a)",
    "argmin": "use np.argmin(a)", "dot": "use np.dot(a, b)", "any": "use np.any(a)",
    "all": "use np.all(a)", "fill": "use a[:] = value", "ravel": "use a.flatten()",
    "item": "index the array, e.g. a[0]", "clip": "use np.clip(a, lo, hi)",
    "squeeze": "use a.reshape((n,))", "view": "slices are views already",
    "round": "use np.around(a, decimals=...)",
}


class ndarray:
    """ulab ndarray: 1-D or 2-D, dtype bool/uint8/int8/uint16/int16/float(32)."""

    __slots__ = ("_a", "_code")
    __array_ufunc__ = None      # real numpy must not grab these arrays
    __hash__ = object.__hash__  # ulab arrays hash by identity

    def __init__(self, values, *, dtype=FLOAT):
        # np.ndarray(...) is ulab's array constructor too
        code = _d.check_dtype(dtype)
        self._a = from_values(values, code)
        self._code = code
        _counter.record(_counter.array_bytes(self._a.nbytes))

    def __getattr__(self, name):
        hint = _NUMPY_ONLY.get(name)
        raise AttributeError("'ndarray' object has no attribute '%s'%s"
                             % (name, " (%s)" % hint if hint else ""))

    def __array__(self, dtype=None, copy=None):
        # host-side convenience: numpy.asarray(ulab_array) for test assertions
        return self._a if dtype is None else self._a.astype(dtype)

    # -- properties
    @property
    def shape(self):
        return tuple(int(n) for n in self._a.shape)

    @property
    def size(self):
        return int(self._a.size)

    @property
    def itemsize(self):
        return _d.itemsize(self._code)

    @property
    def dtype(self):
        return self._code

    @property
    def ndim(self):
        return self._a.ndim

    @property
    def strides(self):
        return tuple(int(s) for s in self._a.strides)

    @property
    def T(self):
        return self.transpose()

    # -- methods
    def transpose(self):
        if self._a.ndim == 1:     # ulab returns the very same object
            _counter.record(0)
            return self
        return view(self._a.T, self._code)

    def reshape(self, shape):
        if not isinstance(shape, tuple):
            raise TypeError("shape must be a tuple (ulab's reshape takes one tuple)")
        if len(shape) > MAX_DIMS:
            raise ValueError("maximum number of dimensions is %d" % MAX_DIMS)
        if not shape or any(isinstance(n, bool) or not isinstance(n, int) or n < 0
                            for n in shape):
            raise ValueError("ulab's reshape needs explicit non-negative sizes "
                             "(no -1), got %r" % (shape,))
        if int(_np.prod(shape)) != self._a.size:
            raise ValueError("cannot reshape array of size %d into shape %r"
                             % (self._a.size, shape))
        r = self._a.reshape(shape)
        if _np.shares_memory(r, self._a):
            return view(r, self._code)
        return new(r.copy(), self._code)

    def flatten(self, order="C"):
        if order not in ("C", "F"):
            raise ValueError("flattening order must be either 'C', or 'F'")
        return new(self._a.flatten(order=order), self._code)

    def copy(self):
        return new(self._a.copy(), self._code)

    def tolist(self):
        _counter.record(0)
        if self._a.ndim == 1:
            return [_d.to_python(v, self._code) for v in self._a]
        return [[_d.to_python(v, self._code) for v in row] for row in self._a]

    def tobytes(self):
        """The data buffer BY REFERENCE (writes change the array), dense arrays only.

        Real ulab returns a bytearray sharing the data; here it is a memoryview.
        """
        if not self._a.flags.c_contiguous:
            raise ValueError("tobytes can be invoked for dense arrays only")
        _counter.record(0)
        return memoryview(self._a).cast("B")

    def sort(self, *, axis=-1):
        from ._numerical import check_sortable, axis_index
        check_sortable(self, "ndarray.sort")
        if axis is None and self._a.ndim != 1:
            raise ValueError("a.sort(axis=None) turns a 2-D array 1-D in place in ulab; "
                             "use np.sort(a, axis=None) for a flat sorted copy")
        ax = 0 if axis is None else axis_index(axis, self._a.ndim)
        self._a.sort(axis=ax)
        _counter.record(0)

    # -- sequence protocol
    def __len__(self):
        return int(self._a.shape[0])

    def __iter__(self):
        if self._a.ndim == 1:
            for v in self._a:
                yield _d.to_python(v, self._code)
        else:
            for i in range(self._a.shape[0]):
                yield view(self._a[i], self._code)   # each row is a new view

    def __getitem__(self, index):
        if isinstance(index, ndarray):
            mask = _mask(self, index)
            return new(self._a[mask], self._code)
        res = self._a[_index(self, index)]
        _counter.record(_counter.HEADER_BYTES)      # ulab builds a view even for a[i]
        if isinstance(res, _np.ndarray) and res.ndim > 0:
            return wrap(res, self._code)
        return _d.to_python(res, self._code)

    def __setitem__(self, index, value):
        if isinstance(value, (list, tuple, range)):
            raise TypeError("assign a scalar or an ndarray (ulab would turn the %s into "
                            "a float array): wrap it in np.array(...)" % type(value).__name__)
        vals, _ = operand(value, 0)
        vals = _d.cast(vals, self._code)
        if isinstance(index, ndarray):
            mask = _mask(self, index)
            n = int(mask.sum())
            if vals.size not in (1, n):
                # ulab silently assigns vals[0] everywhere when the counts differ
                raise ValueError("masked assignment needs a scalar or exactly %d values, "
                                 "got %d" % (n, vals.size))
            self._a[mask] = vals if vals.size == n else vals[0]
            _counter.record(0)
            return
        idx = _index(self, index)
        try:
            self._a[idx] = vals if vals.size != 1 else vals.reshape(())
        except ValueError:
            raise ValueError("operands could not be broadcast together") from None
        _counter.record(_counter.HEADER_BYTES)

    # -- truth value: MicroPython would use len(a) != 0, numpy raises or uses the value
    def __bool__(self):
        raise TypeError("the truth value of a ulab array is len(a) != 0 on a board "
                        "(not its contents): use np.any(a), np.all(a), len(a) or a[i]")

    # -- arithmetic
    def __add__(self, o): return binary("+", self, o)
    def __radd__(self, o): return binary("+", self, o, reflected=True)
    def __sub__(self, o): return binary("-", self, o)
    def __rsub__(self, o): return binary("-", self, o, reflected=True)
    def __mul__(self, o): return binary("*", self, o)
    def __rmul__(self, o): return binary("*", self, o, reflected=True)
    def __truediv__(self, o): return binary("/", self, o)
    def __rtruediv__(self, o): return binary("/", self, o, reflected=True)
    def __pow__(self, o): return binary("**", self, o)
    def __rpow__(self, o): return binary("**", self, o, reflected=True)

    def __lt__(self, o): return binary("<", self, o)
    def __le__(self, o): return binary("<=", self, o)
    def __gt__(self, o): return binary(">", self, o)
    def __ge__(self, o): return binary(">=", self, o)
    def __eq__(self, o): return binary("==", self, o)
    def __ne__(self, o): return binary("!=", self, o)

    # -- in-place: same object, lhs dtype kept, rhs broadcast, nothing allocated
    def _inplace(self, op, other):
        r, rc = operand(other, self._code)
        lc = self._code
        if lc == BOOL:
            raise TypeError("in-place arithmetic on a Boolean array is not supported")
        if op in ("/", "**") and lc != FLOAT:
            raise TypeError("ulab: in-place %s needs a float array (%s)" % (op, _INT_DIVISION))
        if lc != FLOAT and rc == FLOAT:
            raise TypeError("cannot cast output with casting rule: %s= of a float into an "
                            "integer array" % op)
        try:
            _np.broadcast_to(r, self._a.shape)
        except ValueError:
            raise ValueError("operands could not be broadcast together") from None
        with _np.errstate(all="ignore"):
            if lc == FLOAT:
                res = _ARITH[op](self._a, r.astype(_np.float32))
            else:
                res = _d.cast(_ARITH[op](self._a.astype(_np.int64), r.astype(_np.int64)), lc)
        self._a[...] = res
        _counter.record(0)
        return self

    def __iadd__(self, o): return self._inplace("+", o)
    def __isub__(self, o): return self._inplace("-", o)
    def __imul__(self, o): return self._inplace("*", o)
    def __itruediv__(self, o): return self._inplace("/", o)
    def __ipow__(self, o): return self._inplace("**", o)

    # -- unary
    def __neg__(self):
        if self._code == FLOAT:
            return new(-self._a, FLOAT)
        return new(_d.cast(-self._a.astype(_np.int64), self._code), self._code)

    def __pos__(self):
        return new(self._a.copy(), self._code)

    def __abs__(self):
        if self._code in (BOOL, _d.UINT8, _d.UINT16):
            # ulab's abs treats uint8/uint16 data as floats and corrupts it
            raise TypeError("abs() of an unsigned/Boolean ulab array is not safe on a "
                            "board; unsigned values are already non-negative")
        if self._code == FLOAT:
            return new(_np.abs(self._a), FLOAT)
        return new(_d.cast(_np.abs(self._a.astype(_np.int64)), self._code), self._code)

    def __invert__(self):
        if self._code == FLOAT:
            raise ValueError("operation is not supported for given type (~ needs an "
                             "integer or Boolean array)")
        return new(~self._a, self._code)

    # -- operators ulab does not have
    __matmul__ = __rmatmul__ = __imatmul__ = _refuse(
        "ulab has no @ operator: use np.dot(a, b)")
    __floordiv__ = __rfloordiv__ = __ifloordiv__ = _refuse(
        "ulab has no // for arrays: use np.floor(a / b) on float arrays")
    __mod__ = __rmod__ = __imod__ = __divmod__ = __rdivmod__ = _refuse(
        "ulab has no % for arrays: use a - np.floor(a / b) * b on float arrays")
    __and__ = __rand__ = __iand__ = __or__ = __ror__ = __ior__ = _refuse(
        "& | are not emulated for ulab arrays: combine Boolean masks arithmetically, "
        "e.g. (m1 * m2) > 0 for 'and', (m1 + m2) > 0 for 'or'")
    __xor__ = __rxor__ = __ixor__ = __lshift__ = __rlshift__ = __rshift__ = __rrshift__ = \
        _refuse("bitwise operators are not emulated for ulab arrays")

    # -- printing, ulab style: array([1.0, 2.0], dtype=float32)
    def __repr__(self):
        if self._a.ndim == 1:
            body = _fmt_row(self._a, self._code)
        else:
            rows = [_fmt_row(r, self._code) for r in self._a]
            rows = _ellipsize(rows)
            body = "[" + ",\n       ".join(rows) + "]"
        return "array(%s, dtype=%s)" % (body, _d.NAMES[self._code])

    __str__ = __repr__


def _ellipsize(items):
    t, e = _printopts["threshold"], _printopts["edgeitems"]
    if len(items) > t:
        return list(items[:e]) + ["..."] + list(items[-e:])
    return list(items)


def _fmt_value(v, code):
    if code == FLOAT:
        return str(_np.float32(v))
    return str(_d.to_python(v, code))


def _fmt_row(row, code):
    return "[" + ", ".join(_ellipsize([_fmt_value(v, code) for v in row])) + "]"


def set_printoptions(threshold=None, edgeitems=None):
    if threshold is not None:
        _printopts["threshold"] = int(threshold)
    if edgeitems is not None:
        _printopts["edgeitems"] = int(edgeitems)


def get_printoptions():
    return dict(_printopts)


def ndinfo(a):
    if not isinstance(a, ndarray):
        raise TypeError("function is defined for ndarrays only")
    print("class: ndarray")
    print("shape:", a.shape)
    print("strides:", a.strides)
    print("itemsize:", a.itemsize)
    print("data pointer: 0x%x" % a._a.__array_interface__["data"][0])
    print("type:", _d.NAMES[a._code].replace("float32", "float"))
