"""The ``ulearn`` command: a table of verbs, as mpremote's main.py keeps its _COMMANDS.

Each verb is a module of this package holding ``HELP`` (its line in ``ulearn
--help``), ``DESCRIPTION`` (the top of its own --help), ``add_arguments(parser)``
and ``run(args)``. Only the verb being run gets its arguments, so its choices can
come from the modules that own them (board profiles, firmware targets, ...)
without every other verb importing those; what a verb runs on loads in ``run``.

Exit status, the same for every verb (:func:`main` maps them, in one place):

0
    done;
1
    failed: an anticipated error (bad or missing input, a board, QEMU or the
    firmware build refusing or failing), printed as one line
    ``ulearn VERB: error: MESSAGE`` on stderr, without a traceback; a board's own
    traceback (``ulearn run``) follows that line as the board printed it;
2
    usage: arguments argparse refuses, printed by argparse;
130
    interrupted (Ctrl-C): ``ulearn: interrupted``.

Any other exception is a bug and shows its traceback. A verb never leaves a
partial output file: the host writes through :mod:`ulearn_host.files`.
"""
import argparse
import sys

from .. import __version__
from . import (
    budget,
    datasets,
    demo,
    deploy,
    evaluate,
    export,
    fed,
    firmware,
    monitor,
    package,
    pull,
    record,
    report,
    run,
    stream,
    train,
    vboard,
)
from ._common import UsageError

# verb -> module, in the order of `ulearn --help`
VERBS = {
    "demo": demo,
    "datasets": datasets,
    "record": record,
    "train": train,
    "export": export,
    "eval": evaluate,
    "stream": stream,
    "budget": budget,
    "fed": fed,
    "report": report,
    "deploy": deploy,
    "run": run,
    "monitor": monitor,
    "pull": pull,
    "package": package,
    "firmware": firmware,
    "vboard": vboard,
}

# The anticipated errors besides ValueError (ulearn.CheckpointError,
# ulearn.zipstore.ZipError, ulearn_host.report.ReportError, and the checks of
# every module) and OSError (files, serial ports, sockets): (module, class).
# A class counts once its module is loaded (nothing can raise it before), so
# main imports none of these modules.
ERRORS = (
    ("ulearn_host.board", "BoardError"),  # and BoardFull, deploy.DoesNotFit
    ("ulearn_host.vboard", "VBoardError"),
    ("ulearn_host.firmware.make", "FirmwareError"),
    ("ulearn_host.datasets", "DatasetUnavailable"),
    ("ulearn_host.fed.client", "ClientLost"),
)


def _parser(verbs=None):
    """The argument parser; only the verbs named in `verbs` (default: all) get their
    arguments, the others just their line in --help."""
    p = argparse.ArgumentParser(
        prog="ulearn", description="ulearn host companion: on-device continual learning "
        "for MicroPython and CircuitPython boards.",
        epilog="Exit status: 0 done, 1 failed (one line on stderr), 2 usage, 130 interrupted.")
    p.add_argument("--version", action="version", version="ulearn " + __version__)
    sub = p.add_subparsers(dest="verb", metavar="COMMAND")
    sub.required = True
    for name, mod in VERBS.items():
        s = sub.add_parser(name, help=mod.HELP, description=mod.DESCRIPTION)
        s.set_defaults(usage_error=s.error)
        if verbs is None or name in verbs:
            s.add_argument("--json", action="store_true", help="print the result as JSON")
            mod.add_arguments(s)
    return p


def main(argv=None):
    """Run ``ulearn`` with `argv` (default: the command line); returns the exit status.
    argparse exits (SystemExit) itself: 2 on a usage error, 0 after --help."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # the verb is the first word that is not an option (ulearn's own are --help, --version)
    verb = next((a for a in argv if not str(a).startswith("-")), None)
    try:
        args, extra = _parser([verb]).parse_known_args(argv)
        try:
            if extra:  # said by the verb's parser, with its usage, not the top one's
                raise UsageError("unrecognized arguments: %s" % " ".join(map(str, extra)))
            VERBS[args.verb].run(args)
        except UsageError as e:
            args.usage_error(str(e))  # exits 2
    except KeyboardInterrupt:
        return _interrupted(None)
    except Exception as e:  # the anticipated ones become exit status 1
        if not _anticipated(e):
            raise
        if _after_interrupt(e):
            return _interrupted(e)
        print("ulearn %s: error: %s" % (verb, _message(e)), file=sys.stderr)
        return 1
    return 0


def _anticipated(e):
    if isinstance(e, (ValueError, OSError)):
        return True
    return any(isinstance(e, cls) for cls in (
        getattr(sys.modules.get(module), name, None) for module, name in ERRORS) if cls)


def _after_interrupt(e):
    # an error a module raised while handling Ctrl-C (`ulearn run` tells the board to stop)
    seen = set()
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return False


def _interrupted(e):
    msg = str(e) if e is not None else ""
    print("ulearn: %s" % (msg if msg.startswith("interrupted") else
                          "interrupted (%s)" % msg if msg else "interrupted"), file=sys.stderr)
    return 130


def _message(e):
    # an OSError as "No such file or directory: PATH"; the others as they say
    if isinstance(e, OSError) and e.strerror:
        names = [n for n in (e.filename, e.filename2) if n is not None]
        return e.strerror + (": " + " -> ".join(map(str, names)) if names else "")
    return str(e) or type(e).__name__
