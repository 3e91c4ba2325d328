"""ulearn firmware: real interpreters and board firmware from pinned sources."""
from ..firmware.targets import DEFAULT, TARGETS
from ._common import emit, positive_int, require_folder

HELP = "build real MicroPython/CircuitPython interpreters and board firmware from pinned sources"
DESCRIPTION = (
    "build: compile the targets (default: %s; --target all for every one) from the pinned "
    "sources in --src or $ULEARN_FIRMWARE_SRC (the firmware kit's archives, SHA-256 checked), "
    "or else fetched with git at the pinned commits. Products are cached in the user's cache "
    "folder, keyed by sources and options: a second build is a no-op. list: the targets and "
    "whether each is built. path: where a built target is (default: the build targets)."
    % ", ".join(DEFAULT))
ACTIONS = ("build", "list", "path")
ALL = "all"


def add_arguments(p):
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("--target", action="append", metavar="T", choices=list(TARGETS) + [ALL],
                   help="build, path: a target (repeatable), or %s: %s"
                   % (ALL, ", ".join(TARGETS)))
    p.add_argument("--src", help="build: folder holding the pinned source archives "
                   "(default: $ULEARN_FIRMWARE_SRC, else fetch from upstream)")
    p.add_argument("--jobs", type=positive_int,
                   help="build: parallel compile jobs (default: CPU count)")
    p.add_argument("--force", action="store_true", help="build: build even if cached")


def run(args):
    from .. import firmware
    if args.action == "list":
        rows = [{"target": n, "about": t.about, "built": str(firmware.product(n) or ""),
                 "missing_tools": firmware.missing_tools(n)} for n, t in TARGETS.items()]
        emit(args, rows, "\n".join("%-12s %s\n             %s" % (
            r["target"], r["about"], r["built"] or "not built" + (
                " (needs: apt-get install %s)" % " ".join(r["missing_tools"])
                if r["missing_tools"] else "")) for r in rows))
        return
    targets = list(TARGETS) if ALL in (args.target or []) else (args.target or list(DEFAULT))
    if args.action == "path":
        paths = {t: str(firmware.require(t)) for t in targets}
    else:
        if args.src:
            require_folder(args.src)
        from ..firmware.make import main_progress
        paths = {t: str(p) for t, p in firmware.build(
            targets, src=args.src, jobs=args.jobs, force=args.force,
            progress=main_progress(args.json)).items()}
    emit(args, paths, "\n".join("%-12s %s" % kv for kv in paths.items()))
