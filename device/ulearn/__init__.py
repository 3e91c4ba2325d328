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
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError("module 'ulearn' has no attribute %r" % name)
    __import__("ulearn." + mod)
    return getattr(globals()[mod], name)
