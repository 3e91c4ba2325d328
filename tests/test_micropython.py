"""Tier 3: the device package inside a real MicroPython interpreter.

MicroPython's own WebAssembly port (npm package, run by Node.js) with the
device package copied into its filesystem at /lib/ulearn. The port has no
ulab, so this runs the pure-Python path, which is then checked against CPython.
"""
import json

import pytest

import devicepkg
from helpers import blobs, close, snapshot
from tools.mpvm import MicroPythonVM

MODULES = sorted(p.stem for p in (devicepkg.DEVICE / "ulearn").glob("*.py"))


@pytest.fixture(scope="module")
def vm():
    with MicroPythonVM() as vm:
        vm.put_tree(str(devicepkg.DEVICE / "ulearn"), "/lib/ulearn")
        yield vm


def test_every_device_module_imports(vm):
    assert vm.exec("import sys; print(sys.implementation.name)").strip() == "micropython"
    for name in MODULES:
        if name == "kern_np":
            continue
        vm.exec("import ulearn.%s" % name)
    assert vm.exec("from ulearn import backend; print(backend.NAME)").strip() == "python"
    # without ulab the array kernels refuse to load, and say why
    out = vm.exec("try:\n import ulearn.kern_np\nexcept ImportError as e:\n print('ImportError', e)")
    assert out.startswith("ImportError") and "numpy" in out


def run_on_cpython(stream):
    ul = devicepkg.use("python")
    clf = ul.Classifier(4, 3, optimizer=ul.SGD(0.05, momentum=0.5, clip=5.0))
    probs = []
    for x, y in stream:
        probs.append(clf.predict_proba_one(x).get(y, 0.0))
        clf.learn_one(x, y)
    return probs, clf


def test_learn_predict_loop_matches_cpython(vm):
    stream = blobs(300)
    vm.write_file("/stream.json", json.dumps(stream))
    out = vm.exec(
        "import json\n"
        "from ulearn import Classifier, SGD\n"
        "clf = Classifier(4, 3, optimizer=SGD(0.05, momentum=0.5, clip=5.0))\n"
        "probs = []\n"
        "for x, y in json.load(open('/stream.json')):\n"
        "    probs.append(clf.predict_proba_one(x).get(y, 0.0))\n"
        "    clf.learn_one(x, y)\n"
        "print(json.dumps(probs))\n")
    got = json.loads(out)
    want, _ = run_on_cpython(stream)
    assert close(got, want, 1e-6)
    assert sum(p > 0.5 for p in got[-100:]) > 90


def test_anomaly_scorer_matches_cpython(vm):
    stream = [x for x, _ in blobs(300)]
    vm.write_file("/normal.json", json.dumps(stream))
    out = vm.exec(
        "import json\n"
        "from ulearn import AnomalyDetector\n"
        "det = AnomalyDetector(4, hidden=2, warmup=20)\n"
        "scores = [det.learn_one(x) for x in json.load(open('/normal.json'))]\n"
        "print(json.dumps([scores, det.threshold, det.is_anomaly([9.0, -9.0, 9.0, -9.0]),"
        " det.is_anomaly([1.0, 2.0, 1.0, 2.0])]))\n")
    scores, threshold, odd, usual = json.loads(out)
    ul = devicepkg.use("python")
    det = ul.AnomalyDetector(4, hidden=2, warmup=20)
    assert close(scores, [det.learn_one(x) for x in stream], 1e-6)
    assert close([threshold], [det.threshold], 1e-6)
    assert odd is True and usual is False


def test_checkpoint_round_trip_and_exchange_with_cpython(vm, tmp_path):
    stream = blobs(100)
    vm.write_file("/stream.json", json.dumps(stream))
    vm.exec(
        "import json, ulearn\n"
        "clf = ulearn.Classifier(4, 3, optimizer=ulearn.SGD(0.05, momentum=0.5, clip=5.0))\n"
        "for x, y in json.load(open('/stream.json')):\n"
        "    clf.learn_one(x, y)\n"
        "ulearn.save(clf, '/ck.npz')\n"
        "back = ulearn.load('/ck.npz')\n"
        "K = ulearn.backend.K\n"
        "assert [K.tolist(a) for a in back.arrays()] == [K.tolist(a) for a in clf.arrays()]\n"
        "assert back.state() == clf.state()\n")
    # the board's file is an ordinary .npz that CPython's ulearn loads
    path = tmp_path / "ck.npz"
    path.write_bytes(vm.read_file("/ck.npz"))
    _, ref = run_on_cpython(stream)
    for backend in ("python", "numpy"):
        ul = devicepkg.use(backend)
        got = ul.load(str(path))
        got_arrays = snapshot(ul, got)[2]
        want = snapshot(devicepkg.use("python"), ref)
        assert got.config() == want[0] and got.state() == want[1]
        assert all(close(a, b, 1e-6) for a, b in zip(got_arrays, want[2]))
    # and a CPython checkpoint loads on the board
    devicepkg.use("python").save(ref, str(tmp_path / "host.npz"))
    vm.write_file("/host.npz", (tmp_path / "host.npz").read_bytes())
    out = vm.exec("import ulearn\nprint(ulearn.load('/host.npz').labels)")
    assert out.strip() == repr(ref.labels)


def test_bad_input_on_the_board(vm):
    out = vm.exec(
        "import ulearn\n"
        "clf = ulearn.Classifier(3, 2)\n"
        "clf.learn_one([1.0, 2.0, 3.0], 'a')\n"
        "for x, y in (([1.0, 2.0], 'a'), ([1.0, float('nan'), 3.0], 'a'),\n"
        "             ([1.0, 'x', 3.0], 'a'), ([1.0, 2.0, 3.0], 'b'), ([1.0, 2.0, 3.0], 'c')):\n"
        "    try:\n"
        "        clf.learn_one(x, y)\n"
        "        print('accepted', y)\n"
        "    except (ValueError, TypeError) as e:\n"
        "        print(type(e).__name__, e)\n"
        "print(clf.labels)\n")
    lines = out.strip().splitlines()
    assert lines[0] == "ValueError x has 2 values, expected 3"
    assert lines[1] == "ValueError x[1] is nan: inputs must be finite"
    assert lines[2] == "TypeError x[1] is 'x', not a number"
    assert lines[3] == "accepted b"
    assert lines[4] == "ValueError label 'c' would be class 3, beyond capacity 2"
    assert lines[5] == "['a', 'b']"


def test_damaged_checkpoint_is_refused_on_the_board(vm):
    vm.exec("import ulearn\nc = ulearn.Classifier(3, 2)\nc.learn_one([1, 2, 3], 0)\n"
            "ulearn.save(c, '/d.npz')")
    data = bytearray(vm.read_file("/d.npz"))
    data[len(data) // 2] ^= 0xFF
    vm.write_file("/d.npz", bytes(data))
    out = vm.exec("import ulearn\ntry:\n ulearn.load('/d.npz')\nexcept ulearn.CheckpointError as e:\n"
                  " print('refused:', e)")
    assert out.startswith("refused: /d.npz: ")


def test_heap_does_not_grow_over_10000_steps(vm):
    vm.write_file("/imu.json", json.dumps(blobs(700, n_features=26, n_classes=7)))
    vm.exec(
        "import json, ulearn\n"
        "data = json.load(open('/imu.json'))\n"
        "clf = ulearn.Classifier(26, 7, optimizer=ulearn.SGD(0.02, momentum=0.5, clip=5.0))\n"
        "det = ulearn.AnomalyDetector(26, hidden=6)\n"
        "t = 0\n"
        "def chunk(n):\n"
        "    global t\n"
        "    for _ in range(n):\n"
        "        x, y = data[t % 700]\n"
        "        clf.predict_one(x)\n"
        "        clf.learn_one(x, y)\n"
        "        det.learn_one(x)\n"
        "        t += 1\n")
    # this port collects only when a top-level run returns, so learn in chunks
    # and read the live heap in a separate run after the collection
    heap = []
    for _ in range(20):
        vm.exec("chunk(500)")
        heap.append(vm.mem_alloc())
    assert int(vm.exec("print(clf.n_seen, det.n_seen)").split()[0]) == 10000
    # once all classes have arrived (first chunk) the live heap stays put
    assert heap[1:] == [heap[1]] * 19, heap
