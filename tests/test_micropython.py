"""Tier 3: the device package in real interpreters, compared with CPython.

Each test compares the package's behaviour in an interpreter with CPython's
on the same path (tier3.check_scenario), so each runs on the whole matrix:
MicroPython with ulab, without ulab, CircuitPython with its ulab; sources and
.mpy. The 10,000-step heap check runs once per interpreter, in the form a
board would import (.mpy on MicroPython, sources on CircuitPython).
"""
import json

import numpy as np
import pytest

from ulearn_dev import devicepkg
from ulearn_dev import tier3
from helpers import blobs
from test_sparse import model as sparse_model

MODULES = sorted(p.stem for p in (devicepkg.DEVICE / "ulearn").glob("*.py"))


def test_every_device_module_imports(mp_module):
    mp = mp_module
    assert mp.eval_json("__import__('sys').implementation.name") == mp.impl
    for name in MODULES:
        if name != "kern_np" or mp.has_ulab:
            mp.exec("import ulearn.%s" % name)
    assert mp.eval_json("__import__('ulearn').backend.NAME") == tier3.backend_of(mp)
    assert mp.eval_json("__import__('ulearn').classifier.__file__") == (
        "/lib/ulearn/classifier." + mp.form)
    if not mp.has_ulab:  # the array kernels refuse to load, and say why
        out = mp.exec("try:\n import ulearn.kern_np\n"
                      "except ImportError as e:\n print('ImportError', e)")
        assert out.startswith("ImportError") and "numpy" in out


def test_learn_predict_loop_matches_cpython(mp_module):
    got = tier3.check_scenario("classifier_stream", mp_module,
                               {"stream.json": tier3.ints(blobs(300))})
    assert len(got) == 300 and sum(p > 0.5 for p in got[-100:]) > 90


def test_anomaly_scorer_matches_cpython(mp_module):
    normal = [x for x, _ in tier3.ints(blobs(300))]
    *scores, (threshold, odd, usual) = tier3.check_scenario(
        "anomaly_stream", mp_module, {"normal.json": normal})
    assert len(scores) == 300 and threshold > 0 and odd is True and usual is False


def test_bad_input_on_the_board(mp_module):
    assert tier3.check_scenario("bad_input", mp_module) == [
        ["ValueError", "x has 2 values, expected 3"],
        ["ValueError", "x[1] is nan: inputs must be finite"],
        ["TypeError", "x[1] is 'x', not a number"],
        ["ValueError", "x[1] is 2e+19: inputs must be within +-1e+15 (a sensor glitch?)"],
        "accepted b",
        ["ValueError", "label 'c' would be class 3, beyond capacity 2"],
        ["a", "b"],
    ]


def test_damaged_checkpoint_is_refused_on_the_board(mp_module):
    [message] = tier3.check_scenario("damaged_checkpoint", mp_module)
    assert message.startswith("d.npz: ") and not message.endswith(": ")  # a reason, on every port


# -- every kind of learner crosses between CPython and the board, both ways

def plain(ul, path):
    clf = ul.Classifier(4, 4, optimizer=ul.SGD(0.05, momentum=0.5, clip=5.0))
    for x, y in blobs(100):
        clf.learn_one(x, "abc"[y])
    ul.save(clf, path)
    return 4, "abcd"  # features; the labels the board's stream uses (one new)


def int8_extractor(ul, path):
    rng = ul.rng.Rng(2)
    f = ul.Frozen(4, 6, "relu", int8=True).set_weights(
        [[rng.uniform(-1, 1) for _ in range(4)] for _ in range(6)], [0.1] * 6)
    clf = ul.Classifier(4, 3, extractor=[f], optimizer=ul.SGD(0.05, momentum=0.5))
    for x, y in blobs(100):
        clf.learn_one(x, y)
    ul.save(clf, path)
    return 4, [0, 1, 2]


def hidden_layer(ul, path):
    clf = ul.Classifier(4, 4, hidden=3, grow_step=2, max_hidden=9,
                        optimizer=ul.SGD(0.05, momentum=0.5))
    for x, y in blobs(100):
        clf.learn_one(x, y)
    ul.save(clf, path)
    return 4, [0, 1, 2, 3]  # a fourth class arrives on the board: the layer grows


def replay(ul, path):
    clf = ul.Classifier(4, 3, hidden=4, replay=12, replay_k=2, optimizer=ul.SGD(0.05, momentum=0.5))
    for x, y in blobs(100):
        clf.learn_one(x, y)
    ul.save(clf, path)
    return 4, [0, 1, 2]


def sparse_selection(ul, path):
    clf = sparse_model(ul, momentum=0.5)
    data = blobs(20, n_features=6, n_classes=4, seed=5)
    clf.select_updates([x for x, _ in data], [y for _, y in data], budget_bytes=1800)
    for x, y in data[:10]:
        clf.learn_one(x, y)
    ul.save(clf, path)
    return 6, [0, 1, 2, 3]


def anomaly_detector(ul, path):
    det = ul.AnomalyDetector(4, hidden=2, warmup=20,
                             extractor=[ul.Frozen(4, 5, "tanh", int8=True).set_weights(
                                 [[0.1 * (i - j) for j in range(4)] for i in range(5)], [0.0] * 5)])
    for x, _ in blobs(100):
        det.learn_one(x)
    ul.save(det, path)
    return 4, None


def exported_bundle(ul, path):
    # what `ulearn train` and `ulearn export --int8` make: an int8 extractor,
    # the last hidden layer kept trainable (and growing), room for new classes, replay
    from ulearn_host import export, train
    data = blobs(150, n_features=6, n_classes=3, seed=1)
    net = train.train(np.array([x for x, _ in data], dtype=np.float32), [y for _, y in data], 3,
                      hidden=(8, 6), epochs=5, quiet=True)
    model = str(path) + ".model.npz"
    ul.save(net.to_classifier(["a", "b", "c"]), model)
    export.export(model, path, int8=True, capacity=5, trainable_last=True, replay=8,
                  grow_step=2, max_hidden=10)
    return 6, "abcd"


KINDS = [plain, int8_extractor, hidden_layer, replay, sparse_selection, anomaly_detector,
         exported_bundle]


@pytest.mark.parametrize("make", KINDS, ids=lambda f: f.__name__)
def test_learners_cross_between_cpython_and_the_board(mp_module, make, tmp_path):
    """Saved on the host, loaded on the board; learnt on, saved on the board, loaded
    on the host: each side predicts what the other does."""
    ul = devicepkg.use("numpy")
    path = str(tmp_path / "in.npz")
    n_features, labels = make(ul, path)
    raw = blobs(40, n_features=n_features, n_classes=4, seed=7)
    stream = tier3.ints(raw)
    files = {"in.npz": open(path, "rb").read(), "exchange.json": {
        "probes": [x for x, _ in stream[:8]],
        "stream": [(x, None if labels is None else labels[y % len(labels)])
                   for x, y in stream[8:]]}}
    # the host's file loads on the board, and the board learns on, as on CPython
    loaded, reloaded = tier3.check_scenario("exchange", mp_module, files)
    host = ul.load(path)
    tier3.agree(loaded["config"], host.config())
    tier3.agree(loaded["arrays"], [ul.backend.K.tolist(a) for a in host.arrays()], 1e-7)
    assert reloaded["config"] != loaded["config"] or reloaded["state"] != loaded["state"]
    # and the board's file loads on CPython, predicting what the board predicted
    out = tmp_path / "out.npz"
    out.write_bytes(mp_module.read_file("/out.npz"))
    probes = [x for x, _ in tier3.floats(raw[:8])]
    for backend in ("numpy", tier3.backend_of(mp_module)):
        ul = devicepkg.use(backend)
        back = ul.load(str(out))
        assert back.config() == reloaded["config"]
        tier3.agree(json.loads(json.dumps(back.state())), reloaded["state"], 1e-7)
        tier3.agree([ul.backend.K.tolist(a) for a in back.arrays()], reloaded["arrays"], 1e-7)
        if labels:
            got = [sorted(back.predict_proba_one(x).items()) for x in probes]
        else:
            got = [back.score_one(x) for x in probes]
        tier3.agree(json.loads(json.dumps(got)), reloaded["predictions"], 1e-6)


# -- the heap over a long run

@tier3.on(("unix32-ulab", "mpy"), ("unix32", "mpy"), ("cp-unix", "py"))
def test_heap_does_not_grow_over_10000_steps(mp):
    mp.write_file("/imu.json", json.dumps(tier3.ints(blobs(140, n_features=26, n_classes=7))))
    mp.exec(
        "import json, ulearn\n"
        "data = [([v / 256 for v in x], y) for x, y in json.load(open('/imu.json'))]\n"
        "clf = ulearn.Classifier(26, 7, optimizer=ulearn.SGD(0.02, momentum=0.5, clip=5.0))\n"
        "det = ulearn.AnomalyDetector(26, hidden=6)\n"
        "t = 0\n"
        "def step():\n"
        "    global t\n"
        "    x, y = data[t % 140]\n"
        "    clf.predict_one(x)\n"
        "    clf.learn_one(x, y)\n"
        "    det.learn_one(x)\n"
        "    t += 1\n")
    heap = tier3.heap_readings(mp, "step()", 10000, 500)
    assert mp.eval_json("[clf.n_seen, det.n_seen]") == [10000, 10000]
    # from the first reading (all classes have arrived) the live heap stays put
    assert heap == [heap[0]] * 20, heap
