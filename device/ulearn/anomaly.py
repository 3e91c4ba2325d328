# Online autoencoder for anomaly detection: learns to reconstruct normal data
# (through a tanh bottleneck) one sample at a time; the reconstruction error
# is the anomaly score. The threshold adapts: reconstruction errors are
# heavy-tailed, roughly log-normal, so it is exp(mean + k * std) of the log
# scores of the data learned from, tracked with exponential forgetting (alpha).
import math

from .backend import K
from .base import Learner, base_layout, build_base, embed_size
from .inputs import EMBED_LIMIT, INF
from .layers import Dense, dense_layout
from .rng import Rng

# The largest score a step learns from: a reconstruction twice the largest embedding away
# (inputs.EMBED_LIMIT). Beyond it the weights are past what learning gives (a crafted file),
# and the step's gradient would push them past float32's range.
_MAX_ERROR = 4.0 * EMBED_LIMIT * EMBED_LIMIT

_TINY = 1e-12  # keeps log() finite for a perfect reconstruction


class AnomalyDetector(Learner):
    """Online autoencoder anomaly detector; the score is the reconstruction error.

    Learns normal data one sample at a time through a tanh bottleneck of `hidden` units
    (int >= 1). n_features, extractor, optimizer, standardize, stats_window: as for Classifier.
    The threshold is exp(mean + k * std) of the log scores learned, tracked with forgetting
    rate alpha in (0, 1]; it is inf for the first `warmup` samples. seed: the initial weights.
    Raises ValueError on a bad argument, TypeError on an extractor entry that is not a Frozen
    layer.
    """
    kind = "AnomalyDetector"

    def __init__(self, n_features, hidden=8, extractor=None, optimizer=None,
                 standardize=True, stats_window=0, k=2.0, alpha=0.01,
                 warmup=50, seed=1):
        self._setup(n_features, extractor, optimizer, standardize, stats_window)
        if not isinstance(hidden, int) or hidden < 1:
            raise ValueError("hidden must be an int >= 1, got %r" % (hidden,))
        if not 0.0 < alpha <= 1.0:
            raise ValueError("alpha must be in (0, 1], got %r" % (alpha,))
        if not k > 0.0:
            raise ValueError("k must be > 0, got %r" % (k,))
        if not isinstance(warmup, int) or warmup < 1:
            raise ValueError("warmup must be an int >= 1, got %r" % (warmup,))
        self.hidden, self.k, self.alpha, self.warmup, self.seed = hidden, k, alpha, warmup, seed
        m = self.n_embed
        rng = Rng(seed)
        self.enc = Dense(m, hidden, "tanh")
        self.dec = Dense(hidden, m)
        for layer in (self.enc, self.dec):
            layer.init_glorot(rng)
            self.optimizer.init(layer)
        self.log_mean = 0.0  # of log(score + _TINY)
        self.log_var = 0.0
        self._g = K.vec(m)

    def __repr__(self):
        return "AnomalyDetector(n_features=%d, hidden=%d, threshold=%g)" % (
            self.n_features, self.hidden, self.threshold)

    def _error(self, f):
        r = self.dec.forward(self.enc.forward(f))
        return r, K.sqdist(r, f) / self.n_embed

    def score_one(self, x):
        """Mean squared reconstruction error of x (a float), without learning.

        x: n_features finite numbers (list, tuple, array('f') or 1-D ulab/numpy array); raises
        ValueError (wrong length, inf/nan) or TypeError (not a number).
        """
        return self._error(self._features(x, False))[1]

    def learn_one(self, x):
        """Learn x as normal data: one SGD step, then update the threshold's statistics.

        Returns x's score before the step. x: n_features finite numbers (list, tuple,
        array('f') or 1-D ulab/numpy array); raises ValueError (wrong length, inf/nan) or
        TypeError (not a number), before anything changes.
        """
        f = self._learnable(K.load_vec(x, self._x), True)
        r, s = self._error(f)
        if not s <= _MAX_ERROR:  # nan too: refused before the step
            self._give_back(True)
            raise ValueError("learning from x would overflow float32 (a reconstruction error "
                             "of %g: weights too large)" % s)
        m = self.n_embed
        g = K.sub(r, f, self._g)
        K.scale(g, m, 2.0 / m)  # gradient of the mean squared error
        self.enc.backward(self.dec.backward(g, self.optimizer), self.optimizer, False)
        self.n_seen += 1
        # the threshold's running statistics, exact until 1/alpha samples
        w = max(self.alpha, 1.0 / self.n_seen)
        ls = math.log(s + _TINY)
        d = ls - self.log_mean
        self.log_mean += w * d
        self.log_var += w * (d * (ls - self.log_mean) - self.log_var)
        return s

    @property
    def threshold(self):
        """Score above which x is an anomaly (a float; inf during the warmup)."""
        if self.n_seen < self.warmup:
            return INF
        # at most exp(88), about float32's largest: past it the threshold is inf in all but name
        return math.exp(min(self.log_mean + self.k * math.sqrt(self.log_var), 88.0)) - _TINY

    def is_anomaly(self, x):
        """True when score_one(x) > threshold (never during the warmup)."""
        return self.score_one(x) > self.threshold

    # -- checkpoint support

    def config(self):
        """The constructor arguments as a JSON-able dict (for checkpoints)."""
        c = self._base_config()
        c.update(hidden=self.hidden, k=self.k, alpha=self.alpha,
                 warmup=self.warmup, seed=self.seed)
        return c

    def state(self):
        """Counters and threshold statistics besides the arrays, as a JSON-able dict."""
        s = self._base_state()
        s.update(log_mean=self.log_mean, log_var=self.log_var)
        return s

    def set_state(self, s):
        """Restore what state() returned, after the arrays are filled.

        Raises KeyError on a missing key, ValueError on log statistics out of range.
        """
        self._set_base_state(s)
        m, v = s["log_mean"], s["log_var"]
        # log scores of float32 errors lie within about +-88, their variance below 88 ** 2
        if not (isinstance(m, (int, float)) and -200 <= m <= 200
                and isinstance(v, (int, float)) and 0 <= v <= 40000):
            raise ValueError("log statistics %r, %r are out of range" % (m, v))
        self.log_mean, self.log_var = m, v

    @staticmethod
    def layout(c):
        """[(name, shape, dtype code)] of a learner's arrays for config c, in arrays() order."""
        m, h, mom = embed_size(c), c["hidden"], c["optimizer"]["momentum"]
        return base_layout(c) + dense_layout("enc.", m, h, mom) + dense_layout("dec.", h, m, mom)

    @classmethod
    def from_config(cls, c):
        """A new learner from config() output c (checkpoint.load then fills its arrays)."""
        return cls(c["n_features"], c["hidden"], k=c["k"], alpha=c["alpha"],
                   warmup=c["warmup"], seed=c["seed"], **build_base(c))
