# Sparse updates on the board: a learner (m.npz) selects the channels to
# train within each byte budget, trains on the support set, and predicts.
# sparse.json: {"X": support rows, "y": their labels, "T": test rows,
# "budgets": [bytes, ...]}; rows as integers (x / 256).
# Prints, per budget, the selection (picks and cost), then the probabilities
# on T (one line per row).
import json

import ulearn

io = json.load(open("sparse.json"))
X, T = ([[v / 256 for v in x] for x in io[k]] for k in ("X", "T"))
y = io["y"]
for budget in io["budgets"]:
    clf = sel = None  # one learner in the heap at a time
    clf = ulearn.load("m.npz")
    clf.learn_one(X[0], y[0])
    sel = clf.select_updates(X, y, budget)
    for x, t in zip(X, y):
        clf.learn_one(x, t)
    print(json.dumps(sel))
    for x in T:
        print(json.dumps(clf.predict_proba_one(x)))
