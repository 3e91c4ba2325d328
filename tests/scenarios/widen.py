# A Dense(4, 5, relu) -> Dense(5, 6) pair (3 head rows in use) is widened to
# 6, 10 and 19 hidden units.
# Prints the head's probabilities on four inputs before and after each
# widening, and the final weights.
import json

from ulearn.backend import K
from ulearn.grow import widen
from ulearn.layers import Dense
from ulearn.rng import Rng

XS = [[v / 8 for v in x]
      for x in ((4, -8, 16, 1), (-2, 6, -12, 10), (8, 8, -8, -16), (0, 2, 3, -5))]
rng = Rng(3)
a, b = Dense(4, 5, "relu"), Dense(5, 6)
for layer in (a, b):
    layer.init_glorot(rng)
    K.set_row(layer.b, 0, 0, [rng.uniform(-0.5, 0.5) for _ in range(layer.n_out)])
b.rows = 3


def probs(a, b):
    out = []
    for x in XS:
        z = b.forward(a.forward(K.load_vec(x, K.vec(4))))
        out += K.tolist(K.softmax(z, b.rows, K.vec(6)))[:3]
    return out


print(json.dumps(probs(a, b)))
grow = Rng(7)
for width in (6, 10, 19):
    a, b = widen(a, b, width, grow)
    print(json.dumps(probs(a, b)))
print(json.dumps(K.tolist(a.W) + K.tolist(b.W)))
