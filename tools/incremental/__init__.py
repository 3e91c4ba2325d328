"""The class-incremental benchmark (tools/bench_incremental.py), in parts: settings,
data and replay sets, single runs, stages, the run on real MicroPython, plots."""
