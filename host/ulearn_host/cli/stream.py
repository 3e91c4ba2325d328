"""ulearn stream: rows of a dataset as a stream file a board learns from."""
from ._common import add_data, check_output, emit, load_data, natural, positive_int

HELP = "write a labelled sample stream for a board to learn from"
DESCRIPTION = ("Write rows of a dataset (a built-in one or your own: a feature table, or "
               "recordings cut into windows of features) as a stream file (x.npy, y.npy, "
               "labels.json) that a board reads one row at a time; copy it with `ulearn deploy "
               "--file`.")


def add_arguments(p):
    add_data(p, help="a built-in task or data of your own, as `ulearn train --data` takes it "
             "and splits it; raw readings become the windows of features the board would "
             "compute (--window, --hop) (default %(default)s)")
    p.add_argument("--split", choices=["train", "test", "all"], default="train",
                   help="its training or test rows, or all of them (default %(default)s)")
    p.add_argument("--classes", type=lambda v: v.split(","),
                   help="comma-separated class names (default: all)")
    p.add_argument("--limit", type=positive_int, help="at most this many rows (>= 1)")
    p.add_argument("--shuffle", action="store_true", help="shuffle the rows (else dataset order)")
    p.add_argument("--seed", type=natural, default=0, help="for --shuffle (default 0)")
    p.add_argument("-o", "--output", default="stream.npz",
                   help="stream file (default stream.npz)")


def run(args):
    import numpy as np
    from ulearn import stream

    from .. import tasks
    from ..files import atomic
    check_output(args.output)
    task = load_data(args, classes=False)  # one recorded gesture is a stream too
    rows = tasks.select(task, None if args.split == "all" else args.split, args.classes)
    if len(rows) == 0:
        raise ValueError("no %s rows of those classes in %s" % (args.split, args.data))
    if args.shuffle:
        rows = np.random.default_rng(args.seed).permutation(rows)
    rows = rows[:args.limit] if args.limit is not None else rows
    with atomic(args.output) as tmp:
        stream.save(tmp, task.X[rows], task.y[rows], task.names)
    counts = {task.names[c]: int(n) for c, n in zip(*np.unique(task.y[rows], return_counts=True))}
    emit(args, {"stream": args.output, "samples": len(rows), "per_class": counts},
         "wrote %s: %d samples (%s)" % (args.output, len(rows),
                                         ", ".join("%s %d" % kv for kv in counts.items())))
