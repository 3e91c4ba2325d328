# Replay memory (Rueb et al. 2024): a compact set of past samples in the
# trainable part's input space (embeddings), replayed next to new data so the
# head does not forget old classes. Rows are int8 with one float32 scale each
# (layers.quantize_row's rule); everything is allocated at construction.
#
# Replacement policy (class-balanced reservoir sampling), for a sample of class c:
# - not full: append.
# - full, and c has at least 2 rows fewer than the class with the most rows
#   (lowest index on ties): c is below its fair share and takes a slot from
#   that class, whose evicted row is chosen uniformly among its rows.
# - full otherwise: reservoir sampling within c. With seen[c] samples of c so
#   far (this one included), draw j uniform in [0, seen[c]); if j < rows[c] the
#   sample replaces c's j-th row, else it is dropped. A class keeps every
#   sample until it reaches its share, then reservoir sampling keeps its rows
#   a uniform sample of everything it has seen (a class that loses rows to a
#   newcomer loses random ones, so what stays is still uniform).
# Per-class counts live in lists of max_classes ints made once; the hot path
# never grows a container. Cost: sample() is constant; add() scans the rows
# and the classes when it stores, quantising through a scratch list made once.
from array import array

from .backend import K
from .layers import quantize_row
from .rng import Rng

_MAX_CLASSES = 65535  # class of each row is kept in an array('H')


def _u16(n):
    try:
        return array("H", bytes(2 * n))  # MicroPython: raw bytes
    except TypeError:
        a = array("H")  # CPython refuses bytes in the constructor
        a.frombytes(bytes(2 * n))
        return a


def _int_arg(name, v, lo, hi):
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise ValueError("%s must be an int in [%d, %d], got %r" % (name, lo, hi, v))
    return v


class Replay:
    """Class-balanced replay memory: `capacity` int8 rows of n_features values.

    Labels are int class indices below max_classes; seed: its random draws. Everything is
    allocated here. Raises ValueError on an argument out of range.
    """
    def __init__(self, capacity, n_features, seed=1, max_classes=64):
        self.capacity = _int_arg("capacity", capacity, 1, 1 << 20)
        self.n_features = _int_arg("n_features", n_features, 1, 1 << 20)
        self.max_classes = _int_arg("max_classes", max_classes, 1, _MAX_CLASSES)
        self.seed = _int_arg("seed", seed, 0, 0xFFFFFFFF)
        self._rng = Rng(seed)
        self._s = array("I", [self._rng.s])  # its state between draws (see _randint)
        self.n = 0  # rows in use
        self.X = K.mat_i8(capacity, n_features)  # quantised rows
        self.scale = K.vec(capacity)  # row i ~= X[i] * scale[i]
        self.y = K.vec(capacity)  # label index of each row (exact small ints)
        self._cls = _u16(capacity)  # the same labels as ints, for the hot path
        self.seen = [0] * max_classes  # samples of each class offered so far
        self.count = [0] * max_classes  # rows of each class in the buffer
        self._top = 0  # 1 + highest class index seen
        self._x = K.vec(n_features)  # scratch: a checked input row
        self._q = [0] * n_features  # scratch: its int8 values (small ints, no heap)

    def __repr__(self):
        return "Replay(capacity=%d, n_features=%d, n=%d, classes=%d)" % (
            self.capacity, self.n_features, self.n, self._top)

    def __len__(self):
        return self.n

    # -- input checks (raise before anything changes)

    def _label(self, y, where):
        ok = not isinstance(y, (bool, str, bytes))
        if ok:
            try:
                c = int(y)
                ok = c == y
            except (TypeError, ValueError, OverflowError):
                ok = False
        if not ok:
            raise TypeError("%s = %r is not an int label index" % (where, y))
        if not 0 <= c < self.max_classes:
            raise ValueError("%s = %d is outside 0..%d (max_classes=%d)"
                             % (where, c, self.max_classes - 1, self.max_classes))
        return c

    def _store(self, r, x, c):
        # quantise the checked row x into row r
        s = quantize_row(x, self._q)
        K.set_row(self.X, r, self.n_features, self._q)
        self.scale[r] = s
        self.y[r] = c
        self._cls[r] = c

    def _nth(self, c, k):
        # index of the k-th row (from 0) of class c
        cls = self._cls
        for r in range(self.n):
            if cls[r] == c:
                if k == 0:
                    return r
                k -= 1
        raise RuntimeError("replay counts out of step with its rows")

    def _randint(self, n):
        # uniform int in [0, n). Rng's 32-bit state is a heap object on a board
        # when beyond the small-int range: parked in an array('I') slot between
        # draws, it leaves the live heap the same size after every call
        g = self._rng
        g.s = self._s[0]
        k = g.below(n)
        self._s[0] = g.s
        g.s = 1
        return k

    # -- filling

    def load(self, X, y):
        """Replace the contents with rows X (numbers) and labels y (ints)."""
        if len(X) != len(y):
            raise ValueError("X has %d rows but y has %d labels" % (len(X), len(y)))
        if len(X) > self.capacity:
            raise ValueError("%d rows exceed the replay capacity of %d"
                             % (len(X), self.capacity))
        labels = []
        for i in range(len(X)):  # check everything before storing anything
            labels.append(self._label(y[i], "y[%d]" % i))
            try:
                K.load_vec(X[i], self._x)
            except (ValueError, TypeError) as e:
                raise type(e)("X[%d]: %s" % (i, e))
        old = self.n
        for c in range(self.max_classes):
            self.seen[c] = self.count[c] = 0
        self._top = 0
        self.n = len(labels)
        for i in range(self.n):
            c = labels[i]
            self._store(i, K.load_vec(X[i], self._x), c)
            self.count[c] += 1
            self.seen[c] += 1  # a loaded row counts as one sample seen
            if c >= self._top:
                self._top = c + 1
        if old > self.n:
            zero = K.vec(self.n_features)
            for r in range(self.n, old):  # unused rows read as a new buffer's
                self._store(r, zero, 0)
                self.scale[r] = 0.0

    def add(self, x, y):
        """Offer one sample of class y; returns True when it was stored."""
        c = self._label(y, "label")
        x = K.load_vec(x, self._x)  # raises on a bad x before anything changes
        seen, count = self.seen, self.count
        seen[c] += 1
        if c >= self._top:
            self._top = c + 1
        if self.n < self.capacity:
            r = self.n
            self.n += 1
        else:
            big = 0
            for k in range(1, self._top):
                if count[k] > count[big]:
                    big = k
            if count[big] - count[c] >= 2:  # c is below its fair share
                r = self._nth(big, self._randint(count[big]))
                count[big] -= 1
            else:
                j = self._randint(seen[c])
                if j >= count[c]:
                    return False
                r = self._nth(c, j)
                count[c] -= 1  # the row is replaced within the class
        self._store(r, x, c)
        count[c] += 1
        return True

    # -- replay

    def sample(self, out):
        """Write a uniformly chosen stored row (float) into out; return its label index."""
        if self.n == 0:
            raise ValueError("the replay buffer is empty")
        if len(out) != self.n_features:
            raise ValueError("out has %d values, expected %d" % (len(out), self.n_features))
        r = self._randint(self.n)
        K.row_i8_to(self.X, r, self.n_features, self.scale[r], out)
        return self._cls[r]

    def row(self, r, out):
        """Write stored row r (float) into out; return its label index."""
        K.row_i8_to(self.X, r, self.n_features, self.scale[r], out)
        return self._cls[r]

    # -- checkpoint support

    def config(self):
        """The constructor arguments as a dict."""
        return {"capacity": self.capacity, "n_features": self.n_features,
                "max_classes": self.max_classes, "seed": self.seed}

    @classmethod
    def from_config(cls, c):
        """A new, empty Replay from config() output c."""
        return cls(c["capacity"], c["n_features"], c["seed"], c["max_classes"])

    def arrays(self):
        """[X, scale, y]: the int8 rows, their scales and label indices."""
        return [self.X, self.scale, self.y]

    def state(self):
        """Rows in use, per-class counts and the random state (JSON-able)."""
        t = self._top
        return {"n": self.n, "seen": self.seen[:t], "count": self.count[:t],
                "rng": self._s[0]}

    def set_state(self, s, classes=None):
        """Restore what state() returned, after the arrays are filled (as checkpoint.load does).

        Checks the state against them (and against the owner's `classes` labels) and raises
        ValueError, changing nothing, when they disagree.
        """
        try:
            n, seen, count, st = s["n"], list(s["seen"]), list(s["count"]), s["rng"]
        except (KeyError, TypeError):
            raise ValueError("replay state needs n, seen, count and rng")
        t = len(seen)
        _int_arg("replay state n", n, 0, self.capacity)
        _int_arg("replay state rng", st, 1, 0xFFFFFFFF)
        if len(count) != t or t > self.max_classes:
            raise ValueError("replay state seen/count must be two lists of the same "
                             "length, at most max_classes=%d" % self.max_classes)
        if classes is not None and t > classes:
            raise ValueError("the replay memory holds %d classes, the learner has %d labels"
                             % (t, classes))
        for c in range(t):
            _int_arg("replay state seen[%d]" % c, seen[c], 0, 1 << 62)
            _int_arg("replay state count[%d]" % c, count[c], 0, seen[c])
        labels = K.tolist(self.y)[:n]
        hist = [0] * t
        for r in range(n):
            c = int(labels[r])
            if c != labels[r] or not 0 <= c < t:
                raise ValueError("replay row %d has label %r, not a class of the state"
                                 % (r, labels[r]))
            hist[c] += 1
        if hist != count:
            raise ValueError("replay state count %r does not match the stored labels %r"
                             % (count, hist))
        for r in range(n):
            self._cls[r] = int(labels[r])
        for c in range(self.max_classes):
            self.seen[c] = seen[c] if c < t else 0
            self.count[c] = count[c] if c < t else 0
        self._top = t
        self.n = n
        self._s[0] = st


def replay_layout(prefix, c):
    """Names, shapes and dtypes of a Replay's arrays, from its config."""
    cap = c["capacity"]
    return [(prefix + "X", (cap, c["n_features"]), "i1"),
            (prefix + "scale", (cap,), "f4"), (prefix + "y", (cap,), "f4")]


def nbytes(c):
    """Data bytes of the arrays (what a checkpoint stores), from a config."""
    return c["capacity"] * (c["n_features"] + 8)


def work_bytes(c):
    """Data bytes besides the arrays, from a config.

    Row classes (u16), the two scratch rows (floats, and a list of ints) and the two per-class
    count lists (one 4-byte slot per list item on a 32-bit port).
    """
    return 2 * c["capacity"] + 8 * c["n_features"] + 8 * c["max_classes"]
