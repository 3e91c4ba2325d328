"""A compact replay set: about 1% of the data that stands for all of it.

A board that learns new classes forgets the old ones unless it rehearses
them, and it has room for only a few stored samples per class. Rüb, Tuchel,
Sikora and Mueller-Gritschneder (2024, "A Continual and Incremental Learning
Approach for TinyML On-device Training Using Dataset Distillation and Model
Size Adaption") store ~1% of the data as a replay set and build it on the
host by dataset distillation. :func:`replay_set` builds such a set three
ways, in one code path:

``random``
    rows drawn uniformly per class (the baseline);
``herding``
    iCaRL's herding (Rebuffi et al. 2017): per class, rows picked greedily
    so that their running mean tracks the class mean;
``dm``
    distribution matching (Zhao and Bilen 2023): per class, synthetic rows
    started from random real ones and moved by gradient descent so that
    their mean embedding matches the real rows' mean embedding, under a new
    randomly drawn embedding network each iteration.

X is given in the space the board stores (a frozen extractor's outputs, or
raw inputs when they are small, such as 8x8 digits), and the set comes back
in that space.

Examples
--------
>>> from ulearn_host.datasets import load_digits
>>> from ulearn_host.distill import replay_set
>>> X, y = load_digits()
>>> Xs, ys = replay_set(X, y, "dm", per_class=2, iterations=50)
>>> Xs.shape, Xs.dtype, ys.tolist()[:4]
((20, 64), dtype('float32'), [0, 0, 1, 1])
"""
import numpy as np
from threadpoolctl import threadpool_limits

from .progress import progress

__all__ = ["METHODS", "matching_loss", "replay_set"]

METHODS = ("random", "herding", "dm")


def replay_set(X, y, method="dm", fraction=0.01, per_class=None, seed=0, embed=None,
               iterations=1000, lr=0.1, width=128, batch=256, classes=None, quiet=True):
    """Build a small labelled set that stands for ``(X, y)``.

    Parameters
    ----------
    X : array_like (n, d)
        Samples, in the space the board stores them. Finite numbers.
    y : array_like (n,)
        Integer label per row.
    method : {"dm", "random", "herding"}
        How to build the set (see the module docstring).
    fraction : float in (0, 1], default 0.01
        Budget per class: ``max(1, round(fraction * n_c))`` for a class of
        ``n_c`` rows. Ignored when `per_class` is given.
    per_class : int >= 1, optional
        Budget per class, capped at the class's row count.
    seed : int, default 0
        Seeds every random draw: same inputs and seed, same set.
    embed : callable, optional
        ``herding`` only: ``embed(X) -> (n, k)``, the space it picks in
        (default: X itself).
    iterations : int, default 1000
        ``dm``: gradient steps (one random embedding network each).
    lr : float, default 0.1
        ``dm``: step size in standardised units, momentum 0.5. The gradient
        of a synthetic row is scaled by its class's budget, so the step does
        not shrink as the budget grows.
    width : int, default 128
        ``dm``: relu units of the random embedding.
    batch : int, default 256
        ``dm``: real rows per class drawn each iteration (all, if fewer).
    classes : sequence of int, optional
        Build the set for these labels only, each of which must occur in y
        (say, the old classes of a class-incremental stream). Default: every
        label in y.
    quiet : bool, default True
        ``dm``: no progress bar.

    Returns
    -------
    X_small : ndarray (m, d), float32
        Rows of X (``random``, ``herding``), or synthetic rows inside X's
        per-feature range (``dm``; they start as the rows ``random`` picks
        with the same seed), grouped by class in ascending order.
    y_small : ndarray (m,), int64
        Their labels.

    Raises
    ------
    ValueError
        An unknown method; X not a non-empty 2-D array of finite numbers; y
        not one integer label per row; `fraction` outside (0, 1];
        `per_class` < 1; a label in `classes` with no rows; for ``dm``,
        `iterations` < 0, `lr` <= 0, `width` < 1 or `batch` < 1.

    Notes
    -----
    ``dm`` works in X standardised by its own per-feature mean and standard
    deviation (as the board's input scaler sees it), so features of any
    scale count alike; the result is mapped back to X's units. Each
    iteration draws one random relu layer ``phi(z) = relu(z W + b)`` with
    ``W ~ N(0, 1/d)``, ``b ~ N(0, 1)`` (one draw per iteration, shared by
    all classes) and takes a momentum step on the synthetic rows along the
    analytic gradient of ``sum_c ||mean phi(S_c) - mean phi(R_c)||^2``,
    where ``R_c`` is a fresh batch of the class's real rows. Averaged over
    the draws, this is the maximum mean discrepancy under the random-feature
    kernel ``E[phi(z) . phi(z')]``, which compares whole distributions, not
    just means; a second random layer did no better on digits. Zhao and
    Bilen's differentiable augmentation is left out: it is for images and a
    ConvNet embedding.

    Examples
    --------
    >>> from ulearn_host.datasets import load_digits
    >>> X, y = load_digits()
    >>> Xr, yr = replay_set(X, y, "herding")          # 1% of each class: 2 rows
    >>> Xr.shape, yr.tolist()[:4]
    ((20, 64), [0, 0, 1, 1])
    >>> Xd, yd = replay_set(X, y, "dm", per_class=1, iterations=300)
    >>> matching_loss(X, y, Xd, yd) < matching_loss(X, y, *replay_set(X, y, "random", per_class=1))
    True
    """
    X, y, classes = _check(X, y, method, fraction, per_class, classes)
    if method == "dm" and not (iterations >= 0 and lr > 0 and width >= 1 and batch >= 1):
        raise ValueError("dm needs iterations >= 0, lr > 0, width >= 1 and batch >= 1; got "
                         "%r, %r, %r, %r" % (iterations, lr, width, batch))
    rng = np.random.default_rng(seed)
    rows = [np.flatnonzero(y == c) for c in classes]
    sizes = [_budget(len(r), fraction, per_class) for r in rows]
    if method == "herding":
        F = X if embed is None else _embedded(embed, X)
        picks = [r[_herd(F[r], k)] for r, k in zip(rows, sizes)]
    else:  # random, and dm's starting point
        picks = [rng.choice(r, size=k, replace=False) for r, k in zip(rows, sizes)]
    idx = np.concatenate(picks)
    X_small = X[idx]
    if method == "dm":
        # one BLAS thread: its products are small, and threads made them
        # 4 to 8 times slower on a busy 2-core machine
        with threadpool_limits(1, user_api="blas"):
            X_small = _distill(X, rows, X_small, np.repeat(np.arange(len(rows)), sizes), rng,
                               iterations, lr, width, batch, quiet)
    return X_small.astype(np.float32), y[idx]


def matching_loss(X, y, X_small, y_small, nets=100, width=128, seed=0):
    """What ``dm`` minimises, averaged over `nets` random embeddings.

    ``sum_c ||mean phi(S_c) - mean phi(X_c)||^2`` over the classes of
    `y_small`, all rows of each class, X and the set standardised by X's
    per-feature mean and deviation, `phi` a random relu layer of `width`
    units (see :func:`replay_set`). Lower: the set's class distributions are
    closer to the data's.

    Examples
    --------
    >>> from ulearn_host.datasets import load_digits
    >>> X, y = load_digits()
    >>> round(matching_loss(X, y, X, y), 6)
    0.0
    """
    S, s_y, classes = _check(X_small, y_small, "dm", 1.0, None, None)
    X, y, _ = _check(X, y, "dm", 1.0, None, classes)  # each class of the set occurs in y
    if S.shape[1] != X.shape[1]:
        raise ValueError("X_small has %d features, X has %d" % (S.shape[1], X.shape[1]))
    keep = np.isin(y, classes)
    r_cls, s_cls = np.searchsorted(classes, y[keep]), np.searchsorted(classes, s_y)
    mean, std = _standard(X)
    R, S = (X[keep] - mean) / std, (S - mean) / std
    rng = np.random.default_rng(seed)
    return float(np.mean([_loss_grad(_random_layer(rng, X.shape[1], width), S, s_cls, R, r_cls,
                                     len(classes))[0] for _ in range(nets)]))


def _check(X, y, method, fraction, per_class, classes):
    if method not in METHODS:
        raise ValueError("unknown method %r; choose from: %s" % (method, ", ".join(METHODS)))
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.size == 0:
        raise ValueError("X must be a non-empty (n, d) array, got shape %s" % (X.shape,))
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError("y must hold one label per row of X: X has %d rows, y has shape %s"
                         % (len(X), y.shape))
    if not np.isfinite(X).all():
        raise ValueError("X holds NaN or infinite values")
    if y.dtype.kind not in "iub" and not (y.dtype.kind == "f" and np.all(y == np.round(y))):
        raise ValueError("labels must be integers, got dtype %s" % y.dtype)
    y = y.astype(np.int64)
    if per_class is None and not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1], got %r" % (fraction,))
    if per_class is not None and (int(per_class) != per_class or per_class < 1):
        raise ValueError("per_class must be an integer >= 1, got %r" % (per_class,))
    if classes is None:
        return X, y, np.unique(y)
    classes = np.unique(np.asarray(classes, dtype=np.int64))
    if len(classes) == 0:
        raise ValueError("classes is empty")
    empty = [str(c) for c in classes if not np.any(y == c)]
    if empty:
        which = "class %s has" if len(empty) == 1 else "classes %s have"
        raise ValueError((which + " no rows in y") % ", ".join(empty))
    return X, y, classes


def _budget(n, fraction, per_class):
    k = per_class if per_class is not None else max(1, int(round(fraction * n)))
    return int(min(k, n))


def _embedded(embed, X):
    F = np.asarray(embed(X), dtype=np.float64)
    if F.ndim != 2 or len(F) != len(X):
        raise ValueError("embed(X) must return (n, k) for n = %d rows, got shape %s"
                         % (len(X), F.shape))
    return F


def _herd(F, k):
    """Indexes of k distinct rows of F whose running mean tracks F's mean (iCaRL)."""
    mu, total = F.mean(axis=0), np.zeros(F.shape[1])
    taken = np.zeros(len(F), dtype=bool)
    out = []
    for j in range(1, k + 1):
        gap = np.sum((mu - (total + F) / j) ** 2, axis=1)
        gap[taken] = np.inf
        i = int(np.argmin(gap))
        out.append(i)
        taken[i] = True
        total += F[i]
    return np.array(out, dtype=np.int64)


def _standard(X):
    std = X.std(axis=0)
    return X.mean(axis=0), np.where(std > 0, std, 1.0)


def _random_layer(rng, d, width):
    return rng.normal(0.0, np.sqrt(1.0 / d), (d, width)), rng.normal(0.0, 1.0, width)


def _class_means(H, cls, n_classes):
    onehot = np.zeros((n_classes, len(H)))
    onehot[cls, np.arange(len(H))] = 1.0
    return (onehot @ H) / np.maximum(onehot.sum(axis=1), 1.0)[:, None]


def _loss_grad(layer, S, s_cls, R, r_cls, n_classes):
    """sum_c ||mean phi(S_c) - mean phi(R_c)||^2 and its gradient in S."""
    W, b = layer
    pre = S @ W + b
    E = (_class_means(np.maximum(pre, 0.0), s_cls, n_classes)
         - _class_means(np.maximum(R @ W + b, 0.0), r_cls, n_classes))
    counts = np.bincount(s_cls, minlength=n_classes)
    G = (2.0 / counts[s_cls, None]) * E[s_cls] * (pre > 0)
    return float(np.sum(E ** 2)), G @ W.T


def _distill(X, rows, S, s_cls, rng, iterations, lr, width, batch, quiet):
    mean, std = _standard(X)
    xmin, xmax = X.min(axis=0), X.max(axis=0)
    lo, hi = (xmin - mean) / std, (xmax - mean) / std
    S = (S - mean) / std
    scale = lr * np.bincount(s_cls)[s_cls, None]  # per-row step independent of the budget
    step = np.zeros_like(S)
    for _ in progress(range(iterations), "distilling", quiet):
        real = [r if len(r) <= batch else rng.choice(r, batch, replace=False) for r in rows]
        r_cls = np.repeat(np.arange(len(rows)), [len(r) for r in real])
        R = (X[np.concatenate(real)] - mean) / std
        layer = _random_layer(rng, X.shape[1], width)
        _, grad = _loss_grad(layer, S, s_cls, R, r_cls, len(rows))
        step = 0.5 * step - scale * grad
        S = np.clip(S + step, lo, hi)
    return np.clip(S * std + mean, xmin, xmax)  # exactly inside, despite rounding
