"""ulearn demo: the board demo (host -> board -> host) or the in-process TinyOL one."""
from ._common import UsageError, emit, natural

HELP = "the whole path on a virtual board: train, deploy, learn, pull"
DESCRIPTION = (
    "board (default): train a model on real smartwatch IMU data on the host without one "
    "exercise, deploy it to a board over mpremote (a virtual board: MicroPython firmware under "
    "QEMU, built by `ulearn firmware build`, unless --device names one), let the board learn "
    "the missing exercise online and checkpoint, pull the checkpoint and check it on the host. "
    "tinyol: online learning from scratch and anomaly detection, run in-process.")

# which demo -> the module of ulearn_host that runs it
DEMOS = {"board": "demo", "tinyol": "demo_tinyol"}


def add_arguments(p):
    p.add_argument("which", nargs="?", choices=list(DEMOS), default="board",
                   help="which demo (default board)")
    p.add_argument("--seed", type=natural, default=0,
                   help="the order of the data, and the board demo's training (default 0)")
    p.add_argument("--device", default=None,
                   help="board demo: a real board (mpremote name or URL) instead of a "
                   "virtual one")
    p.add_argument("--yes", action="store_true",
                   help="with --device: replace the board's ulearn files without asking")


def run(args):
    import importlib
    if args.device and args.which != "board":
        raise UsageError("--device is for the board demo; %s runs in-process" % args.which)
    demo = importlib.import_module(".." + DEMOS[args.which], __package__)
    if args.device and not args.yes:
        confirm("this replaces %s on %s" % (demo.REPLACES, args.device))
    more = {"device": args.device} if args.which == "board" else {}
    r = demo.run(seed=args.seed, quiet=args.json, **more)
    emit(args, r, demo.report(r))


def confirm(what):
    """Ask on the terminal whether to go on with `what`; ValueError (exit 1) unless the answer
    is yes, or when stdin is not a terminal (then --yes says so)."""
    import sys
    if not sys.stdin.isatty():
        raise ValueError("%s: pass --yes to go on (stdin is not a terminal to ask on)" % what)
    sys.stderr.write("%s: continue? [y/N] " % what)
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise ValueError("stopped: nothing was changed on the board")
