# Picks the kernels the learners run on: ulab.numpy on boards that have it,
# numpy on CPython (hosts, Linux boards with Blinka), else pure Python.
try:
    from . import kern_np as K
except ImportError as e:
    if "numpy" not in str(e):
        raise
    from . import kern_py as K

NAME = K.NAME
