# xorshift32: the same pseudo-random numbers on every port and backend, so an
# initialisation made on the host is the one the board makes.
_MASK = 0xFFFFFFFF


class Rng:
    """xorshift32 pseudo-random numbers from an int seed, the same on every port."""
    def __init__(self, seed=1):
        self.s = (seed * 2654435761) & _MASK or 1

    def _next(self):
        s = self.s
        s ^= (s << 13) & _MASK
        s ^= s >> 17
        s ^= (s << 5) & _MASK
        self.s = s
        return s

    def random(self):
        """A float in [0, 1) on CPython; float32 firmware rounds the top 128 states up to 1.0."""
        return self._next() / 4294967296.0

    def below(self, n):
        """Uniform int in [0, n) by integer maths: never n, and the same on every port.

        (What int(random() * n) gives on CPython.)
        """
        return self._next() * n >> 32

    def uniform(self, lo, hi):
        """A float uniform in [lo, hi)."""
        return lo + (hi - lo) * self.random()
