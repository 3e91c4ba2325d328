"""Static check of the device package against the published board stubs.

Runs mypy on ``device/ulearn`` the way a board sees it:

* ``ulab.numpy`` is circuitpython-stubs' ``ulab-stubs``;
* MicroPython modules (``micropython``, ``gc``, ``math``, ``binascii``,
  ``time``...) are micropython-rp2-stubs, and the stdlib ones (``os``,
  ``json``, ``struct``, ``array``, ``sys``, builtins) come from
  micropython-stdlib-stubs, used as mypy's typeshed (``--custom-typeshed-dir``)
  as its docs intend for modules mypy treats as stdlib;
* nothing from the CPython environment resolves (``--no-site-packages``), so
  the CPython fallback ``import numpy as np`` cannot turn ``np`` into numpy.

A numpy-only call (``np.outer``, ``np.float32``, ``a.astype`` on an array the
checker can type), a CPython-only stdlib call (``math.fsum``), a missing module
or a wrong argument name is reported as ``file:line: message [code]``.

Error codes that are typing precision rather than board API are disabled in
``static_check.ini`` (one reason each). Two things are filtered here, both
explicit:

* ``FALLBACK_*``: an import or def inside an ``except ImportError:`` handler is
  the fallback for a platform without the module (kern_np's ``import numpy``,
  backend's ``kern_py``, zipstore's pure-Python ``crc32``). That it does not
  resolve on the board, or rebinds the try-branch name with another signature,
  is the point of it. Errors inside a fallback function's body are kept.
* ``ALLOWLIST``: what real ulab 6 has but the published stubs lack, each with
  the ulab documentation that says so.

Usage: ``python tools/static_check.py [PACKAGE_DIR]``; importable as
``run(package_dir) -> (ok, report)``.
"""
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "device" / "ulearn"
CONFIG = Path(__file__).resolve().with_name("static_check.ini")

ULAB_STUBS = "circuitpython-stubs"  # ships ulab-stubs/
PORT_STUBS = "micropython-rp2-stubs"
STDLIB_STUBS = "micropython-stdlib-stubs"

ULAB_NDARRAY_DOC = ("https://github.com/v923z/micropython-ulab/blob/master/"
                    "docs/manual/source/ulab-ndarray.rst")

# Attributes of ulab's ndarray. circuitpython-stubs declares `class ndarray: ...`
# with no members, so on any value mypy knows to be an ndarray every attribute
# is "not defined". These are the ones the ulab manual documents (ulab-ndarray.rst,
# "Methods and properties of ndarrays": .byteswap .copy .dtype .flat .flatten
# .itemsize .reshape .shape .size .T .tobytes .tolist .transpose .sort; and
# "The ndarray ... is also a proper micropython iterable" -> __iter__). Left out:
# .real/.imag (complex builds only). Anything else, e.g. .astype, is reported.
NDARRAY_ATTRS = frozenset((
    "byteswap", "copy", "dtype", "flat", "flatten", "itemsize", "reshape",
    "shape", "size", "T", "tobytes", "tolist", "transpose", "sort", "__iter__",
))

# (error codes, message pattern, reason). A finding is dropped only if its code
# is listed and its message matches the pattern (and any extra test passes).
_NDARRAY_ATTR = re.compile(
    r'^(?:Item )?"(?:ulab\.numpy\.)?ndarray"(?: of "[^"]*")? has no attribute "([^"]+)"')
ALLOWLIST = (
    (("attr-defined", "union-attr"), _NDARRAY_ATTR,
     lambda m: m.group(1) in NDARRAY_ATTRS,
     "ulab ndarray methods/properties the stubs' empty ndarray class lacks; "
     "documented in " + ULAB_NDARRAY_DOC),
)

FALLBACK_CODES = frozenset(("import-not-found", "import-untyped", "no-redef"))
FALLBACK_MESSAGES = ("All conditional function variants must have identical signatures",)

_LINE = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+): (?P<sev>error|note): (?P<msg>.*?)(?:  \[(?P<code>[a-z0-9-]+)\])?$")


class StubsMissing(RuntimeError):
    pass


def _dist(name):
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise StubsMissing("%s is not installed (pip install -e '.[test]')" % name)


def _top_level(dist):
    # first path components of a wheel's files: modules (*.pyi) and packages
    out = set()
    for f in dist.files or ():
        first = f.parts[0]
        if first.endswith((".dist-info", ".data")) or first == "__pycache__":
            continue
        if len(f.parts) > 1 or first.endswith(".pyi"):
            out.add(first)
    return sorted(out)


def _link(src, dst):
    try:
        os.symlink(src, dst, target_is_directory=Path(src).is_dir())
    except OSError:  # e.g. Windows without symlink rights
        if Path(src).is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)


def _board_paths(tmp):
    """Lay out the stubs in tmp: (typeshed dir, MYPYPATH dir, versions)."""
    ulab, port, std = _dist(ULAB_STUBS), _dist(PORT_STUBS), _dist(STDLIB_STUBS)
    typeshed, path = tmp / "typeshed", tmp / "path"
    typeshed.mkdir()
    path.mkdir()
    for name in _top_level(std):
        src = Path(std.locate_file(name))
        _link(src, (typeshed if name in ("stdlib", "stubs") else path) / name)
    if not (typeshed / "stdlib" / "VERSIONS").is_file():
        raise StubsMissing("%s has no stdlib/VERSIONS" % STDLIB_STUBS)
    for name in _top_level(port):
        if not (path / name).exists():
            _link(Path(port.locate_file(name)), path / name)
    src = Path(ulab.locate_file("ulab-stubs"))
    if not (src / "numpy" / "__init__.pyi").is_file():
        raise StubsMissing("%s has no ulab-stubs/numpy" % ULAB_STUBS)
    _link(src, path / "ulab")
    versions = "ulab: %s %s, modules: %s %s, stdlib: %s %s" % (
        ULAB_STUBS, ulab.version, PORT_STUBS, port.version, STDLIB_STUBS, std.version)
    return typeshed, path, versions


def _fallback_lines(package_dir):
    """{(file, line)} of imports and defs inside `except ImportError:` handlers."""
    out = set()
    for f in sorted(package_dir.rglob("*.py")):
        tree = ast.parse(f.read_text(encoding="utf-8"), str(f))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Try):
                continue
            for h in node.handlers:
                names = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
                if not any(isinstance(n, ast.Name) and n.id == "ImportError" for n in names):
                    continue
                for stmt in h.body:
                    for sub in ast.walk(stmt):
                        if isinstance(sub, (ast.Import, ast.ImportFrom, ast.FunctionDef,
                                            ast.ClassDef)):
                            out.add((f.resolve(), sub.lineno))
    return out


def _allowed(code, msg):
    for codes, pattern, test, _reason in ALLOWLIST:
        m = pattern.match(msg)
        if code in codes and m and test(m):
            return True
    return False


def _mypy(package_dir, tmp):
    typeshed, path, versions = _board_paths(tmp)
    cwd = tmp / "cwd"  # mypy puts the working directory on its search path
    cwd.mkdir()
    env = dict(os.environ, MYPYPATH=str(path))
    env.pop("MYPY_CACHE_DIR", None)
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(CONFIG),
           "--custom-typeshed-dir", str(typeshed), "--cache-dir", str(tmp / "cache"),
           str(package_dir)]
    p = subprocess.run(cmd, cwd=str(cwd), env=env, capture_output=True, text=True)
    return p, versions


def check(package_dir=PACKAGE):
    """Return (findings, ignored, versions, mypy_failure, mypy_stderr).

    findings: [(path relative to the package's parent, line, code, message)].
    ignored: number of diagnostics in the stub files themselves.
    mypy_failure: None, or mypy's output when it stopped (exit status 2).
    mypy_stderr: mypy's warnings (e.g. about the config), normally "".
    """
    package_dir = Path(package_dir).resolve()
    if not (package_dir / "__init__.py").is_file():
        raise ValueError("%s is not a package directory" % package_dir)
    fallback = _fallback_lines(package_dir)
    with tempfile.TemporaryDirectory(prefix="ulearn-static-") as tmp:
        p, versions = _mypy(package_dir, Path(tmp))
    if p.returncode not in (0, 1):
        return [], 0, versions, (p.stdout + p.stderr).strip(), ""
    findings, ignored = [], 0
    for raw in p.stdout.splitlines():
        m = _LINE.match(raw)
        if not m or m["sev"] != "error":
            continue
        f = Path(m["path"]).resolve()
        if package_dir not in f.parents:
            ignored += 1  # an error inside a stub file, not in our code
            continue
        line, code, msg = int(m["line"]), m["code"] or "", m["msg"]
        if (f, line) in fallback and (code in FALLBACK_CODES or msg.startswith(FALLBACK_MESSAGES)):
            continue
        if _allowed(code, msg):
            continue
        findings.append((f.relative_to(package_dir.parent).as_posix(), line, code, msg))
    return findings, ignored, versions, None, p.stderr.strip()


def run(package_dir=PACKAGE):
    """Check package_dir; return (ok, report)."""
    package_dir = Path(package_dir)
    try:
        findings, ignored, versions, failure, warnings = check(package_dir)
    except StubsMissing as e:
        return False, "static check: cannot run: %s" % e
    head = "static check of %s against board stubs (%s)" % (package_dir, versions)
    if failure is not None:
        return False, "%s: mypy stopped:\n%s" % (head, failure)
    lines = ["%s:%d: %s  [%s]" % (path, line, msg, code) for path, line, code, msg in findings]
    tail = "%d problem(s)" % len(findings)
    if ignored:
        tail += "; %d diagnostic(s) inside the stub files themselves ignored" % ignored
    if warnings:
        lines.append("mypy warnings:\n" + warnings)
    return not findings, "\n".join([head + ": " + tail] + lines)


def stale_allowlist():
    """ndarray attributes in NDARRAY_ATTRS that the published ulab stub now declares."""
    stub = Path(_dist(ULAB_STUBS).locate_file("ulab-stubs")) / "numpy" / "__init__.pyi"
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    declared = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "ndarray":
            for item in ast.walk(node):
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    declared.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    declared.add(item.target.id)
                elif isinstance(item, ast.Assign):
                    declared.update(t.id for t in item.targets if isinstance(t, ast.Name))
    return sorted(NDARRAY_ATTRS & declared)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    ok, report = run(argv[0] if argv else PACKAGE)
    print(report)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
