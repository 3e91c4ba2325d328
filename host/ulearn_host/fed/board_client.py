"""A real board as a federation's client, over mpremote.

Each round the host writes theta to the board as a checkpoint
(``/ulearn-data/theta.npz``: the bundle's learner with theta loaded), runs
``ulearn.app.inner`` there on the board's own stream, and reads back
``/ulearn-data/phi.npz``. A board that drops or fails raises ClientLost.
"""
import io
import os
import tempfile

import ulearn
from ulearn.contract import PHI, STREAM, THETA
from ..board import Board, BoardError
from ..run import entry_code, run
from . import params
from .client import ClientLost, cost



class BoardClient:
    def __init__(self, device, stream=STREAM, timeout=600):
        self.name, self.stream, self.timeout = device, stream, timeout

    def __repr__(self):
        return "BoardClient(%r, stream=%r)" % (self.name, self.stream)

    def fit(self, theta, make, config, rng):
        clf = params.put(make(), theta)
        work = {"steps": config["steps"]} if config["mode"] == "online" else \
            {"epochs": config["epochs"]}
        args = ["stream=%s" % self.stream, "lr=%r" % config["lr"]]
        args += ["%s=%d" % kv for kv in work.items()]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "theta.npz")
            ulearn.save(clf, path)
            try:
                with Board(self.name) as b:
                    b.write(THETA, open(path, "rb").read())
                    reports = run(b, entry_code("inner", args), out=io.StringIO(),
                                  timeout=self.timeout)
                    data = b.read(PHI)
            except BoardError as e:
                raise ClientLost("%s: %s" % (self.name, e))
            with open(path, "wb") as f:
                f.write(data)
            phi = ulearn.load(path)
        n = reports[-1]["n"]
        # the board streams its rows from flash: it holds one at a time
        return params.get(phi), n, cost(phi, n, 4 * (phi.n_features + 1))
