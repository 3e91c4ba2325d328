# A minimal ZIP archive with stored (uncompressed) members: numpy's .npz
# container. Every member carries a CRC-32, so a reader detects damage; the
# central directory sits at the end, so a truncated file is detected too.
import struct

try:
    from binascii import crc32
except ImportError:  # firmware built without binascii.crc32
    def crc32(data, crc=0):
        """CRC-32 of data, continuing from crc (binascii.crc32's)."""
        crc ^= 0xFFFFFFFF
        for byte in data:
            crc ^= byte
            for _ in range(8):
                crc = (crc >> 1) ^ (0xEDB88320 & -(crc & 1))
        return crc ^ 0xFFFFFFFF

_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"
_END = b"PK\x05\x06"
_MAX_MEMBERS = 64
_MAX_NAME = 64


class ZipError(ValueError):
    """A ZIP file that is damaged, truncated or foreign (a ValueError)."""
    pass


class Writer:
    """Writes a stored ZIP to the binary file f.

    add(name, chunks): chunks() yields the member's bytes, and is called twice (CRC first, then
    the data) so nothing is held in memory.
    """
    def __init__(self, f):
        self.f, self.pos, self.members = f, 0, []

    def _put(self, b):
        self.f.write(b)
        self.pos += len(b)

    def add(self, name, chunks):
        """Append member name (a str) with the bytes chunks() yields."""
        crc, size = 0, 0
        for c in chunks():
            crc = crc32(c, crc)
            size += len(c)
        name = name.encode()
        self.members.append((name, crc, size, self.pos))
        self._put(_LOCAL + struct.pack("<5H3L2H", 20, 0, 0, 0, 0x21, crc, size, size,
                                       len(name), 0) + name)
        for c in chunks():
            self._put(c)

    def close(self):
        """Write the central directory and end record (f stays open)."""
        start = self.pos
        for name, crc, size, off in self.members:
            self._put(_CENTRAL + struct.pack("<6H3L5H2L", 20, 20, 0, 0, 0, 0x21, crc, size,
                                             size, len(name), 0, 0, 0, 0, 0, off) + name)
        n = len(self.members)
        self._put(_END + struct.pack("<4H2LH", 0, 0, n, n, self.pos - start, start, 0))


def members(f):
    """{name: (data offset, size, crc)} of a stored ZIP, checked for shape.

    Raises ZipError on a damaged, truncated, compressed or foreign file.
    """
    end = f.seek(0, 2)  # seek returns the position: some file objects have no tell()
    if end < 22:
        raise ZipError("file is too short to be a checkpoint (%d bytes)" % end)
    f.seek(end - 22)
    e = f.read(22)
    if e[:4] != _END:
        raise ZipError("no ZIP end record: truncated or not a checkpoint")
    _, _, n, n2, cd_size, cd_off, comment = struct.unpack("<4H2LH", e[4:])
    if n != n2 or n > _MAX_MEMBERS or comment or cd_off + cd_size != end - 22:
        raise ZipError("ZIP directory is damaged or foreign")
    f.seek(cd_off)
    out = {}
    for _ in range(n):
        h = f.read(46)
        if len(h) != 46 or h[:4] != _CENTRAL:
            raise ZipError("ZIP directory entry is damaged")
        (_, _, flags, method, _, _, crc, csize, size, nlen, xlen, clen, _, _, _,
         off) = struct.unpack("<6H3L5H2L", h[4:])
        if method != 0 or flags & 1 or csize != size or nlen > _MAX_NAME or xlen or clen:
            raise ZipError("ZIP member is compressed, encrypted or foreign")
        try:
            name = f.read(nlen).decode()
        except UnicodeError:  # MicroPython's has no message
            raise ZipError("ZIP member name is not UTF-8")
        if name in out:
            raise ZipError("ZIP member %s appears twice" % name)
        out[name] = (off, size, crc)
    for name in out:
        off, size, crc = out[name]
        if off + 30 > cd_off:  # before seeking: a board's seek takes no offset past 2 GB
            raise ZipError("ZIP member %s has a damaged header" % name)
        f.seek(off)
        h = f.read(30)
        if len(h) != 30 or h[:4] != _LOCAL:
            raise ZipError("ZIP member %s has a damaged header" % name)
        nlen, xlen = struct.unpack("<2H", h[26:30])
        start = off + 30 + nlen + xlen
        if start + size > cd_off:
            raise ZipError("ZIP member %s runs past the directory" % name)
        out[name] = (start, size, crc)
    return out
