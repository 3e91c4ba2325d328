"""ulearn eval: a model or bundle scored on a dataset, with its confusion matrix."""
from ._common import add_data, check_output, emit, load_data, require_file

HELP = "score a model, bundle or pulled checkpoint on a dataset: accuracy, confusion matrix"
DESCRIPTION = (
    "Load a model, bundle or checkpoint with the device package's own loader and predict "
    "each row of a dataset one sample at a time, as a board does: accuracy, per-class "
    "counts and accuracy, and the confusion matrix (printed; as a picture with --plot).")


def add_arguments(p):
    p.add_argument("--model", required=True, help="model, bundle or checkpoint file (.npz)")
    add_data(p, help="a built-in task or data of your own, as `ulearn train --data`; raw "
             "readings are windowed as the model's were unless --window says otherwise "
             "(default %(default)s)")
    p.add_argument("--split", choices=("test", "train", "all"), default="test",
                   help="which rows of the split `ulearn train` makes (default %(default)s)")
    p.add_argument("--plot", metavar="PNG", help="also draw the confusion matrix to this file")


def run(args):
    import ulearn
    from ulearn.checkpoint import read_meta

    from .. import evaluate, tasks
    require_file(args.model)
    if args.plot:
        check_output(args.plot)
    clf = ulearn.load(args.model)
    info = read_meta(args.model).get("info") or {}
    task = load_data(args, recipe=info.get("data"), classes=False)  # one class scores too
    rows = tasks.select(task, None if args.split == "all" else args.split)
    if not len(rows):
        raise ValueError("%s has no %s rows (--split all: every row)" % (args.data, args.split))
    labels = [task.names[v] for v in task.y[rows]]
    classes = [c for c in task.names if c in set(labels)]
    m = evaluate.confusion(clf, task.X[rows], labels, classes)  # one prediction per row
    acc = sum(row[i] for i, row in enumerate(m)) / max(len(rows), 1)
    per = {c: row[i] / sum(row) for i, (c, row) in enumerate(zip(classes, m))}
    if args.plot:
        _plot(m, classes, args.plot)
    r = {"model": args.model, "data": args.data, "split": args.split, "samples": len(rows),
         "accuracy": acc, "classes": classes, "per_class": per,
         "counts": {c: sum(row) for c, row in zip(classes, m)},
         "confusion": m, "plot": args.plot}
    width = max(len(c) for c in classes + ["other"])
    lines = ["%s on %s (%s split, %d rows): accuracy %.3f" % (args.model, args.data, args.split,
                                                               len(rows), acc),
             "confusion matrix (rows: true class, columns: predicted; 'other': a class "
             "not in the data):",
             " " * width + "".join(" %6s" % c[:6] for c in classes + ["other"])]
    lines += ["%-*s" % (width, c) + "".join(" %6d" % n for n in row) + "   %d rows, %.3f"
              % (sum(row), per[c]) for c, row in zip(classes, m)]
    emit(args, r, "\n".join(lines))


def _plot(m, classes, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ValueError("--plot needs matplotlib: pip install -e \".[plot]\"")
    from ..files import atomic
    fig, ax = plt.subplots(figsize=(1 + 0.5 * len(classes), 1 + 0.5 * len(classes)))
    ax.imshow([row[:-1] for row in m], cmap="Blues")
    ax.set_xticks(range(len(classes)), classes, rotation=90)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = max(max(row[:-1]) for row in m) or 1
    for i, row in enumerate(m):
        for j, n in enumerate(row[:-1]):  # white on the dark cells
            ax.text(j, i, n, ha="center", va="center", fontsize=7,
                    color="white" if n > top / 2 else "black")
    fig.tight_layout()
    with atomic(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
