"""``ulearn package``: the device package as a mip package of ``.mpy`` files.

``mpremote mip install DIR/package.json`` then puts the bytecode on a board's
``/lib/ulearn``, as the repository's own package.json puts the sources. A
board imports ``.mpy`` without compiling (compiling on a 192 KB board
fragments its heap) and it takes less RAM.
"""
import json
import os
import shutil
import tempfile

from . import __version__, mpy

# .mpy major version of MicroPython 1.22 and later: what every current board imports
MPY_MAJOR = 6


def write(dest, form="mpy"):
    """Write ``dest/package.json`` and ``dest/ulearn/*``; returns (file names, why that form).

    The folder is built beside ``dest`` and renamed into place, so an error
    leaves what was there before.

    Raises
    ------
    ValueError
        ``form`` is "mpy" and mpy-cross cannot make .mpy v6, or ``dest`` exists
        and is not a package folder this command wrote.
    """
    if os.path.exists(dest) and not os.path.isfile(os.path.join(dest, "package.json")):
        raise ValueError("%s exists and is not a package folder; name a new one" % dest)
    files, why = mpy.package_files({"impl": "micropython", "mpy": MPY_MAJOR}, form)
    parent = os.path.dirname(os.path.abspath(dest))
    tmp = tempfile.mkdtemp(prefix=".ulearn-package-", dir=parent)
    try:
        os.mkdir(os.path.join(tmp, "ulearn"))
        for name, data in files.items():
            with open(os.path.join(tmp, "ulearn", name), "wb") as f:
                f.write(data)
        manifest = {"urls": [["ulearn/" + n, "ulearn/" + n] for n in sorted(files)],
                    "version": __version__}
        with open(os.path.join(tmp, "package.json"), "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        old = None
        if os.path.exists(dest):
            old = dest + ".old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(dest, old)
        os.replace(tmp, dest)
        if old:
            shutil.rmtree(old)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return sorted(files), why
