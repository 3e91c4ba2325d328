"""The benchmark's fixed choices: seeds, replay budget, model sizes, tuning
grids (full and --quick), epochs, and the names streams, rows and front ends go by."""

SEEDS, TUNE_SEEDS = 5, 2  # test runs, validation runs

FRACTION = 0.01  # replay budget: max(1, round(1% of each class's training rows))
HIDDEN = 64  # the fixed (large) model's trainable relu layer, every stream
EXT_WIDTH = 32  # the candidate frozen extractor (trained on the first task only)
EXT_EPOCHS = 30

# board path: per-sample SGD as the project suggests (momentum 0.5, clip 5);
# lr and replay_k (replayed samples per new sample) chosen on validation
BOARD_MOM, BOARD_CLIP = 0.5, 5.0
BOARD_LR = (0.01, 0.02, 0.05)
BOARD_K = (1, 2, 4)
# host path: minibatches of 32 new rows (+ k * 32 replayed rows drawn from the
# replay memory), train.py's defaults (momentum 0.9, weight decay 1e-4)
HOST_MOM, HOST_WD, HOST_BS = 0.9, 1e-4, 32
HOST_LR = (0.02, 0.05, 0.1)
HOST_K = (1, 3)
HOST_EPOCHS = {"digits": 10, "watch": 10, "fashion": 5}  # per task (joint: the same on all data)
HOST_DEFAULT = dict(lr=0.05, k=3)  # the front-end comparison runs before tuning
# adaptive model: starts at `start` units, grows by `step` when a new class
# arrives (if `on_class`) and when replay accuracy < `below`, up to HIDDEN;
# on_class False with below 0 never grows (the start-width reference): left out
ADAPT_GRID = [dict(start=s, step=g, below=b, on_class=o) for s in (8, 16) for g in (4, 8)
              for b in (0.0, 0.9, 0.95) for o in (True, False) if o or b]
ADAPT_TOL = 0.015  # "within 1.5 points" (target, and the selection rule on validation)
BUDGET_SWEEP = (0.02, 0.05, 0.10)
SWEEP_STREAMS = ("digits", "watch")

QUICK = dict(seeds=3, tune_seeds=1, board_lr=(0.02, 0.05), board_k=(1, 2), host_lr=(0.05,), host_k=(1, 3),
             adapt=[dict(start=8, step=4, below=0.0, on_class=True),
                    dict(start=16, step=8, below=0.9, on_class=True),
                    dict(start=8, step=4, below=0.9, on_class=False)],
             fashion_train=300, fashion_test=100, sweep=(0.05,))

STREAM_ORDER = DOMAIN_ORDER = ("digits", "fashion", "watch")
STREAM_NAMES = {"digits": "Split-digits", "fashion": "Split-Fashion-MNIST (7x7)",
                "watch": "Split-watch exercises"}
METHODS_BOARD = ("none", "reservoir", "random", "herding", "dm", "joint")
METHODS_HOST = ("none", "random", "herding", "dm", "joint")
REPLAY_METHODS = ("random", "herding", "dm")
PATHS = (("board", METHODS_BOARD), ("host", METHODS_HOST))
METHOD_NAMES = {
    "none": "no replay (naive fine-tuning)",
    "reservoir": "reservoir only (board picks, no host)",
    "random": "random 1%",
    "herding": "herding 1%",
    "dm": "distilled (dm) 1%",
    "joint": "joint training (all tasks' data at once)",
    "adaptive": "adaptive model, distilled 1%",
}
FRONT_ENDS = {"digits": ("raw", "ext1"), "fashion": ("raw", "ext1", "raw14"), "watch": ("raw", "ext1")}
FE_NAMES = {"raw": "raw inputs (no extractor)", "ext1": "extractor trained on task 1",
            "raw14": "raw 14x14 pixels (reference)"}


def grid(args):
    """(board lr, board k, host lr, host k, adaptive settings) to tune over."""
    if args.quick:
        return QUICK["board_lr"], QUICK["board_k"], QUICK["host_lr"], QUICK["host_k"], QUICK["adapt"]
    return BOARD_LR, BOARD_K, HOST_LR, HOST_K, ADAPT_GRID


def sweep_fracs(args):
    return QUICK["sweep"] if args.quick else BUDGET_SWEEP


def ts(stream, tseeds):
    # Fashion-MNIST is tuned with the first tuning seed only: its validation
    # split has 10000 rows, and its board runs are most of the run time
    return tseeds[:1] if stream == "fashion" else tseeds
