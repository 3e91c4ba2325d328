# ulearn: on-device continual learning for MicroPython and CircuitPython.
# Names load on first use, so a board pays RAM only for what it uses.
__version__ = "0.1.0"

_LAZY = {
    "Classifier": "classifier",
    "AnomalyDetector": "anomaly",
    "Frozen": "layers",
    "Dense": "layers",
    "SGD": "optim",
    "Windower": "features",
    "save": "checkpoint",
    "load": "checkpoint",
    "CheckpointError": "checkpoint",
}


def __getattr__(name):
    # a lazy name, or a submodule (MicroPython's `from . import x` asks here first)
    mod = _LAZY.get(name, name)
    try:
        __import__("ulearn." + mod)
    except ImportError as e:
        if "ulearn." + mod not in str(e):
            raise  # the module exists but needs something missing
        raise AttributeError("module 'ulearn' has no attribute %r" % name)
    m = globals()[mod]
    v = m if mod == name else getattr(m, name)
    globals()[name] = v  # the next lookup finds it without this call
    return v
