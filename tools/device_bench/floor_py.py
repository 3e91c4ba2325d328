# The pure-Python kernel floor: the arithmetic of one learn_one /
# predict_one of a ulearn Classifier written as the tightest loops found
# (one pass per layer and direction, fused, iterating the input array and
# keeping a running index, which is the fastest idiom measured in
# MicroPython), with no checks and no bookkeeping beyond what changes the
# numbers. Runs in MicroPython and CPython alike. make(clf) binds it to a
# learner's own arrays (load a second copy of the bundle for it): after the
# same samples both hold the same weights, which is how the benchmark checks
# that this is the same arithmetic.
from array import array
from math import exp, sqrt

EPS = 1e-3  # ulearn.scaler's variance floor


def std_learn(x, mean, var, inv, w, z):
    # Welford update with weight w, then z = (x - mean) * inv, one pass
    j = 0
    for xj in x:
        d = xj - mean[j]
        mean[j] += w * d
        m = mean[j]
        var[j] += w * (d * (xj - m) - var[j])
        inv[j] = 1.0 / sqrt(var[j] + EPS)
        z[j] = (xj - m) * inv[j]
        j += 1
    return z


def std(x, mean, inv, z):
    j = 0
    for xj in x:
        z[j] = (xj - mean[j]) * inv[j]
        j += 1
    return z


def fwd(W, b, x, rows, out, relu, skip=None):
    # out[:rows] = act(W x + b); rows flagged in skip are left alone
    k = 0
    for i in range(rows):
        if skip is not None and skip[i]:
            k += len(x)
            continue
        s = b[i]
        for xj in x:
            s += W[k] * xj
            k += 1
        out[i] = s
        if relu and out[i] < 0.0:
            out[i] = 0.0
    return out


def fwd_q(Wq, sc, b, x, rows, out, skip=None):
    # int8 rows with one scale each, relu
    k = 0
    for i in range(rows):
        if skip is not None and skip[i]:
            k += len(x)
            continue
        s = 0.0
        for xj in x:
            s += Wq[k] * xj
            k += 1
        out[i] = s * sc[i] + b[i]
        if out[i] < 0.0:
            out[i] = 0.0
    return out


def softmax_grad(z, rows, i, p):
    # p = softmax(z[:rows]) - onehot(i)
    m = z[0]
    for t in range(1, rows):
        if z[t] > m:
            m = z[t]
    s = 0.0
    for t in range(rows):
        e = exp(z[t] - m)
        p[t] = e
        s += e
    for t in range(rows):
        p[t] /= s
    p[i] -= 1.0
    return p


def argmax(z, rows):
    best = 0
    for t in range(1, rows):
        if z[t] > z[best]:
            best = t
    return best


def relu_grad(g, y, rows):
    for t in range(rows):
        if y[t] <= 0.0:
            g[t] = 0.0


def clipped(lr, clip, g, rows, x):
    # the step size after clipping |g x^T|^2 + |g|^2 to clip^2
    if not clip:
        return lr
    a = 0.0
    for t in range(rows):
        a += g[t] * g[t]
    c = 0.0
    for xj in x:
        c += xj * xj
    n2 = a * (c + 1.0)
    if n2 > clip * clip:
        return lr * (clip / sqrt(n2))
    return lr


def bwd(W, U, b, u, g, x, rows, lr, mu, gin):
    # gin = W^T g with the weights before the step (when gin is given), and
    # the momentum step W -= U = mu U + lr g x^T, b likewise, in one pass
    if gin is not None:
        for j in range(len(gin)):
            gin[j] = 0.0
    k = 0
    for i in range(rows):
        gi = g[i]
        li = lr * gi
        if gin is None:
            for xj in x:
                v = mu * U[k] + li * xj
                U[k] = v
                W[k] -= v
                k += 1
        else:
            j = 0
            for xj in x:
                w = W[k]
                gin[j] += w * gi
                v = mu * U[k] + li * xj
                U[k] = v
                W[k] = w - v
                j += 1
                k += 1
        v = mu * u[i] + li
        u[i] = v
        b[i] -= v
    return gin


def bwd_q(Wq, sc, g, gin):
    # gin = (int8 rows with their scales)^T g
    for j in range(len(gin)):
        gin[j] = 0.0
    k = 0
    for i in range(len(sc)):
        gi = g[i] * sc[i]
        j = 0
        for _ in gin:
            gin[j] += Wq[k] * gi
            j += 1
            k += 1
    return gin


def vec(n):
    return array("f", bytes(4 * n)) if _RAW else array("f", [0.0] * n)


try:
    array("f", bytes(4))
    _RAW = True
except TypeError:  # CPython
    _RAW = False


def row_i8(A, r, n, s, out):
    k = r * n
    for j in range(n):
        out[j] = A[k + j] * s
    return out


M32 = 0xFFFFFFFF


class Draws:
    # ulearn.rng's xorshift32 from a replay memory's saved state: its draws
    def __init__(self, s):
        self.s = s

    def randint(self, n):
        s = self.s
        s ^= (s << 13) & M32
        s ^= s >> 17
        s ^= (s << 5) & M32
        self.s = s
        return int(s / 4294967296.0 * n)


def slot(rep, c, randint):
    # the row ulearn.replay's class-balanced reservoir gives a sample of
    # class c (None: not stored), with rep's counts updated as it does
    seen, count, cls = rep.seen, rep.count, rep._cls
    seen[c] += 1
    if c >= rep._top:
        rep._top = c + 1
    if rep.n < rep.capacity:
        rep.n += 1
        count[c] += 1
        return rep.n - 1
    big = 0
    for q in range(1, rep._top):
        if count[q] > count[big]:
            big = q
    if count[big] - count[c] >= 2:
        q, j = big, randint(count[big])
    else:
        q, j = c, randint(seen[c])
        if j >= count[c]:
            return None
    count[q] -= 1
    count[c] += 1
    for r in range(rep.n):
        if cls[r] == q:
            if j == 0:
                return r
            j -= 1


class Floor:
    """learn(x, i) and predict(x) on the arrays of `clf` (i: the label's row).
    No weight decay (none of the benchmark's learners has it)."""

    def __init__(self, clf):
        o = clf.optimizer
        assert not o.weight_decay
        self.clf = clf
        self.lr, self.mu, self.clip = o.lr, o.momentum, o.clip
        sc = clf.scaler
        self.sc = (sc.mean, sc.var, sc.inv) if sc is not None else None
        self.count = sc.count if sc is not None else 0
        self.learn_std = sc is not None and clf.replay is None
        self.ext = clf.extractor
        self.layers = ([clf.hidden] if clf.hidden else []) + [clf.head]
        self.rows = [d.n_out for d in self.layers[:-1]] + [clf.head.rows]
        self.z = vec(clf.n_features)
        self.acts = [vec(f.n_out) for f in self.ext]
        self.ys = [vec(d.n_out) for d in self.layers]
        self.gins = [vec(d.n_in) for d in self.layers]
        self.p = vec(clf.capacity)
        self.sp = sp = clf.sparse
        if sp is not None:
            self.skip = [[o in p for o in range(f.n_out)] if p else None
                         for f, p in zip(self.ext, sp.picks)]
            self.sy = [vec(len(p)) if p else None for p in sp.picks]
            self.sg = [vec(len(p)) if p else None for p in sp.picks]
            self.sgin = [vec(f.n_in) for f in self.ext]
            self.dgin = [vec(f.n_in) for f in self.ext]
        self.rep = rep = clf.replay
        if rep is not None:
            self.k = clf.replay_k
            self.r = vec(clf.n_embed)
            self.draws = Draws(rep._s[0])

    def _front(self, x, learn):
        if self.sc is not None:
            mean, var, inv = self.sc
            if learn:
                self.count += 1
                x = std_learn(x, mean, var, inv, 1.0 / self.count, self.z)
            else:
                x = std(x, mean, inv, self.z)
        for t in range(len(self.ext)):
            f, y = self.ext[t], self.acts[t]
            skip = self.skip[t] if self.sp is not None else None
            if f.int8:
                fwd_q(f.W, f.scale, f.b, x, f.n_out, y, skip)
            else:
                fwd(f.W, f.b, x, f.n_out, y, f.act == "relu", skip)
            if skip is not None:  # the trained copies of the skipped rows
                d, ys, p = self.sp.rows[t], self.sy[t], self.sp.picks[t]
                fwd(d.W, d.b, x, d.n_out, ys, True)
                for j in range(len(p)):
                    y[p[j]] = ys[j]
            x = y
        return x

    def _top(self, h):
        for t in range(len(self.layers)):
            d = self.layers[t]
            h = fwd(d.W, d.b, h, self.rows[t], self.ys[t], d.act == "relu")
        return h

    def step(self, h, i):
        top = len(self.layers) - 1
        g = softmax_grad(self._top(h), self.rows[top], i, self.p)
        deep = self.sp is not None
        for t in range(top, -1, -1):
            d, rows, x = self.layers[t], self.rows[t], self.ys[t - 1] if t else h
            if d.act == "relu":
                relu_grad(g, self.ys[t], rows)
            lr = clipped(self.lr, self.clip, g, rows, x)
            g = bwd(d.W, d.U, d.b, d.u, g, x, rows, lr, self.mu,
                    self.gins[t] if t or deep else None)
        if deep:
            self._sparse(g)

    def _sparse(self, g):
        # down through the frozen layers, training their picked rows
        sp = self.sp
        for t in range(len(self.ext) - 1, sp.low - 1, -1):
            f, d, p = self.ext[t], sp.rows[t], sp.picks[t]
            x = self.acts[t - 1] if t else self.z
            gp = None
            if d is not None:
                gs = self.sg[t]
                for j in range(len(p)):
                    gs[j] = g[p[j]]
                relu_grad(gs, self.sy[t], len(p))
                lr = clipped(self.lr, self.clip, gs, len(p), x)
                gp = bwd(d.W, d.U, d.b, d.u, gs, x, len(p), lr, self.mu,
                         self.dgin[t] if t > sp.low else None)
            if t == sp.low:
                return
            relu_grad(g, self.acts[t], f.n_out)
            for o in p:
                g[o] = 0.0
            g = bwd_q(f.W, f.scale, g, self.sgin[t])
            if gp is not None:
                for j in range(len(g)):
                    g[j] += gp[j]

    def _replay(self, h, c):
        rep, n, randint = self.rep, self.r, self.draws.randint
        for _ in range(self.k if rep.n else 0):
            r = randint(rep.n)
            row_i8(rep.X, r, len(n), rep.scale[r], n)
            self.step(n, rep._cls[r])
        r = slot(rep, c, randint)
        if r is None:
            return
        m = 0.0  # the int8 row, as ulearn.layers.quantize_row makes it
        for v in h:
            if abs(v) > m:
                m = abs(v)
        s = m / 127.0 if m > 0.0 else 1.0
        k, X = r * len(h), rep.X
        for v in h:
            X[k] = max(-127, min(127, int(round(v / s))))
            k += 1
        rep.scale[r] = s
        rep.y[r] = c
        rep._cls[r] = c

    def learn(self, x, i):
        h = self._front(x, self.learn_std)
        self.step(h, i)
        if self.rep is not None:
            self._replay(h, i)

    def predict(self, x):
        top = len(self.layers) - 1
        return argmax(self._top(self._front(x, False)), self.rows[top])
