"""The sparse-update benchmark (tools/bench_sparse.py measures, then renders its page from the result):

settings  what is run: models, grids, budgets, seeds, names
domains   the data and the held-out domains: support and query draws
pretrain  host pre-training and the int8 bundle a board would load
adapt     one adaptation on the board path (the device code, one sample at a time)
stages    the runs: tuning on validation domains, then the test domains
board     one adaptation on real MicroPython (with and without ulab) against CPython
result    the result (docs/sparse.json) as the page and the plots read it
plots     the PNGs
"""
