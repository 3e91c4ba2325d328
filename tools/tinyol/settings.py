"""What the TinyOL benchmark runs: learner, detector and model settings, the
grids around them, and the names the tables give them."""

# The one ulearn Classifier setting used for every dataset (chosen before
# the grid, from the range the project suggests; the grid shows the rest).
CLF_SGD = dict(lr=0.02, momentum=0.5, weight_decay=0.0, clip=5.0)
RIVER_DEFAULT_LR = 0.01  # river's own default (optim.SGD(0.01))
GRID_LR = (0.005, 0.01, 0.02, 0.05, 0.1)
GRID_MOM = (0.0, 0.5, 0.9)
QUICK_GRID_LR = (0.01, 0.02)
QUICK_GRID_MOM = (0.5,)

# The one AnomalyDetector setting used for both anomaly datasets.
AD = dict(hidden=4, lr=0.01, momentum=0.5, clip=5.0, k=2.0, alpha=0.01, warmup=50)
SHUTTLE_GRID = [dict(hidden=h, k=k) for h in (2, 4, 8) for k in (2.0, 3.0)]
KDD_W = 64
KDD_GRID = [dict(variant=v, W=w, k=k) for v in ("raw", "diff") for w in (32, 64) for k in (2.0, 3.0)]
KDD_ANOM = (4187, 4198)  # inclusive, from the loader's documentation
KDD_TEST_START = 1200    # test[:1200] == train

LEARNERS = ("ulearn", "river_ovr", "river_softmax")
LEARNER_NAMES = {
    "ulearn": "ulearn Classifier",
    "river_ovr": "river OvR LogisticRegression",
    "river_softmax": "river SoftmaxRegression",
}
# (learner, lr, momentum) of the setting the tables show; the grid has the rest
MAIN = {"ulearn": ("ulearn", CLF_SGD["lr"], CLF_SGD["momentum"]),
        "river_ovr": ("river_ovr", RIVER_DEFAULT_LR, 0.0),
        "river_softmax": ("river_softmax", RIVER_DEFAULT_LR, 0.0)}
BASELINES = ("nochange", "majority")
LEARNER_NAMES.update(nochange="baseline: no-change", majority="baseline: majority so far")
STREAMS = ("watch_iid", "watch_rec", "digits")
STREAM_NAMES = {
    "watch_iid": "watch IMU windows, i.i.d. order",
    "watch_rec": "watch IMU windows, recording after recording",
    "digits": "digits 8x8, i.i.d. order",
}
EVERY = {"watch_iid": 500, "watch_rec": 500, "digits": 250}  # accuracy columns every N samples
TAIL = {"watch_iid": 1000, "watch_rec": 1000, "digits": 500}  # "last N only" accuracy
POLICIES = ("all", "normal")  # learn on every sample / only on samples not flagged
POLICY_NAMES = {"all": "learn on every sample", "normal": "learn only on unflagged"}
