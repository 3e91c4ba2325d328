"""What several verbs share: JSON or text output, the board option, usage errors."""
import errno
import json
import os

# `--data` of train and stream: the built-in tasks, as ulearn_host.tasks.NAMES
# (not imported here: building the parser stays light; a test checks they agree)
TASKS = ("watch", "digits")


class UsageError(Exception):
    """Arguments argparse accepts but that do not go together: exit status 2."""


def emit(args, data, text):
    """The result: ``data`` as JSON with --json, else ``text``."""
    print(json.dumps(data, indent=2) if args.json else text)


def add_device(parser):
    """-d/--device for a verb that talks to one board."""
    parser.add_argument("-d", "--device", default=os.environ.get("ULEARN_DEVICE", "auto"),
                        help="the board, as mpremote names it: auto, a0/u0/c0, id:SERIAL, "
                        "port:PATH, a device path, or socket://HOST:PORT "
                        "(default: $ULEARN_DEVICE or auto)")


def board(args, soft_reset=True):
    """The board --device names, connected."""
    from ..board import Board
    return Board(args.device, soft_reset=soft_reset)


def require_file(path):
    """OSError naming ``path`` (exit status 1) unless it is a file."""
    if not os.path.isfile(path):
        code = errno.EISDIR if os.path.isdir(path) else errno.ENOENT
        raise OSError(code, os.strerror(code), path)


def require_folder(path):
    """OSError naming ``path`` (exit status 1) unless it is a folder."""
    if not os.path.isdir(path):
        code = errno.ENOTDIR if os.path.exists(path) else errno.ENOENT
        raise OSError(code, os.strerror(code), path)
