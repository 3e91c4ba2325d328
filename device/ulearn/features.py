"""Window features for multi-axis sensor streams (MicroPython and CPython).

Layout is axis-major: for axis a, out[4*a:4*a+4] = mean, std, min, max;
then, when n_axes >= 3, mean and std of the magnitude sqrt(x0^2+x1^2+x2^2).
std is the population std (divide by n), like numpy.std.
"""

from math import sqrt

# Per-axis statistics, in output order.
STATS = ("mean", "std", "min", "max")


def n_features(n_axes):
    """Length of the feature vector for n_axes input channels; ValueError when n_axes < 1."""
    if n_axes < 1:
        raise ValueError("n_axes must be >= 1, got %d" % n_axes)
    return 4 * n_axes + (2 if n_axes >= 3 else 0)


def feature_names(n_axes, axis_names=None):
    """Names in output order, e.g. "ax_mean", ..., "mag_mean", "mag_std".

    axis_names: n_axes prefixes (default a0, a1, ...); ValueError on a wrong count.
    """
    if axis_names is None:
        axis_names = ["a%d" % a for a in range(n_axes)]
    elif len(axis_names) != n_axes:
        raise ValueError("need %d axis names, got %d" % (n_axes, len(axis_names)))
    names = []
    for a in range(n_axes):
        for s in STATS:
            names.append(axis_names[a] + "_" + s)
    if n_axes >= 3:
        names.append("mag_mean")
        names.append("mag_std")
    return names


def _out(out, nf):
    if out is None:
        return [0.0] * nf
    if len(out) != nf:
        raise ValueError("out has length %d, expected %d" % (len(out), nf))
    return out


def _stats(rows, n, start, na, out):
    # The single implementation behind window_features and Windower.features.
    # Sample t (time order, 0 <= t < n) is rows[(start + t) % n]. Two passes
    # per quantity (mean, then squared deviations): robust in float32.
    inv = 1.0 / n
    k = 0
    for a in range(na):
        i = start
        lo = hi = rows[i][a]
        s = 0.0
        for _ in range(n):
            v = rows[i][a]
            s += v
            if v < lo:
                lo = v
            elif v > hi:
                hi = v
            i += 1
            if i == n:
                i = 0
        m = s * inv
        ss = 0.0
        for _ in range(n):  # i is back at start
            d = rows[i][a] - m
            ss += d * d
            i += 1
            if i == n:
                i = 0
        out[k] = m
        out[k + 1] = sqrt(ss * inv)
        out[k + 2] = float(lo)
        out[k + 3] = float(hi)
        k += 4
    if na >= 3:
        i = start
        s = 0.0
        for _ in range(n):
            r = rows[i]
            x = r[0]
            y = r[1]
            z = r[2]
            s += sqrt(x * x + y * y + z * z)
            i += 1
            if i == n:
                i = 0
        m = s * inv
        ss = 0.0
        for _ in range(n):
            r = rows[i]
            x = r[0]
            y = r[1]
            z = r[2]
            d = sqrt(x * x + y * y + z * z) - m
            ss += d * d
            i += 1
            if i == n:
                i = 0
        out[k] = m
        out[k + 1] = sqrt(ss * inv)
    return out


def window_features(window, out=None):
    """Features of a window: n_features(n_axes) floats in out (a new list if None), returned.

    window: sequence of samples (oldest first), each a sequence of n_axes numbers (plain
    lists/tuples/arrays; on CPython convert numpy arrays with .tolist() first, numpy scalars
    are slow). Raises ValueError on an empty or ragged window or a wrong out length.
    """
    n = len(window)
    if n == 0:
        raise ValueError("empty window")
    na = len(window[0])
    if na == 0:
        raise ValueError("samples have no values")
    for t in range(n):
        if len(window[t]) != na:
            raise ValueError(
                "sample %d has %d values, expected %d" % (t, len(window[t]), na)
            )
    return _stats(window, n, 0, na, _out(out, n_features(na)))


class Windower:
    """Sliding windows of `size` samples of n_axes values over a stream.

    push() samples one at a time into a preallocated ring of `size` rows (array('f'), so values
    are stored as float32); push() returns True when a window is ready: after sample size,
    size+step, size+2*step, ... (step defaults to size; step > size leaves gaps). Raises
    ValueError unless n_axes, size, step >= 1.
    """

    def __init__(self, n_axes, size, step=None):
        from array import array

        if step is None:
            step = size
        if n_axes < 1 or size < 1 or step < 1:
            raise ValueError(
                "need n_axes, size, step >= 1, got %d, %d, %d" % (n_axes, size, step)
            )
        self.n_axes = n_axes
        self.size = size
        self.step = step
        self.n_features = n_features(n_axes)
        z = [0.0] * n_axes
        self._rows = [array("f", z) for _ in range(size)]
        self.reset()

    def reset(self):
        """Forget all samples (the ring memory is kept)."""
        self._head = 0  # next row to write == oldest row once full
        self.count = 0  # samples held, at most size
        self._due = self.size  # pushes left until the next window

    def push(self, sample):
        """Store sample (n_axes numbers); True when a window is ready.

        Raises ValueError on a wrong length.
        """
        na = self.n_axes
        if len(sample) != na:
            raise ValueError("sample has %d values, expected %d" % (len(sample), na))
        r = self._rows[self._head]
        for a in range(na):
            r[a] = sample[a]
        h = self._head + 1
        self._head = 0 if h == self.size else h
        if self.count < self.size:
            self.count += 1
        self._due -= 1
        if self._due == 0:
            self._due = self.step
            return True
        return False

    def features(self, out=None):
        """Features of the held samples in time order (oldest first), as window_features.

        Before the ring is full this covers only the `count` samples pushed so far. Raises
        ValueError before the first push or on a wrong out length.
        """
        n = self.count
        if n == 0:
            raise ValueError("no samples pushed yet")
        start = self._head if n == self.size else 0
        return _stats(self._rows, n, start, self.n_axes, _out(out, self.n_features))

    def window(self):
        """Held samples as a new list of lists, oldest first.

        Allocates: for debugging and tests.
        """
        n = self.count
        start = self._head if n == self.size else 0
        return [list(self._rows[(start + t) % n]) for t in range(n)]
