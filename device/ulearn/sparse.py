# Sparse updates (after TinyTrain, Kwon et al. 2024): train more than the
# head, but only the channels of the frozen layers that matter, within a
# memory and a compute budget. One backward pass over a few support samples
# scores every output channel o of every frozen layer by its Fisher
# potential, Delta_o = 1/(2N) sum_n (a_o g_o)^2 (a: the channel's activation,
# g: the loss gradient w.r.t. it); a layer's potential is the sum over its
# channels, and its score divides that by its share of the parameters and
# of the MACs. Layers are taken by score and their channels by Delta while
# the update still fits. The chosen rows get trainable float32 copies
# (`Rows`); the frozen weights (int8 or float32) stay as they are.
import struct

from .backend import K
from .layers import Dense
from .rng import Rng

_F32 = 4
_OBJECTS = 800  # bytes of object and array headers of the trained rows on
# MicroPython (32-bit port), measured by tests/test_sparse.py's board test
METHODS = ("fisher", "l2", "random")  # l2 and random: the baselines


def channel_scores(clf, X, labels, method="fisher", seed=0):
    """One score per output channel of each frozen layer of `clf`."""
    if method not in METHODS:
        raise ValueError("method must be one of %r, got %r" % (METHODS, method))
    layers = clf.extractor
    if method == "random":
        rng = Rng(seed + 1)
        return [[rng.random() for _ in range(f.n_out)] for f in layers]
    if method == "l2":
        return [[sum(v * v for v in f.row(o)) ** 0.5 for o in range(f.n_out)] for f in layers]
    return fisher(clf, X, labels)


def fisher(clf, X, labels):
    """Fisher potential Delta_o of every channel of every frozen layer (its
    frozen weights), over the support set (X, labels), whose labels clf
    knows; changes nothing in clf."""
    layers = clf.extractor
    delta = [[0.0] * f.n_out for f in layers]
    gin = [K.vec(f.n_in) for f in layers]
    acts = [None] * len(layers)
    for x, y in zip(X, labels):
        i = clf._index(y)
        if i < 0:
            raise ValueError("the classifier has no output for label %r" % (y,))
        h = clf._standardize(K.load_vec(x, clf._x), False)
        for j, f in enumerate(layers):
            h = acts[j] = f(h)
        g = clf._step(h, i, opt=False)  # dL/dh, nothing updated
        for j in range(len(layers) - 1, -1, -1):
            f, a, d = layers[j], acts[j], delta[j]
            for o in range(f.n_out):
                v = a[o] * g[o]
                d[o] += v * v
            if j:
                g = f.grad_input(K.act_grad(g, a, f.act, f.n_out), gin[j])
    n2 = 2.0 * len(labels)
    return [[float(v) / n2 for v in d] for d in delta]


def layer_scores(dims, scores):
    """s_i = P_i / ((params_i / max params) * (MACs_i / max MACs)), with P_i
    the sum of layer i's channel scores; dims: (n_in, n_out) per layer."""
    params = [(n + 1) * m for n, m in dims]
    macs = [n * m for n, m in dims]
    pm, mm = max(params), max(macs)
    return [sum(s) / ((p / pm) * (c / mm)) for s, p, c in zip(scores, params, macs)]


def cost(dims, counts, top):
    """Memory (bytes) and backward MACs of one training step that updates
    counts[i] rows of frozen layer i (dims[i] = (n_in, n_out)) and every row
    of the trainable layers `top` above them (their (n_in, n_out), bottom
    first). Memory: the trained rows' float32 weights and their gradients
    (the momentum velocity, or the ulab step's temporary), the activations
    the backward pass reads (from the input of the lowest trained layer up),
    and the gradient vectors (each layer's input gradient above the lowest
    trained one; each set of trained frozen rows' outputs, gathered
    gradients and input gradient), and the headers of the objects holding
    the trained rows (measured on MicroPython)."""
    stack = [(n, m, k) for (n, m), k in zip(dims, counts)] + [(n, m, m) for n, m in top]
    low = 0
    while stack[low][2] == 0:
        low += 1
    w = sum(k * (n + 1) for n, _, k in stack)
    act = stack[low][0] + sum(m for _, m, _ in stack[low:])
    grads = sum(n for n, _, _ in stack[low + 1:])
    grads += sum(2 * k + n for (n, _), k in zip(dims, counts) if k)
    macs = sum(k * n for n, _, k in stack) + sum(n * m for n, m, _ in stack[low + 1:])
    parts = {"weights": _F32 * w, "gradients": _F32 * w, "activations": _F32 * act,
             "gradient_vectors": _F32 * grads, "objects": _OBJECTS if any(counts) else 0}
    parts["bytes"] = sum(parts.values())
    parts["macs"] = macs
    return parts


def allocated(dims, counts, top):
    """Bytes the trained rows add to a learner that trains its head: what
    cost() counts beyond training the head alone, except the activations
    (on the pure-Python path the layers' own output buffers)."""
    c, h = cost(dims, counts, top), cost(dims, [0] * len(dims), top)
    return sum(c[k] - h[k] for k in ("weights", "gradients", "gradient_vectors", "objects"))


def select(dims, top, scores, budget_bytes, budget_macs=None):
    """Channels to train per frozen layer: layers in order of layer_scores,
    channels in order of score, while cost() stays within both budgets.
    Returns (picks, cost) with picks[i] the sorted channels of layer i."""
    if not dims:
        raise ValueError("the model has no frozen layers to select channels from")
    for name, v in (("budget_bytes", budget_bytes), ("budget_macs", budget_macs)):
        if v is not None and (not isinstance(v, int) or v < 1):
            raise ValueError("%s must be an int >= 1, got %r" % (name, v))
    def fits(c):
        return c["bytes"] <= budget_bytes and (budget_macs is None or c["macs"] <= budget_macs)
    counts = [0] * len(dims)
    picks = [[] for _ in dims]
    ls = layer_scores(dims, scores)
    for i in sorted(range(len(dims)), key=lambda i: -ls[i]):
        for o in sorted(range(dims[i][1]), key=lambda o: -scores[i][o]):
            counts[i] += 1
            if not fits(cost(dims, counts, top)):
                counts[i] -= 1
                break
            picks[i].append(o)
    if not any(counts):
        one = min(cost(dims, [int(j == i) for j in range(len(dims))], top)["bytes"]
                  for i in range(len(dims)))
        raise ValueError("the budget (%d bytes, %s MACs) is too small for even one channel: "
                         "the smallest update needs %d bytes"
                         % (budget_bytes, budget_macs, one))
    return [sorted(p) for p in picks], cost(dims, counts, top)


class Rows:
    """Trainable float32 copies of some rows (`picks[i]`) of frozen layers.

    forward() runs the layers with them, backward() trains them with opt.
    """
    def __init__(self, layers, picks, opt):
        self.layers, self.picks = layers, picks
        self.low = min(i for i in range(len(picks)) if picks[i])
        self.rows, self._g, self._gin = [], [], []
        for i, f in enumerate(layers):
            p = picks[i]
            d = None
            if p:
                d = Dense(f.n_in, len(p), f.act)
                for j in range(len(p)):
                    K.set_row(d.W, j, f.n_in, f.row(p[j]))
                    d.b[j] = f.b[p[j]]
                opt.init(d)
            self.rows.append(d)
            self._g.append(K.vec(len(p)) if p else None)
            self._gin.append(K.vec(f.n_in) if i > self.low else None)
        self._acts = [None] * len(layers)

    def forward(self, x):
        """The last layer's output for x, with the trained rows in place."""
        for i, f in enumerate(self.layers):
            y = f(x)
            d = self.rows[i]
            if d is not None:
                ys, p = d.forward(x), self.picks[i]
                for j in range(len(p)):
                    y[p[j]] = ys[j]
            self._acts[i] = y
            x = y
        return x

    def backward(self, g, opt):
        """One step of opt on the trained rows.

        g: the loss gradient w.r.t. the last layer's output (scratch).
        """
        for i in range(len(self.layers) - 1, self.low - 1, -1):
            f, d, p = self.layers[i], self.rows[i], self.picks[i]
            gp = None
            if d is not None:
                gs = self._g[i]
                for j in range(len(p)):
                    gs[j] = g[p[j]]
                gp = d.backward(gs, opt, i > self.low)
            if i == self.low:
                return
            g = K.act_grad(g, self._acts[i], f.act, f.n_out)
            for o in p:
                g[o] = 0.0  # these rows' input gradient comes from their copies
            g = f.grad_input(g, self._gin[i])
            if gp is not None:
                g = K.iadd(g, gp)

    def __getitem__(self, i):
        # the trained rows of frozen layer i (a Dense, or None): "sparse.2.W" in a layout
        return self.rows[i]

    def merge(self):
        """Write the trained rows back into the frozen layers (int8: requantised)."""
        for i, d in enumerate(self.rows):
            if d is not None:
                for j, o in enumerate(self.picks[i]):
                    self.layers[i].set_row(o, _row(d, j), float(d.b[j]))


def _row(d, j):
    return list(struct.unpack("<%df" % d.n_in, K.row_bytes(d.W, j, d.n_in)))
