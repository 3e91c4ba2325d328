"""A sensor that replays a recording, for trying things without hardware.

Each call returns the next reading of a file of comma-separated numbers, one
reading per line (what a sampler prints; lines that are not all numbers, such
as a header, are skipped), as a tuple of floats, and starts again at the end. Runs on MicroPython,
CircuitPython and CPython.

    from replay_sensor import Replay
    read = Replay("/ulearn-data/pen.csv")
    read()   # (0.98, -0.12, 0.05, 0.41, -0.02, 0.17)
"""


class Replay:
    """A callable returning the next reading of `path` (wrapping to the start at the end)."""

    def __init__(self, path):
        self.path = path
        self.f = open(path)
        self.n = 0  # readings returned

    def __call__(self):
        for _ in range(2):  # at most one wrap
            line = self.f.readline()
            while line:
                row = _numbers(line)
                if row:
                    self.n += 1
                    return row
                line = self.f.readline()
            self.f.seek(0)
        raise ValueError("%s holds no line of numbers" % self.path)

    def close(self):
        self.f.close()


def _numbers(line):
    # a tuple of floats, or None for a line that is not all numbers
    try:
        return tuple(float(v) for v in line.split(","))
    except ValueError:
        return None
