# A replay memory takes each row of replay.json in turn (300 adds, cycling)
# and gives back a sample after each add. replay.json: [[x as integers, y], ...]
# (x / 256). Prints the sampled labels, then the memory's state.
import json

from ulearn.backend import K
from ulearn.replay import Replay

data = [([v / 256 for v in x], y) for x, y in json.load(open("replay.json"))]
r = Replay(48, 16, seed=5, max_classes=8)
out = K.vec(16)
labels = []
for i in range(300):
    x, y = data[i % len(data)]
    r.add(x, y)
    labels.append(r.sample(out))
print(json.dumps(labels))
print(json.dumps(r.state()))
