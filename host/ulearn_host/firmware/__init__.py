"""Real interpreters and board firmware from pinned sources: `ulearn firmware`."""
from .make import FirmwareError, build, cache_dir, info, key, missing_tools, product, require
from .targets import DEFAULT, PINNED, TARGETS

__all__ = ["FirmwareError", "build", "cache_dir", "info", "key", "missing_tools", "product",
           "require", "DEFAULT", "PINNED", "TARGETS"]
