# Dense layers. Frozen: forward only, float32 or int8 weights with one scale
# per row. Dense: trainable, keeps its input and output for the backward pass.
import math
import struct

from .backend import K

ACTIVATIONS = ("linear", "relu", "tanh")


def _check(n_in, n_out, act):
    if act not in ACTIVATIONS:
        raise ValueError("activation %r is not one of %r" % (act, ACTIVATIONS))
    for name, v in (("n_in", n_in), ("n_out", n_out)):
        if not isinstance(v, int) or v < 1:
            raise ValueError("layer %s must be an int >= 1, got %r" % (name, v))


class Frozen:
    """A dense layer used forward only: n_in -> n_out, activation act, weights fixed.

    act: "linear", "relu" or "tanh"; int8: int8 weights with one float32 scale per row, else
    float32. Weights start at zero (set_weights). layer(x) returns the activated output for x
    (n_in values). Raises ValueError on a bad size or activation.
    """
    def __init__(self, n_in, n_out, act="linear", int8=False):
        _check(n_in, n_out, act)
        self.n_in, self.n_out, self.act, self.int8 = n_in, n_out, act, int8
        self.W = K.mat_i8(n_out, n_in) if int8 else K.mat(n_out, n_in)
        self.scale = K.vec(n_out) if int8 else None
        self.b = K.vec(n_out)
        self._y = K.vec(n_out)

    def __repr__(self):
        return "Frozen(%d, %d, act=%r, int8=%r)" % (
            self.n_in, self.n_out, self.act, self.int8)

    def set_weights(self, W, b):
        """Set W (n_out rows of n_in numbers; quantised per row when int8) and b; returns self.

        Raises ValueError on a wrong shape.
        """
        if len(W) != self.n_out or len(b) != self.n_out:
            raise ValueError("weights must have %d rows" % self.n_out)
        rows = [[float(v) for v in W[i]] for i in range(self.n_out)]
        for i in range(self.n_out):
            if len(rows[i]) != self.n_in:
                raise ValueError("weight row %d has %d values, expected %d"
                                 % (i, len(rows[i]), self.n_in))
        for i in range(self.n_out):
            self.set_row(i, rows[i], float(b[i]))
        return self

    def set_row(self, i, row, bias):
        """Set output i's weights and bias.

        row: a list of n_in floats, quantised in place when int8.
        """
        if self.int8:
            self.scale[i] = quantize_row(row)
        K.set_row(self.W, i, self.n_in, row)
        self.b[i] = bias

    def row(self, i):
        """Output i's weights as a list of floats (dequantised when int8)."""
        w = struct.unpack("<%d%s" % (self.n_in, "b" if self.int8 else "f"),
                          K.row_bytes(self.W, i, self.n_in))
        s = self.scale[i] if self.int8 else 1.0
        return [v * s for v in w]

    def grad_input(self, g, out):
        """W^T g: the gradient w.r.t. the input, from g w.r.t. the pre-activation."""
        if self.int8:
            return K.matT_vec_q(self.W, self.scale, g, out)
        return K.matT_vec(self.W, g, self.n_out, out)

    def config(self):
        """The constructor arguments as a dict (for checkpoints)."""
        return {"n_in": self.n_in, "n_out": self.n_out, "act": self.act,
                "int8": self.int8}

    def arrays(self):
        """[W, scale, b] when int8, else [W, b]: what a checkpoint stores."""
        if self.int8:
            return [self.W, self.scale, self.b]
        return [self.W, self.b]

    def __call__(self, x, kern=K):
        # kern: the host passes batch kernels to run this on many rows at once
        if self.int8:
            y = kern.affine_q(self.W, self.scale, self.b, x, self._y)
        else:
            y = kern.affine(self.W, self.b, x, self.n_out, self._y)
        return kern.activate(y, self.act, self.n_out)


def frozen_layout(prefix, c):
    """Names, shapes and dtypes of a Frozen layer's arrays, from its config."""
    shapes = [(prefix + "W", (c["n_out"], c["n_in"]), "i1" if c["int8"] else "f4")]
    if c["int8"]:
        shapes.append((prefix + "scale", (c["n_out"],), "f4"))
    shapes.append((prefix + "b", (c["n_out"],), "f4"))
    return shapes


def quantize_row(row, out=None):
    """Symmetric int8: row[j] ~= q[j] * s; returns s.

    Writes the ints q into out (a list of n ints made once, or row itself by default).
    """
    if out is None:
        out = row
    m = 0.0
    for v in row:
        v = abs(float(v))  # float(): numpy's float32 scalars would round in float32
        if v > m:
            m = v
    s = m / 127.0 if m > 0.0 else 1.0
    j = 0
    for v in row:
        out[j] = max(-127, min(127, int(round(float(v) / s))))
        j += 1
    return s


class Dense:
    """A trainable dense layer n_in -> n_out; keeps its input and output for backward().

    act: "linear", "relu" or "tanh"; weights start at zero (init_glorot); rows: the outputs in
    use (a classifier head grows into n_out). kern: the array kernels (default: the board's);
    the host passes batch kernels to train this same layer code on minibatches. Raises
    ValueError on a bad size or activation.
    """
    def __init__(self, n_in, n_out, act="linear", kern=None):
        _check(n_in, n_out, act)
        self.n_in, self.n_out, self.act = n_in, n_out, act
        self.K = kern = kern or K
        self.rows = n_out  # active outputs (a classifier head grows into n_out)
        self.W = kern.mat(n_out, n_in)
        self.b = kern.vec(n_out)
        self.U = self.u = None  # momentum buffers, made by the optimizer
        self._y = kern.vec(n_out)
        self._gin = kern.vec(n_in)
        self.x = self.y = None

    def __repr__(self):
        return "Dense(%d, %d, act=%r, rows=%d)" % (
            self.n_in, self.n_out, self.act, self.rows)

    def init_glorot(self, rng):
        """Glorot-uniform weights drawn from rng (a ulearn.rng.Rng)."""
        a = math.sqrt(6.0 / (self.n_in + self.n_out))
        for i in range(self.n_out):  # row by row: no full-size temporary
            self.K.set_row(self.W, i, self.n_in, [rng.uniform(-a, a) for _ in range(self.n_in)])

    def arrays(self):
        """[W, b], then the momentum buffers U, u when the optimizer made them."""
        if self.U is None:
            return [self.W, self.b]
        return [self.W, self.b, self.U, self.u]

    def forward(self, x):
        """Activated output (rows values) for input x (n_in values); keeps both for backward."""
        self.x = x
        kern = self.K
        y = kern.affine(self.W, self.b, x, self.rows, self._y)
        self.y = kern.activate(y, self.act, self.rows)
        return self.y

    def backward(self, g, opt, input_grad=True):
        """Backpropagate g, the loss gradient w.r.t. the output; returns the one w.r.t. the input.

        Updates the weights with opt (unless opt is None); the gradient is computed before the
        update (None unless input_grad). g may be overwritten.
        """
        g = self.K.act_grad(g, self.y, self.act, self.rows)
        gin = self._gin if input_grad else None
        if opt is not None:
            return opt.update(self, g, gin)
        return None if gin is None else self.K.matT_vec(self.W, g, self.rows, gin)


def dense_layout(prefix, n_in, n_out, momentum):
    """Names, shapes and dtypes of a Dense layer's arrays (with momentum: U and u too)."""
    shapes = [(prefix + "W", (n_out, n_in), "f4"), (prefix + "b", (n_out,), "f4")]
    if momentum:
        shapes += [(prefix + "U", (n_out, n_in), "f4"), (prefix + "u", (n_out,), "f4")]
    return shapes
