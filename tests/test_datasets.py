"""Tests for the offline dataset loaders (host/ulearn_host/datasets.py)."""

import gzip
import os

import numpy as np
import pytest

from ulearn_host import datasets as D


def load(fn, *args, **kw):
    """Call a loader; off CI, skip (with the install command) if its package is missing."""
    try:
        return fn(*args, **kw)
    except D.DatasetUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def watch():
    return load(D.load_watch)


# ---------------------------------------------------------------- loaders


def test_digits():
    X, y = load(D.load_digits)
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert X.min() == 0 and X.max() == 16
    assert np.all(X == np.round(X))
    assert y.shape == (1797,) and y.dtype.kind == "i"
    counts = np.bincount(y)
    assert len(counts) == 10 and counts.min() >= 170


def test_watch(watch):
    assert len(watch.recordings) == 140
    lengths = [r.shape[0] for r in watch.recordings]
    assert min(lengths) == 947 and max(lengths) == 2618
    assert all(r.dtype == np.float32 and r.shape[1] == 6 for r in watch.recordings)
    assert watch.labels.shape == watch.subject.shape == watch.side.shape == (140,)
    assert np.bincount(watch.labels).tolist() == [20] * 7
    assert sorted(set(watch.subject.tolist())) == list(range(1, 11))
    assert set(watch.side.tolist()) == {0, 1}
    assert watch.label_names == ["PEN", "ABD", "FEL", "IR", "ER", "TRAP", "ROW"]
    assert watch.axis_names == ["ax", "ay", "az", "wx", "wy", "wz"]
    assert watch.sample_rate == 50.0
    assert all(np.isfinite(r).all() for r in watch.recordings)


def test_watch_windows(watch):
    from ulearn import features as feats
    size, step = 100, 50
    X, y, groups, rec = load(D.watch_windows, size, step, data=watch, return_recording=True)
    n_expected = sum((r.shape[0] - size) // step + 1 for r in watch.recordings)
    assert X.shape == (n_expected, feats.n_features(6)) == (n_expected, 26)
    assert X.dtype == np.float32 and np.isfinite(X).all()
    assert y.shape == groups.shape == rec.shape == (n_expected,)
    # recording order, so it can be streamed
    assert np.all(np.diff(rec) >= 0) and rec[0] == 0 and rec[-1] == 139
    assert np.array_equal(y, watch.labels[rec]) and np.array_equal(groups, watch.subject[rec])
    # numpy reference on a few windows
    for row in (0, 1, len(X) // 2, len(X) - 1):
        k = rec[row]
        j = int(np.sum(rec[:row] == k))
        w = watch.recordings[k][j * step : j * step + size].astype(np.float64)
        mag = np.sqrt((w[:, :3] ** 2).sum(axis=1))
        per_axis = np.stack([w.mean(0), w.std(0), w.min(0), w.max(0)], axis=1).ravel()
        ref = np.concatenate([per_axis, [mag.mean(), mag.std()]])
        np.testing.assert_allclose(X[row], ref, rtol=1e-5, atol=1e-6)


def test_watch_windows_equal_streaming_windower(watch):
    # what a board computes with Windower == what the host computes
    from ulearn import features as feats
    X, y, groups, rec = load(D.watch_windows, 64, 32, data=watch, return_recording=True)
    w = feats.Windower(6, 64, 32)
    rows = []
    for s in watch.recordings[3].tolist():
        if w.push(s):
            rows.append(w.features())
    np.testing.assert_array_equal(np.asarray(rows, dtype=np.float32), X[rec == 3])


def test_watch_windows_default_and_short_windows(watch):
    X, y, groups = load(D.watch_windows, data=watch)
    assert X.shape[1] == 26 and len(X) == len(y) == len(groups)
    X2, _, _ = load(D.watch_windows, size=5000, step=10, data=watch)  # longer than any recording
    assert X2.shape == (0, 26)
    with pytest.raises(ValueError):
        D.watch_windows(size=0, data=watch)


def test_kdd_tsad_135():
    train, test, labels = load(D.load_kdd_tsad_135)
    assert train.shape == (1200,) and test.shape == (7501,) and labels.shape == (7501,)
    assert train.dtype == test.dtype == np.float32
    assert set(labels.tolist()) == {0, 1}
    idx = np.flatnonzero(labels)
    assert idx.tolist() == list(range(4187, 4199))  # one 12-point anomaly
    assert np.array_equal(train, test[:1200])  # test is the whole series
    res = D.load_kdd_tsad_135()
    assert res.train is not None and res.test_labels.sum() == 12


def test_shuttle():
    X, y = load(D.load_shuttle)
    assert X.shape == (49097, 9) and X.dtype == np.float32
    assert y.shape == (49097,) and set(y.tolist()) == {0, 1}
    assert int(y.sum()) == 3511
    assert 0.07 < y.mean() < 0.072


@pytest.fixture(scope="module")
def fashion():
    return load(D.load_fashion_mnist)


def test_fashion_mnist(fashion):
    Xtr, ytr, Xte, yte = fashion
    assert Xtr.shape == (60000, 784) and Xte.shape == (10000, 784)
    assert Xtr.dtype == Xte.dtype == np.uint8
    assert Xtr.min() == 0 and Xtr.max() == 255
    assert ytr.shape == (60000,) and yte.shape == (10000,) and ytr.dtype == np.int64
    assert np.bincount(ytr).tolist() == [6000] * 10
    assert np.bincount(yte).tolist() == [1000] * 10
    assert fashion.y_train is ytr and fashion.X_test is Xte
    # the published files' first labels: ankle boot, then T-shirt/top
    assert ytr[:5].tolist() == [9, 0, 0, 3, 0] and yte[:5].tolist() == [9, 2, 1, 1, 6]
    assert D.FASHION_MNIST_CLASSES[ytr[0]] == "Ankle boot" and len(D.FASHION_MNIST_CLASSES) == 10
    mean = Xtr.mean(axis=0).reshape(28, 28)  # centred objects on a dark background
    assert max(mean[0, 0], mean[0, -1], mean[-1, 0], mean[-1, -1]) < 1 and mean[14, 14] > 100
    Xtr[0, 0] = Xtr[0, 0]  # writable arrays, not views of the file buffer


def _idx(path, magic, dims, payload):
    head = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    with gzip.open(path, "wb") as fh:
        fh.write(head + payload)


def _fake_fashion(d, n_train=60000, n_test=10000):
    # well-formed files of the real sizes (blank images), for damaging one at a time
    for split, n in (("train", n_train), ("t10k", n_test)):
        _idx(d / ("%s-images-idx3-ubyte.gz" % split), 0x803, (n, 28, 28), bytes(n * 784))
        _idx(d / ("%s-labels-idx1-ubyte.gz" % split), 0x801, (n,), bytes(range(10)) * (n // 10))


def test_fashion_mnist_reads_a_directory(tmp_path):
    _fake_fashion(tmp_path)
    d = D.load_fashion_mnist(tmp_path)
    assert d.X_train.shape == (60000, 784) and d.X_test.shape == (10000, 784)
    assert d.y_test[:12].tolist() == list(range(10)) + [0, 1] and d.X_train.max() == 0


@pytest.mark.parametrize(
    "damage, match",
    [
        (lambda p: _idx(p, 0x801, (60000, 28, 28), bytes(60000 * 784)), "magic"),
        (lambda p: _idx(p, 0x80D, (60000, 28, 28), bytes(60000 * 784)), "magic"),  # float32
        (lambda p: _idx(p, 0x803, (60000, 28, 27), bytes(60000 * 756)), "sizes"),
        (lambda p: _idx(p, 0x803, (59999, 28, 28), bytes(59999 * 784)), "sizes"),
        (lambda p: _idx(p, 0x803, (60000, 28, 28), bytes(60000 * 784 - 1)), "data bytes"),
        (lambda p: _idx(p, 0x803, (60000, 28, 28), bytes(60000 * 784 + 1)), "data bytes"),
        (lambda p: _idx(p, 0x803, (), b""), "header"),
        (lambda p: p.write_bytes(b"not gzip at all"), "gzip"),
    ],
    ids=["labels-magic", "float-magic", "image-size", "count", "short", "long", "no-header",
         "not-gzip"],
)
def test_fashion_mnist_damaged_images(tmp_path, damage, match):
    _fake_fashion(tmp_path)
    damage(tmp_path / "train-images-idx3-ubyte.gz")
    with pytest.raises(D.DatasetUnavailable, match=match) as ei:
        D.load_fashion_mnist(tmp_path)
    assert ei.value.install == "apt-get install --reinstall dataset-fashion-mnist"
    assert "train-images-idx3-ubyte.gz" in str(ei.value) and ei.value.install in str(ei.value)


def test_fashion_mnist_damaged_labels(tmp_path):
    _fake_fashion(tmp_path)
    _idx(tmp_path / "t10k-labels-idx1-ubyte.gz", 0x801, (10000,), bytes([10]) * 10000)
    with pytest.raises(D.DatasetUnavailable, match="label 10 outside 0-9"):
        D.load_fashion_mnist(tmp_path)
    _idx(tmp_path / "t10k-labels-idx1-ubyte.gz", 0x803, (10000,), bytes(10000))
    with pytest.raises(D.DatasetUnavailable, match="magic"):
        D.load_fashion_mnist(tmp_path)


def test_fashion_mnist_missing(tmp_path, monkeypatch):
    cmd = "apt-get install dataset-fashion-mnist"
    for where in (tmp_path / "nowhere", tmp_path):  # no directory; an empty one
        with pytest.raises(D.DatasetUnavailable) as ei:
            D.load_fashion_mnist(where)
        assert cmd in str(ei.value) and ei.value.install == cmd
        assert "train-images-idx3-ubyte.gz" in str(ei.value)
    _fake_fashion(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(D.DatasetUnavailable, match="t10k-labels-idx1-ubyte.gz") as ei:
        D.load_fashion_mnist(tmp_path)
    assert "train-images" not in str(ei.value)
    # the registry's loader reads the Debian directory
    package, _, names = D._DEBIAN_SOURCES["fashion_mnist"]
    monkeypatch.setitem(D._DEBIAN_SOURCES, "fashion_mnist", (package, tmp_path / "nowhere", names))
    with pytest.raises(D.DatasetUnavailable, match=cmd):
        D.DATASETS["fashion_mnist"].loader()
    with pytest.raises(D.DatasetUnavailable, match=cmd):
        D.dataset_files("fashion_mnist")


# ---------------------------------------------------------------- helpers


def test_sliding_windows():
    s = np.arange(10, dtype=np.float32)
    w = D.sliding_windows(s, 4)
    assert w.shape == (7, 4) and w.dtype == np.float32
    assert w[0].tolist() == [0, 1, 2, 3] and w[-1].tolist() == [6, 7, 8, 9]
    w2 = D.sliding_windows(s, 4, step=3)
    assert w2.tolist() == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    w[0, 0] = 99  # a copy, not a view
    assert s[0] == 0
    for bad in [(s, 0), (s, 11), (s.reshape(2, 5), 2)]:
        with pytest.raises(ValueError):
            D.sliding_windows(*bad)
    with pytest.raises(ValueError):
        D.sliding_windows(s, 2, step=0)


def test_window_labels():
    assert D.window_labels([0, 0, 1, 0, 0], 2).tolist() == [0, 1, 1, 0]
    assert D.window_labels([0, 0, 1, 0, 0, 0], 2, step=2).tolist() == [0, 1, 0]


def test_kdd_windows_labels_align():
    train, test, labels = load(D.load_kdd_tsad_135)
    W = D.sliding_windows(test, 100)
    L = D.window_labels(labels, 100)
    assert len(W) == len(L) == 7501 - 100 + 1
    assert L.sum() == 100 + 12 - 1  # windows overlapping the 12-point anomaly


# ---------------------------------------------------------------- registry / errors


def test_registry():
    assert set(D.DATASETS) == {"digits", "watch", "kdd_tsad_135", "shuttle", "fashion_mnist"}
    for name, entry in D.DATASETS.items():
        loader, desc, install = entry
        assert callable(loader) and loader is entry.loader
        assert isinstance(desc, str) and desc and "\n" not in desc
        if name == "fashion_mnist":
            assert install == "apt-get install dataset-fashion-mnist"
        else:
            assert install.startswith("pip install --no-deps ")
    assert "seglearn" in D.DATASETS["watch"].install


def test_dataset_files_locations():
    expected = {
        "digits": ["sklearn/datasets/data/digits.csv.gz"],
        "watch": ["seglearn/data/watch_dataset.npy"],
        "kdd_tsad_135": [
            "aeon/datasets/data/KDD-TSAD_135/135_UCR_Anomaly_InternalBleeding16_TRAIN.csv",
            "aeon/datasets/data/KDD-TSAD_135/135_UCR_Anomaly_InternalBleeding16_TEST.csv",
        ],
        "shuttle": ["river/datasets/shuttle.csv.gz"],
        "fashion_mnist": [
            "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
            "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz",
            "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
            "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz",
        ],
    }
    for name, rels in expected.items():
        paths = load(D.dataset_files, name)
        assert [p.as_posix().endswith(r) for p, r in zip(paths, rels)] == [True] * len(rels)
    with pytest.raises(KeyError):
        D.dataset_files("nope")


def test_missing_package_message(monkeypatch):
    monkeypatch.setattr(D.importlib.util, "find_spec", lambda name: None)
    for name, loader, cmd in [
        ("watch", D.load_watch, "pip install --no-deps seglearn"),
        ("digits", D.load_digits, "pip install --no-deps scikit-learn"),
        ("kdd_tsad_135", D.load_kdd_tsad_135, "pip install --no-deps aeon"),
        ("shuttle", D.load_shuttle, 'pip install --no-deps "river>=0.26"'),
    ]:
        with pytest.raises(D.DatasetUnavailable) as ei:
            loader()
        assert cmd in str(ei.value) and ei.value.install == cmd
        assert isinstance(ei.value, RuntimeError)
    with pytest.raises(D.DatasetUnavailable):
        D.watch_windows()


def test_missing_file_and_corrupt_file(monkeypatch, tmp_path):
    monkeypatch.setattr(D, "_package_dirs", lambda module: [tmp_path])
    with pytest.raises(D.DatasetUnavailable, match="--upgrade --no-deps seglearn"):
        D.load_watch()
    (tmp_path / "datasets/data").mkdir(parents=True)
    with gzip.open(tmp_path / "datasets/data/digits.csv.gz", "wt") as fh:
        fh.write("1,2,3\n")
    with pytest.raises(D.DatasetUnavailable, match="force-reinstall"):
        D.load_digits()
    (tmp_path / "data").mkdir()
    (tmp_path / "data/watch_dataset.npy").write_bytes(b"not a numpy file")
    with pytest.raises(D.DatasetUnavailable, match="force-reinstall"):
        D.load_watch()
