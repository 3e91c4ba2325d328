"""The ulab kernel floor: the arithmetic of one learn_one / predict_one of a
ulearn Classifier in the fewest ulab operations found (every operation
allocates, so the count is the cost), over the learner's own arrays. Runs
on the strict ulab emulation, whose counters give the operations and heap
bytes; the benchmark checks that it ends with the learner's weights (to
float32 rounding: its sums may run in another order)."""
from ulab import numpy as np

from .floor_py import EPS, Draws, slot


def dense_fwd(W, b, x, relu):
    y = np.dot(W, x)
    y += b
    return np.maximum(y, 0.0) if relu else y


def softmax_grad(z, i):
    e = z - np.max(z)
    np.exp(e, out=e)
    e /= np.sum(e)
    e[i] -= 1.0
    return e


def dense_step(W, U, b, u, g, x, y, relu, lr, mu, clip, gin):
    # relu gradient, input gradient (old weights), clipped momentum step
    if relu:
        g *= y > 0.0
    gi = np.dot(W.T, g) if gin else None
    if clip:
        n2 = np.dot(g, g) * (np.dot(x, x) + 1.0)
        if n2 > clip * clip:
            lr *= clip / n2 ** 0.5
    lg = lr * g
    U *= mu
    U += lg.reshape((len(g), 1)) * x.reshape((1, len(x)))
    W -= U
    u *= mu
    u += lg
    b -= u
    return gi


def _arr(x):
    # a board's row (array('f'), list) as one float array, as the learner takes it
    return x if isinstance(x, np.ndarray) else np.array(x, dtype=np.float)


class Floor:
    """learn(x, i) / predict(x) on the arrays of `clf` (a ulab-path learner)."""

    def __init__(self, clf):
        o = clf.optimizer
        assert not o.weight_decay
        self.clf, self.lr, self.mu, self.clip = clf, o.lr, o.momentum, o.clip
        self.sc = clf.scaler
        self.learn_std = self.sc is not None and clf.replay is None
        self.ext = clf.extractor
        self.layers = ([clf.hidden] if clf.hidden else []) + [clf.head]
        self.sp = clf.sparse
        self.sy = {}  # the trained rows' outputs, per frozen layer
        self.rep = clf.replay
        if self.rep is not None:
            self.k = clf.replay_k
            self.draws = Draws(self.rep._s[0])

    def _front(self, x, learn):
        sc = self.sc
        if sc is not None:
            if learn:
                sc.count += 1
                w = 1.0 / sc.count
                d = x - sc.mean
                d2 = w * d
                sc.mean += d2
                e = x - sc.mean
                e *= d
                e -= sc.var
                e *= w
                sc.var += e
                t = sc.var + EPS
                np.sqrt(t, out=t)
                sc.inv = 1.0 / t
            x = x - sc.mean
            x *= sc.inv
        self._z, self.acts = x, []
        for t, f in enumerate(self.ext):
            if f.int8:
                y = np.dot(f.W, x)
                y *= f.scale
                y += f.b
                y = np.maximum(y, 0.0)
            else:
                y = dense_fwd(f.W, f.b, x, True)
            if self.sp is not None and self.sp.picks[t]:
                d, p = self.sp.rows[t], self.sp.picks[t]
                ys = dense_fwd(d.W, d.b, x, True)
                for j in range(len(p)):
                    y[p[j]] = ys[j]
                self.sy[t] = ys
            self.acts.append(y)
            x = y
        return x

    def step(self, h, i):
        ins, outs, y = [], [], h
        for d in self.layers:
            ins.append(y)
            y = dense_fwd(d.W, d.b, y, d.act == "relu")
            outs.append(y)
        g = softmax_grad(y, i)
        deep = self.sp is not None
        for t in range(len(self.layers) - 1, -1, -1):
            d = self.layers[t]
            g = dense_step(d.W, d.U, d.b, d.u, g, ins[t], outs[t], d.act == "relu", self.lr,
                           self.mu, self.clip, t or deep)
        if deep:
            self._sparse(g)

    def _sparse(self, g):
        sp = self.sp
        for t in range(len(self.ext) - 1, sp.low - 1, -1):
            f, d, p = self.ext[t], sp.rows[t], sp.picks[t]
            x = self.acts[t - 1] if t else self._z
            gp = None
            if d is not None:
                gs = np.take(g, p)
                gp = dense_step(d.W, d.U, d.b, d.u, gs, x, self.sy[t], True, self.lr, self.mu,
                                self.clip, t > sp.low)
            if t == sp.low:
                return
            g *= self.acts[t] > 0.0
            for o in p:
                g[o] = 0.0
            g = np.dot(f.W.T, g * f.scale)
            if gp is not None:
                g += gp

    def _replay(self, h, c):
        rep, randint = self.rep, self.draws.randint
        for _ in range(self.k if rep.n else 0):
            r = randint(rep.n)
            self.step(rep.X[r] * rep.scale[r], rep._cls[r])
        r = slot(rep, c, randint)
        if r is None:
            return
        m = np.max(abs(h))
        s = m / 127.0 if m > 0.0 else 1.0
        rep.X[r, :] = np.around(h / s)
        rep.scale[r] = s
        rep.y[r] = c
        rep._cls[r] = c

    def learn(self, x, i):
        self._z = h = self._front(_arr(x), self.learn_std)
        self.step(h, i)
        if self.rep is not None:
            self._replay(h, i)

    def predict(self, x):
        y = self._front(_arr(x), False)
        for d in self.layers:
            y = dense_fwd(d.W, d.b, y, d.act == "relu")
        return int(np.argmax(y))
