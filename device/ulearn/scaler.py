# Online standardisation: running mean and variance (Welford). With a window
# the count stops growing there, so old data fades at rate 1/window (drift).
from .backend import K

_EPS = 1e-3  # variance floor, in squared input units


class Scaler:
    """Online standardisation of n values: running mean and variance (Welford).

    window > 0: the count stops there, so old data fades at rate 1/window. Raises ValueError
    unless window is an int >= 0.
    """
    def __init__(self, n, window=0):
        if not isinstance(window, int) or window < 0:
            raise ValueError("stats_window must be an int >= 0, got %r" % (window,))
        self.n, self.window, self.count = n, window, 0
        self.mean = K.vec(n)
        self.var = K.vec(n)
        self.inv = K.inv_sqrt(self.var, 1.0, K.vec(n))  # identity until data
        self._old = None  # mean and var before the last learn_one (made at the first)

    def learn_one(self, x):
        """Update the running mean and variance with x (a checked vector of n floats); undo()
        takes it back."""
        old = self._old
        if old is None:
            old = self._old = (K.vec(self.n), K.vec(self.n))
        K.copy(old[0], self.mean)
        K.copy(old[1], self.var)
        self.count += 1
        c = self.count
        if self.window and c > self.window:
            c = self.window
        K.welford(self.mean, self.var, x, 1.0 / c)
        self.inv = K.inv_sqrt(self.var, _EPS, self.inv)

    def undo(self):
        """Take back the last learn_one (a learning step refused after it)."""
        K.copy(self.mean, self._old[0])
        K.copy(self.var, self._old[1])
        self.count -= 1
        self.refresh()

    def transform(self, x, out):
        """Standardised x: (x - mean) / sqrt(var + 1e-3), unchanged before any data.

        Written into out on the pure-Python kernels; returned.
        """
        return K.standardize(x, self.mean, self.inv, out)

    def arrays(self):
        """[mean, var]: what a checkpoint stores."""
        return [self.mean, self.var]

    def refresh(self):
        """Recompute the cached inverse std after mean/var were loaded."""
        self.inv = K.inv_sqrt(self.var, _EPS if self.count else 1.0, self.inv)
