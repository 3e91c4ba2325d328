"""The TinyOL benchmark's runs behind ``tools/bench_tinyol.py`` (which renders the page):

* ``settings``: the learner, detector and model settings, grids and names;
* ``data``: the datasets, loaded once before the pools fork, and the streams;
* ``prequential``: section 1's runs; ``anomaly``: section 2's runs and scores;
* ``plots``: the PNGs.
"""
