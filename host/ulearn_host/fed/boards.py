"""``ulearn fed``: federated rounds over real boards, saved after every round.

The learner comes from a bundle (its frozen part, labels and optimizer); the
federation trains its trainable layers. After each round the output file is
the bundle's learner with the new theta, a checkpoint that deploys like any
bundle, whose metadata (``info["fed"]``) records the round, so a stopped run
resumes where it stopped. :class:`Saved` is that file; Flower's ServerApp
(:mod:`.flower`) keeps its theta the same way.
"""
import hashlib
import os

import ulearn
from ulearn.checkpoint import read_meta

from ..files import atomic
from . import params
from .board_client import STREAM, BoardClient
from .server import run
from .strategy import FedAvg, Reptile, TinyReptile

STRATEGIES = ("tinyreptile", "reptile", "fedavg")


def strategy(name, steps, epochs, lr, beta, per_round):
    if name == "tinyreptile":
        return TinyReptile(steps=steps, lr=lr, beta=beta)
    if name == "reptile":
        return Reptile(per_round=per_round, steps=steps, lr=lr, beta=beta)
    if name == "fedavg":
        return FedAvg(per_round=per_round, epochs=epochs, lr=lr)
    raise ValueError("unknown strategy %r; choose from: %s" % (name, ", ".join(STRATEGIES)))


class Saved:
    """The output file of a run of `strat` from `bundle`: `theta` and
    `start` (the first round to run) come from `out` when it holds an
    unfinished run of the same bundle and settings, else from the bundle
    (None, 0); ValueError if `out` holds another run. save(rnd, theta)
    writes the checkpoint after round `rnd`."""

    def __init__(self, bundle, out, strat, rounds, seed, **more):
        read_meta(bundle)  # a bad bundle is refused before anything runs
        self.bundle, self.out = bundle, out
        self.run_id = dict({"bundle_sha256": _sha256(bundle), "strategy": strat.name,
                            "config": strat.fit_config, "per_round": strat.per_round,
                            "rounds": rounds, "seed": seed}, **more)
        self.theta, self.start = None, 0
        if os.path.exists(out):
            fed = (read_meta(out).get("info") or {}).get("fed", {})
            if {k: fed.get(k) for k in self.run_id} != self.run_id:
                raise ValueError("%s holds another run (other bundle or settings): remove it or "
                                 "choose another output" % out)
            self.theta, self.start = params.get(ulearn.load(out)), fed["round"] + 1

    def make(self):
        return ulearn.load(self.bundle)

    def save(self, rnd, theta):
        with atomic(self.out) as tmp:
            ulearn.save(params.put(self.make(), theta), tmp,
                        info={"fed": dict(self.run_id, round=rnd)})


def federate(bundle, devices, out, rounds, strat, stream=STREAM, seed=0,
             on_round=None):
    """Run `rounds` rounds of `strat` over the boards `devices` (mpremote
    names or URLs), from the bundle's weights or from `out` when it holds an
    unfinished run of the same bundle and settings. Returns the history of
    the rounds run now."""
    saved = Saved(bundle, out, strat, rounds, seed, stream=stream)
    if len(set(devices)) != len(devices) or not devices:
        raise ValueError("name each board once: %r" % (devices,))
    clients = [BoardClient(d, stream) for d in devices]

    def save(rnd, theta, entry):
        if len(entry["skipped"]) < len(entry["clients"]):  # a round nobody ran: nothing new
            saved.save(rnd, theta)
        if on_round is not None:
            on_round(rnd, theta, entry)

    _, history = run(strat, saved.make, clients, rounds, seed=seed, theta=saved.theta,
                     start=saved.start, on_round=save)
    return history


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
