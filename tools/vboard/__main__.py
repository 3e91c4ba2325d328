"""Run a virtual board in the foreground: ``python -m tools.vboard --flash DIR [--port N]``."""

import argparse
import threading

from . import VirtualBoard


def main():
    parser = argparse.ArgumentParser(prog="python -m tools.vboard", description=__doc__)
    parser.add_argument("--flash", required=True, help="host folder that is the board's flash")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--flash-bytes", type=int, help="flash capacity in bytes")
    args = parser.parse_args()
    with VirtualBoard(args.flash, flash_bytes=args.flash_bytes, port=args.port) as board:
        print(board.url, flush=True)
        print(f"use: mpremote connect {board.url} exec|run|cp|ls ...\n"
              f"interactive REPL (mpremote's repl needs a real serial port): "
              f"python -m serial.tools.miniterm --raw --eol CR {board.url}\n"
              "Ctrl-C stops the board", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
