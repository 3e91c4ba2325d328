# What every learner shares: input checks, online standardisation and the
# frozen feature extractor in front of the trainable part.
from .backend import K
from .inputs import EMBED_LIMIT
from .layers import Frozen, frozen_layout
from .optim import SGD
from .scaler import Scaler

_EMBED2 = EMBED_LIMIT * EMBED_LIMIT


class Learner:
    """What every learner shares: input checks, online standardisation, frozen extractor.

    Subclasses call _setup() from their constructor; see Classifier for its arguments.
    """
    def _setup(self, n_features, extractor, optimizer, standardize, stats_window):
        if not isinstance(n_features, int) or n_features < 1:
            raise ValueError("n_features must be an int >= 1, got %r" % (n_features,))
        extractor = list(extractor or ())
        n = n_features
        for i, layer in enumerate(extractor):
            if not isinstance(layer, Frozen):
                raise TypeError("extractor[%d] is not a Frozen layer" % i)
            if layer.n_in != n:
                raise ValueError("extractor[%d] takes %d inputs, gets %d"
                                 % (i, layer.n_in, n))
            n = layer.n_out
        self.n_features = n_features
        self.n_embed = n  # what the trainable part sees
        self.extractor = extractor
        self.optimizer = optimizer if optimizer is not None else SGD()
        self.scaler = Scaler(n_features, stats_window) if standardize else None
        self.n_seen = 0
        self._x = K.vec(n_features)
        self._z = K.vec(n_features)

    def _features(self, x, learn):
        # check and copy x (raises before any state changes), standardise, extract
        x = K.load_vec(x, self._x)
        return self._embed(x, learn)

    def _embed(self, x, learn):
        return self._extract(self._standardize(x, learn))

    def _learnable(self, x, learn):
        # the embedding of checked input x for a learning step, refused beyond EMBED_LIMIT
        # before the step changes anything (statistics that learn take x back)
        h = self._embed(x, learn)
        n2 = K.sqnorm(h, self.n_embed)
        if not n2 <= _EMBED2:
            self._give_back(learn)
            raise ValueError("x is too far outside the input statistics to learn from: its "
                             "embedding's norm is %g, over %g (a glitch? unscaled inputs?)"
                             % (n2 ** 0.5, EMBED_LIMIT))
        return h

    def _give_back(self, learned):
        # a learning step refused after the input statistics learned x: they take it back
        if learned and self.scaler is not None:
            self.scaler.undo()

    def _standardize(self, x, learn):
        if self.scaler is not None:
            if learn:
                self.scaler.learn_one(x)
            x = self.scaler.transform(x, self._z)
        return x

    def _extract(self, x):
        for layer in self.extractor:
            x = layer(x)
        return x

    # -- checkpoint support: config (JSON), arrays in layout order, state

    def _base_config(self):
        return {"n_features": self.n_features,
                "extractor": [layer.config() for layer in self.extractor],
                "optimizer": self.optimizer.config(),
                "standardize": self.scaler is not None,
                "stats_window": self.scaler.window if self.scaler else 0}

    def config(self):
        """The constructor arguments as a JSON-able dict (each learner defines it)."""
        raise NotImplementedError

    @staticmethod
    def layout(c):
        """[(name, shape, dtype code)] of the arrays for config c (each learner defines it)."""
        raise NotImplementedError

    def arrays(self):
        """The arrays layout(config()) names, in its order: what a checkpoint stores.

        The layout is their one definition: "head.W" is self.head.W, "extractor.0.b"
        self.extractor[0].b.
        """
        out = []
        for name, _, _ in self.layout(self.config()):
            a = self
            for part in name.split("."):
                a = a[int(part)] if part.isdigit() else getattr(a, part)
            out.append(a)
        return out

    def _base_state(self):
        return {"n_seen": self.n_seen,
                "stats_count": self.scaler.count if self.scaler else 0}

    def _set_base_state(self, s):
        self.n_seen = s["n_seen"]
        if self.scaler is not None:
            self.scaler.count = s["stats_count"]
            self.scaler.refresh()


def base_layout(c):
    """[(name, shape, dtype code)] of the extractor's and scaler's arrays, from a config c."""
    out = []
    for i, lc in enumerate(c["extractor"]):
        out += frozen_layout("extractor.%d." % i, lc)
    if c["standardize"]:
        n = c["n_features"]
        out += [("scaler.mean", (n,), "f4"), ("scaler.var", (n,), "f4")]
    return out


def build_base(c):
    """The constructor arguments that _base_config() recorded in config c, as a dict.

    Its extractor is new Frozen layers with zero weights, for checkpoint.load to fill.
    """
    ext = [Frozen(lc["n_in"], lc["n_out"], lc["act"], lc["int8"]) for lc in c["extractor"]]
    return {"extractor": ext, "optimizer": SGD(**c["optimizer"]),
            "standardize": c["standardize"], "stats_window": c["stats_window"]}


def embed_size(c):
    """Width of what the trainable part sees, from a config c."""
    ext = c["extractor"]
    return ext[-1]["n_out"] if ext else c["n_features"]
