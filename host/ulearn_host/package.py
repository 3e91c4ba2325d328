"""``ulearn package``: the device package as a mip package of ``.mpy`` files,
or as a CircuitPython library bundle zip.

``mpremote mip install DIR/package.json`` then puts the bytecode on a board's
``/lib/ulearn``, as the repository's own package.json puts the sources. A
board imports ``.mpy`` without compiling (compiling on a 192 KB board
fragments its heap) and it takes less RAM.

CircuitPython refuses MicroPython's ``.mpy`` (its files start ``C``, not
``M``): :func:`write_circuitpython` compiles with CircuitPython's own
mpy-cross into a zip laid out like an Adafruit library bundle, whose
``lib/ulearn`` folder is copied to the board's ``CIRCUITPY/lib``.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import zipfile

from . import __version__, files as host_files, mpy

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


# the `ulearn firmware` target building CircuitPython's mpy-cross from the pinned sources
CP_COMPILER = "cp-mpy-cross"
# what its --version says: "CircuitPython 10.3.0-... on DATE; mpy-cross emitting mpy v6.3"
_CP_VERSION = re.compile(r"CircuitPython (\d+)\.(\S+) .*emitting mpy v(\d+)(?:\.(\d+))?")

_CP_README = """\
ulearn {version} for CircuitPython {series}: the device package as .mpy bytecode.

Install: copy the folder lib/ulearn of this zip to the board's CIRCUITPY/lib
(so that CIRCUITPY/lib/ulearn/__init__.mpy exists). Delete any older
CIRCUITPY/lib/ulearn first: a .py file there would be imported instead of
its .mpy.

These files suit CircuitPython {series} only: a board reports its version in
CIRCUITPY/boot_out.txt. For another major version make the zip with that
version's mpy-cross (`ulearn package --form circuitpython --mpy-cross PATH`)
or copy the sources (`ulearn package --form py`, then its ulearn folder).

The docstrings are left out. Made by `ulearn package --form circuitpython`.
"""


def write_circuitpython(dest, compiler=None):
    """Write the zip ``dest``: ``TOP/lib/ulearn/*.mpy``, ``TOP/VERSIONS.txt`` and
    ``TOP/README.txt``, TOP being ``ulearn-circuitpython-<major>.x-mpy-<version>``
    (the layout of Adafruit's library bundles).

    Parameters
    ----------
    dest : str
        The zip file to write (its name ends in ``.zip``); written whole or not at all.
    compiler : str or None
        A CircuitPython mpy-cross; default the ``cp-mpy-cross`` firmware target.

    Returns
    -------
    dict
        ``top`` (the zip's folder), ``files`` (names in ``lib/ulearn``),
        ``circuitpython`` (e.g. "10.x"), ``mpy`` (e.g. "6.3") and ``compiler``
        (what its ``--version`` says).

    Raises
    ------
    ValueError
        ``dest`` is a folder or not a .zip name, or ``compiler`` is not
        CircuitPython's mpy-cross.
    ulearn_host.firmware.FirmwareError
        No ``compiler`` given and ``cp-mpy-cross`` is not built (the message
        names the command that builds it).
    """
    dest = os.fspath(dest)
    if os.path.isdir(dest):
        raise ValueError("%s is a folder; name the zip file to write" % dest)
    if not dest.endswith(".zip"):
        raise ValueError("%s: the CircuitPython bundle is a zip; name a file ending in .zip"
                         % dest)
    if compiler is None:
        from . import firmware
        compiler = str(firmware.require(CP_COMPILER))
    banner, series, mpy_version = _cp_compiler(compiler)
    compiled = _cp_compile(compiler, int(mpy_version.split(".")[0]))
    top = "ulearn-circuitpython-%s-mpy-%s" % (series, __version__)
    versions = ("ulearn %s\n.mpy: CircuitPython bytecode v%s (files start with C, then %s)\n"
                "circuitpython: %s\ncompiler: %s\n"
                % (__version__, mpy_version, mpy_version.split(".")[0], series, banner))
    entries = [(top + "/lib/ulearn/" + n, compiled[n]) for n in sorted(compiled)]
    entries += [(top + "/VERSIONS.txt", versions.encode()),
                (top + "/README.txt", _CP_README.format(version=__version__,
                                                        series=series).encode())]
    stamp = time.localtime()[:6]
    with host_files.atomic(dest) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in entries:
                z.writestr(zipfile.ZipInfo(name, stamp), data, zipfile.ZIP_DEFLATED)
    return {"top": top, "files": sorted(compiled), "circuitpython": series,
            "mpy": mpy_version, "compiler": banner}


def _cp_compiler(compiler):
    # (its --version line, "10.x", "6.3") of a CircuitPython mpy-cross, else ValueError
    try:
        out = subprocess.run([compiler, "--version"], capture_output=True, text=True,
                             timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        raise ValueError("cannot run %s: %s" % (compiler, e)) from None
    m = _CP_VERSION.search(out)
    if not m:
        raise ValueError("%s is not CircuitPython's mpy-cross (it says %r)"
                         % (compiler, out.splitlines()[0] if out else ""))
    mpy_version = m.group(3) + ("." + m.group(4) if m.group(4) else "")
    return out.splitlines()[0], m.group(1) + ".x", mpy_version


def _cp_compile(compiler, major):
    # {name.mpy: bytes}: the docstring-free sources a board gets, compiled by `compiler`
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in mpy.sources().items():
            src, dest = os.path.join(tmp, name), os.path.join(tmp, name[:-3] + ".mpy")
            with open(src, "wb") as f:
                f.write(data)
            r = subprocess.run([compiler, "-s", "ulearn/" + name, "-o", dest, src],
                               capture_output=True, text=True)
            if r.returncode:
                last = (r.stderr or r.stdout).strip().splitlines()
                raise ValueError("%s failed on %s: %s" % (compiler, name, last[-1] if last
                                                          else "exit status %d" % r.returncode))
            with open(dest, "rb") as f:
                out[name[:-3] + ".mpy"] = f.read()
    for name, data in out.items():  # what CircuitPython checks before it loads a file
        if data[:2] != b"C" + bytes([major]):
            raise ValueError("%s wrote %s with header %r, not CircuitPython's C%d"
                             % (compiler, name, data[:2], major))
    return out
