"""What the sparse-update benchmark runs: models, grids, budgets, seeds."""

K_SHOT = 5  # support samples per class, from the new domain

# frozen relu extractors (int8, as boards ship them) pre-trained on the host
# with ulearn_host.train's defaults (momentum 0.9, weight decay 1e-4, batches of 32)
ARCH = {"watch": (64, 32, 16), "fashion": (64, 32)}
PRETRAIN_EPOCHS = {"watch": 40, "fashion": 10}
POOL = 2  # Fashion-MNIST: 28x28 averaged over 2x2 blocks, 14x14 = 196 inputs
SHIFT_PX = 2  # the shifted domain: images moved right by 2 pixels at 14x14 (4 at 28x28)

# board path: per-sample SGD as the other benchmarks use it on the board
MOMENTUM, CLIP = 0.5, 5.0
LR = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1)
EPOCHS = (3, 10, 30, 80)  # passes over the support set
WARMUP = 1  # head-only passes before selecting when the head lacks the support's labels

FRACTIONS = (0.05, 0.1, 0.2, 0.5)  # budgets, as a share of full fine-tuning's bytes
TARGET_FRACTION = 0.1
TARGET_POINTS = 0.01  # "within 1 point of full fine-tuning"

SEEDS = 5
TUNE_SEEDS = 3
VAL_QUERIES = 1000  # validation query rows per Fashion-MNIST domain (drawn once)

QUICK = dict(lr=(0.01, 0.05), epochs=(5, 10), fractions=(0.1, 0.5), seeds=3, tune_seeds=1,
             queries=400, fashion_train=400, vm_epochs=2, vm_queries=60)
VM_QUERIES = 200  # query rows predicted inside MicroPython (the full run)

DOMAIN_ORDER = ("watch", "fashion_new", "fashion_shift")
DOMAIN_NAMES = {
    "watch": "watch: new subjects",
    "fashion_new": "Fashion-MNIST: 5 new classes",
    "fashion_shift": "Fashion-MNIST: shifted images",
}
MODEL_OF = {"watch": "watch", "fashion_new": "fashion", "fashion_shift": "fashion"}

SPARSE = ("fisher", "l2", "random")
# "cold": Fisher selection from the prototype head rows, without the head-only
# warm-up (new classes only)
METHODS = ("none", "head", "full") + SPARSE + ("cold",)
METHOD_NAMES = {
    "none": "no adaptation (the bundle as shipped)",
    "head": "last layer only",
    "full": "full fine-tuning",
    "fisher": "Fisher selection",
    "l2": "L2-norm selection",
    "random": "random selection",
    "cold": "Fisher selection, no warm-up",
}
SHORT = {"none": "none", "head": "last layer", "full": "full FT", "fisher": "Fisher",
         "l2": "L2", "random": "random", "cold": "Fisher, no warm-up"}


def methods_of(domain):
    """The rows of a domain: 'none' needs a head that knows the labels;
    'cold' only differs from 'fisher' where the head starts empty."""
    if domain == "fashion_new":
        return [m for m in METHODS if m != "none"]
    return [m for m in METHODS if m != "cold"]


def grid(quick):
    return (QUICK["lr"], QUICK["epochs"]) if quick else (LR, EPOCHS)


def fractions(quick):
    return QUICK["fractions"] if quick else FRACTIONS
