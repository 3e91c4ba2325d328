"""Build the targets of :mod:`.targets` from pinned sources into a cache.

Sources come from a folder holding the pinned source archives (``--src`` or
``$ULEARN_FIRMWARE_SRC``; their SHA-256 is checked) or, without one, from the
upstream repositories at the pinned commits (git checks the commit). Each
product lands in ``CACHE/firmware/<target>-<key>/`` with a ``build.json``,
where the key hashes the pinned commits, the target's make options and the
board module, so a second build of the same thing is a no-op and a changed
option builds afresh.
"""
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from ..files import write_atomic
from .targets import GCC32, PICOLIBC, PINNED, TARGETS, TOOLS

BOARD_MODULE = Path(__file__).resolve().parent / "board"
MANIFEST = Path(__file__).resolve().parents[3] / "device" / "manifest.py"
PATCH = BOARD_MODULE / "qemu-port.patch"


class FirmwareError(Exception):
    """A build could not be done; the message is one line for the user."""


def cache_dir():
    """The user's cache folder for ulearn ($ULEARN_CACHE, else $XDG_CACHE_HOME/ulearn)."""
    if os.environ.get("ULEARN_CACHE"):
        return Path(os.environ["ULEARN_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ulearn"


def digest(*parts):
    """A short hex digest of ``parts`` (str or bytes): cache keys."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _module_files():
    return sorted(p for p in BOARD_MODULE.rglob("*") if p.is_file() and p.name != "README.md")


def key(target):
    """The cache key of a target: pinned commits, make options, board module and patch."""
    t = TARGETS[target]
    parts = [target, t.args, sorted(t.extra.items())]
    parts += [PINNED[n]["commit"] for n in _trees(t)]
    if t.board_module:
        parts += [p.relative_to(BOARD_MODULE).as_posix().encode() + p.read_bytes()
                  for p in _module_files()]
    if t.extra.get("freeze"):
        parts += [p.name.encode() + p.read_bytes() for p in _frozen_files()]
    return digest(*parts)


def _no_micropython_lib():
    # any frozen manifest wants the micropython-lib submodule, which the pinned archive
    # lacks; ulearn's requires nothing from it, so an empty stand-in will do
    d = _mkdir(cache_dir() / "src" / "no-micropython-lib")
    write_atomic(d / "README.md", "Empty: ulearn's device/manifest.py requires nothing from "
                 "micropython-lib.\n")
    return d


def _frozen_files():
    # the manifest and the package it freezes (a repository checkout has both)
    if not MANIFEST.is_file():
        raise FirmwareError("no %s here: freezing needs a checkout of the ulearn repository"
                            % MANIFEST)
    return [MANIFEST] + sorted((MANIFEST.parent / "ulearn").glob("*.py"))


def _trees(t):
    return ("circuitpython",) if t.tree == "circuitpython" else (
        ("micropython", "ulab") if t.ulab else ("micropython",))


def product(target):
    """Path of a built target's file, or None when it has not been built."""
    p = cache_dir() / "firmware" / ("%s-%s" % (target, key(target))) / TARGETS[target].product
    return p if p.is_file() else None


# -- toolchain

def missing_tools(target):
    """Debian packages a target needs that this machine lacks."""
    need = []
    for tool in TARGETS[target].needs:
        if tool == GCC32[0]:
            if not _gcc32_works():
                need.append(GCC32[1])
        elif tool.startswith("picolibc:"):
            package, folder = PICOLIBC[tool.split(":")[1]]
            if not Path(folder).is_dir():
                need.append(package)
        elif shutil.which(tool) is None:
            need.append(TOOLS[tool])
    return need


@functools.lru_cache(maxsize=None)
def _gcc32_works():
    if shutil.which("gcc") is None:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "t.c"
        src.write_text("#include <stdio.h>\nint main(void) { return 0; }\n")
        r = subprocess.run(["gcc", "-m32", str(src), "-o", str(Path(tmp) / "t")],
                           capture_output=True)
    return r.returncode == 0


# -- sources

def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def source_tree(name, src=None, log=None):
    """The extracted (or checked out) tree of a pinned source, made once per commit.

    The MicroPython tree gets the board module's patch applied (it touches
    only ports/qemu), so its folder is keyed by the patch too.
    """
    pin = PINNED[name]
    tag = pin["commit"][:12] + ("-" + digest(PATCH.read_bytes()) if name == "micropython" else "")
    root = cache_dir() / "src" / ("%s-%s" % (name, tag))
    done = root / ".ulearn-ready"
    if done.is_file():
        return _top(root)
    if root.exists():
        shutil.rmtree(root)  # an earlier extraction that did not finish
    tmp = Path(tempfile.mkdtemp(prefix=".%s-" % name, dir=_mkdir(root.parent)))
    try:
        src = src or os.environ.get("ULEARN_FIRMWARE_SRC")
        if src:
            _extract(Path(src), pin, tmp)
        else:
            _checkout(pin, tmp, log)
        if name == "micropython":
            _run(["patch", "-p1", "--forward", "-i", str(PATCH)], _top(tmp), log,
                 "apply the board module's patch")
        os.replace(tmp, root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write_atomic(done, json.dumps(pin) + "\n")
    return _top(root)


def _mkdir(p):
    p.mkdir(parents=True, exist_ok=True)
    return p


def _top(root):
    dirs = [d for d in root.iterdir() if d.is_dir()]
    return dirs[0] if len(dirs) == 1 else root


def _extract(src, pin, dest):
    archive = src / pin["tarball"]
    if not archive.is_file():
        raise FirmwareError("%s is not in %s (the firmware kit's folder holds the pinned archives)"
                            % (pin["tarball"], src))
    got = _sha256(archive)
    if got != pin["sha256"]:
        raise FirmwareError("%s has SHA-256 %s, not the pinned %s" % (archive, got, pin["sha256"]))
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(dest)


def _checkout(pin, dest, log):
    # the commit id is a hash of the whole tree: checking it verifies the sources
    if shutil.which("git") is None:
        raise FirmwareError("no --src folder and no git to fetch the pinned sources "
                            "(install git, or set ULEARN_FIRMWARE_SRC to the firmware kit)")
    tree = dest / "tree"
    why = "fetch %s at %s (no --src given)" % (pin["repo"], pin["commit"][:10])
    _run(["git", "init", "-q", str(tree)], dest, log, why)
    _run(["git", "fetch", "-q", "--depth", "1", pin["repo"], pin["commit"]], tree, log, why)
    _run(["git", "checkout", "-q", pin["commit"]], tree, log, why)
    for sub in pin.get("submodules", ()):
        _run(["git", "submodule", "update", "--init", "--depth", "1", sub], tree, log, why)
    shutil.rmtree(tree / ".git")


# -- building

def _run(cmd, cwd, log, what, env=None, on_line=None):
    """Run ``cmd``, its output to ``log``; on failure raise naming ``what`` and the log."""
    if log:
        log.write("\n$ %s\n" % " ".join(cmd))
        log.flush()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    try:
        for line in proc.stdout:
            if log:
                log.write(line)
            if on_line:
                on_line(line)
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if code:
        where = " (log: %s)" % log.name if log else ""
        raise FirmwareError("%s failed with exit status %d%s" % (what, code, where))


def build(targets, src=None, jobs=None, progress=None, force=False):
    """Build ``targets`` (names) in order; returns {name: product path}.

    Parameters
    ----------
    src : str or None
        Folder of the pinned archives (default $ULEARN_FIRMWARE_SRC, else fetch).
    jobs : int or None
        Parallel make jobs (default: the CPU count).
    progress : callable or None
        ``progress(target, event, value)``: event "start" (value: None),
        "file" (value: files compiled so far) or "done" (value: seconds, or
        None when it was already built).
    force : bool
        Build even when the cache holds the product.
    """
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        raise FirmwareError("unknown target %s (known: %s)" % (", ".join(unknown), ", ".join(TARGETS)))
    report = progress or (lambda *a: None)
    built = {t: None if force else product(t) for t in targets}
    need = sorted({p for t in targets if built[t] is None for p in missing_tools(t)})
    if need:
        raise FirmwareError("missing build tools: apt-get install %s" % " ".join(need))
    for t in targets:
        if built[t]:
            report(t, "done", None)
        else:
            built[t] = _build_one(t, src, jobs or os.cpu_count() or 1, report)
    return built


def _build_one(name, src, jobs, report):
    t = TARGETS[name]
    k = key(name)
    logs = _mkdir(cache_dir() / "logs")
    log_path = logs / ("%s-%s.log" % (name, k))
    report(name, "start", None)
    start = time.monotonic()
    with open(log_path, "w") as log:
        trees = {n: source_tree(n, src, log) for n in _trees(t)}
        root = trees[t.tree]
        build_dir = "build-ulearn-%s-%s" % (name, k)
        args = ["make", "-j%d" % jobs, "-C", str(root / t.make_dir), "BUILD=" + build_dir]
        args += list(t.args)
        modules = ([str(trees["ulab"])] if t.ulab and t.tree == "micropython" else [])
        if t.board_module:
            modules.append(str(BOARD_MODULE))
        if modules:
            args.append("USER_C_MODULES=" + " ".join(modules))
        if t.extra.get("freeze"):
            args.append("FROZEN_MANIFEST=" + str(MANIFEST))  # after t.args: replaces the empty one
            args.append("MPY_LIB_DIR=" + str(_no_micropython_lib()))
        if t.extra.get("rv32_libgcc"):
            args.append("LIBS=" + _rv32_libgcc())
        env = dict(os.environ)
        if t.tree == "circuitpython":
            env["CP_VERSION"] = PINNED["circuitpython"]["version"]
        if name != "mpy-cross" and t.tree == "micropython":
            _run(["make", "-j%d" % jobs, "-C", str(root / "mpy-cross")], root, log,
                 "building mpy-cross (needed by %s)" % name, env)
        count = [0]

        def on_line(line):
            if re.match(r"\s*(CC|CXX|AS)\s", line):
                count[0] += 1
                report(name, "file", count[0])
        _run(args, root, log, "building %s" % name, env, on_line)
    built = root / t.make_dir / build_dir / t.product
    if not built.is_file():
        raise FirmwareError("building %s made no %s (log: %s)" % (name, built.name, log_path))
    out_dir = cache_dir() / "firmware" / ("%s-%s" % (name, k))
    tmp = Path(tempfile.mkdtemp(prefix=".%s-" % name, dir=_mkdir(out_dir.parent)))
    try:
        shutil.copy2(built, tmp / t.product)
        seconds = round(time.monotonic() - start, 1)
        (tmp / "build.json").write_text(json.dumps({
            "target": name, "about": t.about, "key": k, "make": args[3:],
            "sources": {n: PINNED[n]["commit"] for n in _trees(t)},
            "board_module": t.board_module, "seconds": seconds,
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "log": str(log_path),
        }, indent=2) + "\n")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(name, "done", seconds)
    return out_dir / t.product


def _rv32_libgcc():
    # Debian's gcc 12 maps -march=rv32imac_zicsr to the 64-bit libgcc (kit gotcha 5)
    r = subprocess.run(["riscv64-unknown-elf-gcc", "-march=rv32imac", "-mabi=ilp32",
                        "-print-libgcc-file-name"], capture_output=True, text=True, check=True)
    return r.stdout.strip()


def require(target):
    """Path of a built target, or FirmwareError saying how to build it."""
    p = product(target)
    if p is None:
        raise FirmwareError("%s is not built: run `ulearn firmware build --target %s`"
                            % (target, target))
    return p


def main_progress(quiet=False):
    """A ``progress`` callback printing one line per target (a live count on a terminal)."""
    live = sys.stderr.isatty() and not quiet

    def report(target, event, value):
        if event == "start":
            print("building %s ..." % target, file=sys.stderr, end="" if live else "\n",
                  flush=True)
        elif event == "file" and live:
            print("\rbuilding %s ... %d files compiled" % (target, value), file=sys.stderr,
                  end="", flush=True)
        elif event == "done":
            end = "\r\033[K" if live and value is not None else ""
            print(end + ("%s: built in %.0f s" % (target, value) if value is not None
                         else "%s: already built" % target), file=sys.stderr, flush=True)
    return report
