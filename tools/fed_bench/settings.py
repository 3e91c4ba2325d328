"""What the federated meta-learning benchmark runs: the model, the devices,
the rounds, the grids, the seeds."""
from ulearn_host.fed import SHOTS  # adaptation samples the curves are read at: 1, 5, 10, 20, 50

# the learner every device runs: inputs -> HIDDEN relu units -> softmax head, per-sample SGD
HIDDEN = 32
MOMENTUM, CLIP = 0.5, 5.0

N_WAY = 5  # digits and Fashion-MNIST: each device is a 5-way task
POOL = 2  # Fashion-MNIST: 28x28 averaged over 2x2 blocks, 14x14 = 196 inputs
WATCH_VAL = (6, 7)  # training subjects the tuning runs hold out, to validate on

# class-subset devices: meta-training clients (rows per class each), held-out
# devices (rows per class each, None: every held-out row of its classes)
DEVICES = {"digits": dict(clients=60, rows=30, held=20, held_rows=None),
           "fashion": dict(clients=100, rows=40, held=20, held_rows=60)}

SUPPORT = max(SHOTS)  # adaptation samples a held-out device draws
QUERY_CAP = 200  # query rows per held-out device and seed, at most

# TinyReptile asks one client per round, Reptile and FedAvg PER_ROUND;
# Reptile gets TinyReptile's client visits
PER_ROUND = 5
ROUNDS = {"tinyreptile": 2000, "reptile": 400, "fedavg": 100}

# HALF: TinyReptile again, k chosen on validation among the settings within
# the target's half of FedAvg's client MACs per round (k <= E * mean client
# rows / 2): fixed before any test run; the same grid and rounds
HALF = "tinyreptile_half"
BASE = {HALF: "tinyreptile"}
METHODS = ("tinyreptile", HALF, "reptile", "fedavg", "transfer", "scratch")
TUNED = tuple(m for m in METHODS if m not in BASE)
GRID = {"tinyreptile": dict(lr=(0.01, 0.02, 0.05), steps=(10, 30, 100), beta=(0.5, 1.0)),
        "reptile": dict(lr=(0.01, 0.02, 0.05), steps=(10, 30, 100), beta=(0.5, 1.0)),
        "fedavg": dict(lr=(0.01, 0.02, 0.05), epochs=(1, 3)),
        "transfer": dict(lr=(0.01, 0.02, 0.05), epochs=(1, 3)),
        "scratch": {}}
ADAPT_LR = (0.02, 0.05, 0.1, 0.2)  # the held-out device's lr, one per method for every shot count

SEEDS = 5
TUNE_SEEDS = 3

QUICK = dict(seeds=2, tune_seeds=1, clients=20, held=6, adapt_lr=(0.05, 0.1),
             rounds={"tinyreptile": 200, "reptile": 40, "fedavg": 8},
             grid={"tinyreptile": dict(lr=(0.05,), steps=(10, 30), beta=(1.0,)),
                   "reptile": dict(lr=(0.05,), steps=(10,), beta=(1.0,)),
                   "fedavg": dict(lr=(0.05,), epochs=(1, 3)),
                   "transfer": dict(lr=(0.05,), epochs=(1,)),
                   "scratch": {}})

TARGET_POINTS = 0.02  # TinyReptile within 2 points of FedAvg's adapted accuracy...
TARGET_RATIO = 0.5  # ...with at most half its client peak bytes and per-round client MACs
HEADLINE_SHOTS = (10, 50)  # the target's headline shot counts (every count is checked)
SUMMARY_SHOTS = (5, 50)  # the summary table's shot counts

DOMAIN_ORDER = ("watch", "digits", "fashion")
DOMAIN_NAMES = {"watch": "watch: new wearers", "digits": "digits: new 5-way tasks",
                "fashion": "Fashion-MNIST: new 5-way tasks"}
METHOD_NAMES = {"tinyreptile": "TinyReptile", HALF: "TinyReptile, k within 1/2", "reptile": "Reptile",
                "fedavg": "FedAvg", "transfer": "transfer (pooled data)", "scratch": "scratch"}
SETTING_KEYS = {m: tuple(GRID[BASE.get(m, m)]) for m in METHODS}  # the order of a setting tuple's values


def rounds(method, quick):
    return (QUICK["rounds"] if quick else ROUNDS).get(BASE.get(method, method))


def grid(method, quick):
    """Every setting of a method: tuples of its GRID values, in SETTING_KEYS order."""
    g = (QUICK["grid"] if quick else GRID)[BASE.get(method, method)]
    out = [()]
    for k in SETTING_KEYS[method]:
        out = [s + (v,) for s in out for v in g[k]]
    return out


def adapt_lrs(quick):
    return QUICK["adapt_lr"] if quick else ADAPT_LR


def config(quick, domains, jobs, tune_seeds):
    """The run's settings, as the page shows them."""
    return dict(domains={d: DOMAIN_NAMES[d] for d in domains}, methods=METHOD_NAMES, half=HALF,
                shots=SHOTS, hidden=HIDDEN, momentum=MOMENTUM, clip=CLIP, n_way=N_WAY, support=SUPPORT,
                query_cap=QUERY_CAP, per_round=PER_ROUND, rounds={m: rounds(m, quick) for m in METHODS},
                grid=(QUICK["grid"] if quick else GRID), adapt_lr=adapt_lrs(quick), tune_seeds=tune_seeds,
                jobs=jobs, target_points=TARGET_POINTS, target_ratio=TARGET_RATIO,
                headline_shots=HEADLINE_SHOTS, summary_shots=SUMMARY_SHOTS)
