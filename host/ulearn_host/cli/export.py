"""ulearn export: a trained model -> the bundle a board loads."""
import os

from ._common import (UsageError, add_data, below_one, check_output, emit, fraction, load_data,
                      natural, nonnegative_float, positive_float, positive_int, unit)

HELP = "turn a trained model into a bundle for a board"
DESCRIPTION = (
    "Write the bundle a board loads: frozen extractor (float32 or --int8 with one scale per "
    "row), optionally its last hidden layer kept trainable (--trainable-last), the head with "
    "room for new classes (--capacity), input statistics, labels, the optimizer the board "
    "learns with, an optional replay memory (--replay, filled from the training data with "
    "--replay-method), and metadata. Prints its size and FLOPs per inference and per step.")


def add_arguments(p):
    from ulearn.checkpoint import _MAX_DIM as MAX_DIM

    from ..distill import METHODS
    from ..export import ROOM
    p.add_argument("model", help="a model file from `ulearn train`")
    p.add_argument("-o", "--output", default="bundle.npz", help="bundle (default bundle.npz)")
    p.add_argument("--int8", action="store_true", help="store extractor weights as int8")
    p.add_argument("--capacity", type=positive_int,
                   help="head rows: trained classes + room for new ones the board learns "
                   "(default: the trained classes + %d; at most %d)" % (ROOM, MAX_DIM))
    p.add_argument("--lr", type=positive_float, default=0.02,
                   help="board learning rate (default 0.02)")
    p.add_argument("--momentum", type=below_one, default=0.5,
                   help="board momentum, in [0, 1) (default 0.5)")
    p.add_argument("--weight-decay", type=nonnegative_float, default=0.0,
                   help="board weight decay (default 0)")
    p.add_argument("--clip", type=nonnegative_float, default=5.0,
                   help="gradient norm clip, 0 for none (default 5)")
    p.add_argument("--stats-window", type=natural, default=0,
                   help="let the input statistics forget over this many samples (0: never)")
    p.add_argument("--trainable-last", action="store_true",
                   help="keep the last hidden layer trainable on the board (it can grow)")
    p.add_argument("--replay", type=natural, default=0,
                   help="rows of the board's replay memory (default 0; grows to hold a "
                   "--replay-method set)")
    p.add_argument("--replay-k", type=natural, default=2,
                   help="replayed samples trained on with each new one (default 2)")
    p.add_argument("--replay-method", choices=METHODS,
                   help="fill the replay memory from the model's training data: dm "
                   "(distribution matching), herding or random")
    add_data(p, default=None, help="with --replay-method: the data the replay set is made "
             "from, as `ulearn train --data` takes it (default: the data the model's metadata "
             "names, windowed as the model's was)")
    p.add_argument("--replay-fraction", type=fraction, default=0.01,
                   help="size of that set as a fraction of each class's rows, in (0, 1] "
                   "(default 0.01)")
    p.add_argument("--replay-per-class", type=positive_int, help="or this many rows per class")
    p.add_argument("--seed", type=natural, default=0, help="for the replay set (default 0)")
    p.add_argument("--grow-step", type=natural, default=0,
                   help="units the trainable layer gains when a class arrives (default 0)")
    p.add_argument("--max-hidden", type=natural, default=0, help="largest width it may grow to")
    p.add_argument("--grow-below", type=unit, default=0.0,
                   help="also grow when accuracy on the replay memory falls below this")
    p.add_argument("--no-grow-on-class", action="store_true",
                   help="grow only on that accuracy drop, not when a class arrives")


def run(args):
    import ulearn

    from .. import export
    from ..anatomy import describe, learner_flops
    opt = ulearn.SGD(args.lr, momentum=args.momentum, weight_decay=args.weight_decay,
                     clip=args.clip)
    check_output(args.output)
    from ulearn.checkpoint import read_meta
    if "bundle" in (read_meta(args.model).get("info") or {}):  # what export writes
        raise ValueError("%s is a bundle from `ulearn export`, not a model: export the model "
                         "file `ulearn train` wrote" % args.model)
    distil = task = None
    if (args.window or args.hop) and not args.data:
        raise UsageError("--window and --hop go with --data")
    if args.data and not args.replay_method:
        raise UsageError("--data chooses the data of a replay set: give --replay-method too")
    if args.replay_method and args.data:
        info = read_meta(args.model).get("info") or {}
        task = load_data(args, recipe=info.get("data"))
    if args.replay_method:
        distil = {"method": args.replay_method, "fraction": args.replay_fraction,
                  "per_class": args.replay_per_class, "seed": args.seed}
    meta = export.export(args.model, args.output, int8=args.int8, capacity=args.capacity,
                         optimizer=opt, stats_window=args.stats_window,
                         trainable_last=args.trainable_last, replay=args.replay,
                         replay_k=args.replay_k, distil=distil, task=task,
                         grow_step=args.grow_step, max_hidden=args.max_hidden,
                         grow_below=args.grow_below, grow_on_class=not args.no_grow_on_class)
    c = meta["config"]
    cost = learner_flops(ulearn.load(args.output))
    r = {"bundle": args.output, "bytes": os.path.getsize(args.output),
         "format_version": meta["version"], "n_features": c["n_features"],
         "capacity": c["capacity"], "labels": meta["state"]["labels"],
         "extractor": c["extractor"], "hidden": c["hidden"], "optimizer": c["optimizer"],
         "replay": c["replay"], "replay_rows": meta["state"].get("replay", {}).get("n", 0),
         "replay_k": c["replay_k"], "flops_inference": cost["inference"],
         "flops_train_step": cost["train_step"],
         "features": (meta.get("info") or {}).get("features")}
    lines = ["wrote %s: %d bytes, format version %d" % (args.output, r["bytes"], r["format_version"]),
             describe(meta["kind"], c),
             "labels (%d of %d classes used): %s" % (len(r["labels"]), r["capacity"],
                                                    ", ".join(map(str, r["labels"]))),
             "room for %d new classes on the board (--capacity)"
             % (r["capacity"] - len(r["labels"]))]
    f = r["features"] or {}
    if "size" in f:  # the recipe the board's ulearn.Windower must follow
        lines.append("features: windows of %d readings every %d, %d channels%s%s "
                     "(ulearn.Windower(%d, %d, %d) on the board)"
                     % (f["size"], f["step"], f["n_axes"],
                        " (%s)" % ",".join(f["channels"]) if f.get("channels") else "",
                        ", %g Hz" % f["rate_hz"] if f.get("rate_hz") else "",
                        f["n_axes"], f["size"], f["step"]))
    if r["replay"]:
        lines.append("replay memory: %d rows filled, %d replayed per sample"
                     % (r["replay_rows"], r["replay_k"]))
    lines.append("FLOPs: %d per inference, %d per learn_one"
                 % (r["flops_inference"], r["flops_train_step"]))
    emit(args, r, "\n".join(lines))
