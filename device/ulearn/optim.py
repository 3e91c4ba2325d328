# Per-sample SGD with momentum, decoupled weight decay and gradient clipping.
import math

from .inputs import INF


class SGD:
    """Per-sample SGD with momentum, decoupled weight decay and gradient clipping.

    lr, momentum (< 1), weight_decay, clip (0: none; else each step's gradient norm is at most
    clip): finite numbers >= 0, else ValueError.
    """
    def __init__(self, lr=0.01, momentum=0.0, weight_decay=0.0, clip=0.0):
        for name, v in (("lr", lr), ("momentum", momentum),
                        ("weight_decay", weight_decay), ("clip", clip)):
            if not isinstance(v, (int, float)) or not v >= 0.0 or v == INF:
                raise ValueError("SGD %s must be a finite number >= 0, got %r" % (name, v))
        if momentum >= 1.0:
            raise ValueError("SGD momentum must be < 1, got %r" % momentum)
        self.lr = float(lr)
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        self.clip = float(clip)

    def __repr__(self):
        return "SGD(lr=%g, momentum=%g, weight_decay=%g, clip=%g)" % (
            self.lr, self.momentum, self.weight_decay, self.clip)

    def config(self):
        """The constructor arguments as a dict of floats."""
        return {"lr": self.lr, "momentum": self.momentum,
                "weight_decay": self.weight_decay, "clip": self.clip}

    def init(self, layer):
        """Velocity buffers (lr-scaled) for a Dense layer, allocated once up front."""
        if self.momentum:
            layer.U = layer.K.mat(layer.n_out, layer.n_in)
            layer.u = layer.K.vec(layer.n_out)

    def update(self, layer, g, gin=None):
        """One step on the rank-1 gradient g x^T of a dense layer.

        With gin, also returns the gradient w.r.t. its input, from the weights before the step
        (one pass over the weights when there is no decay); else None.
        """
        K, rows, lr = layer.K, layer.rows, self.lr
        if self.clip:
            # |g x^T|^2 + |g|^2 for weights and bias, without forming g x^T
            n2 = K.sqnorm(g, rows) * (K.sqnorm(layer.x, layer.n_in) + 1.0)
            if n2 > self.clip * self.clip:
                lr *= self.clip / math.sqrt(n2)
        if self.weight_decay:
            if gin is not None:
                gin = K.matT_vec(layer.W, g, rows, gin)
            K.scale(layer.W, rows * layer.n_in, 1.0 - self.lr * self.weight_decay)
            K.step(layer.W, layer.U, layer.b, layer.u, g, layer.x, rows, lr, self.momentum, None)
            return gin
        return K.step(layer.W, layer.U, layer.b, layer.u, g, layer.x, rows, lr, self.momentum, gin)
