"""The four standard learners the device benchmark measures, built on the
host from real data and saved as bundles: every backend (CPython pure
Python, numpy, the ulab emulation, MicroPython) loads the same bundle and
runs the same rows."""
import numpy as np

from ulearn_dev import devicepkg
from ulearn_host import datasets as D

ORDER = ("head", "imu", "digits", "int8", "sparse")
NAMES = {
    "head": "small head: 64 features -> 10 classes",
    "imu": "IMU learner: 26 window features -> 32 (relu) -> 7",
    "digits": "digits learner: 64 -> 64 (relu) -> 10, 1% replay (18 rows), k = 2",
    "int8": "int8 extractor: 26 -> int8 64 -> 32 -> 16 (relu), frozen -> 7, last layer trained",
    "sparse": "sparse update: 26 -> int8 64 -> 32 -> 16 (relu) -> 7, Fisher rows",
}
DATA = {
    "head": "scikit-learn digits 8x8 (1797 x 64, 10 classes), standardised online",
    "imu": "smartwatch IMU windows (seglearn watch, 4677 x 26, 7 exercises), standardised online",
    "digits": "scikit-learn digits 8x8, raw pixels",
    "int8": "smartwatch IMU windows; extractor weights random (Glorot), not pre-trained: "
            "cost does not depend on them",
    "sparse": "smartwatch IMU windows; extractor weights random (Glorot), not pre-trained: "
              "cost does not depend on them",
}
SGD = dict(lr=0.02, momentum=0.5, weight_decay=0.0, clip=5.0)  # the project's board setting
WARM = 300  # rows learned before measuring: every class known, the replay memory full
REPLAY = 18  # 1% of the 1797 digits
SPARSE_ARCH = (64, 32, 16)
SUPPORT = 35  # support rows for the selection (5 per class)
SPARSE_SHARE = 0.1  # budget: 1/10 of full fine-tuning's bytes


def data(name):
    """(X float32 rows, y int labels) in a fixed shuffled order."""
    if name in ("head", "digits"):
        X, y = D.load_digits()
    else:
        X, y, _ = D.watch_windows()
    idx = np.random.default_rng(0).permutation(len(y))
    return np.asarray(X, np.float32)[idx], [int(v) for v in np.asarray(y)[idx]]


def build(name):
    """The learner of `name`, warmed up on the first WARM rows (numpy path)."""
    ul = devicepkg.use("numpy")
    X, y = data(name)
    opt = ul.SGD(**SGD)
    n, classes = X.shape[1], max(y) + 1
    if name == "head":
        clf = ul.Classifier(n, classes, optimizer=opt)
    elif name == "imu":
        clf = ul.Classifier(n, classes, hidden=32, optimizer=opt)
    elif name == "digits":
        clf = ul.Classifier(n, classes, hidden=64, replay=REPLAY, replay_k=2,
                            standardize=False, optimizer=opt)
    else:  # int8 and sparse: the same frozen int8 extractor
        rng = np.random.default_rng(1)
        ext, d = [], n
        for w in SPARSE_ARCH:
            W = rng.uniform(-1, 1, (w, d)) * np.sqrt(6.0 / (w + d))
            ext.append(ul.Frozen(d, w, "relu", True).set_weights(W.tolist(), [0.0] * w))
            d = w
        clf = ul.Classifier(n, classes, extractor=ext, optimizer=opt)
    for i in range(WARM):
        clf.learn_one(X[i], y[i])
    if name == "sparse":
        from ulearn_host import anatomy
        full = anatomy.sparse_costs(clf)["full"]["bytes"]  # training every channel
        sel = slice(WARM, WARM + SUPPORT)
        clf.select_updates(list(X[sel]), y[sel], int(SPARSE_SHARE * full))
    return clf, X, y
