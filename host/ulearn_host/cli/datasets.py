"""ulearn datasets: the offline datasets and whether each is installed."""
from ._common import emit

HELP = "list the offline datasets and whether they are installed"
DESCRIPTION = ("List the real public datasets ulearn reads offline, whether each loads here, "
               "and how to install a missing one.")


def add_arguments(p):
    pass


def run(args):
    from .. import datasets
    rows = []
    for name, info in datasets.DATASETS.items():
        try:
            info.loader()
            ok = True
        except datasets.DatasetUnavailable:
            ok = False
        rows.append({"name": name, "description": info.description,
                     "installed": ok, "install": info.install})
    emit(args, rows, "\n".join(
        "%-13s %s (%s)" % (r["name"], r["description"],
                           "installed" if r["installed"] else "missing: " + r["install"])
        for r in rows))
