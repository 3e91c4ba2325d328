"""What several verbs share: JSON or text output, the board option, usage errors."""
import errno
import json
import os

# `--data` of train and stream: the built-in tasks, as ulearn_host.tasks.NAMES
# (not imported here: building the parser stays light; a test checks they agree)
TASKS = ("watch", "digits")


DATA_HELP = (
    "watch: smartwatch exercises, 26 window features, subjects 1-7 train / 8-10 test; digits: "
    "8x8 images, 70/30 split; or a PATH of your own: a feature table (a CSV with a header row "
    "and a label column, --target, or an .npz with arrays X and y; split 70/30 per class), or "
    "raw readings cut into windows of features as the board computes them (--window, --hop): "
    "a recording from `ulearn record` (.csv or .npz), a CSV of readings (a column per channel, "
    "optionally time/timestamp; the label from --target or the file name up to its first "
    "'.'), or a folder of such CSVs, one per recording (Edge Impulse's export: its "
    "training/testing folders are kept)")


def add_data(parser, default=TASKS[0], data=True, help=None):
    """--data (unless ``data`` is False), --target, --window and --hop: the data a verb
    reads, as :func:`ulearn_host.tasks.load_task` takes it (see :func:`load_data`)."""
    if data:
        parser.add_argument("--data", default=default, metavar="|".join(TASKS) + "|PATH",
                            help=help or DATA_HELP + (" (default %(default)s)" if default
                                                      else ""))
    parser.add_argument("--target", default="label", metavar="COLUMN",
                        help="the label column of a CSV (default %(default)s)")
    parser.add_argument("--window", type=int, metavar="N",
                        help="raw readings: readings per window (features of each window, "
                        "as ulearn.Windower computes them on the board)")
    parser.add_argument("--hop", type=int, metavar="H",
                        help="raw readings: readings between window starts (default: --window, "
                        "windows back to back)")


def load_data(args, path=None, recipe=None, classes=True):
    """The Task at ``path`` (default ``args.data``) with the --target, --window, --hop of
    ``args``; for raw readings, a model's ``recipe`` (its info["data"]) gives the window and
    hop that --window leaves out, and ``classes=False`` accepts one class (a new gesture)."""
    from .. import tasks, windows
    path = path or args.data
    window, hop = args.window, args.hop
    if (window is None and hop is None and (recipe or {}).get("window")
            and (path == "watch" or (path != "digits" and windows.kind(path) != "table"))):
        window, hop = recipe["window"], recipe.get("hop")
    try:
        return tasks.load_task(path, args.target, window, hop, classes)
    except UnicodeDecodeError:  # a PNG or another binary file where a CSV was expected
        raise ValueError("%s is not a text CSV file" % path) from None


def check_output(path):
    """OSError when the output ``path`` is a folder or inside a file, ValueError when it is a
    recording (``ulearn record`` writes DATA.csv and DATA.npz): checked before the work, and
    a model or stream must not overwrite a recording."""
    from ..recording import is_recording
    if os.path.isdir(path):
        raise OSError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(folder):
        folder = os.path.dirname(folder)
    if not os.path.isdir(folder):
        raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), path)
    if os.path.isfile(path) and is_recording(path):
        raise ValueError("%s is a recording (from `ulearn record`): give -o another name"
                         % path)


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


def target_code(target, args):
    """The code `ulearn run` and `ulearn monitor` send for TARGET: a local .py file's text, or
    a call of a ulearn.app entry point with its key=value `args` (checked on the host)."""
    from .. import run
    if not target.endswith(".py"):
        return run.entry_code(target, args)
    if args:
        raise UsageError("key=value arguments go with an entry point, not a .py file")
    return read_script(target)


def read_script(path):
    """The text of the local script at ``path``; OSError or ValueError naming it."""
    require_file(path)
    with open(path, "rb") as f:
        data = f.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("%s is not a Python script (not UTF-8 text)" % path) from None


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


# -- argparse types for numbers that must make sense (a bad one: usage error, exit 2)

def positive_int(text):
    """argparse type: an int >= 1."""
    return _number(text, int, "an integer >= 1", lambda v: v >= 1)


def natural(text):
    """argparse type: an int >= 0."""
    return _number(text, int, "an integer >= 0", lambda v: v >= 0)


def positive_float(text):
    """argparse type: a finite number > 0."""
    return _number(text, float, "a number > 0", lambda v: 0 < v < float("inf"))


def nonnegative_float(text):
    """argparse type: a finite number >= 0."""
    return _number(text, float, "a number >= 0", lambda v: 0 <= v < float("inf"))


def fraction(text):
    """argparse type: a number in (0, 1]."""
    return _number(text, float, "a number in (0, 1]", lambda v: 0 < v <= 1)


def unit(text):
    """argparse type: a number in [0, 1]."""
    return _number(text, float, "a number in [0, 1]", lambda v: 0 <= v <= 1)


def below_one(text):
    """argparse type: a number in [0, 1)."""
    return _number(text, float, "a number in [0, 1)", lambda v: 0 <= v < 1)


def _number(text, kind, what, ok):
    import argparse
    try:
        v = kind(text)
    except ValueError:
        v = None
    if v is None or not ok(v):
        raise argparse.ArgumentTypeError("%r is not %s" % (text, what))
    return v
