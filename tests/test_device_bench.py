"""The device benchmark's floors (tools/device_bench): they do the learners'
arithmetic (the pure-Python floor to the byte, the ulab floor to float32
rounding), the learners stay within the issue's ratios of them in ulab
operations and bytes (deterministic counts), and the MicroPython harness
runs."""
import os
from array import array

import pytest

import devicepkg
from tools.device_bench import configs, cpython, floor_py, vm

STEPS = 30


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bundles")
    out = {}
    for name in configs.ORDER:
        clf, X, y = configs.build(name)
        path = str(tmp / (name + ".npz"))
        devicepkg.use("numpy").save(clf, path)
        start = configs.WARM + configs.SUPPORT
        rows = X[start:start + STEPS]
        out[name] = path, ([r.tolist() for r in rows], y[start:start + STEPS],
                           [clf.labels.index(v) for v in y[start:start + STEPS]])
    yield out
    devicepkg.use("numpy")


@pytest.mark.parametrize("name", configs.ORDER)
def test_pure_python_floor_is_the_same_arithmetic(built, name):
    path, (X, y, idx) = built[name]
    ul = devicepkg.use("python")
    clf, fl = ul.load(path), floor_py.Floor(ul.load(path))
    for x, label, i in zip(X, y, idx):
        x = array("f", x)
        assert clf.labels[fl.predict(x)] == clf.predict_one(x)
        clf.learn_one(x, label)
        fl.learn(x, i)
    assert [bytes(a) for a in clf.arrays()] == [bytes(a) for a in fl.clf.arrays()]
    assert clf.n_seen > STEPS  # it learned: the warm-up rows plus these


@pytest.mark.parametrize("name", configs.ORDER)
def test_ulab_path_within_the_targets_of_its_floor(built, name):
    path, rows = built[name]
    c = cpython.ulab_counts(path, rows, STEPS)
    assert c["diff"] <= 1e-6 * max(c["scale"], 1.0), c  # the floor's weights are the learner's
    assert c["learn"][0] <= 1.5 * c["flearn"][0], c
    assert c["learn"][1] <= 2.0 * c["flearn"][1], c
    assert c["predict"][0] <= 1.5 * c["fpredict"][0], c


def test_micropython_harness_measures_a_learner_and_its_floor(built):
    path, rows = built["head"]
    res = vm.measure({"head": path}, {"head": rows}, steps=10, runs=1, long_steps=40, chunk=20)
    if "error" in res:  # the benchmarks' WebAssembly runner: .ci/run installs it
        if os.environ.get("CI"):
            pytest.fail("MicroPython VM unavailable: " + res["error"])
        pytest.skip("MicroPython VM unavailable: " + res["error"])
    h = res["head"]
    assert h["same"]  # the floor ran the learner's rows to the same bytes, in MicroPython
    assert 2000 < h["live"] < 20000, h["live"]
    s = vm.summary(h)
    assert s["learn"][2] > s["predict"][2] > 0  # bytes per step: learning allocates more
    assert len(h["heap_chunks"]) == len(h["heap_zeroed"]) == 2 and h["long_steps"] == 40
    assert h["restored"]  # zeroing the learner's numbers for a reading put them back exactly
