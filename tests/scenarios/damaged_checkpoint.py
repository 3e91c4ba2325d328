# A checkpoint with one byte flipped is refused with CheckpointError.
# Prints the error message.
import json

import ulearn

c = ulearn.Classifier(3, 2)
c.learn_one([1, 2, 3], 0)
ulearn.save(c, "d.npz")
with open("d.npz", "rb") as f:
    data = bytearray(f.read())
data[len(data) // 2] ^= 0xFF
with open("d.npz", "wb") as f:
    f.write(data)
try:
    ulearn.load("d.npz")
    print(json.dumps("loaded"))
except ulearn.CheckpointError as e:
    print(json.dumps(str(e)))
