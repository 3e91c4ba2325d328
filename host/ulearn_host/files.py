"""Every file the host writes goes to a temporary name beside it and is renamed
into place: an error or Ctrl-C never leaves half a file or spoils a good one.

>>> write_atomic("notes.txt", "text")                  # doctest: +SKIP
>>> with atomic("model.npz") as tmp:                   # doctest: +SKIP
...     ulearn.save(clf, tmp)                          # a library writes it itself

Both make the destination's folder if it is missing.
"""
import errno
import os
import shutil
import tempfile
from contextlib import contextmanager


def write_atomic(path, data):
    """Write ``data`` (str as UTF-8, or bytes) to ``path`` through a temporary file."""
    with atomic(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)


@contextmanager
def atomic(path):
    """A temporary path to write ``path``'s new content to; renamed over ``path``
    (``os.replace``) when the block ends without an exception, removed otherwise.

    The temporary file has ``path``'s own name, in a new hidden folder in
    ``path``'s folder (the same filesystem, so the rename is atomic): a library
    that picks a format by the suffix or writes its own temporary beside the
    file (``ulearn.save`` writes ``PATH.tmp``) leaves nothing behind either.
    The file is flushed to disk before the rename. Folders made for it are removed
    again when it is not written.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    made, d = [], folder  # the folders made for it, deepest first: removed if it fails
    while not os.path.exists(d):
        made.append(d)
        d = os.path.dirname(d)
    with _naming(path):
        if os.path.isdir(path):  # before the work, not at the rename after it
            raise OSError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        os.makedirs(folder, exist_ok=True)
        work = tempfile.mkdtemp(dir=folder, prefix="." + name + ".", suffix=".tmp")
    tmp = os.path.join(work, name)
    done = False
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        with _naming(path):
            os.replace(tmp, path)
        done = True
    finally:
        shutil.rmtree(work, ignore_errors=True)
        for d in made if not done else ():
            try:
                os.rmdir(d)
            except OSError:  # something else was put there meanwhile
                break


@contextmanager
def _naming(path):
    # an OSError about the destination names it, not the temporary: "Is a directory: PATH",
    # "Not a directory: PATH" when a folder on its way is a file
    try:
        yield
    except OSError as e:
        code = errno.ENOTDIR if e.errno == errno.EEXIST else e.errno
        raise OSError(code, os.strerror(code) if code else e.strerror, path) from None
