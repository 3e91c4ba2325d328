"""Host stand-in for MicroPython's ``micropython`` module (no-ops / identities)."""


def const(value):
    """``x = const(3)``: just the value on CPython."""
    return value


def native(f):
    """@micropython.native: no code emitter on CPython, returns ``f`` unchanged."""
    return f


def viper(f):
    """@micropython.viper: returns ``f`` unchanged."""
    return f


def asm_thumb(f):
    """@micropython.asm_thumb: returns ``f`` unchanged (the body will not run as asm)."""
    return f


def mem_info(*args):
    """No heap to report on CPython."""


def qstr_info(*args):
    """No qstr pool on CPython."""


def stack_use():
    return 0


def heap_lock():
    """No-op: CPython cannot forbid allocation."""


def heap_unlock():
    """No-op; MicroPython returns the lock depth, 0 here."""
    return 0


def opt_level(*args):
    return 0


def alloc_emergency_exception_buf(size):
    """No-op."""


def kbd_intr(chr):
    """No-op."""


def schedule(func, arg):
    """Runs ``func(arg)`` immediately (no soft-interrupt queue on CPython)."""
    func(arg)
