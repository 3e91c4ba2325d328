# Growing a hidden layer by function-preserving widening (Net2WiderNet, Chen
# et al. 2016): the trainable part starts small and widens only when the task
# needs it. New units copy randomly chosen units (incoming weights and bias);
# the next layer's weights from a unit now computed by c units are split
# among them in random shares that sum to 1, so the copies together feed it
# what the one unit did and the network computes the same function right
# after growing (up to float rounding). Equal shares (Net2Net's 1/c) would
# leave the copies identical under every later SGD step; unequal shares give
# them different gradients, so they drift apart and the new units count.
# Growth is rare, so it allocates new layers; it reads the old ones one row
# at a time.
import struct

from .backend import K
from .layers import Dense

_F32 = 4  # bytes per weight


def widen(layer, nxt, width, rng, noise=0.0, opt=None):
    """New Dense layers (layer2, nxt2): layer widened to `width` outputs, nxt
    taking `width` inputs, nxt2.rows == nxt.rows. rng: a ulearn.rng.Rng (or
    anything with random() and below(n)); it picks the units copied and draws the noise.
    noise > 0 adds uniform(-noise, noise) to the copies' incoming weights to
    break their symmetry; the function is then no longer exactly preserved.
    opt: the optimizer, to give the new layers zeroed momentum buffers
    (opt.init); without it they have none until the caller calls opt.init.
    The old layers are left as they were; raises ValueError on bad arguments."""
    if not isinstance(layer, Dense) or not isinstance(nxt, Dense):
        raise ValueError("widen needs two Dense layers")
    n, m = layer.n_out, layer.n_in
    if nxt.n_in != n:
        raise ValueError("layers do not chain: %d outputs feed %d inputs" % (n, nxt.n_in))
    if layer.rows != n:
        raise ValueError("the widened layer must use all its rows (%d of %d)" % (layer.rows, n))
    if layer.K is not nxt.K:
        raise ValueError("the layers use different kernels")
    if not isinstance(width, int) or isinstance(width, bool) or width <= n:
        raise ValueError("width must be an int > the current width %d, got %r" % (n, width))
    if not isinstance(noise, (int, float)) or not 0.0 <= noise < 1e30:
        raise ValueError("noise must be a finite number >= 0, got %r" % (noise,))
    src = list(range(n))  # src[j]: the old unit new unit j copies
    for _ in range(width - n):
        src.append(rng.below(n))
    share = [0.5 + rng.random() for _ in range(width)]  # of unit src[j]'s output
    total = [0.0] * n
    for j in range(width):
        total[src[j]] += share[j]
    share = [share[j] / total[src[j]] for j in range(width)]
    kern = layer.K
    read = getattr(kern, "row_bytes", K.row_bytes)  # host batch kernels lack it
    a = Dense(m, width, layer.act, kern)
    b_old = _row(read, layer.b, 0, 0, n)
    bias = [b_old[k] for k in src]
    for j in range(width):
        w = _row(read, layer.W, src[j], m, m)
        if j >= n and noise:
            w = [v + rng.random() * 2.0 * noise - noise for v in w]
        kern.set_row(a.W, j, m, w)
    kern.set_row(a.b, 0, 0, bias)
    b = Dense(width, nxt.n_out, nxt.act, kern)
    for i in range(nxt.n_out):  # every row, also those beyond nxt.rows
        w = _row(read, nxt.W, i, n, n)
        kern.set_row(b.W, i, width, [w[src[j]] * share[j] for j in range(width)])
    kern.set_row(b.b, 0, 0, _row(read, nxt.b, 0, 0, nxt.n_out))
    b.rows = nxt.rows
    if opt is not None:
        opt.init(a)
        opt.init(b)
    return a, b


def _row(read, arr, i, cols, n):
    # row i of a matrix (cols == 0: a whole vector) as n floats, via its bytes
    return struct.unpack("<%df" % n, read(arr, i, cols))


def grow_bytes(n_in, width, n_out_next, momentum=True):
    """Bytes of float32 data in the layer pair widen() returns (weights,
    biases, the layers' work vectors, momentum buffers when momentum); object
    and array headers add about 0.5 KB on MicroPython. While widen runs the
    old pair is still alive: growth needs this much free; once the caller
    drops the old pair the net cost is grow_bytes(new) - grow_bytes(old)."""
    w = width * n_in + n_out_next * width  # weights
    v = width + n_out_next  # biases
    work = (width + n_in) + (n_out_next + width)  # each Dense's _y and _gin
    if momentum:
        w, v = 2 * w, 2 * v
    return _F32 * (w + v + work)
