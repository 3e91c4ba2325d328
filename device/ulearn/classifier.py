# TinyOL classifier: a trainable softmax head behind a frozen feature
# extractor, learning one sample at a time. A new label adds a row to the head
# (rows already learned stay as they are) until `capacity` rows are in use.
from .backend import K
from .base import Learner, base_layout, build_base, embed_size
from .layers import Dense, dense_layout


class Classifier(Learner):
    kind = "Classifier"

    def __init__(self, n_features, capacity, extractor=None, optimizer=None,
                 standardize=True, stats_window=0):
        self._setup(n_features, extractor, optimizer, standardize, stats_window)
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError("capacity must be an int >= 1, got %r" % (capacity,))
        self.capacity = capacity
        self.head = Dense(self.n_embed, capacity)
        self.head.rows = 0
        self.optimizer.init(self.head)
        self.labels = []
        self._p = K.vec(capacity)

    def __repr__(self):
        return "Classifier(n_features=%d, capacity=%d, classes=%d, %r)" % (
            self.n_features, self.capacity, len(self.labels), self.optimizer)

    def _index(self, y):
        # row of label y; -1 when y is new and there is room for it
        if not isinstance(y, (int, str)):
            raise TypeError("label %r must be an int or a str" % (y,))
        for i in range(len(self.labels)):
            if self.labels[i] == y:
                return i
        if len(self.labels) >= self.capacity:
            raise ValueError("label %r would be class %d, beyond capacity %d"
                             % (y, len(self.labels) + 1, self.capacity))
        return -1

    def add_class(self, y):
        # a zero row for label y: predictions among known classes keep their order
        i = self._index(y)
        if i < 0:
            i = len(self.labels)
            self.labels.append(y)
            self.head.rows += 1
        return i

    def learn_one(self, x, y):
        x = K.load_vec(x, self._x)
        i = self.add_class(y)  # raises on a bad label before anything changes
        z = self.head.forward(self._embed(x, True))
        g = K.softmax(z, self.head.rows, self._p)
        g[i] -= 1.0  # softmax cross-entropy gradient: p - onehot(y)
        self.head.backward(g, self.optimizer, False)
        self.n_seen += 1

    def _scores(self, x):
        h = self._features(x, False)
        return self.head.forward(h) if self.head.rows else None

    def predict_proba_one(self, x):
        z = self._scores(x)
        if z is None:
            return {}
        p = K.softmax(z, self.head.rows, self._p)
        return {self.labels[i]: float(p[i]) for i in range(self.head.rows)}

    def predict_one(self, x):
        z = self._scores(x)
        if z is None:
            return None
        return self.labels[K.argmax(z, self.head.rows)]

    # -- checkpoint support

    def config(self):
        c = self._base_config()
        c["capacity"] = self.capacity
        return c

    def arrays(self):
        return self._base_arrays() + self.head.arrays()

    def state(self):
        s = self._base_state()
        s["labels"] = list(self.labels)
        return s

    def set_state(self, s):
        self._set_base_state(s)
        self.labels = list(s["labels"])
        self.head.rows = len(self.labels)

    @staticmethod
    def layout(c):
        return base_layout(c) + dense_layout(
            "head.", embed_size(c), c["capacity"], c["optimizer"]["momentum"])

    @classmethod
    def from_config(cls, c):
        return cls(c["n_features"], c["capacity"], **build_base(c))

