# TinyOL classifier: a trainable softmax head behind a frozen feature
# extractor, learning one sample at a time. A new label adds a row to the head
# (rows already learned stay as they are) until `capacity` rows are in use.
# Optional: a trainable hidden layer (`hidden` relu units) between the
# extractor and the head, and a replay memory (`replay` rows of embeddings,
# int8) of which `replay_k` are trained on with each new sample, so learning
# new classes does not wipe out old ones (Rub et al. 2024). The hidden layer
# can grow by `grow_step` units up to `max_hidden` (function-preserving) when
# a new class arrives (unless `grow_on_class` is False), and when accuracy on
# the replay memory, checked once per `replay` samples, falls below
# `grow_below`. select_updates() makes chosen channels of the frozen layers
# trainable too (sparse updates, `ulearn.sparse`).
from .backend import K
from .base import Learner, base_layout, build_base, embed_size
from . import inputs
from .inputs import INF
from .layers import Dense, dense_layout
from .rng import Rng


class Classifier(Learner):
    """TinyOL classifier: a softmax head behind a frozen extractor, learning one sample at a time.

    n_features: input width; capacity: most classes (head rows); extractor: Frozen layers
    chained from n_features; optimizer: default SGD(); standardize: online input
    standardisation (over the last stats_window samples, 0: all); hidden: relu units of a
    trainable hidden layer (0: none); replay, replay_k: replay memory rows, and rows replayed
    per sample; seed: initial weights and replay draws; grow_step, max_hidden, grow_below,
    grow_on_class: growing the hidden layer (see the module comment). Raises ValueError on a
    bad argument, TypeError on an extractor entry that is not a Frozen layer.
    """
    kind = "Classifier"

    def __init__(self, n_features, capacity, extractor=None, optimizer=None,
                 standardize=True, stats_window=0, hidden=0, replay=0, replay_k=1, seed=1,
                 grow_step=0, max_hidden=0, grow_below=0.0, grow_on_class=True):
        self._setup(n_features, extractor, optimizer, standardize, stats_window)
        for name, v, lo in (("capacity", capacity, 1), ("hidden", hidden, 0),
                            ("replay", replay, 0), ("replay_k", replay_k, 0),
                            ("grow_step", grow_step, 0), ("max_hidden", max_hidden, 0)):
            if not isinstance(v, int) or v < lo:
                raise ValueError("%s must be an int >= %d, got %r" % (name, lo, v))
        if grow_step and not hidden:
            raise ValueError("grow_step needs a hidden layer to grow (hidden > 0)")
        if not 0.0 <= grow_below <= 1.0:
            raise ValueError("grow_below must be in [0, 1], got %r" % (grow_below,))
        self.capacity, self.replay_k, self.seed = capacity, replay_k, seed
        self.grow_step, self.max_hidden, self.grow_below = grow_step, max_hidden, grow_below
        self.grow_on_class = bool(grow_on_class)
        self.hidden = None
        if hidden:
            self.hidden = Dense(self.n_embed, hidden, "relu")
            self.hidden.init_glorot(Rng(seed))
            self.optimizer.init(self.hidden)
        self.head = Dense(hidden or self.n_embed, capacity)
        self.head.rows = 0
        self.optimizer.init(self.head)
        self.labels = []
        self._p = K.vec(capacity)
        self.sparse = None  # trainable rows of the frozen layers (select_updates)
        self.replay = None
        if replay:
            from .replay import Replay  # imported only by learners that replay
            self.replay = Replay(replay, self.n_embed, seed=seed, max_classes=capacity)
            self._r = K.vec(self.n_embed)

    def __repr__(self):
        return "Classifier(n_features=%d, capacity=%d, classes=%d, hidden=%d, replay=%d, %r)" % (
            self.n_features, self.capacity, len(self.labels),
            self.hidden.n_out if self.hidden else 0,
            self.replay.capacity if self.replay is not None else 0, self.optimizer)

    def _index(self, y):
        # row of label y (as inputs.label gives it); -1 when y is new and there is room for it
        y = inputs.label(y)
        for i in range(len(self.labels)):
            if self.labels[i] == y:
                return i
        if len(self.labels) >= self.capacity:
            raise ValueError("label %r would be class %d, beyond capacity %d"
                             % (y, len(self.labels) + 1, self.capacity))
        return -1

    def add_class(self, y):
        """Row index of label y, adding a zero row when y is new.

        A zero row keeps the order of predictions among known classes. Raises TypeError unless
        y is an int or a str (an integer of another type, such as numpy.int64, counts as an
        int), ValueError when y is new and all capacity rows are used.
        """
        i = self._index(y)
        if i < 0:
            i = len(self.labels)
            self.labels.append(inputs.label(y))
            self.head.rows += 1
        return i

    def learn_one(self, x, y):
        """Learn one labelled sample (and replay_k rows of the replay memory).

        x: n_features finite numbers (list, tuple, array('f') or 1-D ulab/numpy array); raises
        ValueError (wrong length, inf/nan) or TypeError (not a number); y: an int or str label,
        raising as add_class. Bad input changes nothing.
        """
        x = K.load_vec(x, self._x)
        i = self._index(y)  # raises on a bad label before anything changes
        # with a replay memory, stored embeddings must stay valid: the input
        # statistics are then part of the frozen front end (from the bundle)
        learn = self.replay is None
        h = self._learnable(x, learn)
        new = i < 0
        if new:
            i = self.add_class(y)
            if i and self.grow_on_class:  # a new class, not the first
                self._maybe_grow()
        try:
            self._step(h, i)
        except ValueError:
            if new:  # its row is still zero: as if never added (a growth stays)
                self.labels.pop()
                self.head.rows -= 1
            self._give_back(learn)
            raise
        if self.replay is not None:
            for _ in range(self.replay_k if self.replay.n else 0):
                try:
                    self._step(self._r, self.replay.sample(self._r))
                except ValueError:
                    pass  # a replayed row that would overflow is skipped
            self.replay.add(h, i)
            if self.grow_below and (self.n_seen + 1) % self.replay.capacity == 0 \
                    and self.replay_accuracy() < self.grow_below:
                self._maybe_grow()
        self.n_seen += 1

    def grow(self, width):
        """Widen the hidden layer to `width` units; predictions are unchanged.

        Raises ValueError without a hidden layer or when width is not above its width.
        """
        if self.hidden is None:
            raise ValueError("this classifier has no hidden layer to grow (hidden=0)")
        from .grow import widen
        self.hidden, self.head = widen(self.hidden, self.head, width, Rng(self.seed + width),
                                       opt=self.optimizer)

    def _maybe_grow(self):
        h = self.hidden
        if h is not None and self.grow_step and h.n_out + self.grow_step <= self.max_hidden:
            self.grow(h.n_out + self.grow_step)

    def replay_accuracy(self):
        """Fraction of the replay memory's rows the classifier gets right (1.0 when empty)."""
        rep = self.replay
        if rep is None or rep.n == 0:
            return 1.0
        hits = 0
        for r in range(rep.n):
            i = rep.row(r, self._r)
            hits += K.argmax(self._logits(self._r), self.head.rows) == i
        return hits / rep.n

    def _logits(self, h):
        # the trainable part's forward pass on embedding h
        return self.head.forward(self.hidden.forward(h) if self.hidden else h)

    def _step(self, h, i, opt=True):
        # one SGD step on embedding h with class row i, through the selected
        # rows of the frozen layers too; opt=False: no step, return dL/dh
        opt = self.optimizer if opt else None
        deep = self.sparse is not None or opt is None
        g = K.softmax(self._logits(h), self.head.rows, self._p)
        if not -INF < g[i] < INF:  # logits past float32: a nan in every p, before any update
            raise ValueError("learning from x would overflow float32 (weights too large)")
        g[i] -= 1.0  # softmax cross-entropy gradient: p - onehot(y)
        g = self.head.backward(g, opt, self.hidden is not None or deep)
        if self.hidden:
            g = self.hidden.backward(g, opt, deep)
        if opt is None:
            return g
        if self.sparse is not None:
            self.sparse.backward(g, opt)

    def _extract(self, x):
        if self.sparse is not None:
            return self.sparse.forward(x)
        return Learner._extract(self, x)

    def select_updates(self, X, y, budget_bytes, budget_macs=None, method="fisher", seed=0):
        """Make the frozen layers' channels that matter most for the support
        set (X, y) trainable, within `budget_bytes` of memory and
        `budget_macs` of backward MACs per step (ulearn.sparse); learn_one
        then trains them with the head. X: samples, iterated twice (a list,
        or a Stream's column(0) read from flash); y: their labels. method:
        "fisher" (TinyTrain), or the baselines "l2" (largest weights) and
        "random". New labels in y get head rows, initialised from their
        samples (as prototypes). Returns {"picks": channels
        per frozen layer, "cost": sparse.cost()}. Bad input raises and
        changes nothing."""
        from . import sparse
        if self.replay is not None:
            raise ValueError("sparse updates change the frozen layers, and so the embeddings "
                             "a replay memory stores: use a classifier without replay")
        y = list(y)
        n = 0
        for x in X:
            K.load_vec(x, self._x)
            n += 1
        if n != len(y) or not y:
            raise ValueError("the support set needs one label per sample, got %d samples and "
                             "%d labels" % (n, len(y)))
        new = []
        for label in y:  # every label known, or room for all the new ones
            if self._index(label) < 0 and label not in new:
                new.append(label)
        if len(self.labels) + len(new) > self.capacity:
            raise ValueError("the support set's new labels %r need %d head rows, %d are free"
                             % (new, len(new), self.capacity - len(self.labels)))
        dims, top = self._sparse_dims()
        flat = [[0.0] * m for _, m in dims]
        sparse.select(dims, top, flat, budget_bytes, budget_macs)  # raises when nothing fits
        if method not in sparse.METHODS:
            raise ValueError("method must be one of %r, got %r" % (sparse.METHODS, method))
        if self.sparse is not None:
            self.sparse.merge()  # the previous selection's training is kept
            self.sparse = None
        self._imprint(X, y, new)
        scores = sparse.channel_scores(self, X, y, method, seed)
        picks, cost = sparse.select(dims, top, scores, budget_bytes, budget_macs)
        self.sparse = sparse.Rows(self.extractor, picks, self.optimizer)
        return {"picks": picks, "cost": cost}

    def _imprint(self, X, y, new):
        # head rows for the new labels from their support samples, as a
        # prototypical network's: w = 2 m, b = -|m|^2 for the mean m of the
        # head's inputs, so the logit is -|h - m|^2 up to a term shared by
        # all classes. (Zero rows would send no gradient to the frozen
        # layers, and the Fisher scores would all be zero.)
        if not new:
            return
        n = self.head.n_in
        sums = [[0.0] * n for _ in new]
        counts = [0] * len(new)
        for x, label in zip(X, y):
            if label in new:
                j = new.index(label)
                h = self._features(x, False)
                h = K.tolist(self.hidden.forward(h) if self.hidden else h)
                s = sums[j]
                for d in range(n):
                    s[d] += h[d]
                counts[j] += 1
        for j, label in enumerate(new):
            m = [v / counts[j] for v in sums[j]]
            i = self.add_class(label)
            K.set_row(self.head.W, i, n, [2.0 * v for v in m])
            self.head.b[i] = -sum(v * v for v in m)

    def _sparse_dims(self):
        # (n_in, n_out) of the frozen layers, and of the trainable ones above
        dims = [(f.n_in, f.n_out) for f in self.extractor]
        top = [(self.hidden.n_in, self.hidden.n_out)] if self.hidden else []
        return dims, top + [(self.head.n_in, self.capacity)]

    def _scores(self, x):
        h = self._features(x, False)
        return self._logits(h) if self.head.rows else None

    def predict_proba_one(self, x):
        """{label: probability} of x over the known labels ({} before the first).

        x: n_features finite numbers (list, tuple, array('f') or 1-D ulab/numpy array); raises
        ValueError (wrong length, inf/nan) or TypeError (not a number).
        """
        z = self._scores(x)
        if z is None:
            return {}
        p = K.softmax(z, self.head.rows, self._p)
        return {self.labels[i]: float(p[i]) for i in range(self.head.rows)}

    def predict_one(self, x):
        """The most probable label for x, or None before the first label.

        x: n_features finite numbers (list, tuple, array('f') or 1-D ulab/numpy array); raises
        ValueError (wrong length, inf/nan) or TypeError (not a number).
        """
        z = self._scores(x)
        if z is None:
            return None
        return self.labels[K.argmax(z, self.head.rows)]

    def load_replay(self, X, y):
        """Fill the replay memory with embeddings X (e.g. a distilled set from the host), labels y.

        X: rows of n_embed numbers; y: known labels. Raises ValueError without a replay memory,
        on an unknown label or on bad sizes, TypeError on a bad value; bad input changes
        nothing.
        """
        if self.replay is None:
            raise ValueError("this classifier has no replay memory (replay=0)")
        rows = []
        for label in y:
            i = self._index(label)
            if i < 0:
                raise ValueError("replay label %r is not one of the classifier's %r"
                                 % (label, self.labels))
            rows.append(i)
        self.replay.load(X, rows)

    # -- checkpoint support

    def config(self):
        """The constructor arguments (and sparse picks) as a JSON-able dict (for checkpoints)."""
        c = self._base_config()
        c["capacity"] = self.capacity
        c["hidden"] = self.hidden.n_out if self.hidden else 0
        c["replay"] = self.replay.capacity if self.replay is not None else 0
        c["replay_k"] = self.replay_k
        c["seed"] = self.seed
        c["grow_step"] = self.grow_step
        c["max_hidden"] = self.max_hidden
        c["grow_below"] = self.grow_below
        c["grow_on_class"] = self.grow_on_class
        if self.sparse is not None:
            c["sparse"] = [list(p) for p in self.sparse.picks]
        return c

    def state(self):
        """Labels, counters and the replay state besides the arrays, as a JSON-able dict."""
        s = self._base_state()
        s["labels"] = list(self.labels)
        if self.replay is not None:
            s["replay"] = self.replay.state()
        return s

    def set_state(self, s):
        """Restore what state() returned, after the arrays are filled.

        Raises KeyError on a missing key, ValueError on a replay state that does not fit.
        """
        self._set_base_state(s)
        self.labels = list(s["labels"])
        self.head.rows = len(self.labels)
        if self.replay is not None:
            self.replay.set_state(s["replay"], len(self.labels))

    @staticmethod
    def layout(c):
        """[(name, shape, dtype code)] of a learner's arrays for config c, in arrays() order."""
        mom = c["optimizer"]["momentum"]
        m, hidden = embed_size(c), c.get("hidden", 0)
        out = base_layout(c)
        if hidden:
            out += dense_layout("hidden.", m, hidden, mom)
        out += dense_layout("head.", hidden or m, c["capacity"], mom)
        if c.get("replay", 0):
            from .replay import replay_layout
            out += replay_layout("replay.", {"capacity": c["replay"], "n_features": m})
        for i, p in enumerate(c.get("sparse") or ()):
            if p:
                out += dense_layout("sparse.%d." % i, c["extractor"][i]["n_in"], len(p), mom)
        return out

    @classmethod
    def from_config(cls, c):
        """A new learner from config() output c (checkpoint.load then fills its arrays)."""
        clf = cls(c["n_features"], c["capacity"], hidden=c.get("hidden", 0),
                  replay=c.get("replay", 0), replay_k=c.get("replay_k", 1),
                  seed=c.get("seed", 1), grow_step=c.get("grow_step", 0),
                  max_hidden=c.get("max_hidden", 0), grow_below=c.get("grow_below", 0.0),
                  grow_on_class=c.get("grow_on_class", True),
                  **build_base(c))
        if c.get("sparse"):
            from .sparse import Rows
            clf.sparse = Rows(clf.extractor, c["sparse"], clf.optimizer)
        return clf
