"""Strict emulation of ulab 6.x (2-D, float32 build) on top of numpy, for host tests.

``from ulab import numpy as np`` and ``import ulab.numpy as np`` both work.
Op/heap counters for benchmarks live outside the np namespace: ``ulab._counter``.
"""

__version__ = "6.12.0-2D-float"

from . import numpy  # noqa: E402,F401  (makes ``ulab.numpy`` an attribute, as on boards)
