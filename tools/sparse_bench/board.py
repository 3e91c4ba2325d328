"""One adaptation on real MicroPython: the unix-port builds (tools/boardrun.py:
32-bit float32, fixed GC heap, the package as .mpy), without ulab and with it,
against the same adaptation on CPython's pure-Python kernels, the ulab
emulation and numpy: the same bundle, support set, order and budget; same
picks, same predictions?"""
import json

import numpy as np

from ulearn_dev import devicepkg
from ulearn_dev import boardrun

from . import adapt
from . import domains as DM
from . import settings as S

DOMAIN, METHOD = "watch", "fisher"

# The adaptation, in requests: the same text on every interpreter and on
# CPython, from the files put beside it. The heap is read (boardrun.live_heap)
# before the selection and after the last pass, the names already bound.
SETUP = boardrun.TICKS + """\
import json
import ulearn, ulearn.sparse
from ulearn.stream import Stream
S = json.load(open('spec.json'))
clf = ulearn.load('bundle.npz')
clf.optimizer.lr = S['lr']
X, y = [], []
for x, t in Stream('support.npz'):
    X.append(x)
    y.append(t)
for _ in range(S['warmup']):
    for i in range(len(y)):
        clf.learn_one(X[i], y[i])
clf.predict_one(X[0])  # the code is loaded
sel = o = t = i = x = us = None  # the names exist before the heap is measured
"""
SELECT = """\
sel = clf.select_updates(X, y, S['budget'], method=S['method'], seed=S['seed'])
print(json.dumps(sel))
"""
TRAIN = """\
us = 0
for o in S['orders']:
    for i in o:
        t = ticks()
        clf.learn_one(X[i], y[i])
        us += tdiff(ticks(), t)
sel = o = t = i = None
print(us)
"""
PREDICT = """\
Q = Stream('query.npz')
print(json.dumps({'pred': [clf.predict_one(x) for x, _ in Q],
                  'proba': [clf.predict_proba_one(Q.row(i)[0]) for i in range(min(20, len(Q)))]}))
"""


def _run(where, files, bundle):
    # the adaptation in `where` (an Interpreter or boardrun.CPython); its figures
    where.write_file("/bundle.npz", bundle)
    boardrun.put_json(where, "/spec.json", files["spec"])
    boardrun.put_rows(where, "/support.npz", *files["support"])
    boardrun.put_rows(where, "/query.npz", *files["query"])
    last = lambda code: json.loads(where.exec(code).splitlines()[-1])  # noqa: E731
    where.exec(SETUP)
    before = boardrun.live_heap(where)
    sel = last(SELECT)
    us = last(TRAIN)
    after = boardrun.live_heap(where)
    res = last(PREDICT)
    res.update(picks=sel["picks"], cost=sel["cost"], us=us, heap=None if before is None else after - before)
    return res


def stage(best, quick, seed=0):
    """One Fisher adaptation on real MicroPython and on CPython, as a dict.

    Keys: "unit", "seed", "lr", "epochs", "n_learn", "n_query", "budget",
    "heap_kb", "heap_planned" (`sparse.allocated` of CPython's pure-Python
    picks), "cpython": {backend: row} and "boards": {target: row}. A row holds
    "backend" (its kernels), "picks", "cost", "acc", "pred", "ms_per_learn",
    and, compared with "ref" (the CPython backend on the same kernels; for the
    ulab emulation and numpy: pure Python), "same_picks", "agree" and
    "max_prob_diff"; a board row also "version" and "heap" (bytes the selection
    and training added, `gc.mem_alloc` after a collection), or "error".
    "error" at the top when no interpreter ran (why not, per target).
    """
    d = DM.DATA[DOMAIN, "final"]
    name = next(iter(d["units"]))
    unit = d["units"][name]
    lr, epochs = best[DOMAIN, METHOD, S.TARGET_FRACTION]
    if quick:
        epochs = min(epochs, S.QUICK["vm_epochs"])
    sup, query = DM.draw(unit, seed, None)
    query = query[: S.QUICK["vm_queries"] if quick else S.VM_QUERIES]
    budget = adapt.budget(d, METHOD, S.TARGET_FRACTION)
    files = dict(support=(unit["X"][sup], unit["y"][sup]), query=(unit["X"][query], unit["y"][query]),
                 spec=dict(lr=lr, warmup=S.WARMUP if d["warm"] else 0, budget=budget, method=METHOD,
                           seed=seed, orders=[DM.order(len(sup), seed, e).tolist() for e in range(epochs)]))
    with open(d["bundle"], "rb") as f:
        bundle = f.read()
    n_learn = len(sup) * epochs
    out = dict(unit=name, seed=seed, lr=lr, epochs=epochs, n_learn=n_learn, n_query=len(query), budget=budget,
               heap_kb=boardrun.HEAP_KB, cpython={}, boards={})
    yq = unit["y"][query]

    def figures(res, backend):
        return dict(res, backend=backend, ms_per_learn=res["us"] / 1000 / max(1, n_learn),
                    acc=float(np.mean(np.array(res["pred"]) == yq)))

    def compare(row, ref):
        row["ref"] = ref["backend"]
        row["same_picks"] = row["picks"] == ref["picks"] and row["cost"] == ref["cost"]
        row["agree"] = int(sum(a == b for a, b in zip(row["pred"], ref["pred"])))
        row["max_prob_diff"] = max(abs(p[str(k)] - v) for p, q in zip(row["proba"], ref["proba"])
                                   for k, v in q.items())

    boardrun.rows(lambda where, label: _run(where, files, bundle), figures, compare, out)
    out["heap_planned"] = devicepkg.use("numpy").sparse.allocated(
        d["dims"], [len(p) for p in out["cpython"]["python"]["picks"]], d["top"])
    return out
