"""The result as the page and the plots read it. ``data["rows"]`` of docs/sparse.json
holds one record per (domain, method, budget): its validation grid ``[lr, passes,
accuracy]``, the chosen ``[lr, passes]`` and its test runs, per seed (None: no
channel fits the budget). Budgets are fractions of full fine-tuning's bytes."""
import statistics


def frac(f):
    return "1/%d" % round(1 / f)


def mean(v):
    return float(statistics.fmean(v))


def sd(v):
    return float(statistics.stdev(v)) if len(v) > 1 else 0.0


def accs(rr):
    return [r["acc"] for r in rr]


class Result:
    """``val[dom, method, frac, lr, passes]``, ``best[dom, method, frac]``,
    ``runs[dom, method, frac]``, ``cells[dom]`` (its (method, frac) in page order) and
    ``keys``, every (dom, method, frac) in page order."""

    def __init__(self, res):
        c = res["config"]
        self.doms, self.fracs, self.lrs, self.eps = c["domains"], c["fractions"], c["lr"], c["epochs"]
        self.target, self.points, self.k_shot = c["target_fraction"], c["target_points"], c["k_shot"]
        self.seeds, self.info = res["seeds"], res["data"]["domains"]
        self.val, self.best, self.runs, self.cells = {}, {}, {}, {}
        for r in res["data"]["rows"]:
            k = (r["domain"], r["method"], r["fraction"])
            self.cells.setdefault(k[0], []).append(k[1:])
            self.best[k] = tuple(r["chosen"]) if r["chosen"] else None
            self.runs[k] = r["runs"]
            self.val.update({k + (lr, e): a for lr, e, a in r["validation"]})
        self.keys = [(dom, m, f) for dom in self.doms for m, f in self.cells[dom]]  # page order

    def paired(self, dom, a, b):
        """Per-seed differences (same support set) of row a minus row b at the target budget."""
        ra = self.runs.get((dom, a, self.target))
        rb = self.runs.get((dom, b, None if b in ("full", "head", "none") else self.target))
        return [x["acc"] - y["acc"] for x, y in zip(ra, rb)] if ra and rb else None
