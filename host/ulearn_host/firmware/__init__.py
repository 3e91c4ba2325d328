"""Real interpreters and board firmware from pinned sources: `ulearn firmware`.

The builder (:mod:`.make`) loads on first use of its names, so reading the
target table (the CLI's parser does, for every command) costs no more than it.
"""
from .targets import DEFAULT, PINNED, TARGETS

_MAKE = ("FirmwareError", "build", "cache_dir", "key", "missing_tools", "product", "require")

__all__ = list(_MAKE) + ["DEFAULT", "PINNED", "TARGETS"]


def __getattr__(name):
    if name not in _MAKE:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    from . import make
    value = globals()[name] = getattr(make, name)
    return value
