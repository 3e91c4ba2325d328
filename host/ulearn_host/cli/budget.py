"""ulearn budget: the RAM and flash a bundle needs on each board profile."""
import os

from ._common import UsageError, add_data, emit, load_data, natural, positive_int

HELP = "RAM and flash a bundle needs on board profiles"
DESCRIPTION = (
    "Say what a bundle plus its learner needs in RAM (the package itself, the learner's "
    "objects, arrays and replay memory, working buffers and allocator overhead, the larger "
    "transient of a step or a checkpoint load, and a margin measured on the virtual board) and "
    "flash (package, bundle, checkpoints, logs) on each board profile, and what does not fit "
    "by how much.")

# --kernels -> budget.plan's ulab argument (None, no --kernels: what the profile has)
KERNELS = {"ulab": True, "python": False}


def add_arguments(p):
    from ulearn.sparse import METHODS

    from ..budget import profiles
    p.add_argument("bundle", help="a bundle from `ulearn export`")
    p.add_argument("--board", action="append", choices=list(profiles()), metavar="BOARD",
                   help="a board profile (repeatable; default all): %s"
                   % ", ".join(profiles()))
    p.add_argument("--kernels", choices=list(KERNELS),
                   help="plan for these kernels (default: what each profile's firmware has)")
    p.add_argument("--sparse", metavar="SUPPORT",
                   help="also plan a sparse update (TinyTrain) from this support set: the "
                   "channels of the frozen layers the board would train. A stream file from "
                   "`ulearn stream`, or data of your own as `ulearn train --data` takes it "
                   "(its training split): a feature table, or readings with --window, --hop")
    add_data(p, data=False)
    p.add_argument("--budget-bytes", type=positive_int,
                   help="memory budget of the sparse update (default: each board's RAM to spare)")
    p.add_argument("--budget-macs", type=positive_int,
                   help="backward MACs per step (default: no limit)")
    p.add_argument("--method", choices=METHODS, default=METHODS[0],
                   help="how channels are scored (default %(default)s)")
    p.add_argument("--seed", type=natural, default=0, help="for --method random")


def run(args):
    from .. import budget
    from ..export import load_bundle
    if (args.window or args.hop) and not args.sparse:
        raise UsageError("--window and --hop go with --sparse")
    load_bundle(args.bundle)  # a damaged bundle or a model is refused before planning
    ulab = None if args.kernels is None else KERNELS[args.kernels]
    plans = [budget.plan(args.bundle, b, ulab=ulab) for b in (args.board or budget.profiles())]
    text = [budget.table(plans)]
    if args.sparse:
        text += _sparse(args, budget, plans)
    emit(args, plans, "\n\n".join(text))


def _sparse(args, budget, plans):
    # each board's own selection within its RAM headroom, or one within --budget-bytes
    out, done = [], {}
    support = _support(args)
    for p in plans:
        room = args.budget_bytes or p["ram"]["headroom"]
        if room < 1:
            raise ValueError("%s has no RAM to spare for a sparse update" % p["board"])
        if room not in done:
            done[room] = budget.sparse_plan(args.bundle, support, room, args.budget_macs,
                                            args.method, args.seed)
            out.append(budget.sparse_table(done[room]))
        p["sparse"] = sp = done[room]
        out.append("%s: %s RAM to spare after this selection" % (
            p["board"], budget.kb(p["ram"]["headroom"] - sp["adds"])))
    return out


def _support(args):
    # a stream file as it is; anything else loaded as `train --data` loads it (training split),
    # raw readings windowed as the bundle's model was unless --window says otherwise
    import zipfile

    from ulearn.checkpoint import read_meta

    from .. import tasks
    if os.path.isfile(args.sparse) and zipfile.is_zipfile(args.sparse):
        with zipfile.ZipFile(args.sparse) as z:
            if "x.npy" in z.namelist():
                return args.sparse
    info = read_meta(args.bundle).get("info") or {}
    task = load_data(args, args.sparse, recipe=info.get("data"), classes=False)
    rows = tasks.select(task, "train")
    return [x.tolist() for x in task.X[rows]], [task.names[v] for v in task.y[rows]]
