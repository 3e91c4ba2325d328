"""ulearn stream: rows of a dataset as a stream file a board learns from."""
from ._common import TASKS, emit

HELP = "write a labelled sample stream for a board to learn from"
DESCRIPTION = ("Write rows of a dataset as a stream file (x.npy, y.npy, labels.json) that a "
               "board reads one row at a time; copy it with `ulearn deploy --file`.")


def add_arguments(p):
    p.add_argument("--data", choices=TASKS, default=TASKS[0],
                   help="the dataset, split as `ulearn train` splits it (default %(default)s)")
    p.add_argument("--split", choices=["train", "test"], default="train",
                   help="its training or test rows (default %(default)s)")
    p.add_argument("--classes", type=lambda v: v.split(","),
                   help="comma-separated class names (default: all)")
    p.add_argument("--limit", type=int, help="at most this many rows")
    p.add_argument("--shuffle", action="store_true", help="shuffle the rows (else dataset order)")
    p.add_argument("--seed", type=int, default=0, help="for --shuffle (default 0)")
    p.add_argument("-o", "--output", default="stream.npz",
                   help="stream file (default stream.npz)")


def run(args):
    import numpy as np
    from ulearn import stream

    from .. import tasks
    from ..files import atomic
    task = tasks.load_task(args.data)
    rows = tasks.select(task, args.split, args.classes)
    if len(rows) == 0:
        raise ValueError("no %s rows of those classes in %s" % (args.split, args.data))
    if args.shuffle:
        rows = np.random.default_rng(args.seed).permutation(rows)
    rows = rows[:args.limit] if args.limit else rows
    with atomic(args.output) as tmp:
        stream.save(tmp, task.X[rows], task.y[rows], task.names)
    counts = {task.names[c]: int(n) for c, n in zip(*np.unique(task.y[rows], return_counts=True))}
    emit(args, {"stream": args.output, "samples": len(rows), "per_class": counts},
         "wrote %s: %d samples (%s)" % (args.output, len(rows),
                                         ", ".join("%s %d" % kv for kv in counts.items())))
