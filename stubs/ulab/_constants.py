"""Math constants of ulab.numpy (float32 values on boards)."""

import math as _math

import numpy as _np

e = float(_np.float32(_math.e))
pi = float(_np.float32(_math.pi))
inf = float("inf")
nan = float("nan")
