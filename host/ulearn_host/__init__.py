"""ulearn host companion: datasets, evaluation and tooling for on-device continual learning."""

__version__ = "0.1.0"
