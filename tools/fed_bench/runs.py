"""The runs: one job trains an initialisation (a federation of the
meta-training clients, the pooled-data baseline, or none) and adapts it on
every held-out device; tuning picks each method's settings on the validation
devices, then the test devices run once with them, in a process pool."""
import numpy as np

from ulearn_dev.benchkit import pool_map
from ulearn_host.fed import FedAvg, Reptile, TinyReptile, adapt_curve, params, pooled, run
from ulearn_host.fed.client import cost

from . import domains as DM
from . import settings as S


def strategy(method, setting):
    if method == "fedavg":
        lr, epochs = setting
        return FedAvg(per_round=S.PER_ROUND, epochs=epochs, lr=lr)
    lr, steps, beta = setting
    if method == "reptile":
        return Reptile(per_round=S.PER_ROUND, steps=steps, lr=lr, beta=beta)
    return TinyReptile(steps=steps, lr=lr, beta=beta)


def costs(cs):
    """Client costs (one per client and round) summed up: peak bytes (the
    max), steps and MACs per client and round (mean), totals."""
    return dict(peak_bytes=max(c["peak_bytes"] for c in cs), round_macs=float(np.mean([c["macs"] for c in cs])),
                round_steps=float(np.mean([c["steps"] for c in cs])), total_macs=sum(c["macs"] for c in cs),
                total_steps=sum(c["steps"] for c in cs))


def initialise(dom, phase, method, setting, rounds, seed):
    """(theta, cost or None) of a method. transfer: one learner trained where
    the pooled data is (its cost: the data held and every step)."""
    make = DM.factory(dom, phase, seed)
    clients = DM.DATA[dom, phase]["clients"]
    if method == "scratch":
        return params.get(make()), None
    if method == "transfer":
        lr, epochs = setting
        n = sum(len(c.y) for c in clients)
        held = sum(c.X.nbytes for c in clients) + 4 * n
        return pooled(make, clients, epochs, lr, seed), costs([cost(make(), epochs * n, held)])
    theta, history = run(strategy(method, setting), make, clients, rounds, seed=seed)
    return theta, costs([c for h in history for c in h["cost"]])


def work(jb):
    """A job: the initialisation, then per adaptation lr the curve of every
    held-out device, {lr: {device: {shots: accuracy}}}."""
    dom, phase, method, setting, rounds, seed, lrs = jb
    theta, c = initialise(dom, phase, method, setting, rounds, seed)
    make = DM.factory(dom, phase, seed)
    curves = {lr: {} for lr in lrs}
    for name, dev in DM.DATA[dom, phase]["devices"].items():
        sup, query = DM.draw(dev, seed)
        X, y = dev["X"], [int(v) for v in dev["y"]]
        for lr in lrs:
            curves[lr][name] = adapt_curve(make, theta, X[sup], [y[i] for i in sup], X[query],
                                           [y[i] for i in query], lr)
    return dict(curves=curves, cost=c)


def _job(dom, phase, method, setting, seed, lrs, quick):
    method = S.BASE.get(method, method)  # a derived row runs as its method: equal jobs run once
    return (dom, phase, method, setting, S.rounds(method, quick), seed, tuple(lrs))


def _pool(todo, jobs, what):
    todo = sorted(todo, key=lambda j: DM.DATA[j[0], j[1]]["d"], reverse=True)  # the widest inputs first
    return dict(zip(todo, pool_map(work, todo, jobs, what, " runs")))


def score(curves):
    """Mean accuracy over the held-out devices, per shot count."""
    return {n: float(np.mean([c[n] for c in curves.values()])) for n in S.SHOTS}


def tune(domains, quick, tseeds, jobs):
    """Validation score (mean accuracy over shots, devices, tuning seeds) of
    every (method, setting, adaptation lr); the best per (domain, method):
    (setting, lr), the first best in grid order. S.HALF: TinyReptile's best
    among its settings within k_half."""
    lrs = S.adapt_lrs(quick)
    rows = [(dom, m, s) for dom in domains for m in S.TUNED for s in S.grid(m, quick)]
    res = _pool([_job(dom, "tune", m, s, sd, lrs, quick) for dom, m, s in rows for sd in tseeds], jobs, "tuning")
    val, best = {}, {}
    for dom, m, s in rows:
        rr = [res[_job(dom, "tune", m, s, sd, lrs, quick)] for sd in tseeds]
        for lr in lrs:
            val[dom, m, s, lr] = float(np.mean([list(score(r["curves"][lr]).values()) for r in rr]))
            if (dom, m) not in best or val[dom, m, s, lr] > val[(dom, m) + best[dom, m]]:
                best[dom, m] = (s, lr)
    ki = S.SETTING_KEYS["tinyreptile"].index("steps")
    for dom in domains:
        fits = [(s, lr) for s in S.grid(S.HALF, quick) for lr in lrs if s[ki] <= k_half(dom, best)]
        for s, lr in fits:
            val[dom, S.HALF, s, lr] = val[dom, "tinyreptile", s, lr]
            if (dom, S.HALF) not in best or val[dom, S.HALF, s, lr] > val[(dom, S.HALF) + best[dom, S.HALF]]:
                best[dom, S.HALF] = (s, lr)
    return val, best


def k_half(dom, best):
    """The most single-sample steps a TinyReptile client may take per round
    within half of a FedAvg client's (E passes over its rows; the test
    runs' clients, on average)."""
    epochs = best[dom, "fedavg"][0][S.SETTING_KEYS["fedavg"].index("epochs")]
    return int(S.TARGET_RATIO * epochs * np.mean([len(c.y) for c in DM.DATA[dom, "final"]["clients"]]))


def test(domains, quick, seeds, best, jobs):
    """Test runs with the chosen settings; per (domain, method), over seeds: acc (per shot
    count, the mean over the devices), devices ({device: accuracy per shot count}), cost."""
    todo = {(dom, m, sd): _job(dom, "final", m, best[dom, m][0], sd, best[dom, m][1:], quick)
            for dom in domains for m in S.METHODS for sd in seeds}
    res = _pool(list(dict.fromkeys(todo.values())), jobs, "test runs")
    out = {(dom, m): dict(acc=[], devices={}, cost=[]) for dom in domains for m in S.METHODS}
    for (dom, m, sd), jb in todo.items():
        curves, o = res[jb]["curves"][best[dom, m][1]], out[dom, m]
        o["acc"].append([score(curves)[n] for n in S.SHOTS])
        for u, cv in curves.items():
            o["devices"].setdefault(u, []).append([cv[n] for n in S.SHOTS])
        o["cost"] = res[jb]["cost"] and o["cost"] + [res[jb]["cost"]]  # None: no federation
    return out


def pack(dom, quick, facts, val, best, out):
    """A domain's figures, JSON-ready: its setup, every grid cell's validation scores
    (one per adaptation lr), and per method its choice and the test runs' figures."""
    def named(m, s):
        return dict(zip(S.SETTING_KEYS[m], s))
    return dict(setup=facts[dom], k_half=k_half(dom, best),
                grid=[[m, named(m, s), [val[dom, m, s, lr] for lr in S.adapt_lrs(quick)]]
                      for m in S.TUNED for s in S.grid(m, quick)],
                methods={m: dict(setting=named(m, best[dom, m][0]), adapt_lr=best[dom, m][1],
                                 val_score=val[(dom, m) + best[dom, m]], **out[dom, m]) for m in S.METHODS})
