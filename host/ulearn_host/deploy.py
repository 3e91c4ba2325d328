"""``ulearn deploy`` and ``ulearn pull``: files to and from a board, verified by hash.

Board layout::

    /lib/ulearn/                 the device package (.mpy or .py)
    /ulearn-data/bundle.npz      the active bundle
    /ulearn-data/bundle.npz.tmp  a new bundle while it is staged and verified
    /ulearn-data/state.npz       what the board learned (written by the board)
    /ulearn-data/log.txt         the board's log (and log.txt.1 before it)

A file already identical on the board (same SHA-256, computed there) is
skipped. A new bundle is written beside the active one, checked by hash and
loaded once on the board, and only then renamed over it: a full filesystem,
a dropped connection or a bundle the board cannot read leaves the previous
bundle active.
"""
import hashlib
import os
from pathlib import PurePosixPath

from ulearn.contract import BUNDLE, HOME, LIB, LOG, STATE
from ulearn.checkpoint import read_meta

from . import budget, mpy
from .board import BoardError, BoardFull
from .files import write_atomic

PULL = (STATE, LOG, LOG + ".1")


class DoesNotFit(BoardError):
    """The plan for a bundle needs more heap than the board has free; nothing was copied."""


def deploy(board, bundle, extra=(), mode="auto", keep_state=False, bar=None, check=True):
    """Bring a board to this package and `bundle`; returns what was done.

    Parameters
    ----------
    board : ulearn_host.board.Board
    bundle : path
        A bundle made by ``ulearn export`` (checked before anything is sent).
    extra : list of paths
        More files for the board's /ulearn folder (streams, settings).
    mode : {"auto", "mpy", "py"}
        Package form, see :func:`ulearn_host.mpy.package_files`.
    keep_state : bool
        Keep the board's state.npz when the bundle changes (default: it moves to
        state.npz.bak, since the board would otherwise go on from the old model).
    bar : callable, optional
        ``bar(nbytes)`` after each chunk sent, for a progress bar.
    check : bool
        Refuse, before anything is copied, a bundle whose learner needs more
        heap than the board has free (``ulearn budget``'s plan for this board's
        firmware and free heap); False copies anyway.

    Raises
    ------
    DoesNotFit
        With `check`, the heap the learner needs against the board's free heap.
    """
    read_meta(str(bundle))  # refuses a foreign, damaged or newer-format bundle
    info = board.info()
    files, why = mpy.package_files(info, mode)
    plan = ram_plan(info, bundle, all(n.endswith(".mpy") for n in files))
    if check and not plan["fits"]:
        raise DoesNotFit("%s does not fit this board's RAM: it needs %s KB of heap (%s), the "
                         "board has %s KB free; nothing was copied (--force copies anyway)"
                         % (os.path.basename(bundle), budget.kb(plan["need"]),
                            ", ".join("%s %s KB" % (k, budget.kb(v))
                                      for k, v in plan["items"].items() if v),
                            budget.kb(plan["heap"])))
    done = {"board": info, "package": why, "ram": plan, "files": []}
    board.makedirs(LIB)
    board.makedirs(HOME)
    for name, data in files.items():
        path = LIB + "/" + name
        done["files"].append(_put(board, path, data, bar))
        stale = name[:-3] + "py" if name.endswith(".mpy") else name[:-2] + "mpy"
        board.remove(LIB + "/" + stale)  # a .py would shadow its .mpy
    done["files"].append(_swap_bundle(board, _read(bundle), keep_state, bar))
    for p in extra:
        done["files"].append(_put(board, HOME + "/" + os.path.basename(p), _read(p), bar))
    return done


def ram_plan(info, bundle, bytecode):
    """``ulearn budget``'s RAM plan for `bundle` on the board `info` describes (its firmware,
    ulab or not, and the free heap it reported), with the package as .mpy or .py."""
    mpy_version = info["mpy"] and "%d.%d" % (info["mpy"] & 0xFF, info["mpy"] >> 8 & 3)
    profile = {"name": "this board", "description": "%s %s" % (info["impl"], info["version"]),
               "firmware": info["impl"], "ulab": info["ulab"], "heap": info["heap_free"],
               "flash_fs": info["fs_free"], "fs_block": 4096,
               "mpy": mpy_version if info["impl"] == "micropython" else None}
    return budget.plan(str(bundle), profile, mpy=bool(bytecode and profile["mpy"]))["ram"]


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _unchanged(board, path, data, bar):
    # the board already holds exactly these bytes at path (hash computed there)
    if board.sha256(path) != hashlib.sha256(data).hexdigest():
        return None
    if bar:
        bar(len(data))
    return {"path": path, "bytes": len(data), "action": "unchanged"}


def _put(board, path, data, bar):
    same = _unchanged(board, path, data, bar)
    if same:
        return same
    _room(board, path, len(data))
    board.write(path, data, _progress(bar))
    return {"path": path, "bytes": len(data), "action": "written"}


def _swap_bundle(board, data, keep_state, bar):
    same = _unchanged(board, BUNDLE, data, bar)
    if same:
        return same
    tmp = BUNDLE + ".tmp"
    # asked now, while the link is up: nothing below touches BUNDLE until the rename
    active = "the previous bundle stays active" if board.exists(BUNDLE) \
        else "no bundle is active"
    try:
        _room(board, tmp, len(data))
        board.write(tmp, data, _progress(bar))
        board.exec("import ulearn\nulearn.load(%r)" % tmp, "loading the new bundle on the board")
    except BoardError as e:
        try:
            board.remove(tmp)
        except BoardError:
            pass  # the link is gone; the next deploy overwrites it
        raise type(e)("%s; %s" % (e, active))
    if not keep_state and board.exists(STATE):
        board.rename(STATE, STATE + ".bak")
    board.rename(tmp, BUNDLE)
    return {"path": BUNDLE, "bytes": len(data), "action": "written"}


def _room(board, path, nbytes):
    free = board.fs_free()
    if free < nbytes:
        raise BoardFull("board filesystem is full: %s needs %d bytes, %d free"
                        % (path, nbytes, free))


def _progress(bar):
    if bar is None:
        return None
    sent = [0]

    def cb(n, total):
        bar(n - sent[0])
        sent[0] = n
    return cb


def pull(board, paths=PULL, dest=".", bar=None):
    """Copy board files into `dest` (checked against the board's own hash; `dest` made
    when the first arrives); missing ones are reported (action "missing"), not errors:
    the caller decides (`ulearn pull` fails on them). Returns one dict per path."""
    out = []
    for path in paths:
        digest = board.sha256(path)
        if digest is None:
            out.append({"path": path, "action": "missing"})
            continue
        data = board.read(path, _progress(bar))
        local = os.path.join(dest, PurePosixPath(path).name)
        os.makedirs(dest, exist_ok=True)
        write_atomic(local, data)
        out.append({"path": path, "local": local, "bytes": len(data), "sha256": digest,
                    "action": "pulled"})
    return out
