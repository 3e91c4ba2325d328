"""Operation and heap counters for the ulab emulation (NOT part of real ulab).

Every emulated ulab operation calls ``record(nbytes)`` once: ``ops`` grows by
one and ``bytes`` by what real ulab would put on the MicroPython heap for the
arrays it creates (data bytes + one ndarray header per array; a view costs a
header only; in-place operators cost nothing).

Usage::

    from ulab import _counter
    _counter.reset()
    with _counter.count() as c:
        y = x * 2.0
    c.ops, c.bytes            # counts inside the block
    _counter.total.ops        # running totals since the last reset()
    _counter.snapshot()       # copy of the running totals
"""

from contextlib import contextmanager

# sizeof(ndarray_obj_t) with ULAB_MAX_DIMS == 2 on a 32-bit port:
# base(4) + dtype/itemsize/boolean/ndim(4) + len(4) + shape[2](8) + strides[2](8)
# + array(4) + origin(4) = 36 bytes, rounded up to whole 16-byte GC blocks = 48.
HEADER_BYTES = 48


class Counts:
    """A pair of counters: ulab operations and heap bytes."""

    __slots__ = ("ops", "bytes")

    def __init__(self, ops=0, nbytes=0):
        self.ops = ops
        self.bytes = nbytes

    def __repr__(self):
        return "Counts(ops=%d, bytes=%d)" % (self.ops, self.bytes)


total = Counts()
_active = []


def record(nbytes=0, ops=1):
    """Account for one ulab operation that allocated ``nbytes`` on the heap."""
    total.ops += ops
    total.bytes += nbytes
    for c in _active:
        c.ops += ops
        c.bytes += nbytes


def reset():
    """Zero the running totals (open ``count()`` blocks are not touched)."""
    total.ops = 0
    total.bytes = 0


def snapshot():
    """Return a copy of the running totals."""
    return Counts(total.ops, total.bytes)


@contextmanager
def count():
    """Count the operations and bytes of the enclosed block (nestable)."""
    c = Counts()
    _active.append(c)
    try:
        yield c
    finally:
        _active.remove(c)


def array_bytes(nbytes_data):
    """Heap cost of a new ndarray holding ``nbytes_data`` bytes of data."""
    return HEADER_BYTES + nbytes_data
