# ruff: noqa: F821  (metadata and package are the manifest language's own names)
# Freezes the ulearn package into MicroPython firmware, so its bytecode runs
# from flash and the heap holds only the learner (docstrings and comments are
# dropped by mpy-cross). From a port's folder:
#     make BOARD=... FROZEN_MANIFEST=/path/to/ulearn/device/manifest.py
# or add `include("/path/to/ulearn/device/manifest.py")` to the board's own
# manifest to keep what it freezes already.
metadata(description="On-device continual learning: online, sparse and replay learners",
         version="0.1.0")
package("ulearn")
