"""Server-side update rules (Flower's split: a strategy picks clients and
aggregates what they send back; clients train).

Each strategy has ``per_round`` (clients asked per round), ``fit_config``
(what a client is asked to do) and ``aggregate(theta, results, rnd,
rounds) -> theta`` where results are ``(phi, n)`` pairs: a client's weights
after local training and the samples it trained on.

- TinyReptile (Ren, Anicic and Runkler 2023): one client per round, which
  takes `steps` single-sample SGD steps on its stream, keeping no data;
  theta <- theta + beta_r (phi - theta).
- Reptile (Nichol et al. 2018): `per_round` clients each take the same
  online steps; theta <- theta + beta_r mean(phi_i - theta).
- FedAvg (McMahan et al. 2017): `per_round` clients each train `epochs`
  passes over their stored data; theta <- sum(n_i phi_i) / sum(n_i).

beta_r anneals linearly: beta * (1 - rnd / rounds).
"""


class _Meta:
    def __init__(self, per_round, steps, lr, beta):
        for name, v in (("per_round", per_round), ("steps", steps)):
            if not isinstance(v, int) or v < 1:
                raise ValueError("%s must be an int >= 1, got %r" % (name, v))
        if not 0.0 < beta <= 1.0 or not lr > 0.0:
            raise ValueError("need 0 < beta <= 1 and lr > 0, got beta=%r, lr=%r" % (beta, lr))
        self.per_round, self.beta = per_round, beta
        self.fit_config = {"mode": "online", "steps": steps, "lr": lr}

    def aggregate(self, theta, results, rnd, rounds):
        b = self.beta * (1.0 - rnd / rounds) / len(results)
        out = [t.copy() for t in theta]
        for phi, _ in results:
            for o, t, p in zip(out, theta, phi):
                o += b * (p - t)
        return out


class TinyReptile(_Meta):
    name = "TinyReptile"

    def __init__(self, steps=20, lr=0.05, beta=1.0):
        _Meta.__init__(self, 1, steps, lr, beta)


class Reptile(_Meta):
    name = "Reptile"

    def __init__(self, per_round=5, steps=20, lr=0.05, beta=1.0):
        _Meta.__init__(self, per_round, steps, lr, beta)


class FedAvg:
    name = "FedAvg"

    def __init__(self, per_round=5, epochs=1, lr=0.05):
        if not isinstance(per_round, int) or per_round < 1 or not isinstance(epochs, int) \
                or epochs < 1 or not lr > 0.0:
            raise ValueError("FedAvg needs per_round >= 1, epochs >= 1 and lr > 0")
        self.per_round = per_round
        self.fit_config = {"mode": "epochs", "epochs": epochs, "lr": lr}

    def aggregate(self, theta, results, rnd, rounds):
        total = sum(n for _, n in results)
        out = [0.0 * t for t in theta]
        for phi, n in results:
            for o, p in zip(out, phi):
                o += (n / total) * p
        return out
