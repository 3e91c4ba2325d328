"""Checkpoints: round trips, numpy compatibility, damage, limits, power cuts."""
import io
import json
import os
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

from helpers import blobs, snapshot


def trained_classifier(ul, momentum=0.5):
    clf = ul.Classifier(4, 5, optimizer=ul.SGD(0.05, momentum=momentum))
    for x, y in blobs(60):
        clf.learn_one(x, ["a", "b", "c"][y])
    return clf


def trained_detector(ul):
    layer = ul.Frozen(4, 3, act="tanh", int8=True).set_weights(
        [[0.5, -0.2, 0.1, 0.0], [0.3, 0.3, -0.7, 0.2], [-0.1, 0.9, 0.4, -0.5]], [0.0, 0.1, -0.1])
    det = ul.AnomalyDetector(4, hidden=2, extractor=[layer])
    for x, _ in blobs(60):
        det.learn_one(x)
    return det


@pytest.mark.parametrize("make", [trained_classifier, trained_detector])
def test_round_trip_restores_everything(ul, tmp_path, make):
    learner = make(ul)
    path = str(tmp_path / "ck.npz")
    ul.save(learner, path)
    back = ul.load(path)
    assert type(back) is type(learner)
    assert snapshot(ul, back) == snapshot(ul, learner)
    assert not os.path.exists(path + ".tmp")
    # and both go on learning identically
    for x, y in blobs(20, seed=3):
        for m in (learner, back):
            if hasattr(m, "labels"):
                m.learn_one(x, "a")
            else:
                m.learn_one(x)
    assert snapshot(ul, back) == snapshot(ul, learner)


def test_numpy_reads_a_checkpoint(ul, tmp_path):
    clf = trained_classifier(ul)
    path = str(tmp_path / "ck.npz")
    ul.save(clf, path)
    with np.load(path) as z:
        meta = json.loads(z["meta.json"])  # numpy hands non-.npy members over as bytes
        assert meta["kind"] == "Classifier" and meta["state"]["labels"] == clf.labels
        W = z["head.W"]
        assert W.dtype == np.float32 and W.shape == (5, 4)
        assert W.ravel().tolist() == ul.backend.K.tolist(clf.head.W)
    assert zipfile.ZipFile(path).testzip() is None


def test_checkpoints_move_between_backends(tmp_path):
    from ulearn_dev import devicepkg
    path = str(tmp_path / "ck.npz")
    a = devicepkg.use("python")
    clf = trained_classifier(a)
    a.save(clf, path)
    ref = clf.predict_proba_one([1.0, 2.0, 1.0, 2.0])
    for backend in ("numpy", "ulab"):
        b = devicepkg.use(backend)
        got = b.load(path).predict_proba_one([1.0, 2.0, 1.0, 2.0])
        assert got.keys() == ref.keys()
        assert all(abs(got[k] - ref[k]) < 1e-5 for k in ref)


class _NoTell:
    """A file object as `mpremote mount` gives a board: read, seek (returning the
    position) and close, but no tell()."""

    def __init__(self, f):
        self._f = f

    def read(self, n=-1):
        return self._f.read(n)

    def seek(self, n, whence=0):
        return self._f.seek(n, whence)

    def close(self):
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_a_file_object_without_tell_loads(ul, tmp_path, monkeypatch):
    clf = trained_classifier(ul)
    path = str(tmp_path / "ck.npz")
    ul.save(clf, path)
    monkeypatch.setattr(ul.checkpoint, "open", lambda p, mode="r": _NoTell(open(p, mode)),
                        raising=False)
    back = ul.load(path)
    assert back.predict_proba_one([1.0, 2.0, 1.0, 2.0]) == clf.predict_proba_one([1.0, 2.0, 1.0, 2.0])


def test_save_replaces_the_old_checkpoint(ul, tmp_path):
    path = str(tmp_path / "ck.npz")
    clf = trained_classifier(ul)
    ul.save(clf, path)
    labels = clf.labels + ["d"]
    clf.learn_one([9.0, 9.0, 9.0, 9.0], "d")
    ul.save(clf, path)
    assert ul.load(path).labels == labels



def test_a_learner_keeps_the_info_it_was_loaded_with(ul, tmp_path):
    # a board's state keeps its bundle's metadata (the window recipe, what it was trained on)
    bundle, state = str(tmp_path / "bundle.npz"), str(tmp_path / "state.npz")
    info = {"dataset": "gestures.csv", "features": {"size": 100, "step": 50}}
    ul.save(trained_classifier(ul), bundle, info)
    clf = ul.load(bundle)
    assert clf.info == info
    clf.learn_one([9.0, 9.0, 9.0, 9.0], "d")
    ul.save(clf, state)
    assert ul.checkpoint.read_meta(state)["info"] == info
    ul.save(clf, state, {"other": 1})  # given explicitly, it wins
    assert ul.load(state).info == {"other": 1}
    ul.save(trained_classifier(ul), state)  # a learner made in this program has none
    assert ul.load(state).info is None and "info" not in ul.checkpoint.read_meta(state)

# -- damage

def saved_bytes(ul, tmp_path, learner=None):
    path = str(tmp_path / "ck.npz")
    ul.save(learner or trained_classifier(ul), path)
    with open(path, "rb") as f:
        return path, f.read()


def test_every_truncation_is_refused(ul, tmp_path):
    path, data = saved_bytes(ul, tmp_path)
    for n in range(len(data)):
        with open(path, "wb") as f:
            f.write(data[:n])
        with pytest.raises(ul.CheckpointError):
            ul.load(path)


def test_flipped_bytes_are_refused_or_harmless(ul, tmp_path):
    # a flip in any member's data is caught by its CRC; elsewhere (ZIP dates,
    # version fields) it may pass, but it never changes the learner
    path, data = saved_bytes(ul, tmp_path)
    good = snapshot(ul, ul.load(path))
    with zipfile.ZipFile(path) as z:
        in_data = set()
        for info in z.infolist():
            start = info.header_offset + 30 + len(info.filename)
            in_data.update(range(start, start + info.file_size))
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0x41
        with open(path, "wb") as f:
            f.write(bad)
        try:
            got = snapshot(ul, ul.load(path))
        except ul.CheckpointError:
            continue
        assert i not in in_data, "a flip in member data at byte %d was not caught" % i
        assert got == good, "byte %d changed the learner silently" % i


@pytest.mark.parametrize("content,msg", [
    (b"", "too short"),
    (b"hello world, this is not a zip file at all", "no ZIP end record"),
])
def test_foreign_files_are_refused(ul, tmp_path, content, msg):
    path = str(tmp_path / "x.npz")
    with open(path, "wb") as f:
        f.write(content)
    with pytest.raises(ul.CheckpointError, match=msg):
        ul.load(path)


def test_a_plain_numpy_npz_is_not_a_checkpoint(ul, tmp_path):
    path = str(tmp_path / "x.npz")
    np.savez(path, a=np.zeros(3, np.float32))
    with pytest.raises(ul.CheckpointError, match="no meta.json"):
        ul.load(path)


def test_a_compressed_zip_is_refused(ul, tmp_path):
    path = str(tmp_path / "x.npz")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("meta.json", "{}")
    with pytest.raises(ul.CheckpointError, match="compressed"):
        ul.load(path)


def test_missing_file_raises_oserror(ul, tmp_path):
    with pytest.raises(OSError):
        ul.load(str(tmp_path / "nothing.npz"))


def rewrite_meta(path, edit):
    """Rebuild a checkpoint with meta.json edited (CRC recomputed)."""
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    meta = json.loads(members["meta.json"])
    edit(meta)
    members["meta.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for n, b in members.items():
            z.writestr(n, b)


@pytest.mark.parametrize("edit,msg", [
    (lambda m: m.update(version=4), "format version 4, this ulearn reads 1 to 3"),
    (lambda m: m.update(version=0), "format version 0, this ulearn reads 1 to 3"),
    (lambda m: m.update(format="other"), "not a ulearn checkpoint"),
    (lambda m: m.update(kind="Regressor"), "unknown learner kind 'Regressor'"),
    (lambda m: m["config"].update(capacity=6), r"head.W.npy holds f4 \(5, 4\), the learner needs f4 \(6, 4\)"),
    (lambda m: m["config"].update(capacity=-1), "'capacity' = -1 is not a int"),
    (lambda m: m["config"].update(n_features="4"), "'n_features' = '4'"),
    (lambda m: m["config"]["optimizer"].update(lr=float("nan")), "'lr' = nan"),
    (lambda m: m["config"].update(standardize=1), "'standardize' must be true or false"),
    (lambda m: m["state"].update(labels=["a", "a", "c"]), "labels are not distinct"),
    (lambda m: m["state"].update(labels=list("abcdef")), "within capacity"),
    (lambda m: m["state"].update(n_seen=-3), "'n_seen' = -3 is not a count"),
    (lambda m: m.pop("state"), "no state"),
    # crafted files that once escaped as TypeError or loaded and then failed on first use
    (lambda m: m.update(kind=["Classifier"]), r"unknown learner kind \['Classifier'\]"),
    (lambda m: m.update(kind={"a": 1}), "unknown learner kind"),
    (lambda m: m["config"]["optimizer"].update(nesterov=True), "'optimizer' must hold only lr"),
    (lambda m: m["config"].update(optimizer=[0.1]), "'optimizer' must hold only lr"),
    (lambda m: m["state"].update(n_seen=10 ** 400), "'n_seen' = 1000.* is not a count"),
    (lambda m: m["state"].update(stats_count=True), "'stats_count' = True is not a count"),
    (lambda m: m.update(deep=json.loads("[" * 6000 + "]" * 6000)), "over 512 lists and objects"),
])
def test_every_header_field_is_validated(ul, tmp_path, edit, msg):
    path, _ = saved_bytes(ul, tmp_path)
    try:
        rewrite_meta(path, edit)
    except RecursionError:  # CPython's json cannot write it either: write it by hand
        rewrite_meta(path, lambda m: m.update(deep="DEEP"))
        _replace_member(path, "meta.json", lambda b: b.replace(
            b'"DEEP"', b"[" * 6000 + b"]" * 6000))  # 12 KB: within meta.json's limit
    with pytest.raises(ul.CheckpointError, match=msg):
        ul.load(path)


def _replace_member(path, name, edit):
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members[name] = edit(members[name])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for n, b in members.items():
            z.writestr(n, b)


@pytest.mark.parametrize("edit,msg", [
    (lambda m: m["state"].update(log_mean=1e308), r"log statistics 1e\+308, .* out of range"),
    (lambda m: m["state"].update(log_var=-1.0), r"log statistics .*, -1.0 are out of range"),
    (lambda m: m["state"].update(log_var=1e300), r"log statistics .*, 1e\+300 are out of range"),
    (lambda m: m["state"].update(log_mean="0"), "log statistics '0', .* out of range"),
])
def test_anomaly_statistics_are_validated(ul, tmp_path, edit, msg):
    path, _ = saved_bytes(ul, tmp_path, trained_detector(ul))
    rewrite_meta(path, edit)
    with pytest.raises(ul.CheckpointError, match=msg):
        ul.load(path)


def test_a_threshold_past_float32_is_inf_not_an_overflow(ul):
    det = trained_detector(ul)
    det.log_mean, det.log_var, det.n_seen = 150.0, 30000.0, det.warmup
    assert det.threshold > 1e38 and det.is_anomaly([0.0] * det.n_features) in (False, True)


def test_a_negative_variance_is_refused(ul, tmp_path):
    path, _ = saved_bytes(ul, tmp_path)
    _replace_member(path, "scaler.var.npy", lambda b: b[:-4] + struct.pack("<f", -1.0))
    with pytest.raises(ul.CheckpointError, match="a variance is negative"):
        ul.load(path)


def test_version_1_checkpoints_still_load(ul, tmp_path):
    path, _ = saved_bytes(ul, tmp_path)
    before = ul.load(path)

    def as_v1(m):  # what version 1 wrote: no hidden layer or replay fields
        m["version"] = 1
        for key in ("hidden", "replay", "replay_k", "seed", "grow_step", "max_hidden",
                    "grow_below", "grow_on_class"):
            del m["config"][key]
    rewrite_meta(path, as_v1)
    after = ul.load(path)
    assert after.labels == before.labels and after.hidden is None and after.replay is None
    x = [0.3, -1.0, 2.0, 0.5]
    assert after.predict_proba_one(x) == before.predict_proba_one(x)


@pytest.mark.parametrize("edit,msg", [
    (lambda m: m["config"].update(replay=-1), "'replay' = -1"),
    (lambda m: m["config"].update(hidden=10 ** 6), "'hidden' = 1000000"),
    (lambda m: m["config"].update(replay_k=True), "'replay_k' = True"),
    (lambda m: m["config"].update(grow_on_class=1), "'grow_on_class' must be true or false"),
])
def test_new_classifier_fields_are_validated(ul, tmp_path, edit, msg):
    path, _ = saved_bytes(ul, tmp_path)
    rewrite_meta(path, edit)
    with pytest.raises(ul.CheckpointError, match=msg):
        ul.load(path)


def replaying_classifier(ul, n_features=4):
    clf = ul.Classifier(n_features, 5, hidden=3, replay=6, optimizer=ul.SGD(0.05, momentum=0.5))
    for x, y in blobs(60, n_features=n_features):
        clf.learn_one(x, ["a", "b", "c"][y])
    return clf


def test_a_replay_memory_of_another_feature_size_is_refused(ul, tmp_path):
    path, _ = saved_bytes(ul, tmp_path, replaying_classifier(ul))
    other = str(tmp_path / "other.npz")
    ul.save(replaying_classifier(ul, n_features=5), other)
    with zipfile.ZipFile(other) as z:
        foreign = z.read("replay.X.npy")
    with zipfile.ZipFile(path) as z:
        members = {n: (foreign if n == "replay.X.npy" else z.read(n)) for n in z.namelist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for n, b in members.items():
            z.writestr(n, b)
    with pytest.raises(ul.CheckpointError, match=r"replay.X.npy holds i1 \(6, 5\), the learner needs i1 \(6, 4\)"):
        ul.load(path)


@pytest.mark.parametrize("edit,msg", [
    (lambda m: m["config"].update(replay=7), r"replay.X.npy holds i1 \(6, 4\), the learner needs i1 \(7, 4\)"),
    # a memory holding a class the label set does not have
    (lambda m: m["state"].update(labels=["a", "b"]), "replay memory holds 3 classes, the learner has 2 labels"),
    (lambda m: m["state"]["replay"].update(count=[2, 2, 1]), "does not match the stored labels"),
])
def test_a_replay_memory_that_does_not_match_the_model_is_refused(ul, tmp_path, edit, msg):
    path, _ = saved_bytes(ul, tmp_path, replaying_classifier(ul))
    rewrite_meta(path, edit)
    with pytest.raises(ul.CheckpointError, match=msg):
        ul.load(path)


def test_a_huge_header_is_refused_before_allocating(ul, tmp_path):
    path, _ = saved_bytes(ul, tmp_path)
    rewrite_meta(path, lambda m: m["config"].update(n_features=4096, capacity=4096))
    tracemalloc.start()
    with pytest.raises(ul.CheckpointError, match=r"the learner needs f4 \(4096,\)"):
        ul.load(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1 << 20  # the learner it describes would need 128 MiB


def test_max_bytes_limits_what_a_checkpoint_may_ask_for(ul, tmp_path):
    path, _ = saved_bytes(ul, tmp_path)
    with pytest.raises(ul.CheckpointError, match="more than max_bytes=100"):
        ul.load(path, max_bytes=100)


def test_array_with_nan_is_refused(ul, tmp_path):
    clf = trained_classifier(ul)
    path, data = saved_bytes(ul, tmp_path, clf)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    w = bytearray(members["head.W.npy"])
    w[-4:] = struct.pack("<f", float("nan"))
    members["head.W.npy"] = bytes(w)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for n, b in members.items():
            z.writestr(n, b)
    with pytest.raises(ul.CheckpointError, match="not finite"):
        ul.load(path)


# -- power cuts

class PowerCut(Exception):
    pass


class Flash:
    """Files that stop being written after `budget` bytes: a power cut.

    rename() behaves as on FAT (remove the target, then move), which gives a
    cut point between the two steps as well.
    """

    def __init__(self, budget):
        self.budget = budget

    def open(self, path, mode="r"):
        f = open(path, mode)
        if "w" not in mode:
            return f
        flash = self

        class Cutting(io.RawIOBase):
            def write(self, b):
                n = min(len(b), flash.budget)
                f.write(bytes(b)[:n])
                flash.budget -= n
                if n < len(b):
                    f.close()
                    raise PowerCut()
                return n

            def __exit__(self, *exc):
                f.close()

        return Cutting()

    def rename(self, src, dst):
        self._step()
        if os.path.exists(dst):
            os.remove(dst)
        self._step()
        os.rename(src, dst)

    replace = rename  # CPython's os.replace too (MicroPython has only rename)

    def _step(self):
        if self.budget == 0:
            raise PowerCut()
        self.budget -= 1

    def __getattr__(self, name):  # the rest of `os`
        return getattr(os, name)


def cut_save(ul, monkeypatch, learner, path, budget):
    """ul.save(learner, path) on a Flash that loses power after `budget` steps."""
    flash = Flash(budget)
    monkeypatch.setattr(ul.checkpoint, "open", flash.open, raising=False)
    monkeypatch.setattr(ul.checkpoint, "os", flash)
    try:
        ul.save(learner, path)
    except PowerCut:
        pass
    monkeypatch.undo()


def test_a_power_cut_at_any_byte_leaves_the_old_or_the_new(ul, tmp_path, monkeypatch):
    path = str(tmp_path / "ck.npz")
    old = ul.Classifier(3, 2, optimizer=ul.SGD(0.1))
    old.learn_one([1.0, 0.0, 0.0], 0)
    new = ul.Classifier(3, 2, optimizer=ul.SGD(0.1))
    for x, y in [([1.0, 0.0, 0.0], 0), ([0.0, 1.0, 0.0], 1), ([0.0, 0.0, 1.0], 1)]:
        new.learn_one(x, y)
    ul.save(new, path)
    size = os.path.getsize(path)
    want = {"old": snapshot(ul, old), "new": snapshot(ul, new)}
    seen = {"old": 0, "new": 0}
    for budget in range(size + 3):
        ul.save(old, path)
        cut_save(ul, monkeypatch, new, path, budget)
        got = snapshot(ul, ul.load(path))
        which = [k for k, v in want.items() if v == got]
        assert which, "cut at byte %d left a checkpoint that is neither" % budget
        seen[which[0]] += 1
    assert seen["old"] >= size and seen["new"] >= 1


def test_two_power_cuts_in_a_row_on_fat_keep_a_completed_save(ul, tmp_path, monkeypatch):
    # A cut between a FAT rename's remove and its move leaves only PATH.tmp; the next save
    # must not write over it before it is in place. Cut a save, then cut the next one, at
    # every 31st byte and at every step of the renames (at every byte of the second save
    # when the first cut left only PATH.tmp).
    path = str(tmp_path / "ck.npz")
    learners = []
    for k in range(3):
        clf = ul.Classifier(3, 2, optimizer=ul.SGD(0.1))
        for x, y in [([1.0, 0.0, 0.0], 0), ([0.0, 1.0, 0.0], 1), ([0.0, 0.0, 1.0], 1)][:k + 1]:
            clf.learn_one(x, y)
        learners.append(clf)
    old, mid, new = learners
    want = [snapshot(ul, c) for c in learners]
    ul.save(new, path)
    size = os.path.getsize(path)
    cuts = sorted(set(range(0, size, 31)) | set(range(size - 2, size + 3)))

    def files():
        return {p: open(p, "rb").read() for p in (path, path + ".tmp") if os.path.exists(p)}

    pairs = only_tmp = 0
    for first in cuts:
        for p in files():
            os.remove(p)
        ul.save(old, path)
        cut_save(ul, monkeypatch, mid, path, first)
        after_first = files()
        left_only_tmp = path not in after_first
        only_tmp += left_only_tmp
        for second in range(size + 3) if left_only_tmp else cuts:
            for p in files():
                os.remove(p)
            for p, data in after_first.items():
                with open(p, "wb") as f:
                    f.write(data)
            cut_save(ul, monkeypatch, new, path, second)
            pairs += 1
            got = snapshot(ul, ul.load(path))  # raises if nothing is loadable
            assert got in want, "cuts at %d then %d left another learner" % (first, second)
            if left_only_tmp:  # mid's save had completed but for the rename: not lost
                assert got != want[0], "cuts at %d then %d lost mid's save" % (first, second)
    assert only_tmp >= 1 and pairs >= size + len(cuts)
