"""Meta-learned initialisation across devices: TinyReptile, Reptile and FedAvg
over simulated devices (and boards), on the device package's own learner.

A federation trains the trainable layers (theta, :mod:`.params`) of the
Classifier a factory ``make()`` builds: the strategy (:mod:`.strategy`)
picks clients and aggregates, a client (:mod:`.client`) trains locally, and
:mod:`.server` runs the rounds, the baselines and the adaptation curves.
"""
from .client import ClientLost, SimClient
from .server import SHOTS, adapt_curve, pooled, run
from .strategy import FedAvg, Reptile, TinyReptile

__all__ = ["SHOTS", "ClientLost", "FedAvg", "Reptile", "SimClient", "TinyReptile", "adapt_curve", "pooled",
           "run"]
