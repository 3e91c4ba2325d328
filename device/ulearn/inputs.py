# Checks on what a user passes in, shared by both kernel sets: each failure
# names what was wrong, and nothing is stored before the checks pass.
# float("inf"), not math.inf: the compiler folds math.inf into a constant that
# freezing the package into firmware (mpy-tool) writes as C that does not compile
INF = float("inf")


def finite(f):
    """True when the float f is neither inf nor nan."""
    return -INF < f < INF  # False for nan too


def check_len(x, n):
    """Raise ValueError unless x has n values."""
    if len(x) != n:
        raise ValueError("x has %d values, expected %d" % (len(x), n))


def number(v, i):
    """x[i], passed as v, as a finite float (i names it in the errors).

    Raises TypeError when v is not a number (str and bytes included), ValueError on inf/nan.
    """
    if isinstance(v, (str, bytes, bytearray)):
        raise TypeError("x[%d] is %r, not a number" % (i, v))
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise TypeError("x[%d] is %r, not a number" % (i, v))
    if not finite(f):
        raise ValueError("x[%d] is %r: inputs must be finite" % (i, f))
    return f
