"""ulearn package: the device package as a mip package."""
import os

from ._common import emit
from .deploy import MODES

HELP = "the device package as a mip package of .mpy files"
DESCRIPTION = (
    "Write DIR/package.json and DIR/ulearn/*.mpy (bytecode v{mpy}, compiled by mpy-cross, for "
    "every MicroPython since 1.22), or the .py sources with --form py, for `mpremote mip "
    "install DIR/package.json`, which puts them in the board's {lib}. A board imports .mpy "
    "without compiling, which a small heap cannot always afford. Remove older .py files there "
    "first (`mpremote rm -r :{lib_rel}`): a .py shadows its .mpy. `ulearn deploy` does all "
    "of this itself. The folder is built beside DIR and renamed into place.")


def add_arguments(p):
    from ulearn.contract import LIB

    from ..package import MPY_MAJOR
    p.description = DESCRIPTION.format(mpy=MPY_MAJOR, lib=LIB, lib_rel=LIB.lstrip("/"))
    p.add_argument("-o", "--output", default="ulearn-mpy",
                   help="the package folder (default ulearn-mpy)")
    forms = [m for m in MODES if m != "auto"]  # mpy or fail, py
    p.add_argument("--form", choices=forms, default=forms[0],
                   help="bytecode (default) or sources")


def run(args):
    from .. import package
    names, why = package.write(args.output, args.form)
    manifest = os.path.join(args.output, "package.json")
    emit(args, {"package": manifest, "files": names, "form": why},
         "wrote %s: %d files, %s\ninstall: mpremote mip install %s"
         % (manifest, len(names), why, manifest))
