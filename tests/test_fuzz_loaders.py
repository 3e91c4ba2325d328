"""Loader fuzzing: every mutated checkpoint, bundle, replay set and stream file is refused
with the loader's error class or loads into a learner that works (tools/loader_oracle.py),
on CPython (numpy and pure-Python backends, hypothesis, seeded) and in real MicroPython;
hostile declared sizes are refused without allocating them. The long soak of the same
mutations is tools/soak_loaders.py."""
import json
import os
import struct
import tempfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ulearn_dev import tier3
from ulearn_dev import soak_loaders as soak
from ulearn_dev.mpreal import Interpreter
from ulearn_host.firmware import FirmwareError

EXAMPLES = 150  # per file type and backend: 300 per type on CPython in each run
MP_CASES = 100  # per file type and interpreter


@pytest.fixture(scope="module")
def corpus():
    return soak.honest_files()


class DataChooser:
    """soak.draw_plan's choices drawn by hypothesis (so it shrinks them)."""
    def __init__(self, data):
        self.data = data

    def int(self, lo, hi):
        return self.data.draw(st.integers(lo, hi))

    def pick(self, seq):
        return seq[self.int(0, len(seq) - 1)]


def check_cases(where, cases, verdicts):
    bad = [(plan, v) for (plan, _), v in zip(cases, verdicts) if v[0] == "violation"]
    assert not bad, "%s: %d contract violations, the first: %r" % (where, len(bad), bad[0])


def test_honest_files_load_and_work(corpus):
    # the oracle's "works" is reachable: every honest file passes it on both backends
    for backend in soak.BACKENDS:
        for ftype, files in corpus.items():
            with tempfile.TemporaryDirectory() as work:
                got = soak.run_cpython(backend, [(ftype, b) for b in files.values()], work)
            assert got == [("works", "")] * len(files), (backend, ftype, got)


@pytest.mark.parametrize("backend", soak.BACKENDS)
@pytest.mark.parametrize("ftype", soak.TYPES)
@settings(derandomize=True, database=None, deadline=None, max_examples=EXAMPLES,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_files_meet_the_contract(corpus, ftype, backend, data):
    plan = soak.draw_plan(DataChooser(data), ftype, corpus)
    blob = soak.apply(plan, corpus)
    with tempfile.TemporaryDirectory() as work:
        verdict, detail = soak.run_cpython(backend, [(ftype, blob)], work)[0]
    # "diverged": it loaded into a learner that works, and a learning step on a valid sample
    # blew up its numbers (nan, weights past the loader's limit): the sample contract's
    # business, not the loader's (soak_loaders' docstring)
    assert verdict in ("refused", "works", "diverged"), (
        "%s on %s: %s\nplan %s\nfile (%d bytes): %s"
        % (ftype, backend, detail, json.dumps(plan), len(blob), blob.hex()[:2000]))


def _runner(target, **kw):
    try:
        runner = soak.MicroPythonRunner(target, **kw)
        runner._start()
        return runner
    except FirmwareError as e:
        if os.environ.get("CI"):
            pytest.fail(str(e))
        pytest.skip(str(e))


@pytest.mark.parametrize("target", ["unix32-ulab", "unix32"])
def test_mutated_files_meet_the_contract_in_micropython(corpus, target):
    runner = _runner(target)
    try:
        for ftype in soak.TYPES:
            cases = soak.cases_for(ftype, corpus, MP_CASES, "ci-%s" % target)
            verdicts = runner.run([(ftype, b) for _, b in cases])
            assert len(verdicts) == len(cases)
            check_cases("%s %s" % (target, ftype), cases, verdicts)
            kinds = set(v[0] for v in verdicts)
            assert "refused" in kinds and "works" in kinds, (ftype, kinds)
    finally:
        runner.close()


# -- hostile sizes: refused without allocating what they declare

def _plain(corpus):
    return soak.unzip(corpus["checkpoint"]["plain"])


def _index(members, name):
    return [m[0] for m in members].index(name)


def _with_meta(members, edit):
    i = _index(members, b"meta.json")
    meta = json.loads(members[i][1])
    edit(meta)
    members[i][1] = json.dumps(meta).encode()
    return soak.rezip(members)


def hostile_files(corpus):
    """{what: bytes} of checkpoints declaring sizes far beyond their bytes."""
    out = {}
    m = _plain(corpus)
    i = _index(m, b"head.W.npy")
    body = m[i][1]
    start = 10 + struct.unpack("<H", body[8:10])[0]
    m[i][1] = soak.npy_header("<f4", (100000, 100000)) + body[start:]
    out["npy shape 100000x100000"] = soak.rezip(m)
    m = _plain(corpus)
    out["ZIP member of 2 GB"] = soak.rezip(m, {_index(m, b"head.W.npy"): {"size": 2 ** 31}})
    m = _plain(corpus)
    out["meta.json of 4 GB"] = soak.rezip(m, {_index(m, b"meta.json"): {"size": 2 ** 32 - 1}})
    out["ZIP member at 2 GB"] = soak.rezip(m, {_index(m, b"head.W.npy"): {"offset": 2 ** 31}})
    out["65535 ZIP members"] = soak.rezip(_plain(corpus), {"end": {"n": 65535, "n2": 65535}})
    out["capacity and width 4096"] = _with_meta(_plain(corpus), lambda meta: meta["config"].update(
        n_features=4096, capacity=4096, hidden=4096))
    out["replay memory of 65536 rows"] = _with_meta(
        _plain(corpus), lambda meta: meta["config"].update(replay=65536))
    out["counts of 10**400"] = _with_meta(
        _plain(corpus), lambda meta: meta["state"].update(n_seen=10 ** 400, labels=["a"] * 5000))
    m = _plain(corpus)
    m[_index(m, b"meta.json")][1] = b"[" * 8000 + b"]" * 8000
    out["16 KB of nested lists"] = soak.rezip(m)
    return out


# Bytes allocated while loading, with the collector off (so every allocation stays counted:
# the total is at least the peak). Run in the interpreter.
_MEASURE = """
import gc, ulearn
def measure(p):
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    try:
        ulearn.load(p)
        r = 'loaded'
    except ulearn.CheckpointError as e:
        r = 'refused: %s' % e
    b = gc.mem_alloc()
    gc.enable()
    return r, b - a
measure('/honest.npz')
"""
HEAP_SLACK = 8  # KB
MARGIN = 0  # bytes: measured, every hostile file allocates less than the honest one (at most 54%)


@pytest.mark.parametrize("target", ["unix32-ulab", "unix32"])
def test_hostile_sizes_are_refused_within_the_honest_files_memory(corpus, target):
    honest = corpus["checkpoint"]["plain"]
    hostile = hostile_files(corpus)
    # 1. what loading allocates in all (the collector off: at least the peak)
    try:
        mp = Interpreter(target, heap="4M", form="mpy")
    except FirmwareError as e:
        if os.environ.get("CI"):
            pytest.fail(str(e))
        pytest.skip(str(e))
    with mp:
        mp.write_file("/honest.npz", honest)
        mp.exec(_MEASURE)
        kind, base = mp.eval_json("measure('/honest.npz')")
        assert kind == "loaded" and base > 1000, (kind, base)
        for what, blob in hostile.items():
            mp.write_file("/h.npz", blob)
            kind, used = mp.eval_json("measure('/h.npz')")
            assert kind.startswith("refused"), (what, kind)
            assert used <= base + MARGIN, "%s: %d bytes allocated, the honest file %d" % (
                what, used, base)
            print("%s %s: %d bytes allocated, the honest file %d" % (target, what, used, base))
    # 2. the smallest heap that loads the honest file (the interpreter, the package and the
    # learner), plus HEAP_SLACK for the order the loads run in (fragmentation): a hostile file
    # that tried to allocate what it declares (64 MB to 40 GB) would raise MemoryError there
    heap = _smallest_heap(target, honest) + HEAP_SLACK
    with Interpreter(target, heap="%dK" % heap, form="mpy") as mp:
        mp.write_file("/honest.npz", honest)
        for what, blob in hostile.items():
            if what == "16 KB of nested lists":
                continue  # within meta.json's checked 16 KB, which is read whole (part 1)
            mp.write_file("/h.npz", blob)
            out = mp.exec("import ulearn\ntry:\n    ulearn.load('/h.npz')\n    print('loaded')\n"
                          "except ulearn.CheckpointError as e:\n    print('refused')\n")
            assert out.split() == ["refused"], (what, out)


def _smallest_heap(target, blob):
    # KB, by bisection
    from ulearn_dev.mpreal import MicroPythonError
    lo, hi = 8, 192
    while hi - lo > 1:
        mid = (lo + hi) // 2
        with Interpreter(target, heap="%dK" % mid, form="mpy") as mp:
            mp.write_file("/honest.npz", blob)
            try:
                mp.exec("import ulearn\nulearn.load('/honest.npz')")
                hi = mid
            except MicroPythonError as e:
                assert e.type == "MemoryError", e
                lo = mid
    return hi


# -- regressions: each input once broke the contract

def _checkpoint(tmp_path, blob):
    path = str(tmp_path / "ck.npz")
    with open(path, "wb") as f:
        f.write(blob)
    return path


def _set_floats(corpus, member, value, src="plain", ftype="checkpoint"):
    m = soak.unzip(corpus[ftype][src])
    i = _index(m, member)
    m[i][1] = soak._set_values(m[i][1], 0, value, 1)
    return soak.rezip(m)


@pytest.mark.parametrize("member,value,msg", [
    # loaded, then predicted nan (overflow in the first layer): soak cases bundle 81, 193
    (b"head.W.npy", 1e30, r"head.W.npy holds 1e\+30, outside \[-1e\+18, 1e\+18\]"),
    (b"head.b.npy", -3.4e38, "head.b.npy holds -3.4e"),
    (b"scaler.mean.npy", 1e20, r"scaler.mean.npy holds 1e\+20, outside \[-2e\+15, 2e\+15\]"),
    (b"scaler.var.npy", 1e31, r"scaler.var.npy holds 1e\+31, outside \[0, 4e\+30\]"),
    (b"scaler.var.npy", -1.0, "a variance is negative"),
])
def test_values_beyond_what_a_learner_holds_are_refused(ul, tmp_path, corpus, member, value,
                                                        msg):
    path = _checkpoint(tmp_path, _set_floats(corpus, member, value))
    with pytest.raises(ul.CheckpointError, match=msg):
        ul.load(path)


def test_a_replay_scale_beyond_its_embeddings_is_refused(ul, tmp_path, corpus):
    # soak case replay 131: a replayed row of 1e15 * 127 made every weight nan
    blob = _set_floats(corpus, b"replay.scale.npy", 1e16, "replay", "replay")
    with pytest.raises(ul.CheckpointError, match="replay.scale.npy holds 1e"):
        ul.load(_checkpoint(tmp_path, blob))


def test_weights_that_overflow_together_are_refused(ul, tmp_path, corpus):
    # each within the limit, together past float32 on a typical reading: nan from the start
    m = soak.unzip(corpus["bundle"]["float"])
    for name in (b"extractor.0.W.npy", b"extractor.1.W.npy", b"head.W.npy"):
        i = _index(m, name)
        m[i][1] = soak._set_values(m[i][1], 0, 9e17, 1000)
    with pytest.raises(ul.CheckpointError, match="the weights overflow float32 on a reading of ones"):
        ul.load(_checkpoint(tmp_path, soak.rezip(m)))


@pytest.mark.parametrize("value", [1e12, 9e17])
def test_a_detector_whose_weights_would_blow_up_its_step_refuses_it(ul, tmp_path, corpus,
                                                                    value):
    # soak case checkpoint 6728: decoder weights of 1e12 (within the loader's limit) made one
    # step move an encoder weight to 1.85e21, so the detector's own save no longer loaded;
    # the step is refused now, and its input statistics, which learn, take the reading back
    from helpers import snapshot
    path = _checkpoint(tmp_path, _set_floats(corpus, b"dec.W.npy", value, "anomaly"))
    det = ul.load(path)
    before = snapshot(ul, det)
    with pytest.raises(ValueError, match="would overflow float32"):
        det.learn_one(list(ul.backend.K.tolist(det.scaler.mean)))
    assert snapshot(ul, det) == before
    again = str(tmp_path / "again.npz")
    ul.save(det, again)
    ul.load(again)


def test_a_detector_refuses_a_step_its_weights_would_blow_up(ul):
    # the step's own guard, for weights grown there (not loaded): nothing changes
    from helpers import snapshot
    det = ul.AnomalyDetector(4, hidden=2, standardize=False)
    try:  # as if a crafted state got in
        det.dec.W[0, 0] = 1e12
    except TypeError:  # the pure-Python kernels' flat array
        det.dec.W[0] = 1e12
    before = snapshot(ul, det)
    with pytest.raises(ValueError, match="would overflow float32"):
        det.learn_one([1.0, 0.5, -0.5, 2.0])
    assert snapshot(ul, det) == before


@pytest.mark.parametrize("standardize", [True, False])
def test_a_learner_that_saw_extreme_readings_loads_again(ul, tmp_path, standardize):
    # the limits leave room for what learning reaches: readings whose embedding is just
    # within inputs.EMBED_LIMIT (a replay memory's frozen statistics, or none at all) move
    # weights far past what training alone gives, and the save still loads
    from helpers import blobs
    clf = ul.Classifier(4, 3, hidden=4 if standardize else 0, replay=8 if standardize else 0,
                        standardize=standardize, optimizer=ul.SGD(0.05, momentum=0.9))
    for x, y in blobs(100):
        clf.learn_one(x, y)
    taken = 0
    for y in range(3):
        try:
            clf.learn_one([8e5, -4e5, 0.0, 1.0], y)
            taken += 1
        except ValueError:  # its step would overflow float32: refused, unchanged
            pass
    assert taken
    path = str(tmp_path / "ck.npz")
    ul.save(clf, path)
    big = max(max(abs(v) for v in ul.backend.K.tolist(a)) for a in clf.arrays())
    assert big > 1e4  # far past what training alone gives
    back = ul.load(path)
    assert back.predict_proba_one([1.0, 1.0, 0.0, 1.0]) == clf.predict_proba_one(
        [1.0, 1.0, 0.0, 1.0])


def _meta_text(corpus, text):
    m = _plain(corpus)
    m[_index(m, b"meta.json")][1] = text
    return soak.rezip(m)


def _info(corpus, value_text):
    meta = json.loads(soak.unzip(corpus["checkpoint"]["plain"])[0][1])
    meta["info"] = "INFO"
    return _meta_text(corpus, json.dumps(meta).replace('"INFO"', value_text).encode())


def regressions(corpus):
    """{what: (bytes, message)}: inputs that escaped in real MicroPython (soak cases
    checkpoint 60, 196, bundle 102, 872 on unix32-ulab)."""
    m = _plain(corpus)
    return {
        # OverflowError: a board's seek takes no offset past 2 GB
        "member at 2 GB": (soak.rezip(m, {_index(m, b"head.W.npy"): {"offset": 2 ** 31}}),
                           "damaged header"),
        # MemoryError: 6000 nested lists parsed on a 192 KB heap
        "6000 nested lists": (_meta_text(corpus, b"[" * 6000 + b"]" * 6000),
                              "over 512 lists and objects"),
        # RuntimeError: the message's repr of 2000 nested lists recursed
        "deep info": (_info(corpus, "[" * 40 + "]" * 40), "nests lists and objects over 16"),
        # a board read 1e39 as inf, and saved it as a word its JSON parser cannot read
        "1e39 in info": (_info(corpus, "1e39"), None),
        "Infinity in info": (_info(corpus, "Infinity"), "holds inf"),
    }


def test_meta_and_zip_regressions_on_cpython(ul, tmp_path, corpus):
    for what, (blob, msg) in regressions(corpus).items():
        path = _checkpoint(tmp_path, blob)
        if msg is None:  # 1e39 is a finite float64: CPython loads it and saves it again
            ul.load(path)
            continue
        with pytest.raises(ul.CheckpointError, match=msg):
            ul.load(path)


@pytest.mark.parametrize("target", ["unix32-ulab", "unix32"])
def test_meta_and_zip_regressions_in_micropython(corpus, target):
    with tier3.start(target, form="mpy") as mp:
        for what, (blob, msg) in regressions(corpus).items():
            mp.write_file("/r.npz", blob)
            out = mp.exec("import ulearn\ntry:\n    ulearn.load('/r.npz')\n    print('loaded')\n"
                          "except ulearn.CheckpointError as e:\n    print(e)\n")
            # MicroPython's JSON reads 1e39 as inf, and no Infinity at all
            want = {"1e39 in info": "holds inf", "Infinity in info": "not valid JSON"}
            assert want.get(what, msg) in out, (what, out)


def test_deeply_nested_stream_labels_are_refused(ul, tmp_path, corpus):
    # RecursionError from labels.json on CPython (and a board's heap for its lists)
    m = soak.unzip(corpus["stream"]["named"])
    m[_index(m, b"labels.json")][1] = b"[" * 2000 + b"]" * 2000
    path = _checkpoint(tmp_path, soak.rezip(m))
    with pytest.raises(ValueError, match="labels.json is damaged or not a list of labels"):
        ul.stream.Stream(path)
    ul.stream.save(path, [[1.0], [2.0]], [0, 1], ["a[1]", "b{2}"])  # brackets in names
    assert [y for _, y in ul.stream.Stream(path)] == ["a[1]", "b{2}"]


def test_the_soak_runs_and_finds_nothing(tmp_path, capsys):
    out = tmp_path / "soak.json"
    code = soak.main(["--cases", "30", "--mp-cases", "0", "--no-progress", "--json", str(out),
                      "--out", str(tmp_path / "v")])
    res = json.loads(out.read_text())
    assert code == 0 and res["violations"] == [], res["violations"]
    assert [(r["type"], r["where"]) for r in res["results"]] == [
        (t, b) for b in soak.BACKENDS for t in soak.TYPES]
    assert all(r["refused"] + r["works"] + r["diverged"] == 30 for r in res["results"])
    assert "| checkpoint | numpy" in capsys.readouterr().out


def test_crc_lies_are_caught(ul, tmp_path, corpus):
    # a member re-zipped with a wrong CRC is refused whichever member it is
    for ftype in ("checkpoint", "stream"):
        src = sorted(corpus[ftype])[0]
        m = soak.unzip(corpus[ftype][src])
        for i, (name, body) in enumerate(m):
            blob = soak.rezip(m, {i: {"crc": (zlib.crc32(body) + 1) & 0xFFFFFFFF}})
            path = _checkpoint(tmp_path, blob)
            with pytest.raises(ValueError):
                (ul.load if ftype == "checkpoint" else ul.stream.Stream)(path)
