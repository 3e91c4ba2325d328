# numpy's .npy format (version 1.0) for 1-D and 2-D float32, int8 and int32
# arrays: a magic string, a Python-literal header, raw data.
import struct

_MAGIC = b"\x93NUMPY\x01\x00"
_DESCR = {"f4": ("<f4", 4), "i1": ("|i1", 1), "i4": ("<i4", 4)}
_MAX_HEADER = 256


def header(shape, code):
    """The .npy bytes in front of the data, padded to a multiple of 64.

    shape: 1 or 2 ints; code: "f4", "i1" or "i4".
    """
    dims = "(%d,)" % shape if len(shape) == 1 else "(%d, %d)" % shape
    h = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (_DESCR[code][0], dims)
    pad = 64 - (len(_MAGIC) + 2 + len(h) + 1) % 64
    h = h + " " * (pad % 64) + "\n"
    return _MAGIC + struct.pack("<H", len(h)) + h.encode()


def parse(head):
    """(shape, code, header size) from the first bytes of a member.

    Raises ValueError on anything but what header() writes.
    """
    if head[:8] != _MAGIC or len(head) < 10:
        raise ValueError("not a .npy v1.0 member")
    n = struct.unpack("<H", head[8:10])[0]
    if n > _MAX_HEADER or len(head) < 10 + n:
        raise ValueError(".npy header too long")
    try:
        h = head[10:10 + n].decode()
    except UnicodeError:  # MicroPython's has no message
        raise ValueError(".npy header is not text")
    for code in _DESCR:
        if header(_shape(h), code)[10:].decode() == h:
            return _shape(h), code, 10 + n
    raise ValueError(".npy header %r is not one ulearn writes" % h.strip())


def _shape(h):
    i = h.find("'shape': (")
    j = h.find(")", i)
    if i < 0 or j < 0:
        raise ValueError(".npy header has no shape")
    dims = [d.strip() for d in h[i + 10:j].split(",") if d.strip()]
    if not 1 <= len(dims) <= 2 or not all(d.isdigit() and len(d) < 7 for d in dims):
        raise ValueError(".npy shape %r is not 1-D or 2-D" % h[i + 9:j + 1])
    return tuple(int(d) for d in dims)


def itemsize(code):
    """Bytes per value of dtype code ("f4", "i1" or "i4")."""
    return _DESCR[code][1]
