# Checks on what a user passes in, shared by both kernel sets: each failure
# names what was wrong, and nothing is stored before the checks pass.
# float("inf"), not math.inf: the compiler folds math.inf into a constant that
# freezing the package into firmware (mpy-tool) writes as C that does not compile
INF = float("inf")
# The largest input taken: a reading beyond it is a glitch (a sensor's garbage, a float64
# beyond float32). Its square, which the input statistics hold, stays far inside float32,
# so one such reading cannot turn the statistics, and then every weight, into inf and nan.
LIMIT = 1e15
# The largest embedding a learning step takes (the norm of what reaches the trainable layers,
# after standardising and the frozen extractor). A step moves weights by up to lr times it:
# beyond it one reading far outside the input statistics (a glitch against a bundle's frozen
# statistics, or raw readings with standardize=False) wrecks the weights, and a few overflow
# float32. Standardised readings are a few units per feature.
EMBED_LIMIT = 1e6


def finite(f):
    """True when the float f is neither inf nor nan."""
    return -INF < f < INF  # False for nan too


def check_len(x, n):
    """Raise ValueError unless x has n values."""
    if len(x) != n:
        raise ValueError("x has %d values, expected %d" % (len(x), n))


def number(v, i):
    """x[i], passed as v, as a finite float within ±LIMIT (i names it in the errors).

    Raises TypeError when v is not a number (str and bytes included), ValueError on inf/nan
    or beyond LIMIT.
    """
    if isinstance(v, (str, bytes, bytearray)):
        raise TypeError("x[%d] is %r, not a number" % (i, v))
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise TypeError("x[%d] is %r, not a number" % (i, v))
    if not finite(f):
        raise ValueError("x[%d] is %r: inputs must be finite" % (i, f))
    if not -LIMIT <= f <= LIMIT:
        raise ValueError("x[%d] is %g: inputs must be within +-%g (a sensor glitch?)"
                         % (i, f, LIMIT))
    return f


def label(y):
    """y as a label: an int or a str; an integer of another type (numpy.int64) as an int.

    Raises TypeError otherwise.
    """
    if isinstance(y, (int, str)):
        return y
    index = getattr(y, "__index__", None)  # integers of numpy and the like
    if index is None:
        raise TypeError("label %r must be an int or a str" % (y,))
    return index()
