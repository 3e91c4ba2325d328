"""Progress bars for long host work (tqdm, quiet when asked or not a terminal)."""
import sys

from tqdm import tqdm


def progress(items, what, quiet=False):
    """Iterate ``items`` with a progress bar labelled ``what`` on stderr."""
    return tqdm(items, desc=what, disable=quiet or not sys.stderr.isatty(),
                leave=False, unit=" samples")


def bytes_bar(total, what, quiet=False):
    """A byte-count bar: ``with bytes_bar(n, "copying") as bar: bar.update(k)``."""
    return tqdm(total=total, desc=what, disable=quiet or not sys.stderr.isatty(),
                leave=False, unit="B", unit_scale=True)
