# A learner saved elsewhere (in.npz) is loaded, learns on, is saved (out.npz)
# and loaded back. exchange.json: {"probes": [x, ...], "stream": [[x, y], ...]},
# x as integers (x / 256); y is null for an anomaly detector.
# Prints two lines, the learner as loaded and as reloaded after learning: its
# config, state, arrays, and predictions on the probes (label probabilities
# sorted by label, or anomaly scores).
import json

import ulearn
from ulearn.backend import K

io = json.load(open("exchange.json"))
probes = [[v / 256 for v in x] for x in io["probes"]]


def show(m):
    if hasattr(m, "predict_proba_one"):
        pred = [sorted(m.predict_proba_one(x).items()) for x in probes]
    else:
        pred = [m.score_one(x) for x in probes]
    print(json.dumps({"config": m.config(), "state": m.state(),
                      "arrays": [K.tolist(a) for a in m.arrays()], "predictions": pred}))


m = ulearn.load("in.npz")
show(m)
for x, y in io["stream"]:
    x = [v / 256 for v in x]
    if y is None:
        m.learn_one(x)
    else:
        m.learn_one(x, y)
ulearn.save(m, "out.npz")
back = ulearn.load("out.npz")
assert back.config() == m.config() and back.state() == m.state()
assert [K.tolist(a) for a in back.arrays()] == [K.tolist(a) for a in m.arrays()]
show(back)
