"""ulab.numpy.random: only the Generator class (no seed/rand/randn/choice/...)."""

from ulab._random import Generator  # noqa: F401
