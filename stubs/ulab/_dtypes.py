"""ulab dtypes: integer type codes, their numpy storage, and ulab's casting rules."""

import numpy as _np

# ulab dtypes are plain ints (the array-module typecodes), not dtype objects
# (ULAB_HAS_DTYPE_OBJECT is 0 by default, so ``a.dtype`` is one of these ints).
BOOL = 63     # '?'  (a uint8 array with a Boolean flag)
UINT8 = 66    # 'B'
INT8 = 98     # 'b'
UINT16 = 72   # 'H'
INT16 = 104   # 'h'
FLOAT = 102   # 'f'  mp_float_t is a 32-bit float on boards

STORAGE = {
    BOOL: _np.bool_, UINT8: _np.uint8, INT8: _np.int8,
    UINT16: _np.uint16, INT16: _np.int16, FLOAT: _np.float32,
}
NAMES = {
    BOOL: "bool", UINT8: "uint8", INT8: "int8",
    UINT16: "uint16", INT16: "int16", FLOAT: "float32",
}
INTS = (UINT8, INT8, UINT16, INT16)


def itemsize(code):
    return _np.dtype(STORAGE[code]).itemsize


def check_dtype(dtype):
    """Validate a ``dtype=`` argument: it must be one of the np.<dtype> int codes."""
    if isinstance(dtype, bool) or not isinstance(dtype, int) or dtype not in STORAGE:
        raise TypeError(
            "ulab dtype must be np.bool, np.uint8, np.int8, np.uint16, np.int16 "
            "or np.float (ulab dtypes are int codes), got %r" % (dtype,))
    return dtype


def code_of(np_array):
    """ulab code of a numpy storage array."""
    for code, t in STORAGE.items():
        if np_array.dtype == t:
            return code
    raise TypeError("dtype %s does not exist in ulab" % np_array.dtype)


def is_scalar(x):
    """A MicroPython int or float (bool is NOT an int for ulab: mp_obj_is_int is False)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def scalar_code(x, other=0):
    """dtype ulab gives a scalar operand (ndarray_from_mp_obj): the smallest fitting type.

    Non-negative ints next to an int8/int16 array become int8/int16; otherwise
    uint8/uint16. Ints beyond +-32767 and all floats become float.
    """
    if isinstance(x, bool):
        raise TypeError(
            "ulab cannot use True/False as an operand (bool is not an int in "
            "MicroPython): use 1 or 0")
    if isinstance(x, float):
        return FLOAT
    if not isinstance(x, int):
        raise TypeError("expected an int or a float, got %s" % type(x).__name__)
    if not -2**31 <= x < 2**31:
        raise OverflowError("overflow converting long int to machine word")
    if x < -32767 or x > 32767:
        return FLOAT
    if x < 0:
        return INT8 if x > -128 else INT16
    if other in (INT8, INT16):
        return INT8 if x < 128 else INT16
    return UINT8 if x < 256 else UINT16


_PAIRS = {
    frozenset((UINT8, INT8)): INT16,
    frozenset((UINT8, INT16)): INT16,
    frozenset((UINT8, UINT16)): UINT16,
    frozenset((INT8, INT16)): INT16,
    frozenset((INT8, UINT16)): UINT16,
    frozenset((UINT16, INT16)): FLOAT,
}


def upcast(a, b):
    """Result dtype of a binary operation (ulab's table, not numpy's)."""
    a = UINT8 if a == BOOL else a
    b = UINT8 if b == BOOL else b
    if a == b:
        return a
    if FLOAT in (a, b):
        return FLOAT
    return _PAIRS[frozenset((a, b))]


def cast(values, code):
    """Convert a numpy array to ulab storage the way the C code does.

    float -> int truncates toward zero and wraps; int -> narrower int wraps;
    anything -> bool is ``!= 0``.
    """
    values = _np.asarray(values)
    target = STORAGE[code]
    if code == FLOAT:
        return values.astype(_np.float32)
    if code == BOOL:
        return values != 0
    with _np.errstate(all="ignore"):
        if values.dtype.kind == "f":
            values = _np.nan_to_num(_np.trunc(values.astype(_np.float64)),
                                    nan=0.0, posinf=0.0, neginf=0.0)
        return values.astype(_np.int64).astype(target)


def to_python(x, code):
    """A stored element as the MicroPython object ulab returns."""
    if code == FLOAT:
        return float(x)
    if code == BOOL:
        return bool(x)
    return int(x)
