"""The device benchmark's floors (tools/device_bench): they do the learners'
arithmetic (the pure-Python floor to the byte, the ulab floor to float32
rounding), the learners stay within the issue's ratios of them in ulab
operations and bytes (deterministic counts), the board harness runs, and
docs/device.md is what its result renders to."""
import os
from array import array

import pytest

from ulearn_dev import devicepkg
from ulearn_dev.benchkit import load_json
from ulearn_dev.device_bench import board, configs, cpython, floor_py
from ulearn_host import firmware

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


def test_board_harness_measures_a_learner_and_its_floor(built, tmp_path):
    """On the QEMU board: the floor runs the learner's rows to the same bytes, the
    instruction clock gives the same figures twice, the zeroed reading puts every
    number back."""
    try:
        firmware.require("qemu-m3")
    except firmware.FirmwareError as e:  # .ci/run builds it
        (pytest.fail if os.environ.get("CI") else pytest.skip)(str(e))
    path, rows = built["head"]
    image = tmp_path / "bench.img"
    board.prepare_image(image, {"head": path}, {"head": rows})
    for kernels in board.KERNELS:
        runs = [board.one(image, "head", kernels, 64, STEPS, 10, 40, 20) for _ in range(2)]
        h = runs[0]
        assert h["kernels"] == kernels and h["same"] == "same"
        assert 2000 < h["live"] < 20000, h["live"]
        s = board.summary(h)
        assert s["learn"][2] > s["predict"][2] > 0  # bytes per step: learning allocates more
        assert s["learn"][0] > s["predict"][0] > 0
        for what in ("learn", "flearn"):  # instruction clock: where the timer
            # interrupt falls moves a call by a few µs, with when the host sent the code
            again = runs[1][what]
            assert again["bytes"] == h[what]["bytes"]
            assert abs(sum(again["us"]) - sum(h[what]["us"])) <= 0.001 * sum(h[what]["us"])
        assert len(h["heap_chunks"]) == len(h["heap_zeroed"]) == 2 and h["long_steps"] == 40
        assert h["restored"]


def test_smallest_heap_search():
    """Bisection to GRAIN on the short run, then moved up until the long run passes."""
    def runs(heap, steps):
        return heap >= 70000 + (3000 if steps > board.PROBE_STEPS else 0)
    got = board.min_heap(runs)
    assert 73000 <= got < 73000 + board.GRAIN
    assert board.min_heap(lambda heap, steps: False) is None


def test_page_is_rendered_from_the_result():
    """docs/device.md is generated: rendering docs/device.json gives it byte for byte, and the
    result's summary, headline, targets and plots are current (regenerate with
    `python tools/bench_device.py --render docs/device.json --out docs/device.md --plot docs/img`)."""
    from ulearn_dev.bench_device import render
    docs = devicepkg.ROOT / "docs"
    stored, res = load_json(docs / "device.json"), load_json(docs / "device.json")
    assert render(res) == (docs / "device.md").read_text()
    for key in ("benchmark", "title", "summary", "headline", "targets", "plots", "date"):
        assert res[key] == stored[key], key
    assert stored["command"].startswith("python tools/bench_device.py")  # the measuring run's
    assert all((docs / p).is_file() for p in stored["plots"])
