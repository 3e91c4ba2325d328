"""`--data` with raw readings (issue 19): recordings from `ulearn record`, folders of CSVs,
Edge Impulse's export, cut into windows by the board's own ulearn.Windower, split without
leaks, through train, eval, stream, export and budget; everything checked first."""
import binascii
import csv
import json
import os
import struct

import numpy as np
import pytest

from ulearn_dev import tier3
from ulearn_host import datasets, recording, tasks, windows
from ulearn_host.cli import main

GESTURES = ("FEL", "IR", "TRAP")  # three shoulder exercises of the smartwatch data
WINDOW, HOP = 100, 50


@pytest.fixture(scope="module")
def watch():
    return datasets.load_watch()


def watch_rows(watch, label, subject, side=1):
    """The float32 readings (n, 6) of one real watch recording."""
    k = next(i for i in range(len(watch.labels)) if watch.label_names[watch.labels[i]] == label
             and watch.subject[i] == subject and watch.side[i] == side)
    return watch.recordings[k]


def as_recording(parts, channels, rate=50.0):
    """A Recording of [(label, session, readings), ...], one after another."""
    t = [np.arange(len(r)) / rate for _, _, r in parts]
    return recording.Recording(
        np.concatenate(t), np.concatenate([r for _, _, r in parts]).astype(np.float32),
        np.array([lab for lab, _, r in parts for _ in range(len(r))]),
        np.array([s for _, s, r in parts for _ in range(len(r))], np.int32), list(channels),
        rate)


@pytest.fixture(scope="module")
def rec(watch, tmp_path_factory):
    """A recording of three real gestures, as `ulearn record` writes it: each gesture in three
    sessions (three wearers, right arm), sessions numbered in recording order."""
    parts, s = [], 0
    for label in GESTURES:
        for subject in (1, 2, 3):
            s += 1
            parts.append((label, s, watch_rows(watch, label, subject)))
    path = tmp_path_factory.mktemp("rec") / "gestures.csv"
    recording.write(path, as_recording(parts, watch.axis_names))
    return str(path)


def run_json(capsys, argv):
    capsys.readouterr()  # what came before
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def ei_csv(path, readings, channels=("accX", "accY", "accZ", "gyrX", "gyrY", "gyrZ"),
           period_ms=20, label=None):
    """A sample as Edge Impulse's CSV export writes it: timestamp (ms), a column per axis
    (and a label column in its multi-label form)."""
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["timestamp", *channels] + (["label"] if label else []))
        for i, r in enumerate(readings):
            w.writerow([i * period_ms, *("%.9g" % v for v in r)] + ([label] if label else []))
    return str(path)


# ------------------------------------------------------- host features == board features

_BOARD = """\
import binascii, struct, ulearn
from ulearn.checkpoint import read_meta
f = read_meta('bundle.npz')['info']['features']  # the recipe the host put in the bundle
w = ulearn.Windower(f['n_axes'], f['size'], f['step'])
out = [0.0] * w.n_features
fmt = '<%df' % f['n_axes']
buf = bytearray(4 * f['n_axes'])
with open('readings.bin', 'rb') as src:
    while src.readinto(buf) == len(buf):
        if w.push(struct.unpack(fmt, buf)):
            print(binascii.hexlify(struct.pack('<%df' % w.n_features, *w.features(out))).decode())
"""


@pytest.fixture(scope="module")
def bundle(rec, tmp_path_factory):
    """The recording trained on and exported: a bundle carrying the feature recipe."""
    d = tmp_path_factory.mktemp("bundle")
    assert main(["train", "--data", rec, "--window", str(WINDOW), "--hop", str(HOP),
                 "-o", str(d / "model.npz")]) == 0
    assert main(["export", str(d / "model.npz"), "-o", str(d / "bundle.npz")]) == 0
    return str(d / "bundle.npz")


@tier3.on(("unix32-ulab", "py"), ("unix32", "py"), ("cp-unix", "py"))
def test_host_windows_are_the_boards_windows(mp, watch, bundle, tmp_path):
    # a real watch recording: the host path (windows.segments + features, the device package
    # on CPython) against the same float32 readings pushed through ulearn.Windower inside a
    # real interpreter that read its window and hop from the bundle's metadata
    readings = watch_rows(watch, "TRAP", 4)
    path = tmp_path / "one.csv"
    recording.write(path, as_recording([("TRAP", 1, readings)], watch.axis_names))
    segs, channels, _ = windows.segments(str(path))
    host, _, _, _ = windows.features(segs, len(channels), WINDOW, HOP)
    with open(bundle, "rb") as f:
        mp.write_file("/bundle.npz", f.read())
    mp.write_file("/readings.bin", readings.astype("<f4").tobytes())
    lines = mp.exec(_BOARD).split()
    board = np.array([struct.unpack("<26f", binascii.unhexlify(h)) for h in lines])
    assert board.shape == host.shape == ((len(readings) - WINDOW) // HOP + 1, 26)
    # float32 tolerance as tier3 measures interpreters against CPython: |d| <= F32 (1 + |v|)
    # (the board sums in float32, CPython in float64); measured 1.6e-7, 3.6e-7 absolute
    diff = np.abs(board - host)
    print("%s: %d windows, max |board - host| / (1 + |host|) %.2g, max relative %.2g"
          % (mp.target, len(host), (diff / (1 + np.abs(host))).max(),
             (diff / np.maximum(np.abs(host), 1e-30)).max()))
    assert (diff / (1 + np.abs(host))).max() <= tier3.F32
    assert np.array_equal(board[:, 2::4][:, :6], host[:, 2::4][:, :6])  # min: exact


# ------------------------------------------------------------- the split does not leak

def test_windows_never_share_a_reading_across_the_split(watch):
    # one session per class (time split within segments) and several (session split)
    one = [("FEL", 1, watch_rows(watch, "FEL", 1)), ("IR", 1, watch_rows(watch, "IR", 1))]
    many = [("FEL", s, watch_rows(watch, "FEL", s)) for s in (1, 2, 3, 4)]
    for parts, hop in ((one, 10), (one, 50), (one, 100), (many, 30)):
        r = as_recording(parts, watch.axis_names)
        segs = [windows.Segment(r.readings[a:b], str(r.label[a]), s, "x", None)
                for s, a, b in windows._runs(r)]
        _, labels, seg, start = windows.features(segs, 6, WINDOW, hop)
        sess = np.array([segs[k].session for k in seg])
        split = windows.time_split(labels, sess, seg, start, WINDOW)
        for c in set(labels.tolist()):
            tr = np.flatnonzero((labels == c) & (split == "train"))
            te = np.flatnonzero((labels == c) & (split == "test"))
            assert len(tr) and len(te)
            for i in te:  # same segment -> disjoint reading intervals
                same = tr[seg[tr] == seg[i]]
                assert np.all((start[same] + WINDOW <= start[i])
                              | (start[same] >= start[i] + WINDOW))
            if parts is many:  # whole sessions on each side: the last of 4 tested
                assert not set(sess[tr]) & set(sess[te]) and set(sess[te]) == {4}
            else:  # the last ~30% of the windows tested, a few left out at the boundary
                gap = np.flatnonzero((labels == c) & (split == "gap"))
                assert len(te) == round(0.3 * np.sum(labels == c))
                assert len(gap) == -(-WINDOW // hop) - 1


# ---------------------------------------------------- train, eval, stream, export, budget

def test_train_eval_stream_export_budget_on_a_recording(rec, tmp_path, capsys):
    model, bundle = str(tmp_path / "m.npz"), str(tmp_path / "b.npz")
    data = ["--data", rec, "--window", str(WINDOW), "--hop", str(HOP)]
    r = run_json(capsys, ["train", *data, "-o", model])
    with capsys.disabled():
        print("test accuracy on the recording's last sessions: %.3f" % r["test_accuracy"])
    assert sorted(r["classes"]) == sorted(GESTURES) and r["test_accuracy"] > 0.8  # chance 1/3
    # eval reads the window and hop from the model and splits as train did
    e = run_json(capsys, ["eval", "--model", model, "--data", rec])
    assert e["samples"] == r["test_samples"] and e["accuracy"] == pytest.approx(r["test_accuracy"])
    # the NPZ of the recording is the same data
    e2 = run_json(capsys, ["eval", "--model", model, "--data", rec[:-4] + ".npz", *data[2:]])
    assert e2["accuracy"] == e["accuracy"] and e2["samples"] == e["samples"]
    # export: the recipe in the bundle; a replay set distilled from the recording
    x = run_json(capsys, ["export", model, "-o", bundle, "--replay-method", "herding",
                          "--replay-per-class", "3"])
    assert x["replay_rows"] == 9
    f = x["features"]
    assert (f["recipe"], f["n_axes"], f["size"], f["step"], f["rate_hz"]) == (
        "ulearn.features.window_features", 6, WINDOW, HOP, 50.0)
    from ulearn.checkpoint import read_meta
    assert read_meta(bundle)["info"]["features"] == f
    # budget --sparse with the recording as the support set (a bundle without replay)
    plain = str(tmp_path / "plain.npz")
    assert main(["export", model, "-o", plain]) == 0
    capsys.readouterr()
    b = run_json(capsys, ["budget", plain, "--board", "rp2040", "--sparse", rec, *data[2:]])
    assert b[0]["sparse"]["picks"] and b[0]["sparse"]["cost"]["bytes"] > 0


def test_a_board_learns_a_recorded_gesture_from_a_stream(rec, tmp_path, capsys):
    # trained without TRAP; the stream of TRAP's windows teaches it to the exported bundle
    import ulearn
    from ulearn.stream import Stream
    data = ["--data", rec, "--window", str(WINDOW), "--hop", str(HOP)]
    model, bundle = str(tmp_path / "m.npz"), str(tmp_path / "b.npz")
    assert main(["train", *data, "--exclude", "TRAP", "-o", model]) == 0
    assert main(["export", model, "-o", bundle, "--capacity", "4"]) == 0
    s = run_json(capsys, ["stream", *data, "--classes", "TRAP", "-o", str(tmp_path / "trap.npz")])
    task = tasks.load_task(rec, window=WINDOW, hop=HOP)
    rows = tasks.select(task, "train", ["TRAP"])
    stream = Stream(str(tmp_path / "trap.npz"))
    assert s["samples"] == len(stream) == len(rows)
    assert np.array_equal(np.array(list(stream.column(0)), np.float32), task.X[rows])
    clf = ulearn.load(bundle)
    for x, y in stream:
        clf.learn_one(x, y)
    test = tasks.select(task, "test", ["TRAP"])
    hits = sum(clf.predict_one(x) == "TRAP" for x in task.X[test])
    assert "TRAP" in clf.labels and hits / len(test) > 0.5
    # all the rows, as the board would record them
    a = run_json(capsys, ["stream", *data, "--split", "all", "-o", str(tmp_path / "all.npz")])
    assert a["samples"] == len(task.y)


# ------------------------------------------------ folders of CSVs and Edge Impulse's export

def test_one_recorded_gesture_is_a_stream_not_a_training_set(watch, bundle, tmp_path, capsys):
    # `ulearn stream --data row.csv --window 100 --hop 50`: a new gesture for a board to learn
    path = str(tmp_path / "row.csv")
    recording.write(path, as_recording([("ROW", 1, watch_rows(watch, "ROW", 2))],
                                       watch.axis_names))
    data = ["--data", path, "--window", "100", "--hop", "50"]
    # row.npz is the recording's other file: not overwritten
    assert main(["stream", *data, "-o", str(tmp_path / "row.npz")]) == 1
    assert "row.npz is a recording (from `ulearn record`): give -o another name" in \
        capsys.readouterr().err
    s = run_json(capsys, ["stream", *data, "--split", "all", "-o", str(tmp_path / "learn.npz")])
    assert s["per_class"] == {"ROW": (len(watch_rows(watch, "ROW", 2)) - 100) // 50 + 1}
    assert main(["train", "--data", path, "--window", "100", "-o", str(tmp_path / "m.npz")]) == 1
    assert "has one class only ('ROW')" in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()
    # eval scores a model on it (the recording model of the module, which knows no ROW)
    ev = run_json(capsys, ["eval", "--model", bundle, *data, "--split", "all"])
    assert ev["classes"] == ["ROW"] and ev["samples"] == s["samples"] and ev["accuracy"] == 0
    # and had another program put a file of its own at row.npz, row.csv is still read
    os.replace(tmp_path / "learn.npz", tmp_path / "row.npz")
    assert tasks.load_task(path, window=100, hop=50, classes=False).names == ["ROW"]


def test_a_folder_of_csvs_labels_from_file_names(watch, tmp_path):
    # wave.1.csv, wave.2.csv, ...: each file a session, its label the name before the first '.'
    for label, name in (("FEL", "raise"), ("TRAP", "shrug")):
        for s in (1, 2, 3):
            ei_csv(tmp_path / "data" / ("%s.%d.csv" % (name, s)), watch_rows(watch, label, s))
    t = tasks.load_task(str(tmp_path / "data"), window=WINDOW, hop=WINDOW)
    assert t.names == ["raise", "shrug"] and t.X.shape[1] == 26
    assert t.info["features"]["channels"][0] == "accX" and t.info["features"]["rate_hz"] == 50.0
    # per class, the last of its three files is the test one: its windows, no more
    n3 = sum((len(watch_rows(watch, lab, 3)) - WINDOW) // WINDOW + 1 for lab in ("FEL", "TRAP"))
    assert (t.split == "test").sum() == n3


def test_edge_impulse_export_keeps_its_split(watch, tmp_path, capsys):
    # training/ and testing/, files named LABEL.ID.csv (timestamp in ms, one column per axis),
    # and an info.labels that names one file's label
    root = tmp_path / "ei-export"
    for part, subjects in (("training", (1, 2)), ("testing", (5,))):
        for label in ("FEL", "IR"):
            for s in subjects:
                ei_csv(root / part / ("%s.s%d.csv" % (label.lower(), s)),
                       watch_rows(watch, label, s))
    ei_csv(root / "testing" / "sample.x1.csv", watch_rows(watch, "IR", 6))
    (root / "testing" / "info.labels").write_text(json.dumps({"version": 1, "files": [
        {"path": "sample.x1.csv", "category": "testing",
         "label": {"type": "label", "label": "ir"}}]}))
    t = tasks.load_task(str(root), window=WINDOW, hop=HOP)
    assert t.names == ["fel", "ir"] and "training/" in t.info["split"]
    def n(lab, s):
        return (len(watch_rows(watch, lab, s)) - WINDOW) // HOP + 1
    assert (t.split == "test").sum() == n("FEL", 5) + n("IR", 5) + n("IR", 6)
    assert (t.split == "train").sum() == sum(n(lab, s) for lab in ("FEL", "IR") for s in (1, 2))
    r = run_json(capsys, ["train", "--data", str(root), "--window", "100", "--hop", "50",
                          "-o", str(tmp_path / "m.npz")])
    assert r["test_samples"] == (t.split == "test").sum() and r["test_accuracy"] > 0.7


def test_a_label_column_splits_a_file_into_segments(watch, tmp_path):
    # Edge Impulse's multi-label CSV form: a label column; windows never span two labels
    a, b = watch_rows(watch, "FEL", 1)[:700], watch_rows(watch, "IR", 1)[:650]
    path = tmp_path / "mixed.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["timestamp", "ax", "ay", "az", "wx", "wy", "wz", "label"])
        for i, (r, lab) in enumerate([(r, "fel") for r in a] + [(r, "ir") for r in b]):
            w.writerow([20 * i, *("%.9g" % v for v in r), lab])
    t = tasks.load_task(str(path), window=WINDOW, hop=WINDOW)
    assert t.names == ["fel", "ir"] and len(t.y) == 7 + 6


def test_tables_and_recordings_are_told_apart(rec, tmp_path):
    # a recording is not a feature table (its time and session columns are no features) ...
    with pytest.raises(ValueError, match="is a recording of raw readings: give --window"):
        tasks.load_task(rec)
    # ... and a feature table is still one (a CSV with --window is read as readings)
    table = tmp_path / "t.csv"
    table.write_text("f1,f2,label\n" + "".join("%d,%d,%s\n" % (i, -i, "ab"[i % 2])
                                               for i in range(10)))
    assert tasks.load_task(str(table)).X.shape == (10, 2)
    np.savez(tmp_path / "t.npz", X=np.ones((4, 2)), y=np.array(["a", "b", "a", "b"]))
    assert tasks.load_task(str(tmp_path / "t.npz")).X.shape == (4, 2)
    with pytest.raises(ValueError, match="t.npz is a table of features, not readings"):
        tasks.load_task(str(tmp_path / "t.npz"), window=5)
    assert windows.kind(rec) == windows.kind(rec[:-4] + ".npz") == "recording"
    assert windows.kind(str(table)) == windows.kind(str(tmp_path / "t.npz")) == "table"
    assert windows.kind(str(table), window=5) == "readings"


# ------------------------------------------------------------------------- refusals

def _bad(tmp_path, watch, case):
    """(argv after --data, the text the one-line error must hold) for each refusal."""
    d = tmp_path / case
    d.mkdir()
    fel, ir = watch_rows(watch, "FEL", 1)[:400], watch_rows(watch, "IR", 1)[:400]
    w = ["--window", "100", "--hop", "50"]
    if case == "missing label":
        r = as_recording([("FEL", 1, fel), ("IR", 2, ir)], watch.axis_names)
        no_label = np.where(np.arange(800) == 41, "", r.label)
        recording.write(d / "rec.csv", r._replace(label=no_label))
        os.remove(d / "rec.npz")
        return [str(d / "rec.csv"), *w], "rec.csv, row 42, column 'label': no label"
    if case == "ragged row":
        p = ei_csv(d / "fel.1.csv", fel)
        ei_csv(d / "ir.1.csv", ir)
        with open(p) as f:
            lines = f.read().splitlines()
        lines[7] = lines[7].rsplit(",", 1)[0]
        with open(p, "w") as f:
            f.write("\n".join(lines) + "\n")
        return [str(d), *w], "fel.1.csv, row 7: 6 values, the header has 7"
    if case == "nan":
        ei_csv(d / "fel.1.csv", fel)
        bad = ir.copy()
        bad[9, 2] = np.nan
        ei_csv(d / "ir.1.csv", bad)
        return [str(d), *w], "ir.1.csv, row 10, column 'accZ': nan is not a finite float32"
    if case == "one class":
        ei_csv(d / "fel.1.csv", fel)
        ei_csv(d / "fel.2.csv", ir)
        return [str(d), *w], "has one class only ('fel')"
    if case == "too few windows":
        ei_csv(d / "fel.1.csv", fel)
        ei_csv(d / "ir.1.csv", ir[:160])  # two windows that overlap: none left to train on
        return [str(d), *w], "class 'ir' has 0 training and 1 test windows"
    if case == "no csv":
        (d / "notes.txt").write_text("nothing here")
        return [str(d), *w], "has no CSV file"
    if case == "mixed channels":
        ei_csv(d / "fel.1.csv", fel)
        ei_csv(d / "ir.1.csv", ir[:, :3], channels=("accX", "accY", "accZ"))
        return [str(d), *w], "ir.1.csv has 3 channels (accX,accY,accZ); "
    if case == "unreadable":
        ei_csv(d / "fel.1.csv", fel)
        (d / "ir.1.csv").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00binary")
        return [str(d), *w], "ir.1.csv is not a text CSV file"
    if case == "no window":
        ei_csv(d / "fel.1.csv", fel)
        return [str(d)], "is a folder of raw readings: give --window N"
    if case == "window 1":
        ei_csv(d / "fel.1.csv", fel)
        return [str(d), "--window", "1"], "--window must be 2 readings or more, got 1"
    if case == "hop 0":
        ei_csv(d / "fel.1.csv", fel)
        return [str(d), "--window", "10", "--hop", "0"], "--hop must be 1 reading or more"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["missing label", "ragged row", "nan", "one class",
                                  "too few windows", "no csv", "mixed channels", "unreadable",
                                  "no window", "window 1", "hop 0"])
def test_bad_data_is_refused_in_one_line_and_nothing_is_written(watch, tmp_path, capsys, case):
    argv, said = _bad(tmp_path, watch, case)
    out = tmp_path / "out.npz"
    # a stream may hold one class (a new gesture) on one side of the split
    verbs = ["train"] if case in ("one class", "too few windows") else ["train", "stream"]
    for verb in verbs:
        assert main([verb, "--data", *argv, "-o", str(out)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and said in err and "Traceback" not in err, err
        assert not out.exists()


# ------------------------------------------------------------------- on a virtual board

def test_the_virtual_board_learns_a_recorded_gesture(rec, vboard, tmp_path, capsys):
    # the recording -> a bundle without TRAP and a stream of TRAP's windows -> the board
    # (MicroPython under QEMU, through mpremote) learns TRAP and recognises its test windows
    data = ["--data", rec, "--window", str(WINDOW), "--hop", str(HOP)]
    f = {k: str(tmp_path / (k + ".npz")) for k in ("model", "bundle", "learn", "test")}
    assert main(["train", *data, "--exclude", "TRAP", "-o", f["model"]]) == 0
    assert main(["export", f["model"], "--capacity", "4", "-o", f["bundle"]]) == 0
    assert main(["stream", *data, "--classes", "TRAP", "--shuffle", "-o", f["learn"]]) == 0
    assert main(["stream", *data, "--split", "test", "-o", f["test"]]) == 0
    dev = vboard.device
    run_json(capsys, ["deploy", f["bundle"], "-d", dev, "--file", f["learn"], "--file", f["test"]])
    learned = run_json(capsys, ["run", "-d", dev, "learn", "stream=/ulearn-data/learn.npz"])[-1]
    assert "TRAP" in learned["classes"]
    after = run_json(capsys, ["run", "-d", dev, "evaluate", "stream=/ulearn-data/test.npz"])[-1]
    hits, n = after["per_class"]["TRAP"]
    with capsys.disabled():
        print("the board on TRAP's test windows after learning it: %d of %d" % (hits, n))
    assert hits / n > 0.5
