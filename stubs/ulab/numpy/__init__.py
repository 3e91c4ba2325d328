"""ulab.numpy emulation: exposes ONLY names that exist in ulab 6.x (2-D build).

Any other numpy name (abs, float32, matmul, outer, stack, astype, ...) raises
AttributeError, exactly as on a board. Implementations live in ulab._*.
"""

# dtypes are int type codes; ``float`` is a 32-bit float on boards
from ulab._dtypes import BOOL as bool, UINT8 as uint8, INT8 as int8  # noqa: F401
from ulab._dtypes import UINT16 as uint16, INT16 as int16, FLOAT as float  # noqa: F401

from ulab._ndarray import ndarray, array, frombuffer  # noqa: F401
from ulab._ndarray import set_printoptions, get_printoptions, ndinfo  # noqa: F401
from ulab._create import (  # noqa: F401
    arange, concatenate, diag, empty, eye, full, linspace, logspace, ones, zeros)
from ulab._compare import (  # noqa: F401
    clip, equal, not_equal, isfinite, isinf, maximum, minimum, nonzero, where)
from ulab._numerical import (  # noqa: F401
    all, any, argmax, argmin, argsort, cross, diff, flip, max, mean, median, min,
    roll, sort, std, sum)
from ulab._transform import dot, trace, take, interp, trapz  # noqa: F401
from ulab._vector import (  # noqa: F401
    acos, acosh, arctan2, around, asin, asinh, atan, atanh, ceil, cos, cosh, degrees,
    exp, expm1, floor, log, log10, log2, radians, sin, sinh, sqrt, tan, tanh, vectorize)
from ulab._constants import e, inf, nan, pi  # noqa: F401

from . import random  # noqa: F401,E402
