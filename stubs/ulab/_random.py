"""ulab.numpy.random.Generator: the PCG32 generator of ulab's random.c, bit for bit.

On a float32 build every draw is ``(pcg32() >> 8) * 2**-24``. The state is the
seed itself (a size_t, 32 bits on boards), so the very first output after
seeding is < 32 and the first draw is exactly 0.0; normal() feeds that 0.0 into
log(), so the first pair of normal values is +-inf.
"""

import math as _math

import numpy as _np

from . import _counter
from ._dtypes import FLOAT
from ._ndarray import MAX_DIMS, new

_MULT = 6364136223846793005
_INC = 1442695040888963407
_M64 = (1 << 64) - 1
_PI = _np.float32(_math.pi)


def _shape(size, method):
    if isinstance(size, int) and not isinstance(size, bool):
        raise TypeError("Generator.%s(size=%d): give the size as a tuple, (%d,): an int "
                        "size crashes the real interpreter" % (method, size, size))
    if not isinstance(size, tuple):
        raise TypeError("shape must be None, and integer or a tuple of integers")
    if len(size) > MAX_DIMS:
        raise ValueError("maximum number of dimensions is %d" % MAX_DIMS)
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in size):
        raise ValueError("size must hold non-negative integers")
    return size


def _float(x):
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError("expected a number, got %s" % type(x).__name__)
    return _np.float32(x)


class Generator:
    """Generator(seed): seed is positional and required (no default seed)."""

    __slots__ = ("_state",)

    def __new__(cls, seed=None, /):
        if seed is None:
            raise ValueError("no default seed: use np.random.Generator(seed)")
        if isinstance(seed, tuple):
            return tuple(Generator(s) for s in seed)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError("argument must be None, an integer or a tuple of integers")
        if not -2**31 <= seed < 2**31:
            raise OverflowError("overflow converting long int to machine word")
        self = object.__new__(cls)
        self._state = seed & 0xFFFFFFFF   # (size_t) cast on a 32-bit port
        return self

    def __repr__(self):
        return "Gnerator() at 0x%x" % id(self)   # sic, as printed by ulab

    def _next(self):
        old = self._state
        self._state = (old * _MULT + _INC) & _M64
        value = ((old ^ (old >> 18)) >> 27) & 0xFFFFFFFF
        rot = old >> 59
        if rot:
            value = ((value >> rot) | (value << (32 - rot))) & 0xFFFFFFFF
        return value

    def _draw(self):
        return _np.float32((self._next() >> 8) * 2.0**-24)

    def _fill(self, size, method, draw):
        shape = _shape(size, method)
        n = int(_np.prod(shape)) if shape else 0
        return new(_np.array(draw(n), dtype=_np.float32).reshape(shape), FLOAT)

    def random(self, size=None):
        """Uniform floats in [0, 1): a Python float, or an array for a tuple size."""
        if size is None:
            _counter.record(0)
            return float(self._draw())
        return self._fill(size, "random", lambda n: [self._draw() for _ in range(n)])

    def uniform(self, low=0.0, high=1.0, size=None):
        lo, hi = _float(low), _float(high)
        if size is None:
            # random.c returns the raw [0, 1) draw here, ignoring low and high
            raise TypeError("uniform() without size ignores low/high in ulab: pass a "
                            "tuple size, e.g. rng.uniform(lo, hi, size=(1,))[0]")
        diff = hi - lo
        return self._fill(size, "uniform",
                          lambda n: [lo + diff * self._draw() for _ in range(n)])

    def _pair(self, loc, scale):
        u, v = self._draw(), self._draw()
        with _np.errstate(all="ignore"):
            r = _np.sqrt(_np.float32(-2.0) * _np.log(u))
            angle = _np.float32(2.0) * _PI * v
            return loc + scale * (r * _np.cos(angle)), loc + scale * (r * _np.sin(angle))

    def normal(self, loc=0.0, scale=1.0, size=None):
        """Box-Muller on pairs of draws; an odd size still consumes a whole pair."""
        loc, scale = _float(loc), _float(scale)
        if size is None:
            _counter.record(0)
            return float(self._pair(loc, scale)[0])

        def draw(n):
            out = []
            while len(out) < n:
                out.extend(self._pair(loc, scale))
            return out[:n]
        return self._fill(size, "normal", draw)
