"""The federated meta-learning benchmark (tools/bench_fed.py), one job per module:

settings  what is run: model, devices, rounds, grids, seeds, names
domains   the data, the meta-training clients and the held-out devices, the
          support and query draws of a device, the learner factory
runs      one federation (or baseline) and its adaptation curves on the held-out
          devices; tuning on the validation devices, then the test devices
report    the Markdown page
plots     the PNG
"""
