# Arithmetic cost of inference and of one training step, from layer shapes:
# host-side accounting (it reads a learner; boards never need it).
# Convention: a MAC is one multiply and one add into an accumulator (a dot
# product of n terms that starts at the bias is n MACs, so biases cost
# nothing extra); FLOPs = 2 * MACs + every other elementwise operation, one
# each for an add, subtract, multiply, divide, comparison (relu, max) or
# exp/tanh/sqrt. Counts follow the reference kernels (kern_py) over the
# active rows; scalar work done once per call (the clip factor, 1/count),
# input checks and copies are not counted. Each cost is a (macs, ops) pair.


def flops(c):
    return 2 * c[0] + c[1]


def add(*cs):
    return (sum(c[0] for c in cs), sum(c[1] for c in cs))


def times(c, k):
    return (c[0] * k, c[1] * k)


def activation(act, n):
    # relu: one comparison; tanh: one op; linear: nothing
    return 0 if act == "linear" else n


def activation_grad(act, n):
    # g * (y > 0): one; g * (1 - y * y): three
    return {"linear": 0, "relu": n, "tanh": 3 * n}[act]


def forward(n_in, n_out, act="linear", int8=False):
    # a Frozen or Dense layer: affine (int8: one scale multiply per output), activation
    return (n_out * n_in, (n_out if int8 else 0) + activation(act, n_out))


def sgd(n_in, rows, momentum=0.0, weight_decay=0.0, clip=0.0):
    # one step on the rank-1 gradient g x^T of a rows x n_in layer and its bias:
    # lr * g (rows ops); w -= (lr g_i) x_j is one MAC per weight, with momentum
    # u = mu u + (lr g_i) x_j, w -= u is two; decay multiplies every weight once;
    # clipping takes |g|^2 and |x|^2 (rows + n_in MACs)
    macs = (2 if momentum else 1) * rows * (n_in + 1)
    ops = rows + (rows * n_in if weight_decay else 0)
    if clip:
        macs += rows + n_in
    return (macs, ops)


def backward(n_in, rows, act="linear", input_grad=True, opt=None):
    # a trainable Dense: activation gradient, input gradient W^T g (when
    # needed), then the optimizer's step (plain SGD when opt is None)
    c = sgd(n_in, rows, opt.momentum, opt.weight_decay, opt.clip) if opt else sgd(n_in, rows)
    return (c[0] + (rows * n_in if input_grad else 0), c[1] + activation_grad(act, rows))


def softmax(n):
    # max (n - 1 comparisons), subtract, exp, sum, divide
    return (0, 5 * n - 1 if n else 0)


def standardize(n):
    # (x - mean) * inv_std
    return (0, 2 * n)


def scaler_update(n):
    # Welford (8 ops per feature) and the cached 1 / sqrt(var + eps) (3)
    return (0, 11 * n)


def layer_forward(layer, rows=None):
    # a Frozen or Dense object (Dense: its active rows unless given)
    if rows is None:
        rows = getattr(layer, "rows", layer.n_out)
    return forward(layer.n_in, rows, layer.act, getattr(layer, "int8", False))


def learner_flops(learner, replay_k=None, rows=None):
    """FLOPs of a ulearn Classifier: predict_proba_one ("inference") and
    learn_one ("train_step"); replay_k: each learn_one also trains on k
    replayed samples stored as embeddings, which skip standardisation, the
    scaler update and the extractor (default: the learner's replay_k when it
    has a replay memory, else 0; storing and sampling the memory is not
    counted). rows: active classes (default: the head's rows, or its
    capacity while it has none). A trainable `learner.hidden` Dense between
    extractor and head, if any, is trained through the head's input
    gradient; so are the trained rows of the frozen layers (sparse updates),
    through the extractor above them. "breakdown" holds FLOPs per part,
    "macs" the MACs of inference and train_step."""
    if replay_k is None:
        replay_k = learner.replay_k if getattr(learner, "replay", None) is not None else 0
    if not isinstance(replay_k, int) or replay_k < 0:
        raise ValueError("replay_k must be an int >= 0, got %r" % (replay_k,))
    head, opt = learner.head, learner.optimizer
    hidden = getattr(learner, "hidden", None)
    sp = getattr(learner, "sparse", None)
    r = rows if rows is not None else (head.rows or head.n_out)
    n = learner.n_features
    part = {}
    part["standardize"] = standardize(n) if learner.scaler is not None else (0, 0)
    for i, layer in enumerate(learner.extractor):
        part["extractor.%d" % i] = layer_forward(layer)
        if sp is not None and sp.rows[i] is not None:  # the trained copies run too
            part["extractor.%d" % i] = add(part["extractor.%d" % i], layer_forward(sp.rows[i]))
    part["hidden"] = layer_forward(hidden) if hidden is not None else (0, 0)
    part["head"] = layer_forward(head, r)
    part["softmax"] = softmax(r)
    inference = add(*part.values())
    part["scaler_update"] = scaler_update(n) if learner.scaler is not None else (0, 0)
    hb = backward(head.n_in, r, head.act, hidden is not None or sp is not None, opt)
    part["head_backward"] = add(hb, (0, 1))  # p - onehot(y)
    part["hidden_backward"] = (backward(hidden.n_in, hidden.rows, hidden.act, sp is not None, opt)
                               if hidden is not None else (0, 0))
    part["sparse_backward"] = sparse_backward(learner.extractor, sp, opt) if sp else (0, 0)
    trained = ("hidden", "head", "softmax", "head_backward", "hidden_backward")
    part["replay"] = times(add(*[part[k] for k in trained]), replay_k)
    step = add(*part.values())
    return {"inference": flops(inference), "train_step": flops(step),
            "breakdown": {k: flops(c) for k, c in part.items()},
            "macs": {"inference": inference[0], "train_step": step[0]}}


def sparse_backward(layers, sp, opt):
    # from the top frozen layer down to the lowest with trained rows: each
    # set of trained rows' backward step, and above the lowest, the frozen
    # layer's activation gradient and input gradient W^T g (int8: g times
    # the row scales first), plus the trained rows' input gradient
    c = (0, 0)
    for i in range(len(layers) - 1, sp.low - 1, -1):
        d, f = sp.rows[i], layers[i]
        if d is not None:
            c = add(c, backward(d.n_in, d.n_out, d.act, i > sp.low, opt))
        if i > sp.low:
            ops = activation_grad(f.act, f.n_out) + (f.n_out if f.int8 else 0)
            c = add(c, (f.n_in * f.n_out, ops + (f.n_in if d is not None else 0)))
    return c
