# xorshift32: the same pseudo-random numbers on every port and backend, so an
# initialisation made on the host is the one the board makes.
_MASK = 0xFFFFFFFF


class Rng:
    def __init__(self, seed=1):
        self.s = (seed * 2654435761) & _MASK or 1

    def random(self):
        s = self.s
        s ^= (s << 13) & _MASK
        s ^= s >> 17
        s ^= (s << 5) & _MASK
        self.s = s
        return s / 4294967296.0

    def uniform(self, lo, hi):
        return lo + (hi - lo) * self.random()
