"""The TinyOL benchmark behind ``tools/bench_tinyol.py``, one module a job:

* ``settings``: the learner, detector and model settings, grids and names;
* ``data``: the datasets, loaded once before the pools fork, and the streams;
* ``prequential`` / ``prequential_report``: section 1, its runs and its Markdown;
* ``anomaly`` / ``anomaly_metrics`` / ``anomaly_report``: section 2;
* ``summary``: the paragraph on top of the page; ``plots``: the PNGs.
"""
