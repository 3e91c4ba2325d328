"""ulearn pull: a board's checkpoints and logs, copied to a local folder."""
from ._common import add_device, board, emit

HELP = "fetch checkpoints and logs from a board"
DESCRIPTION = (
    "Copy the board's learned state and logs (default {pull}) into a folder, each checked "
    "against the SHA-256 the board computes and written whole (a temporary file renamed into "
    "place).")


def add_arguments(p):
    from ..deploy import PULL
    p.description = DESCRIPTION.format(pull=", ".join(PULL))
    add_device(p)
    p.add_argument("paths", nargs="*", help="board paths (default: state and logs)")
    p.add_argument("--dest", default=".", help="local folder (default .)")


def run(args):
    import os

    from .. import deploy
    from ..progress import bytes_bar
    os.makedirs(args.dest, exist_ok=True)
    with board(args, soft_reset=False) as b:
        with bytes_bar(None, "pulling", args.json) as bar:
            r = deploy.pull(b, args.paths or deploy.PULL, args.dest, bar.update)
    emit(args, r, "\n".join(
        "%s -> %s (%d bytes, SHA-256 verified)" % (f["path"], f["local"], f["bytes"])
        if f["action"] == "pulled" else "%s: not on the board" % f["path"] for f in r))
