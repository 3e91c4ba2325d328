"""ulearn run: a script or an entry point of ulearn.app on a board, output streamed."""
import json
import sys

from ulearn.contract import HOME

from ._common import add_device, board, positive_float, target_code

HELP = "run a script or an entry point on a board, streaming its output"
DESCRIPTION = (
    "Run a local .py file on the board, or an entry point of ulearn.app with key=value "
    "arguments, e.g. `ulearn run learn stream=%s/stream.npz every=50` or `ulearn run evaluate "
    "stream=%s/test.npz`. The arguments are checked before anything runs: the entry point "
    "and its keys against ulearn.app, numbers against their type and range, and the stream "
    "file must be on the board. Output streams as it comes; with --json the board's reports are "
    "printed as JSON at the end." % (HOME, HOME))


def add_arguments(p):
    add_device(p)
    p.add_argument("target", help="a local .py file, or an entry point of ulearn.app "
                   "(learn, evaluate, adapt)")
    p.add_argument("args", nargs="*", help="key=value arguments of the entry point")
    p.add_argument("--timeout", type=positive_float, default=None,
                   help="give up after this many silent seconds (default: wait)")
    p.add_argument("--no-reset", action="store_true",
                   help="do not soft-reset the board first (keep its state, like mpremote resume)")


def run(args):
    from .. import run
    code = target_code(args.target, args.args)
    with board(args, soft_reset=not args.no_reset) as b:
        if not args.target.endswith(".py"):
            run.require_reads(b, args.target, args.args)
        reports = run.run(b, code, sys.stderr if args.json else sys.stdout,
                          timeout=args.timeout)
    if args.json:
        print(json.dumps(reports, indent=2))
