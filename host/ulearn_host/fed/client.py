"""A device simulated on the host: its own data partition, trained with the
device package's own ``learn_one`` (one sample at a time, as a board does).

``fit(theta, make, config, rng)`` loads theta into a fresh learner from
``make()`` and trains it as the strategy's config says:

- ``{"mode": "online", "steps": k, "lr": lr}``: k samples drawn from the
  device's stream, each learned once and dropped (TinyReptile, Reptile): it
  keeps the model and one sample;
- ``{"mode": "epochs", "epochs": E, "lr": lr}``: E shuffled passes over all
  its stored samples (FedAvg): it keeps the model and its whole dataset.

It returns ``(phi, n, cost)``: the weights after training, the samples
trained on, and the client's cost: ``steps``, ``macs`` (of the training
steps, ``ulearn_host.anatomy``) and ``peak_bytes`` (trainable weights and momentum,
plus the samples it holds).
"""
import numpy as np

from ..anatomy import arrays, learner_flops

from . import params


class ClientLost(Exception):
    """A client that could not finish its round (a board that dropped): the
    round goes on without it."""


class SimClient:
    def __init__(self, name, X, y):
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or len(X) == 0 or len(X) != len(y):
            raise ValueError("client %r needs samples (n, d) and one label each" % (name,))
        self.name, self.X = name, X
        self.y = [v.item() if hasattr(v, "item") else v for v in y]  # numpy ints: plain ints

    def __repr__(self):
        return "SimClient(%r, %d samples)" % (self.name, len(self.y))

    def fit(self, theta, make, config, rng):
        clf = params.put(make(), theta)
        clf.optimizer.lr = config["lr"]
        n = len(self.y)
        if config["mode"] == "online":
            order = rng.integers(0, n, config["steps"])
            held = self.X.shape[1] * 4 + 4  # one sample and its label
        else:
            order = np.concatenate([rng.permutation(n) for _ in range(config["epochs"])])
            held = self.X.nbytes + 4 * n  # the stored dataset
        for i in order:
            clf.learn_one(self.X[i], self.y[i])
        return params.get(clf), len(order), cost(clf, len(order), held)


def cost(clf, steps, held):
    """A client's cost of `steps` learn_one on clf while holding `held`
    bytes of samples: the steps, their MACs, and the peak bytes (trainable
    weights and momentum, plus the samples)."""
    model = sum(p["bytes"] for p in arrays(clf) if p["trained"])
    return {"steps": steps, "macs": steps * learner_flops(clf)["macs"]["train_step"],
            "peak_bytes": model + held}
