"""Host training on the device's layer code, export to bundles, streams."""
import json

import numpy as np
import pytest

from ulearn_dev import devicepkg
from test_datasets import load


@pytest.fixture(autouse=True)
def on_numpy():
    devicepkg.use("numpy")  # the host runs the device package on numpy


def test_a_batch_of_one_is_the_boards_step():
    import ulearn
    from ulearn_host import batch
    rng = np.random.default_rng(0)
    x = rng.normal(size=5).astype(np.float32)
    g = rng.normal(size=3).astype(np.float32)
    board, host = ulearn.Dense(5, 3, "tanh"), ulearn.Dense(5, 3, "tanh", kern=batch)
    host.W[:] = board.W[:] = rng.normal(size=(3, 5)).astype(np.float32)
    opt = ulearn.SGD(0.1, momentum=0.5, weight_decay=0.01)
    for layer in (board, host):
        opt.init(layer)
    for _ in range(3):
        gin_board = board.backward(g, opt) if board.forward(x) is not None else None
        gin_host = host.backward(g[None, :], opt) if host.forward(x[None, :]) is not None \
            else None
        assert np.allclose(gin_host[0], gin_board, atol=1e-6)
    assert np.allclose(host.W, board.W, atol=1e-6) and np.allclose(host.b, board.b, atol=1e-6)


def test_a_batch_step_is_the_mean_of_sample_gradients():
    import ulearn
    from ulearn_host import batch
    rng = np.random.default_rng(1)
    X = rng.normal(size=(4, 5)).astype(np.float32)
    G = rng.normal(size=(4, 3)).astype(np.float32)
    layer = ulearn.Dense(5, 3, "linear", kern=batch)
    W0 = rng.normal(size=(3, 5)).astype(np.float32)
    layer.W[:] = W0
    layer.forward(X)
    layer.backward(G, ulearn.SGD(0.1), False)
    want = W0 - 0.1 * np.mean([np.outer(g, x) for g, x in zip(G, X)], axis=0)
    assert np.allclose(layer.W, want, atol=1e-6)


@pytest.fixture(scope="module")
def digits_task():
    from ulearn_host import tasks
    return load(tasks.load_task, "digits")


def test_training_on_digits_and_the_board_classifier_agree(digits_task):
    from ulearn_host import evaluate, tasks, train
    t = digits_task
    tr, te = tasks.select(t, "train"), tasks.select(t, "test")
    net = train.train(t.X[tr], t.y[tr], 10, hidden=(16,), epochs=20, quiet=True)
    acc_host = float(np.mean(net.predict(t.X[te]) == t.y[te]))
    assert acc_host > 0.93  # measured 0.97
    clf = net.to_classifier(t.names, capacity=12)
    names = [t.names[i] for i in t.y[te]]
    acc_board, per = evaluate.holdout(clf, t.X[te], names)
    assert abs(acc_board - acc_host) < 0.005  # same float32 maths, one sample at a time
    assert set(per) == set(t.names) and clf.capacity == 12 and clf.labels == t.names


def test_train_refuses_bad_labels():
    from ulearn_host import train
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        train.train(np.zeros((3, 2)), [0, 1, 2], 2)
    with pytest.raises(ValueError, match="one label per row"):
        train.train(np.zeros((3, 2)), [0, 1], 2)


def run_cli(capsys, *argv):
    from ulearn_host import cli
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_train_export_stream_commands(tmp_path, capsys, digits_task):
    import ulearn
    model, bundle, stream = (str(tmp_path / n) for n in ("m.npz", "b.npz", "s.npz"))
    code, out, _ = run_cli(capsys, "train", "--data", "digits", "--exclude", "9",
                           "--hidden", "16", "--epochs", "15", "-o", model, "--json")
    r = json.loads(out)
    assert code == 0 and r["classes"] == [str(c) for c in range(9)] and r["excluded"] == ["9"]
    assert r["test_accuracy"] > 0.9
    code, out, _ = run_cli(capsys, "export", model, "-o", bundle, "--int8", "--capacity", "10",
                           "--json")
    r = json.loads(out)
    assert code == 0 and r["capacity"] == 10 and r["format_version"] == ulearn.checkpoint.VERSION
    assert r["n_features"] == 64 and r["extractor"][0]["int8"] is True
    meta = ulearn.checkpoint.read_meta(bundle)
    assert meta["info"]["dataset"] == "digits" and meta["info"]["bundle"]["int8"] is True
    clf = ulearn.load(bundle)
    assert clf.labels == [str(c) for c in range(9)] and clf.head.rows == 9
    # int8 costs little against the float model
    t = digits_task
    from ulearn_host import evaluate, tasks
    te = tasks.select(t, "test", [str(c) for c in range(9)])
    names = [t.names[i] for i in t.y[te]]
    acc8, _ = evaluate.holdout(clf, t.X[te], names)
    acc32, _ = evaluate.holdout(ulearn.load(model), t.X[te], names)
    assert acc8 > acc32 - 0.02
    code, out, _ = run_cli(capsys, "stream", "--data", "digits", "--classes", "9,3", "--shuffle",
                           "--limit", "50", "-o", stream, "--json")
    assert code == 0 and json.loads(out)["samples"] == 50
    rows = list(ulearn.stream.Stream(stream))
    assert len(rows) == 50 and {y for _, y in rows} == {"9", "3"}


def test_command_errors_are_one_line(tmp_path, capsys, digits_task):
    code, _, err = run_cli(capsys, "train", "--data", "digits", "--exclude", "ten")
    assert code == 1 and err.startswith("ulearn train: error: unknown class 'ten'") and "Traceback" not in err
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a bundle")
    code, _, err = run_cli(capsys, "export", str(junk))
    assert code == 1 and "too short to be a checkpoint" in err
    code, _, err = run_cli(capsys, "export", str(tmp_path / "missing.npz"))
    assert code == 1 and "missing.npz" in err and "Traceback" not in err


def test_export_refuses_a_capacity_below_the_classes(tmp_path):
    import ulearn
    from ulearn_host import export
    clf = ulearn.Classifier(3, 4)
    for c in "abc":
        clf.add_class(c)
    ulearn.save(clf, str(tmp_path / "m.npz"))
    with pytest.raises(ValueError, match="capacity 2 is below the 3 trained classes"):
        export.export(tmp_path / "m.npz", tmp_path / "b.npz", capacity=2)
    assert not (tmp_path / "b.npz").exists()
    ulearn.save(ulearn.AnomalyDetector(3), str(tmp_path / "a.npz"))
    with pytest.raises(ValueError, match="holds a AnomalyDetector"):
        export.export(tmp_path / "a.npz", tmp_path / "b.npz")


def test_stream_round_trip_on_every_backend(ul, tmp_path):
    X = np.arange(12, dtype=np.float32).reshape(4, 3) / 7
    path = str(tmp_path / "s.npz")
    ul.stream.save(path, X.tolist(), [1, 0, 1, 2], ["a", "b", "c"])
    rows = list(ul.stream.Stream(path))
    assert [y for _, y in rows] == ["b", "a", "b", "c"]
    assert np.array_equal(np.array([x for x, _ in rows], dtype=np.float32), X)
    npz = np.load(path)  # numpy reads it too
    assert np.array_equal(npz["x"], X) and npz["y"].tolist() == [1, 0, 1, 2]


def test_damaged_or_foreign_streams_are_refused(tmp_path):
    import ulearn
    path = tmp_path / "s.npz"
    ulearn.stream.save(str(path), [[1.0, 2.0]] * 3, [0, 1, 5], ["a", "b"])
    with pytest.raises(ValueError, match="label 5 of row 2 has no name"):
        list(ulearn.stream.Stream(str(path)))
    data = bytearray(path.read_bytes())
    data[150] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged"):
        ulearn.stream.Stream(str(path))
    with pytest.raises(ValueError, match="one label per row"):
        ulearn.stream.save(str(path), [[1.0]], [0, 1])
    ulearn.save(ulearn.Classifier(2, 2), str(path))
    with pytest.raises(ValueError, match="no x.npy"):
        ulearn.stream.Stream(str(path))


def test_entry_point_arguments():
    from ulearn_host import run
    code = run.entry_code("learn", ["stream=/ulearn-data/s.npz", "every=50"])
    assert code.splitlines()[1] == "ulearn.app.learn(stream='/ulearn-data/s.npz', every=50)"
    for bad, args in (("_secret", []), ("learn;x", []), ("learn", ["noequals"])):
        with pytest.raises(ValueError):
            run.entry_code(bad, args)


def test_report_lines_are_parsed_and_passed_through():
    import io

    from ulearn_host import run
    out = io.StringIO()
    lines = run.Lines(out)
    for b in b'step 1\nulearn-report {"n": 3}\n\x04tail':
        lines.feed(bytes([b]))
    lines.flush()
    assert lines.reports == [{"n": 3}]
    assert out.getvalue() == 'step 1\nulearn-report {"n": 3}\ntail\n'


def test_export_with_a_trainable_layer_and_a_replay_set(tmp_path, capsys, digits_task):
    import ulearn
    from ulearn_host import budget
    model, bundle = str(tmp_path / "m.npz"), str(tmp_path / "b.npz")
    run_cli(capsys, "train", "--data", "digits", "--exclude", "9", "--hidden", "24", "12",
            "--epochs", "10", "-o", model)
    code, out, err = run_cli(capsys, "export", model, "-o", bundle, "--capacity", "10",
                             "--trainable-last", "--replay-method", "herding",
                             "--replay-per-class", "2", "--grow-step", "4", "--max-hidden", "20",
                             "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["hidden"] == 12 and r["replay"] == 18 and r["replay_rows"] == 18
    assert r["flops_train_step"] > r["flops_inference"] > 0
    clf = ulearn.load(bundle)
    assert [lc["n_out"] for lc in clf.config()["extractor"]] == [24]
    assert list(clf.replay.count[:9]) == [2] * 9 and sum(clf.replay.count) == 18
    # the bundle computes what the trained model computes
    x = digits_task.X[0]
    assert clf.predict_one(x) == ulearn.load(model).predict_one(x)
    clf.learn_one(x, "9")  # a new class: the trainable layer grows 12 -> 16
    assert clf.hidden.n_out == 16 and clf.replay.n == 18
    plan = budget.plan(bundle, "rp2040")
    assert plan["ram"]["items"]["replay"] == 18 * (24 + 4 + 4)  # int8 embedding, scale, label
    with pytest.raises(SystemExit) as e:  # a usage error (exit 2)
        run_cli(capsys, "export", str(tmp_path / "m.npz"), "-o", bundle,
                "--trainable-last", "--replay-method", "dm", "--replay-fraction", "2")
    assert e.value.code == 2 and "replay-fraction" in capsys.readouterr().err
    code, _, err = run_cli(capsys, "export", model, "-o", bundle, "--capacity", "10", "--trainable-last",
                           "--replay", "18", "--grow-step", "4", "--max-hidden", "20",
                           "--grow-below", "0.5", "--no-grow-on-class")
    assert code == 0, err
    clf = ulearn.load(bundle)
    assert (clf.grow_on_class, clf.grow_below) == (False, 0.5)
    clf.learn_one(x, "9")  # a new class: growth waits for replay accuracy, checked every 18 samples
    assert clf.hidden.n_out == 12


def test_batched_embedding_is_the_boards(digits_task):
    import ulearn
    from ulearn_host import train
    ext = [ulearn.Frozen(64, 16, "relu", int8=True).set_weights(
        np.random.default_rng(0).normal(size=(16, 64)) / 8, np.zeros(16))]
    clf = ulearn.Classifier(64, 3, extractor=ext)
    train.set_stats(clf, digits_task.X.mean(0), digits_task.X.var(0), 100)
    X = digits_task.X[:20]
    E = train.embed(clf, X)
    for e, x in zip(E, X):
        assert np.allclose(e, clf._features(x, False), atol=1e-5)
