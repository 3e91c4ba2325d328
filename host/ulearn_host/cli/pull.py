"""ulearn pull: a board's checkpoints and logs, copied to a local folder."""
from ._common import add_device, board, emit, require_folder

HELP = "fetch checkpoints and logs from a board"
DESCRIPTION = (
    "Copy the board's learned state and logs (default {pull}) into a folder, each checked "
    "against the SHA-256 the board computes and written whole (a temporary file renamed into "
    "place). A named path that is not on the board is an error (exit status 1), after the "
    "others are pulled; of the default paths, those missing are listed and it fails only when "
    "none is there (a board that has not learned or logged yet).")


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
    if os.path.exists(args.dest):
        require_folder(args.dest)
    with board(args, soft_reset=False) as b:
        with bytes_bar(None, "pulling", args.json) as bar:
            r = deploy.pull(b, args.paths or deploy.PULL, args.dest, bar.update)
    got = [f for f in r if f["action"] == "pulled"]
    missing = [f["path"] for f in r if f["action"] == "missing"]
    if got or not missing:
        emit(args, r, "\n".join(
            "%s -> %s (%d bytes, SHA-256 verified)" % (f["path"], f["local"], f["bytes"])
            if f["action"] == "pulled" else "%s: not on the board" % f["path"] for f in r))
    if missing and (args.paths or not got):
        raise ValueError("not on the board: %s (%s)" % (", ".join(missing), (
            "the other %d pulled to %s" % (len(got), args.dest) if got else "nothing pulled")))
