"""The runs: lr and passes chosen per method and budget on the validation
domains, then the test domains with the chosen settings, in a process pool."""
import numpy as np

from ulearn_dev.benchkit import pool_map

from . import domains as DM
from . import settings as S
from .adapt import job, run


def cells(domain, fracs):
    """(method, budget fraction) of every row of a domain; None: no budget."""
    out = []
    for m in S.methods_of(domain):
        if m in S.SPARSE + ("cold",):
            out += [(m, f) for f in fracs if m != "cold" or f == S.TARGET_FRACTION]
        else:
            out.append((m, None))
    return out


def _settings(method, lrs, epochs):
    return [(None, None)] if method == "none" else [(lr, e) for lr in lrs for e in epochs]


def _runs(dom, phase, m, f, setting, seeds):
    """The jobs of one row and setting: per seed, one per unit of the domain."""
    lr, e = setting
    return [[job(dom, phase, u, m, f, lr, e, sd) for u in DM.DATA[dom, phase]["units"]] for sd in seeds]


def _pool(todo, jobs, what):
    todo = sorted(todo, key=lambda j: not j[0].startswith("fashion"))  # the longer runs first
    return dict(zip(todo, pool_map(run, todo, jobs, what, " runs")))


def tune(domains, quick, tseeds, jobs):
    """Validation accuracy of every setting of every row; the best setting
    per (domain, method, fraction). 'cold' takes the Fisher row's setting."""
    lrs, eps = S.grid(quick)
    rows = [(dom, m, f, c) for dom in domains for m, f in cells(dom, S.fractions(quick)) if m != "cold"
            for c in _settings(m, lrs, eps)]
    res = _pool([j for dom, m, f, c in rows for js in _runs(dom, "tune", m, f, c, tseeds) for j in js],
                jobs, "tuning")
    val, best = {}, {}
    for dom, m, f, c in rows:
        rr = [res[j] for js in _runs(dom, "tune", m, f, c, tseeds) for j in js]
        val[(dom, m, f) + c] = None if any("error" in r for r in rr) else float(np.mean([r["acc"] for r in rr]))
    for dom, m, f, c in rows:  # the first best in grid order; none when no setting fits the budget
        a, old = val[(dom, m, f) + c], best.get((dom, m, f))
        if a is not None and (old is None or a > val[(dom, m, f) + old]):
            best[dom, m, f] = c
    for dom in domains:
        if "cold" in S.methods_of(dom) and (dom, "fisher", S.TARGET_FRACTION) in best:
            best[dom, "cold", S.TARGET_FRACTION] = best[dom, "fisher", S.TARGET_FRACTION]
    return val, best


def test(domains, quick, seeds, best, jobs):
    """Test runs with the chosen settings; per (domain, method, fraction) a
    list over seeds of the unit-averaged results (None: no channel fits)."""
    rows = [(dom, m, f) for dom in domains for m, f in cells(dom, S.fractions(quick))
            if best.get((dom, m, f)) is not None]
    res = _pool([j for dom, m, f in rows for js in _runs(dom, "final", m, f, best[dom, m, f], seeds) for j in js],
                jobs, "test runs")
    out = {}
    for dom, m, f in rows:
        names = list(DM.DATA[dom, "final"]["units"])
        per_seed = []
        for js in _runs(dom, "final", m, f, best[dom, m, f], seeds):
            rr = [res[j] for j in js]
            if any("error" in r for r in rr):
                per_seed = None
                break
            per_seed.append(dict(
                acc=float(np.mean([r["acc"] for r in rr])),
                units={u: r["acc"] for u, r in zip(names, rr)},
                bytes=float(np.mean([r["bytes"] for r in rr])),
                max_bytes=max(r["bytes"] for r in rr),
                macs=float(np.mean([r["macs"] for r in rr])),
                counts=np.mean([r["counts"] for r in rr], axis=0).tolist(),
                secs=float(np.mean([r["secs"] for r in rr])),
                n_query=sum(r["n_query"] for r in rr)))
        out[dom, m, f] = per_seed
    return out
