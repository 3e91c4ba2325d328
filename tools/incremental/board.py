"""The board path on real MicroPython: a shortened Split-digits run in the
unix-port builds (tools/boardrun.py: 32-bit float32, fixed GC heap, the package
as .mpy), without ulab and with it, against the same run on CPython's
pure-Python kernels, the ulab emulation and numpy."""
import json

import numpy as np

from ulearn_dev import boardrun
from ulearn_host.progress import progress

from . import data
from .settings import BOARD_CLIP, BOARD_MOM, FRACTION, HIDDEN

# The run, in requests: the same text on every interpreter and on CPython, from
# the stream files put beside it; `%d` in LEARN is the task.
SETUP = boardrun.TICKS + """\
import json
import ulearn
from ulearn.stream import Stream
S = json.load(open('spec.json'))
ext = None
if S['ext']:
    W, B = [], []
    for r, _ in Stream('ext.npz'):
        W.append(r[:-1])
        B.append(r[-1])
    ext = [ulearn.Frozen(len(W[0]), len(W), 'relu').set_weights(W, B)]
    W = B = r = None
clf = ulearn.Classifier(S['d'], S['n_classes'], extractor=ext, standardize=False,
                        optimizer=ulearn.SGD(S['lr'], momentum=S['mom'], clip=S['clip']),
                        hidden=S['hidden'], replay=S['cap'], replay_k=S['k'], seed=S['seed'])
S = ext = None
us = 0
"""
LEARN = """\
for x, y in Stream('task%d.npz'):
    t = ticks()
    clf.learn_one(x, y)
    us += tdiff(ticks(), t)
x = y = t = None
"""
REPLAY = """\
X, Y = [], []
for x, y in Stream('replay.npz'):
    X.append(x)
    Y.append(y)
clf.load_replay(X, Y)
X = Y = x = y = None
"""
RESULT = """\
T = Stream('test.npz')
pred = [clf.predict_one(x) for x, _ in T]
probs = [clf.predict_proba_one(T.row(i)[0]) for i in range(min(20, len(T)))]
print(json.dumps({'us': us, 'pred': pred, 'probs': probs}))
"""


def _inputs(quick, fe, cfg, seed):
    # the run's files {name: (rows, labels) or a JSON value}, and what the page states
    n_per = 40 if quick else 150
    d = data.DATA["digits", "final"]
    f = d["fe"][fe]
    rng = np.random.default_rng(seed)
    tasks_ = d["tasks"][:2]
    files = {}
    for t, cls in enumerate(tasks_):
        idx = rng.permutation(np.flatnonzero(np.isin(d["ytr"], cls)))[:n_per]
        files["task%d.npz" % t] = (f["Xtr"][idx], d["ytr"][idx])
    files["replay.npz"] = data.REPLAY[data.replay_key("digits", "final", fe, "dm", FRACTION, seed, 0)]
    te = np.flatnonzero(np.isin(d["yev"], tasks_[0] + tasks_[1]))
    files["test.npz"] = (f["Xev"][te], d["yev"][te])
    cap = data.budget(d["ytr"], tasks_[0] + tasks_[1], FRACTION)
    ext = f["ext"]
    if ext is not None:  # a row per unit: its weights, then its bias
        files["ext.npz"] = (np.hstack([ext[0], ext[1][:, None]]), np.arange(len(ext[1])))
    files["spec.json"] = dict(d=f["Xev"].shape[1], n_classes=4, lr=cfg["lr"], k=cfg["k"], hidden=HIDDEN,
                              cap=cap, seed=seed + 1, mom=BOARD_MOM, clip=BOARD_CLIP, ext=ext is not None)
    info = dict(n=2 * n_per, n_test=len(te), cap=cap, cfg=cfg, y_test=d["yev"][te])
    return files, info


def _run(where, files, what):
    # the run in `where` (an Interpreter or boardrun.CPython); its figures
    for name, value in files.items():
        if name.endswith(".json"):
            boardrun.put_json(where, "/" + name, value)
        else:
            boardrun.put_rows(where, "/" + name, *value)
    where.exec(SETUP)
    for t in progress(range(2), what + " (tasks)"):
        where.exec(LEARN % t)
        if t == 0:
            where.exec(REPLAY)
    heap = boardrun.live_heap(where)
    return dict(json.loads(where.exec(RESULT).splitlines()[-1]), heap=heap)


def _compare(row, ref):
    # predictions equal to the reference's, and the largest probability difference
    row["ref"] = ref["backend"]
    row["agree"] = int(sum(a == b for a, b in zip(row["pred"], ref["pred"])))
    row["max_prob_diff"] = max(abs(p[str(lab)] - v) for p, q in zip(row["probs"], ref["probs"])
                               for lab, v in q.items())


def board_stage(quick, fe, cfg, seed=0):
    """Split-digits, first two tasks, a few hundred samples, board path (front
    end `fe`, the dm row's settings `cfg`) with the dm set of task 1 loaded
    after it: in MicroPython (unix32: pure-Python kernels; unix32-ulab: ulab)
    and on CPython (pure Python, the ulab emulation, numpy), same stream files.

    Returns {"n", "n_test", "cap", "cfg", "heap_kb", "cpython": {backend: row},
    "boards": {target: row}}, a row holding "backend" (its kernels), "acc",
    "ms_per_learn" and, compared with "ref" (the CPython backend on the same
    kernels; for the ulab emulation and numpy: pure Python), "agree" and
    "max_prob_diff"; a board row also "version" and "heap" (live bytes after a
    collection, the learner loaded), or "error". "error" at the top when no
    interpreter ran (why not, per target).
    """
    files, info = _inputs(quick, fe, cfg, seed)
    y_test = info.pop("y_test")
    out = dict(info, heap_kb=boardrun.HEAP_KB, cpython={}, boards={})

    def figures(res, backend):
        pred = res["pred"]
        return dict(backend=backend, pred=pred, probs=res["probs"], ms_per_learn=res["us"] / 1000 / info["n"],
                    heap=res["heap"], acc=float(np.mean(np.array(pred) == y_test)))

    boardrun.rows(lambda where, label: _run(where, files, label), figures, _compare, out)
    for row in list(out["cpython"].values()) + list(out["boards"].values()):
        for k in ("pred", "probs"):  # compared above; not on the page
            row.pop(k, None)
    return out
