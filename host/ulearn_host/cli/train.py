"""ulearn train: a feature extractor and head trained on the host."""
from ._common import (add_data, check_output, emit, load_data, natural, positive_float,
                      positive_int)

HELP = "train a feature extractor and head on a dataset (host)"
DESCRIPTION = (
    "Train a small network (relu hidden layers + softmax head) on a dataset's training split "
    "with minibatch SGD, running the device package's own layer code on numpy, and score it "
    "on the test split. Writes a model file (a ulearn checkpoint) that `ulearn export` turns "
    "into a bundle for a board.")


def add_arguments(p):
    add_data(p)
    p.add_argument("--exclude", action="append", metavar="CLASS",
                   help="leave this class out (repeatable), e.g. for a board to learn later")
    p.add_argument("--hidden", type=positive_int, nargs="+", default=[32],
                   help="widths of the hidden layers (default 32)")
    p.add_argument("--epochs", type=positive_int, default=40,
                   help="passes over the data (default 40)")
    p.add_argument("--lr", type=positive_float, default=0.05, help="learning rate (default 0.05)")
    p.add_argument("--seed", type=natural, default=0, help="initialisation and order (default 0)")
    p.add_argument("-o", "--output", default="model.npz", help="model file (default model.npz)")


def run(args):
    import ulearn

    from .. import __version__, evaluate, tasks, train
    from ..files import atomic
    check_output(args.output)
    exclude = args.exclude or []
    task = load_data(args)
    keep = [c for c in task.names if c not in exclude]
    tasks.class_ids(task, exclude)  # names any unknown class
    tr = tasks.select(task, "train", keep)
    te = tasks.select(task, "test", keep)
    ids = tasks.class_ids(task, keep)
    remap = {c: i for i, c in enumerate(ids)}
    y = [remap[v] for v in task.y[tr]]
    net = train.train(task.X[tr], y, len(keep), hidden=tuple(args.hidden),
                      epochs=args.epochs, lr=args.lr, seed=args.seed, quiet=args.json)
    clf = net.to_classifier(keep)
    names = [task.names[v] for v in task.y[te]]
    acc, per = evaluate.holdout(clf, task.X[te], names)
    info = dict(task.info, classes=keep, excluded=list(exclude),
                hidden=list(args.hidden), epochs=args.epochs, seed=args.seed,
                test_accuracy=round(acc, 4), ulearn=__version__)
    with atomic(args.output) as tmp:
        ulearn.save(clf, tmp, info)
    r = {"model": args.output, "train_samples": len(tr), "test_samples": len(te),
         "test_accuracy": acc, "per_class": per, "classes": keep,
         "excluded": info["excluded"]}
    emit(args, r, "trained %s on %d %s samples (%d classes%s); test accuracy %.3f on %d "
         "samples of new subjects/held-out rows\nwrote %s"
         % ("x".join(str(h) for h in [task.X.shape[1]] + args.hidden + [len(keep)]), len(tr),
            args.data, len(keep), ", without " + ", ".join(exclude) if exclude else "", acc,
            len(te), args.output))
