"""ulearn_host.anatomy: a learner's arrays, working vectors, step terms and FLOPs, read from
the learner itself, against its real arrays (numpy backend), its checkpoint file, the
FLOPs counted before, and what a board measured."""
import json
import statistics
from pathlib import Path

import numpy as np
import pytest

from ulearn_dev import devicepkg
from ulearn_host import anatomy, budget, mpy

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("head", "hidden", "replay", "int8", "sparse", "grows", "detector")


@pytest.fixture(autouse=True)
def ul():
    return devicepkg.use("numpy")


def make(ul, kind):
    """A learner of each kind, trained on a few samples."""
    rng = np.random.default_rng(0)
    opt = ul.SGD(0.05, momentum=0.0 if kind == "head" else 0.5, clip=5.0)

    def extractor():
        a = ul.Frozen(6, 8, "relu", int8=True).set_weights(rng.normal(size=(8, 6)).tolist(),
                                                            rng.normal(size=8).tolist())
        b = ul.Frozen(8, 5, "tanh").set_weights(rng.normal(size=(5, 8)).tolist(), [0.0] * 5)
        return [a, b]
    if kind == "detector":
        learner = ul.AnomalyDetector(6, hidden=3, extractor=extractor()[:1], optimizer=opt)
    elif kind == "head":
        learner = ul.Classifier(6, 4, optimizer=opt)
    elif kind == "hidden":
        learner = ul.Classifier(6, 4, hidden=5, optimizer=opt)
    elif kind == "replay":
        learner = ul.Classifier(6, 4, hidden=5, replay=7, replay_k=2, standardize=False,
                                optimizer=opt)
    elif kind == "grows":
        learner = ul.Classifier(6, 4, hidden=4, grow_step=2, max_hidden=10, optimizer=opt)
    else:  # int8 and sparse: a frozen int8 + float32 extractor
        learner = ul.Classifier(6, 4, extractor=extractor(), optimizer=opt)
    for i in range(12):
        x = rng.normal(size=6).tolist()
        if kind == "detector":
            learner.learn_one(x)
        else:
            learner.learn_one(x, "abc"[i % 3])
    if kind == "sparse":
        learner.sparse = ul.sparse.Rows(learner.extractor, [[0, 2], [1]], learner.optimizer)
        learner.learn_one(rng.normal(size=6).tolist(), "a")
    return learner


def real(learner):
    """(name, shape, dtype code, nbytes) of the learner's own arrays, by attribute."""
    out = []
    for name, _, _ in learner.layout(learner.config()):
        obj = learner
        for part in name.split("."):
            obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
        out.append((name, obj.shape, obj.dtype.str[1:], obj.nbytes))
    return out


def described(parts):
    return [(p["name"], p["shape"], p["dtype"], p["bytes"]) for p in parts]


@pytest.mark.parametrize("kind", KINDS)
def test_the_arrays_are_the_learner_s_and_the_file_s(ul, kind, tmp_path):
    learner = make(ul, kind)
    arrays = anatomy.arrays(learner)
    assert described(arrays) == real(learner)
    # Learner.arrays() is the layout's names resolved on the object: the same arrays
    assert [id(a) for a in learner.arrays()] == [
        id(anatomy._resolve(learner, p["name"])) for p in arrays]
    path = str(tmp_path / "learner.npz")
    ul.save(learner, path)
    with np.load(path) as npz:
        members = {n: (npz[n].shape, npz[n].dtype.str[1:], npz[n].nbytes)
                   for n in npz.files if n != "meta.json"}
    assert {p["name"]: (p["shape"], p["dtype"], p["bytes"]) for p in arrays} == members
    assert described(anatomy.arrays(path)) == described(arrays)
    # the file, its meta.json and the learner itself plan the same (the widest growth)
    a = anatomy.of(path, flops=False)
    for source in (learner, {"kind": learner.kind, "config": learner.config()}):
        b = anatomy.of(source, flops=False)
        for key in ("kind", "config", "widest", "layout", "arrays", "working", "trained",
                    "step_terms"):
            assert a[key] == b[key], key
    trained = {p["owner"] for p in arrays if p["trained"]}
    if kind == "detector":
        assert trained == {"enc", "dec"}
    else:
        assert trained == {"head"} | ({"hidden"} if learner.hidden else set()) | (
            {"sparse.0", "sparse.1"} if kind == "sparse" else set())


def test_a_growing_learner_is_planned_at_its_widest(ul):
    learner = make(ul, "grows")
    a = anatomy.of(learner)
    width = learner.hidden.n_out
    assert width == 8 and a["widest"]["hidden"] == 10 and a["config"]["hidden"] == width
    shapes = {p["name"]: p["shape"] for p in a["arrays"]}
    assert shapes["hidden.W"] == (10, 6) and shapes["head.W"] == (4, 10)
    assert {p["name"]: p["shape"] for p in anatomy.arrays(learner)}["hidden.W"] == (width, 6)
    assert a["flops"] == anatomy.learner_flops(learner)  # FLOPs: the learner as it is


@pytest.mark.parametrize("kind", KINDS)
def test_working_vectors_are_the_learner_s_unsaved_arrays(ul, kind):
    learner = make(ul, kind)
    fresh = anatomy.build({"kind": learner.kind, "config": learner.config()})
    working = anatomy.working(fresh)
    kept = {id(a) for a in fresh.arrays()}
    for w in working:
        obj = anatomy._resolve(fresh, w["name"])
        assert id(obj) not in kept
        assert w["bytes"] == (obj.nbytes if hasattr(obj, "nbytes") else len(obj) * obj.itemsize)
    names = {w["name"] for w in working}
    # what every learner keeps besides its arrays (the list budget.buffers() wrote by hand)
    expected = {"_x", "_z"} | ({"scaler.inv"} if fresh.scaler is not None else set())
    expected |= {"extractor.%d._y" % i for i in range(len(fresh.extractor))}
    if kind == "detector":
        expected |= {"enc._y", "enc._gin", "dec._y", "dec._gin", "_g"}
    else:
        expected |= {"head._y", "head._gin", "_p"}
    # ... and what the hand-written list left out
    if kind != "detector" and fresh.hidden is not None:
        expected |= {"hidden._y", "hidden._gin"}
    if kind == "replay":
        expected |= {"_r", "replay._x", "replay._cls", "replay._s"}
    if kind == "sparse":
        expected |= {"sparse.rows.0._y", "sparse.rows.0._gin", "sparse.rows.1._y",
                     "sparse.rows.1._gin", "sparse._g.0", "sparse._g.1", "sparse._gin.1"}
    assert names == expected


def test_the_planner_counts_the_arrays_and_working_vectors(ul, tmp_path):
    learner = make(ul, "replay")
    path = str(tmp_path / "replay.npz")
    ul.save(learner, path)
    p = budget.plan(path, "rp2040")
    a = anatomy.of(path, flops=False)
    items = p["ram"]["items"]
    assert items["arrays"] + items["replay"] == sum(x["bytes"] for x in a["arrays"])
    assert items["replay"] == sum(x["bytes"] for x in a["arrays"] if x["owner"] == "replay")
    assert items["buffers"] == sum(x["bytes"] for x in a["working"])
    assert p["learner"]["working"]["_r"] == 4 * 6  # a replayed row: the hidden layer's input


def test_step_terms_count_the_replay_steps(ul):
    learner = make(ul, "replay")  # hidden 6 -> 5, head 5 -> 4, momentum, clip, k = 2
    t = anatomy.step_terms(learner)
    w = (6 + 1) * 5 + (5 + 1) * 4
    assert t["passes"] == 3 and t["layers"] == 3 * 2
    assert t["weights"] == t["momentum"] == 3 * w and t["decay"] == 0
    assert t["clip"] == 3 * ((6 + 5) + (5 + 4)) and t["rows"] == 3 * 9
    assert t["replay"] == 6 and t["inputs"] == 6 and t["std_inputs"] == 0
    none = anatomy.step_terms(learner, replay_k=0)
    assert none["passes"] == 1 and none["weights"] == w
    sparse = anatomy.step_terms(make(ul, "sparse"))
    # the trained rows are trained layers; the step back-propagates through frozen layer 1
    assert sparse["layers"] == 3 and sparse["frozen_back"] == 8 * 5 and sparse["passes"] == 1
    assert sparse["weights"] == (5 + 1) * 4 + (6 + 1) * 2 + (8 + 1) * 1


def test_the_digits_step_includes_its_replay_steps():
    """The device benchmark's digits learner (64 -> 64 relu -> 10, replay 18 rows, k = 2):
    the planner's bytes per learn_one on ulab against the board's (docs/device.json)."""
    res = json.loads((ROOT / "docs" / "device.json").read_text())
    meta = res["meta"]["digits"]
    board = statistics.median(res["board"]["digits"]["ulab"]["learn"]["bytes"])
    step = budget.plan(meta, "qemu-m3", ulab=True)["ram"]["step_alloc"]
    assert abs(step - board) <= 0.15 * board, (step, board)
    once = dict(meta, config=dict(meta["config"], replay_k=0))
    assert budget.plan(once, "qemu-m3", ulab=True)["ram"]["step_alloc"] < 0.45 * step
    a = anatomy.of(meta, flops=False)
    assert a["step_terms"]["passes"] == 3
    assert a["trained"] == [["hidden", 64, 64, "relu"], ["head", 64, 10, "linear"]]


def test_ulab_block_is_the_kernels():
    from ulearn import kern_np
    assert budget.ULAB_BLOCK == kern_np._BLOCK


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "detector"])
def test_flops_of_a_file_a_config_and_the_learner_agree(ul, kind, tmp_path):
    learner = make(ul, kind)
    path = str(tmp_path / "learner.npz")
    ul.save(learner, path)
    f = anatomy.learner_flops(learner)
    assert anatomy.learner_flops(path) == f == anatomy.of(path)["flops"]
    assert f["train_step"] == sum(f["breakdown"].values())
    # a config is the learner before any class: every head row counted
    cfg = anatomy.learner_flops({"kind": "Classifier", "config": learner.config()})
    assert cfg == anatomy.learner_flops(learner, rows=learner.capacity)


def test_flops_of_a_detector_by_hand(ul):
    det = ul.AnomalyDetector(4, hidden=3, optimizer=ul.SGD(0.1))
    f = anatomy.learner_flops(det)
    standardize, enc, dec, score = 2 * 4, 2 * 12 + 3 * 1, 2 * 12, 2 * 4 + 4  # tanh: 1 op each
    assert f["inference"] == standardize + enc + dec + score == 71
    scaler, gradient = 11 * 4, 2 * 4
    dec_b = 2 * (4 * 4 + 12) + 4  # plain SGD on 4 x 3 and bias, input gradient; lr * g
    enc_b = 2 * 3 * 5 + 3 + 3 * 3  # plain SGD on 3 x 4 and bias; lr * g, tanh gradient
    assert f["train_step"] == 71 + scaler + gradient + dec_b + enc_b
    assert f["macs"] == {"inference": 12 + 12 + 4, "train_step": 12 + 12 + 4 + 28 + 15}
    with pytest.raises(ValueError, match="apply to a Classifier"):
        anatomy.learner_flops(det, replay_k=1)


def test_accounting_stays_on_the_host():
    """Nothing a board gets imports the anatomy."""
    sources = mpy.sources()
    assert "anatomy.py" not in sources
    for name, data in sources.items():
        text = data.decode()
        assert "ulearn_host" not in text and "anatomy" not in text, name
