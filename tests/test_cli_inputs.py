"""Bad input to the host verbs (issue 20): one clear line, a non-zero exit, and nothing
written or overwritten; and a board that meets more new labels than its bundle has room for
skips and counts them instead of dying with a traceback."""
import json
import os

import pytest

from ulearn_dev import devicepkg, tier3
from ulearn_host import cli


@pytest.fixture(autouse=True)
def on_numpy():
    devicepkg.use("numpy")


def listing(folder):
    """{relative path: bytes} of every file under ``folder``."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def fails(capsys, argv, status=1):
    """Run ``ulearn argv``; assert its exit status; return the error line (the last on
    stderr, which for status 1 is the only one)."""
    if status == 2:
        with pytest.raises(SystemExit) as e:
            cli.main(argv)
        code = e.value.code
    else:
        code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == status, err
    assert "Traceback" not in err
    if status == 1:
        assert err.count("\n") == 1, err
    line = err.rstrip("\n").splitlines()[-1]
    assert line.startswith("ulearn %s: error: " % argv[0]), err
    return line


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A model trained on digits (10 classes) and its bundle, in a folder of their own."""
    devicepkg.use("numpy")
    d = tmp_path_factory.mktemp("made")
    model, bundle = str(d / "model.npz"), str(d / "bundle.npz")
    assert cli.main(["train", "--data", "digits", "--epochs", "2", "-o", model, "--json"]) == 0
    assert cli.main(["export", model, "-o", bundle, "--json"]) == 0
    return {"model": model, "bundle": bundle}


@pytest.fixture
def out(made, tmp_path):
    """A folder holding a copy of the good bundle as out.npz, the output the cases aim at."""
    path = tmp_path / "out.npz"
    path.write_bytes(open(made["bundle"], "rb").read())
    return path


# -- export checks a bundle as the board will load it, before it replaces the output

@pytest.mark.parametrize("capacity,says", [
    ("100000", "capacity 100000 is more than a board loads (at most 4096 classes)"),
    ("4000", "arrays need"),  # within the loader's limits, beyond ulearn.load's max_bytes
    ("9", "capacity 9 is below the 10 trained classes"),
])
def test_export_refuses_a_capacity_a_board_cannot_load(made, out, capacity, says, capsys):
    before = listing(out.parent)
    line = fails(capsys, ["export", made["model"], "--capacity", capacity, "-o", str(out)])
    assert says in line, line
    if capacity == "4000":
        assert "max_bytes=262144" in line and "--capacity" in line, line
    assert listing(out.parent) == before  # the old bundle as it was, no temporary left


def test_export_refuses_a_replay_memory_beyond_the_loader(made, out, capsys):
    before = listing(out.parent)
    line = fails(capsys, ["export", made["model"], "--replay", "70000", "-o", str(out)])
    assert "replay 70000 is beyond what a board loads (0 to 65536)" in line, line
    assert listing(out.parent) == before


def test_the_default_capacity_leaves_room_for_new_classes(made, tmp_path, capsys):
    import ulearn
    path = str(tmp_path / "b.npz")
    assert cli.main(["export", made["model"], "-o", path]) == 0
    text = capsys.readouterr().out
    clf = ulearn.load(path)
    assert len(clf.labels) == 10 and clf.capacity == 14
    assert "labels (10 of 14 classes used)" in text and "room for 4 new classes" in text
    for y in ("new1", "new2", "new3", "new4"):  # what a board does with them
        clf.learn_one([0.0] * 64, y)
    assert clf.labels[-4:] == ["new1", "new2", "new3", "new4"]
    with pytest.raises(SystemExit):
        cli.main(["export", "--help"])
    assert "trained classes + 4" in " ".join(capsys.readouterr().out.split())


# -- budget and deploy load the bundle on the host first

def damage(path):
    """Flip one byte inside the data of an array member of the checkpoint at ``path``."""
    from ulearn import zipstore
    with open(path, "rb") as f:
        members = zipstore.members(f)
    name = max((n for n in members if n.endswith(".npy")), key=lambda n: members[n][1])
    off, size, _ = members[name]
    data = bytearray(open(path, "rb").read())
    data[off + size - 5] ^= 0x40  # in the last row, past the .npy header
    open(path, "wb").write(bytes(data))
    return name


@pytest.mark.parametrize("verb", ["budget", "deploy"])
def test_a_damaged_bundle_is_refused_before_anything_else(verb, out, capsys):
    damage(str(out))
    before = listing(out.parent)
    # deploy to a port nothing listens on: the refusal comes first, no connection is tried
    argv = [verb, str(out)] + (["-d", "socket://127.0.0.1:9"] if verb == "deploy" else
                               ["--board", "rp2040"])
    line = fails(capsys, argv)
    assert str(out) in line and "CRC" in line, line
    assert listing(out.parent) == before


@pytest.mark.parametrize("verb", ["budget", "deploy"])
def test_a_model_file_is_refused_with_the_command_that_makes_a_bundle(verb, made, capsys):
    argv = [verb, made["model"]] + (["-d", "socket://127.0.0.1:9"] if verb == "deploy" else [])
    line = fails(capsys, argv)
    assert made["model"] in line and "not a bundle: run `ulearn export" in line, line


def test_the_bundle_itself_passes_budget(made, capsys):
    # the same check lets a real bundle through (and deploy would go on to connect)
    assert cli.main(["budget", made["bundle"], "--board", "rp2040", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["board"] == "rp2040"
    line = fails(capsys, ["deploy", made["bundle"], "-d", "socket://127.0.0.1:9"])
    assert "CRC" not in line and "not a bundle" not in line, line


# -- numbers that make no sense are usage errors, and nothing is written

@pytest.mark.parametrize("argv,says", [
    (["stream", "--limit", "-5"], "argument --limit: '-5' is not an integer >= 1"),
    (["stream", "--limit", "0"], "argument --limit: '0' is not an integer >= 1"),
    (["train", "--epochs", "0"], "argument --epochs: '0' is not an integer >= 1"),
    (["train", "--lr", "0"], "argument --lr: '0' is not a number > 0"),
    (["train", "--lr", "nan"], "argument --lr: 'nan' is not a number > 0"),
    (["train", "--hidden", "16", "0"], "argument --hidden: '0' is not an integer >= 1"),
    (["export", "{model}", "--capacity", "0"], "argument --capacity: '0' is not an integer >= 1"),
    (["export", "{model}", "--replay-fraction", "0"],
     "argument --replay-fraction: '0' is not a number in (0, 1]"),
    (["export", "{model}", "--replay-fraction", "1.5"],
     "argument --replay-fraction: '1.5' is not a number in (0, 1]"),
    (["export", "{model}", "--lr", "-0.1"], "argument --lr: '-0.1' is not a number > 0"),
    (["export", "{model}", "--momentum", "1"],
     "argument --momentum: '1' is not a number in [0, 1)"),
    (["export", "{model}", "--replay", "-1"], "argument --replay: '-1' is not an integer >= 0"),
    (["export", "{model}", "--grow-below", "2"],
     "argument --grow-below: '2' is not a number in [0, 1]"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_nonsense_numbers_are_usage_errors(argv, says, made, out, monkeypatch, capsys):
    monkeypatch.chdir(out.parent)  # the default outputs would land here
    before = listing(out.parent)
    argv = [a.format(model=made["model"]) for a in argv]
    line = fails(capsys, argv + ["-o", str(out)], status=2)
    assert line == "ulearn %s: error: %s" % (argv[0], says), line
    assert listing(out.parent) == before


def test_a_limit_takes_that_many_rows_from_the_start(tmp_path, capsys):
    path = str(tmp_path / "s.npz")
    assert cli.main(["stream", "--data", "digits", "--limit", "5", "-o", path, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["samples"] == 5


# -- the board at capacity: app.learn skips and counts the labels it has no room for

def learn_files(folder):
    """A bundle with room for 2 classes and a stream of classes a, b, c, d (c and d: no
    room), written into ``folder``; returns the rows per label."""
    import ulearn
    from ulearn import stream
    clf = ulearn.Classifier(4, capacity=2)
    ulearn.save(clf, os.path.join(str(folder), "b.npz"))
    names = ["a", "b", "c", "d"]
    y = [i % 4 for i in range(40)] + [0, 1] * 5
    X = [[(v + 1) * 0.5, -v * 0.25, 0.125 * (i % 3), 1.0] for i, v in enumerate(y)]
    stream.save(os.path.join(str(folder), "s.npz"), X, y, names)
    return {n: y.count(i) for i, n in enumerate(names)}


def check_report(out, counts):
    from ulearn.contract import REPORT
    last = out.rstrip("\n").splitlines()[-1]
    assert last.startswith(REPORT), out
    r = json.loads(last[len(REPORT):])
    assert r["classes"] == ["a", "b"] and r["no_room"] == ["c", "d"], r
    assert r["skipped"] == counts["c"] + counts["d"] and r["n"] == counts["a"] + counts["b"], r
    assert "learn: skipped %d samples of 2 new labels: all 2 classes in use" % r["skipped"] in out
    return r


def test_learn_skips_labels_beyond_capacity_on_cpython(tmp_path, capsys):
    import ulearn
    from ulearn import app
    counts = learn_files(tmp_path)
    p = str(tmp_path)
    app.learn(os.path.join(p, "s.npz"), bundle=os.path.join(p, "b.npz"),
              state=os.path.join(p, "st.npz"), log=os.path.join(p, "log.txt"))
    r = check_report(capsys.readouterr().out, counts)
    assert r["skipped"] == 20 and r["n"] == 30
    saved = ulearn.load(os.path.join(p, "st.npz"))  # the state is saved and still usable
    assert saved.labels == ["a", "b"] and saved.predict_one([1.0, 0.0, 0.0, 1.0]) in ("a", "b")
    assert "skipped 20 samples" in open(os.path.join(p, "log.txt")).read()


def test_learn_skips_labels_beyond_capacity_on_micropython(tmp_path):
    counts = learn_files(tmp_path)
    with tier3.start("unix32", form="py") as mp:
        tier3.put_files(mp, {n: (tmp_path / n).read_bytes() for n in ("b.npz", "s.npz")})
        out = mp.exec("from ulearn import app\napp.learn('s.npz', bundle='b.npz', "
                      "state='st.npz', log=None)")
        r = check_report(out, counts)
        assert mp.eval_json("__import__('ulearn').load('st.npz').labels") == ["a", "b"]
    assert r["skipped"] == 20
