"""Rounds of a federation on the host, the baselines, and how well a new
device adapts from an initialisation.

>>> theta, history = run(TinyReptile(steps=20), make, clients, rounds=200)  # doctest: +SKIP
>>> adapt_curve(make, theta, X_support, y_support, X_query, y_query)      # doctest: +SKIP
{1: 0.41, 5: 0.63, 10: 0.72, 20: 0.80, 50: 0.86}
"""
import numpy as np

from .. import evaluate
from . import params
from .client import ClientLost

SHOTS = (1, 5, 10, 20, 50)


def run(strategy, make, clients, rounds, seed=0, theta=None, start=0, on_round=None):
    """`rounds` rounds of `strategy` over `clients` (SimClient, or anything
    with the same fit()), from theta (default: make()'s initialisation),
    starting at round `start` (to resume). on_round(rnd, theta, entry) is
    called after each round with its history entry. A client that raises ClientLost is skipped
    (history names it, with the reason); a round that all its clients
    skipped leaves theta as it was. Returns (theta, history): history holds
    one dict per round (clients asked, their costs, those skipped)."""
    if not clients:
        raise ValueError("a federation needs clients")
    if strategy.per_round > len(clients):
        raise ValueError("%s asks %d clients per round, there are %d"
                         % (strategy.name, strategy.per_round, len(clients)))
    theta = params.get(make()) if theta is None else theta
    history = []
    for rnd in range(start, rounds):
        rng = np.random.default_rng([seed, rnd])
        chosen = rng.choice(len(clients), strategy.per_round, replace=False)
        results, skipped = [], {}
        for i in chosen:
            try:
                results.append(clients[i].fit(theta, make, strategy.fit_config, rng))
            except ClientLost as e:
                skipped[clients[i].name] = str(e)
        if results:
            theta = strategy.aggregate(theta, [(phi, n) for phi, n, _ in results], rnd, rounds)
        history.append({"round": rnd, "clients": [clients[i].name for i in chosen],
                        "cost": [c for _, _, c in results], "skipped": skipped})
        if on_round is not None:
            on_round(rnd, theta, history[-1])
    return theta, history


def pooled(make, clients, epochs, lr, seed=0):
    """Transfer baseline: one learner trained on all clients' data pooled
    (`epochs` shuffled passes, one sample at a time)."""
    X = np.concatenate([c.X for c in clients])
    y = [v for c in clients for v in c.y]
    clf = make()
    clf.optimizer.lr = lr
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for i in rng.permutation(len(y)):
            clf.learn_one(X[i], y[i])
    return params.get(clf)


def adapt_curve(make, theta, X_support, y_support, X_query, y_query, lr, shots=SHOTS):
    """Accuracy on the query set after learning the first n support samples
    (one learn_one each, in order), for each n in `shots`: {n: accuracy}."""
    if len(y_support) < max(shots):
        raise ValueError("%d support samples, the curve needs %d" % (len(y_support), max(shots)))
    clf = params.put(make(), theta)
    clf.optimizer.lr = lr
    out, seen = {}, 0
    for n in sorted(shots):
        while seen < n:
            clf.learn_one(X_support[seen], y_support[seen])
            seen += 1
        out[n] = float(evaluate.holdout(clf, X_query, y_query)[0])
    return out
