"""ulearn vboard: virtual boards, MicroPython firmware under QEMU."""
from ..firmware.targets import FS_TYPES, QEMU_BOARDS, QEMU_HEAP_MAX, TARGETS
from ._common import emit

HELP = "start, stop or list virtual boards (MicroPython under QEMU)"
DESCRIPTION = (
    "start: boot the QEMU board firmware (build it first: `ulearn firmware build --target T`, "
    "T the --board's target) with its UART on a pseudo-terminal and print the device name for "
    "`mpremote connect`; its flash is a littlefs (or FAT) image in a host file, so killing "
    "QEMU is a power cut. One board per image; several may run at once. stop: stop the board "
    "on --fs (default: the --board's image), at --device, or --all. status: list the running "
    "boards.")
ACTIONS = ("start", "stop", "status")


def _size_text(n):
    return "%dM" % (n >> 20) if n % (1 << 20) == 0 else "%dK" % (n >> 10)


def add_arguments(p):
    import argparse
    import inspect

    from .. import vboard
    default = {k: v.default for k, v in inspect.signature(vboard.VBoard).parameters.items()}

    def size(text):  # a bad size is a usage error, in parse_size's words
        try:
            return vboard.parse_size(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e))

    p.add_argument("action", choices=ACTIONS)
    p.add_argument("--board", choices=list(QEMU_BOARDS), default=default["board"],
                   help="; ".join("%s (target %s): %s" % (b, t[0], TARGETS[t[0]].about)
                                  for b, t in QEMU_BOARDS.items()).replace("%", "%%")
                   + " (default %(default)s)")
    p.add_argument("--heap", type=size, default=default["heap"],
                   help="start: GC heap, fixed at boot (default %s, as an RP2040; at most %s)"
                   % (_size_text(default["heap"]), _size_text(QEMU_HEAP_MAX)))
    p.add_argument("--fs", help="image file of the board's flash (created if missing; "
                   "default: one per board type in the cache)")
    p.add_argument("--fs-type", choices=FS_TYPES, default=default["fs_type"],
                   help="start: filesystem of a new image, littlefs or FAT (default %(default)s)")
    p.add_argument("--fs-size", type=size,
                   help="start: size of a new image (default %s)"
                   % _size_text(vboard.DEFAULT_FS_SIZE))
    p.add_argument("--socket", action="store_true",
                   help="start: UART on socket://127.0.0.1:PORT instead of a pseudo-terminal")
    p.add_argument("--icount", type=int, default=default["icount"],
                   help="start: QEMU instruction counting shift, deterministic time "
                   "(default %(default)s; -1: off)")
    p.add_argument("-q", "--quiet", action="store_true", help="start: print only the device")
    p.add_argument("--device", help="stop: the board at this device")
    p.add_argument("--all", action="store_true", help="stop: every board")


def run(args):
    import sys

    from .. import vboard
    if args.action == "start":
        b = vboard.VBoard(args.board, args.heap, args.fs, args.fs_type, args.fs_size,
                          "socket" if args.socket else "pty",
                          None if args.icount < 0 else args.icount)
        b.start()
        if b.warning:
            print("ulearn: warning: %s" % b.warning, file=sys.stderr)
        emit(args, b.record(), b.device if args.quiet else
             "%s\nboard %s, heap %d bytes, %s on %s (pid %d)\ntry: mpremote connect %s fs ls :"
             % (b.device, b.board, b.heap, b.fs_type, b.fs, b.pid, b.device))
    elif args.action == "stop":
        fs = args.fs
        if not (fs or args.device or args.all):
            fs = vboard.default_fs(args.board)
        gone = vboard.stop(fs, args.device, args.all)
        emit(args, gone, "\n".join("stopped %s (%s)" % (r["device"], r["fs"]) for r in gone)
             or "no virtual board was running")
    else:
        rows = vboard.boards()
        emit(args, rows, "\n".join("%s  %s heap %d  %s %s  pid %d" % (
            r["device"], r["board"], r["heap"], r["fs_type"], r["fs"], r["pid"])
            for r in rows) or "no virtual board is running")
