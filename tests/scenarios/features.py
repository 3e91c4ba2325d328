# Window features of a 6-axis stream: the stateless function, then a
# Windower (10 samples, hop 4) with a float32 output buffer.
# Prints window_features of all 23 samples, the sample counts at which the
# Windower was ready, its last features, its window (oldest first), and the
# message of a sample of the wrong length.
import json
from array import array

from ulearn import features as F

w = [[0.5 * i, -1.0 * i, i * i % 7, 1.0, 2.0 + i % 3, 3.0] for i in range(23)]
print(json.dumps(F.window_features(w)))
W = F.Windower(6, 10, 4)
ready, last = [], None
o = array("f", [0.0] * F.n_features(6))
for i, s in enumerate(w):
    if W.push(s):
        ready.append(i + 1)
        last = list(W.features(o))
print(json.dumps(ready))
print(json.dumps(last))
print(json.dumps(W.window()))
try:
    W.push([1, 2])
    print(json.dumps(None))
except ValueError as e:
    print(json.dumps(str(e)))
