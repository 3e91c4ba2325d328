"""ulearn monitor: a live view of the status lines a board prints while it runs."""
import json
import sys

from ulearn.contract import HOME

from ._common import UsageError, add_device, check_output, target_code

HELP = "watch a board learn: a live view of its status lines, curves with --plot"
DESCRIPTION = (
    "Show what the board reports while it runs (prediction and confidence, prequential "
    "accuracy, classes known, anomaly score and threshold, heap free, steps per second), "
    "from its status lines (printed by ulearn.app.status; `learn ... status=K` prints one "
    "every K samples). With a TARGET (a local .py file, or an entry point of ulearn.app with "
    "key=value arguments, as `ulearn run` takes them, e.g. `ulearn monitor learn "
    "stream=%s/learn.npz status=10`) it starts that on the board; without one it listens to "
    "what the board's program already prints (say main.py after a reset), touching nothing. "
    "It stops when the TARGET ends, after --seconds, or on Ctrl-C, which is how a live "
    "view ends: the summary is printed, --plot written, exit status 0 (a TARGET still "
    "running is stopped on the board). On a terminal the view is redrawn in place; "
    "otherwise one line per status. --json prints the status records at the end." % HOME)


def add_arguments(p):
    add_device(p)
    p.add_argument("target", nargs="?", help="a local .py file, or an entry point of "
                   "ulearn.app (learn, evaluate, adapt); none: listen to the running program")
    p.add_argument("args", nargs="*", help="key=value arguments of the entry point")
    p.add_argument("--plot", metavar="PNG", help="at the end, draw the curves to this file")
    p.add_argument("--seconds", type=float, metavar="N",
                   help="stop watching after N seconds (default: the end of TARGET, or Ctrl-C)")
    p.add_argument("--no-reset", action="store_true",
                   help="do not soft-reset the board before starting TARGET")


def run(args):
    from .. import monitor, run
    from ..board import Board, BoardError
    if args.seconds is not None and not args.seconds > 0:
        raise UsageError("--seconds must be above 0")
    if args.plot:
        check_output(args.plot)  # before the board, not after watching it
    code = None if args.target is None else target_code(args.target, args.args)
    out = sys.stderr if args.json else sys.stdout
    tally = monitor.Tally()
    screen = monitor.Screen(tally, out)
    failed = None
    with Board(args.device, soft_reset=not args.no_reset, listen=code is None) as b:
        if code is not None and not args.target.endswith(".py"):
            run.require_reads(b, args.target, args.args)
        try:
            ended = monitor.watch(b, screen, code, args.seconds)
        except BoardError as e:  # a traceback or a lost link: what came before still counts
            if not tally.records:
                raise
            failed, ended = e, "the board raised"
    ended = {"finished": "the program ended", "time": "%g s passed" % (args.seconds or 0),
             "interrupted": "Ctrl-C"}.get(ended, ended)
    print(tally.summary(ended), file=out)
    if args.plot:
        monitor.plot(tally.records, args.plot)
    if failed is not None:
        raise failed
    if args.json:
        print(json.dumps(tally.records, indent=2))
