"""The ``ulearn`` command: one handler per verb, as mpremote does it."""
import argparse
import json
import sys

from . import __version__


class CommandError(Exception):
    """A user mistake: printed as ``ulearn: message``, exit status 1."""


def do_demo(args):
    from . import datasets, demo
    try:
        r = demo.run(seed=args.seed, quiet=args.json)
    except datasets.DatasetUnavailable as e:
        raise CommandError(str(e))
    print(json.dumps(r, indent=2) if args.json else demo.report(r))


def do_datasets(args):
    from . import datasets
    rows = []
    for name, info in datasets.DATASETS.items():
        try:
            info.loader()
            ok = True
        except datasets.DatasetUnavailable:
            ok = False
        rows.append({"name": name, "description": info.description,
                     "installed": ok, "install": info.install})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for r in rows:
        state = "installed" if r["installed"] else "missing: " + r["install"]
        print("%-10s %s (%s)" % (r["name"], r["description"], state))


def _parser():
    p = argparse.ArgumentParser(
        prog="ulearn", description="ulearn host companion: on-device continual learning "
        "for MicroPython and CircuitPython boards.")
    p.add_argument("--version", action="version", version="ulearn " + __version__)
    sub = p.add_subparsers(dest="verb", metavar="COMMAND")
    sub.required = True
    d = sub.add_parser("demo", help="learn smartwatch exercises online on a simulated board",
                       description="Stream real smartwatch IMU windows through the device "
                       "package: online learning with classes added at run time, a "
                       "checkpoint restore, and anomaly detection of unseen exercises. "
                       "Needs no board; the data installs with `pip install ulearn[data]`.")
    d.add_argument("--seed", type=int, default=0, help="order of the recordings (default 0)")
    d.add_argument("--json", action="store_true", help="print the figures as JSON")
    d.set_defaults(handler=do_demo)
    s = sub.add_parser("datasets", help="list the offline datasets and whether they are installed",
                       description="List the real public datasets ulearn reads offline.")
    s.add_argument("--json", action="store_true", help="print as JSON")
    s.set_defaults(handler=do_datasets)
    return p


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        args.handler(args)
    except CommandError as e:
        print("ulearn: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
