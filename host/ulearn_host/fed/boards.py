"""``ulearn fed``: federated rounds over real boards, saved after every round.

The learner comes from a bundle (its frozen part, labels and optimizer); the
federation trains its trainable layers. After each round the output file is
the bundle's learner with the new theta, a checkpoint that deploys like any
bundle, whose metadata (``info["fed"]``) records the round, so a stopped run
resumes where it stopped.
"""
import hashlib
import os

import ulearn
from ulearn.checkpoint import read_meta

from . import params
from .board_client import BoardClient
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


def federate(bundle, devices, out, rounds, strat, stream="/ulearn-data/learn.npz", seed=0,
             on_round=None):
    """Run `rounds` rounds of `strat` over the boards `devices` (mpremote
    names or URLs), from the bundle's weights or from `out` when it holds an
    unfinished run of the same bundle and settings. Returns the history of
    the rounds run now."""
    read_meta(bundle)  # a bad bundle is refused before any board is touched
    if len(set(devices)) != len(devices) or not devices:
        raise ValueError("name each board once: %r" % (devices,))

    def make():
        return ulearn.load(bundle)

    run_id = {"bundle_sha256": _sha256(bundle), "strategy": strat.name,
              "config": strat.fit_config, "per_round": strat.per_round, "rounds": rounds,
              "seed": seed, "stream": stream}
    theta, start = None, 0
    if os.path.exists(out):
        fed = (read_meta(out).get("info") or {}).get("fed", {})
        if {k: fed.get(k) for k in run_id} != run_id:
            raise ValueError("%s holds another run (other bundle or settings): remove it or "
                             "choose another output" % out)
        theta, start = params.get(ulearn.load(out)), fed["round"] + 1
    clients = [BoardClient(d, stream) for d in devices]

    def save(rnd, theta, entry):
        ulearn.save(params.put(make(), theta), out, info={"fed": dict(run_id, round=rnd)})
        if on_round is not None:
            on_round(rnd, theta, entry)

    _, history = run(strat, make, clients, rounds, seed=seed, theta=theta, start=start,
                     on_round=save)
    return history


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
