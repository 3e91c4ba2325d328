"""Flower (``pip install "ulearn[flwr]"``) carries a federation past one
machine, with the update rules of ``ulearn fed`` (TinyReptile, Reptile,
FedAvg from :mod:`.strategy`).

- :class:`RuleStrategy`: a Flower strategy that asks ``rule.per_round``
  nodes per round (seeded, as :func:`.server.run` picks clients) and applies
  the rule's own ``aggregate`` to their replies; a node that fails is left
  out of the round with a warning.
- ``client_app``: one node, either a device simulated on this host (the rows
  of a ulearn stream file, or its ``partition-id``-th part of
  ``num-partitions``, as a :class:`.SimClient`) or a real board over
  mpremote (node config ``device``, as a :class:`.BoardClient`).
- ``server_app``: reads the run config, runs the rounds, and saves theta to
  ``out`` after every round as ``ulearn fed`` does, so a stopped run resumes.

The Flower App (``host/flower-app``) names these two and the run config's
defaults. The server sends the bundle with theta each round, so a node
needs nothing but ulearn installed and its own data or board.
"""
import functools
import os
import tempfile
import time
from logging import INFO, WARNING

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Message, MessageType, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from flwr.common.logger import log
from flwr.serverapp import ServerApp
from flwr.serverapp.strategy import Strategy

import ulearn
from ulearn.stream import Stream

from . import boards, params
from .board_client import STREAM, BoardClient
from .client import SimClient

class RuleStrategy(Strategy):
    """Flower's side of a ulearn update rule: round r (counted from `start`,
    of `rounds` in all) asks `rule.per_round` of the connected nodes, once at
    least `min_nodes` are, to fit with `rule.fit_config`, and aggregates the
    replies with `rule.aggregate`. `bundle` (bytes) goes with every request."""

    def __init__(self, rule, rounds, bundle, seed=0, start=0, min_nodes=None):
        self.rule, self.rounds, self.bundle = rule, rounds, bundle
        self.seed, self.first = seed, start  # Strategy.start() runs the rounds
        self.min_nodes = max(rule.per_round, min_nodes or 0)
        self.theta, self.round = None, start

    def summary(self):
        log(INFO, "\t├──> ulearn %s: %d node(s) per round, %r", self.rule.name,
            self.rule.per_round, self.rule.fit_config)
        log(INFO, "\t└──> rounds %d to %d of %d", self.first, self.rounds - 1, self.rounds)

    def configure_train(self, server_round, arrays, config, grid):
        self.round = self.first + server_round - 1
        while len(nodes := sorted(grid.get_node_ids())) < self.min_nodes:
            log(INFO, "waiting for nodes: %d connected, %d needed", len(nodes), self.min_nodes)
            time.sleep(1)
        rng = np.random.default_rng([self.seed, self.round])
        chosen = [nodes[i] for i in rng.choice(len(nodes), self.rule.per_round, replace=False)]
        log(INFO, "round %d: asked %d of %d nodes", self.round, len(chosen), len(nodes))
        self.theta = arrays.to_numpy_ndarrays()
        content = RecordDict({"arrays": arrays, "config": ConfigRecord(dict(
            self.rule.fit_config, round=self.round, seed=self.seed, bundle=self.bundle))})
        return [Message(content=content, dst_node_id=n, message_type=MessageType.TRAIN)
                for n in chosen]

    def aggregate_train(self, server_round, replies):
        ok = []
        for m in replies:
            if m.has_error():
                log(WARNING, "round %d: skipped node %d (%s)", self.round,
                    m.metadata.src_node_id, m.error.reason)
            else:
                ok.append(m.content)
        if not ok:
            return None, None
        results = [(r["arrays"].to_numpy_ndarrays(), int(r["metrics"]["num-examples"])) for r in ok]
        theta = self.rule.aggregate(self.theta, results, self.round, self.rounds)
        costs = [r["metrics"] for r in ok]
        return ArrayRecord(theta), MetricRecord({
            "nodes": len(ok), "peak-bytes": max(int(c["peak-bytes"]) for c in costs),
            "macs": sum(int(c["macs"]) for c in costs)})

    def configure_evaluate(self, server_round, arrays, config, grid):
        return []  # adaptation is measured on held-out devices, not by the federation

    def aggregate_evaluate(self, server_round, replies):
        return None


# -- the nodes

@functools.lru_cache(maxsize=4)
def _stream(path):
    """A stream file's rows (X, labels), read once per process."""
    s = Stream(path)
    return np.array(list(s.column(0)), dtype=np.float32), list(s.column(1))


def node_client(node_config, run_config):
    """The client a node is: a board when its node config names a `device`,
    else a simulated device on the rows of the `stream` file its node config
    (or the run config) names, cut to part `partition-id` of `num-partitions`
    when both are given (Flower's simulation sets them)."""
    if "device" in node_config:
        stream = node_config.get("stream") or run_config.get("board-stream") or STREAM
        return BoardClient(str(node_config["device"]), str(stream))
    path = node_config.get("stream") or run_config.get("stream")
    if not path:
        raise ValueError("this node has no data: give it a board (node config device=...) or a "
                         "stream file (node config or run config stream=...)")
    X, y = _stream(str(path))
    name = os.path.basename(str(path))
    if "partition-id" in node_config and "num-partitions" in node_config:
        part, parts = int(node_config["partition-id"]), int(node_config["num-partitions"])
        if not 0 <= part < parts <= len(y):
            raise ValueError("partition %d of %d: %s has %d rows" % (part, parts, path, len(y)))
        rows = np.array_split(np.arange(len(y)), parts)[part]
        X, y, name = X[rows], [y[i] for i in rows], "%s[%d/%d]" % (name, part, parts)
    return SimClient(name, X, y)


client_app = ClientApp()


@client_app.train()
def _train(msg, context):
    cfg = msg.content["config"]
    fit = {k: cfg[k] for k in ("mode", "steps", "epochs", "lr") if k in cfg}
    client = node_client(context.node_config, context.run_config)
    who = int(context.node_config.get("partition-id", context.node_id))
    rng = np.random.default_rng([int(cfg["seed"]), int(cfg["round"]), who])
    with tempfile.TemporaryDirectory() as tmp:
        bundle = os.path.join(tmp, "bundle.npz")
        with open(bundle, "wb") as f:
            f.write(cfg["bundle"])
        phi, n, cost = client.fit(msg.content["arrays"].to_numpy_ndarrays(),
                                  lambda: ulearn.load(bundle), fit, rng)
    return Message(content=RecordDict({"arrays": ArrayRecord(phi), "metrics": MetricRecord({
        "num-examples": n, "steps": cost["steps"], "macs": cost["macs"],
        "peak-bytes": cost["peak_bytes"]})}), reply_to=msg)


# -- the server

server_app = ServerApp()


@server_app.main()
def _main(grid, context):
    c = context.run_config
    rounds, seed = int(c["rounds"]), int(c["seed"])
    rule = boards.strategy(str(c["strategy"]), int(c["steps"]), int(c["epochs"]), float(c["lr"]),
                           float(c["beta"]), int(c["per-round"]))
    saved = boards.Saved(str(c["bundle"]), str(c["out"]), rule, rounds, seed, flower=True)
    theta = saved.theta if saved.theta is not None else params.get(saved.make())
    if saved.start >= rounds:
        log(INFO, "%s already holds all %d rounds", saved.out, rounds)
        return
    with open(saved.bundle, "rb") as f:
        strategy = RuleStrategy(rule, rounds, f.read(), seed, saved.start, int(c.get("min-nodes", 0)))

    def save(server_round, arrays):
        if server_round > 0:
            saved.save(saved.start + server_round - 1, arrays.to_numpy_ndarrays())
            log(INFO, "theta saved to %s", saved.out)

    strategy.start(grid, ArrayRecord(theta), num_rounds=rounds - saved.start, evaluate_fn=save)
