# Labelled sample streams on flash: an .npz holding x.npy (float32, one sample
# per row), y.npy (int32 labels) and optionally labels.json (names that the
# int labels index). Read one row at a time, so a board can learn from a file
# far larger than its RAM; written by the host or the board.
import json
import struct

from . import npy, zipstore

_CHUNK = 512  # bytes read at a time when checking CRCs
_MAX_NAMES = 4096  # bytes of labels.json
_MAX_BRACKETS = 64  # [ and { in labels.json: its list, and any in the names


def save(path, X, y, names=None):
    """Write a stream file at path.

    X: rows of equal length; y: one int label per row, indexing names if given. Raises
    ValueError on no rows, a label count or a row length that differs.
    """
    n, d = len(X), len(X[0]) if len(X) else 0
    if n == 0 or len(y) != n:
        raise ValueError("a stream needs rows, and one label per row (%d rows, %d labels)"
                         % (n, len(y)))
    fmt = "<%df" % d

    def xs():
        yield npy.header((n, d), "f4")
        for row in X:
            if len(row) != d:
                raise ValueError("rows must all have %d values" % d)
            yield struct.pack(fmt, *[float(v) for v in row])

    def ys():
        yield npy.header((n,), "i4")
        yield struct.pack("<%di" % n, *[int(v) for v in y])

    with open(path, "wb") as f:
        z = zipstore.Writer(f)
        z.add("x.npy", xs)
        z.add("y.npy", ys)
        if names is not None:
            z.add("labels.json", lambda: (json.dumps(list(names)).encode(),))
        z.close()


class Stream:
    """A labelled stream file at path, read one row at a time.

    Iterating gives (x, label): x a tuple of floats, label an int or its name; len() is the row
    count. Raises ValueError on a damaged file or one that is not a stream.
    """
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            try:
                m = zipstore.members(f)
            except ValueError as e:  # ZipError
                raise ValueError("%s: %s" % (path, e))
            for name in ("x.npy", "y.npy"):
                if name not in m:
                    raise ValueError("%s: no %s, not a ulearn stream" % (path, name))
                _check_crc(f, m[name], path)
            (self.n, self.d), self._x = _array(f, m["x.npy"], "f4", 2, path)
            (ny,), self._y = _array(f, m["y.npy"], "i4", 1, path)
            self.names = _names(f, m.get("labels.json"), path)
        if ny != self.n:
            raise ValueError("%s: %d samples but %d labels" % (path, self.n, ny))

    def __len__(self):
        return self.n

    def __iter__(self):
        # (x, label) per row; x is a tuple of floats, label an int or a name
        with open(self.path, "rb") as f:
            for i in range(self.n):
                yield self._row(f, i)

    def row(self, i):
        """Row i alone, as iterating gives it; IndexError outside the rows."""
        if not 0 <= i < self.n:
            raise IndexError("%s has rows 0 to %d, not %r" % (self.path, self.n - 1, i))
        with open(self.path, "rb") as f:
            return self._row(f, i)

    def _row(self, f, i):
        size = 4 * self.d
        f.seek(self._x + i * size)
        x = struct.unpack("<%df" % self.d, f.read(size))
        f.seek(self._y + 4 * i)
        y = struct.unpack("<i", f.read(4))[0]
        if self.names is not None:
            if not 0 <= y < len(self.names):
                raise ValueError("%s: label %d of row %d has no name" % (self.path, y, i))
            y = self.names[y]
        return x, y

    def column(self, j):
        """The samples (j = 0) or labels (1) alone, read again on each iteration."""
        return _Column(self, j)


class _Column:
    def __init__(self, stream, j):
        self.stream, self.j = stream, j

    def __len__(self):
        return self.stream.n

    def __iter__(self):
        for row in self.stream:
            yield row[self.j]


def _array(f, member, code, ndim, path):
    # (shape, offset of the data) of a member, checked against what we need
    off, size, _ = member
    f.seek(off)
    try:
        shape, got, hlen = npy.parse(f.read(128))
    except ValueError as e:
        raise ValueError("%s: %s" % (path, e))
    n = 1
    for s in shape:
        n *= s
    if got != code or len(shape) != ndim or size != hlen + n * npy.itemsize(code):
        raise ValueError("%s: array %r %s does not fit a stream" % (path, shape, got))
    return shape, off + hlen


def _names(f, member, path):
    if member is None:
        return None
    off, size, crc = member
    if size > _MAX_NAMES:
        raise ValueError("%s: labels.json is over %d bytes" % (path, _MAX_NAMES))
    f.seek(off)
    b = f.read(size)
    # a flat list: nesting would cost a board's heap to parse (names may hold a few brackets)
    ok = zipstore.crc32(b) == crc and b.count(b"[") + b.count(b"{") <= _MAX_BRACKETS
    names = json.loads(b.decode()) if ok else None
    if not isinstance(names, list) or not all(isinstance(v, (int, str)) for v in names):
        raise ValueError("%s: labels.json is damaged or not a list of labels" % path)
    return names


def _check_crc(f, member, path):
    off, size, crc = member
    f.seek(off)
    c = 0
    while size > 0:
        b = f.read(min(size, _CHUNK))
        if not b:
            break
        c = zipstore.crc32(b, c)
        size -= len(b)
    if size or c != crc:
        raise ValueError("%s is damaged (CRC mismatch)" % path)
