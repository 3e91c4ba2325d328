"""The federated meta-learning benchmark (tools/bench_fed.py, which renders the page):
settings (what is run), domains (the data as meta-training clients and held-out
devices), runs (federations, adaptation curves, tuning and test runs)."""
