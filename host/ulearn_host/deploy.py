"""``ulearn deploy`` and ``ulearn pull``: files to and from a board, verified by hash.

Board layout::

    /lib/ulearn/                 the device package (.mpy or .py)
    /ulearn-data/bundle.npz      the active bundle
    /ulearn-data/state.npz       what the board learned (written by the board)
    /ulearn-data/log.txt         the board's log (and log.txt.1 before it)

and, only while a deploy runs or after one was cut off::

    /lib/.ulearn-new/ulearn/     the new package, staged whole
    /ulearn-data/bundle.npz.tmp  the new bundle, staged (and NAME.tmp for each --file)
    /lib/.ulearn-swap.json       the swap's renames, from its commit until they are done
    /lib/.ulearn-old/            the previous package, until the swap removes it

A deploy is stage, verify, swap, so that a cut at any point (power, cable, Ctrl-C)
leaves the board with the previous package and bundle or the new ones, never a mix,
or (a cut during the swap) with the swap's journal, which the next deploy finishes:

1. *Recover.* A journal left by a cut means that deploy was verified and committed:
   its renames are finished first (each one is done only while its source still
   exists, so finishing twice is harmless). Without a journal nothing was replaced;
   a staging folder left behind is reused, file by file, where its hashes match.
2. *Stage.* When any package file differs from the board's (SHA-256 computed on the
   board), every file of the new package goes to the staging folder: copied on the
   board from /lib/ulearn when the board has it identical, else sent. The bundle goes
   to bundle.npz.tmp, other files to NAME.tmp. Each is checked by hash on the board.
3. *Verify.* The staged set's hashes on the board, then the staged package imported
   from the staging folder (ulearn modules dropped from sys.modules first) and the
   bundle loaded with it on the board.
4. *Swap.* One board command commits (renames the journal into place) and then
   renames: /lib/ulearn to /lib/.ulearn-old, the staged package to /lib/ulearn,
   state.npz to state.npz.bak (unless --keep-state), bundle.npz.tmp over bundle.npz,
   each NAME.tmp over NAME; then removes the old package and the journal.

Only between the first two renames of the swap is /lib/ulearn missing; a board cut
there holds the journal, and the next deploy completes the swap before anything else.
Renames never target an existing folder (littlefs renames a folder only over an empty
one, FAT not at all); a file renamed over another is replaced at once on littlefs and
removed first on FAT, where a cut in between leaves bundle.npz.tmp, which
``ulearn.load`` falls back to and the journal moves into place. (A cut inside one
rename is littlefs's to survive, and it does; FAT gives no such promise.)
"""
import ast
import hashlib
import json
import os
from pathlib import PurePosixPath

from ulearn.contract import ASIDE, BUNDLE, HOME, LIB, LOG, STAGED, STATE, SWAP
from ulearn.checkpoint import read_meta

from . import budget, mpy
from .board import BoardError, BoardFull
from .files import write_atomic

PULL = (STATE, LOG, LOG + ".1")
STAGE_ROOT = STAGED.rsplit("/", 1)[0]  # on sys.path while the staged package is checked

# Board-side helpers, sent with each command that needs them (nothing stays defined on
# the board between commands). _chunks: a file's bytes in 512-byte pieces (one buffer,
# reused); _h: hex SHA-256 of a file.
_HASH = """import os, hashlib, binascii
def _chunks(p):
    b = bytearray(512)
    m = memoryview(b)
    with open(p, 'rb') as f:
        while True:
            n = f.readinto(b)
            if not n:
                break
            yield m[:n]
def _h(p):
    h = hashlib.sha256()
    for c in _chunks(p):
        h.update(c)
    return binascii.hexlify(h.digest()).decode()
"""
# {name: hash or "dir"} of a folder, None when it is missing
_HASHES = _HASH + """try:
    _l = os.listdir(%r)
except OSError:
    _l = None
def _e(p):
    return 'dir' if os.stat(p)[0] & 0x4000 else _h(p)
print(repr(_l if _l is None else dict((n, _e(%r + '/' + n)) for n in _l)))
"""
# copy a file on the board, then print the copy's hash
_COPY = _HASH + """with open(%r, 'wb') as _d:
    for _c in _chunks(%r):
        _d.write(_c)
print(_h(%r))
"""
# import the package afresh, from the staging folder `_r` when given (else as the board
# finds it), and load the bundle with it
_VERIFY = """import sys, gc
def _purge():
    for k in list(sys.modules):
        if k == 'ulearn' or k.startswith('ulearn.'):
            del sys.modules[k]
    gc.collect()
_purge()
_r = %r
if _r:
    sys.path.insert(0, _r)
try:
    import ulearn
    _p = str(getattr(ulearn, '__path__', ''))
    if _r and _p != _r + '/ulearn':
        raise ImportError('ulearn was imported from %%s' %% _p)
    gc.collect()
    ulearn.load(%r)
finally:
    ulearn = None
    if _r:
        sys.path.remove(_r)
    _purge()
"""
# File system changes on the board: _do makes each one, at most _L of them (-1: no limit;
# a test stops there to stand for a power cut at that point); _rm removes a file or a
# folder with what it holds; _ex is 0 for a missing path, else its mode | 1.
_FS = """import os, json
_L = %d
def _ex(p):
    try:
        return os.stat(p)[0] | 1
    except OSError:
        return 0
def _do(f, *a):
    global _L
    if _L == 0:
        raise RuntimeError('stopped before %%r' %% (a,))
    _L -= 1
    f(*a)
def _rm(p):
    m = _ex(p)
    if m & 0x4000:
        for n in os.listdir(p):
            _rm(p + '/' + n)
        _do(os.rmdir, p)
    elif m:
        _do(os.remove, p)
"""
# The swap, or the end of an interrupted one: with commit, SWAP.tmp is renamed to SWAP
# first (from then on the new files win); then each ["mv", a, b] of the journal renames
# a over b unless a is gone (done before) or b is a folder (done: a was moved aside),
# each ["rm", p] removes p and what it holds; then the journal goes. Without a journal
# nothing was committed: the previous package is put back if only its aside copy is left.
_SWAP = _FS + """_j = %r
if %r:
    _do(os.rename, _j + '.tmp', _j)
if _ex(_j):
    f = open(_j)
    _ops = json.loads(f.read())
    f.close()
    for o in _ops:
        if o[0] == 'rm':
            _rm(o[1])
        elif _ex(o[1]) and not _ex(o[2]) & 0x4000:
            _do(os.rename, o[1], o[2])
    _do(os.remove, _j)
    print('swapped')
else:
    _rm(_j + '.tmp')
    if _ex(%r) and not _ex(%r):
        _do(os.rename, %r, %r)
        print('rolled back')
    _rm(%r)
"""


class DoesNotFit(BoardError):
    """The plan for a bundle needs more heap than the board has free; nothing was copied."""


def deploy(board, bundle, extra=(), mode="auto", keep_state=False, bar=None, check=True,
           on_step=None):
    """Bring a board to this package and `bundle` (stage, verify, swap); returns what was done.

    Parameters
    ----------
    board : ulearn_host.board.Board
    bundle : path
        A bundle made by ``ulearn export`` (checked before anything is sent).
    extra : list of paths
        More files for the board's /ulearn-data folder (streams, settings).
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
    on_step : callable, optional
        ``on_step(step, path)`` before each step: "stage" (each file of the staged
        package), "bundle" (bundle.npz.tmp), "extra" (each NAME.tmp), "verify" (None),
        "commit" (the journal, SWAP + ".tmp"), "swap" (SWAP). Whatever it raises ends
        the deploy there, as a cut would (tests inject faults with it).

    Returns
    -------
    dict
        board (its info), package (the form and why), ram (the plan), recovered (what
        the first step did to an interrupted deploy: None, "swapped" or "rolled back"),
        files (path, bytes, action "written" or "unchanged").

    Raises
    ------
    DoesNotFit
        With `check`, the heap the learner needs against the board's free heap.
    BoardError
        Before the swap (the message ends with the bundle that stays active), or during
        it (the message says that a rerun finishes it).
    """
    read_meta(str(bundle))  # refuses a foreign, damaged or newer-format bundle
    paths = extra_paths(extra)
    step = on_step or _no_step
    info = board.info()
    recovered = recover(board)  # first: the board holds one whole package again
    files, why = mpy.package_files(info, mode)
    plan = ram_plan(info, bundle, all(n.endswith(".mpy") for n in files))
    if check and not plan["fits"]:
        raise DoesNotFit("%s does not fit this board's RAM: it needs %s KB of heap (%s), the "
                         "board has %s KB free; nothing was copied (--force copies anyway)"
                         % (os.path.basename(bundle), budget.kb(plan["need"]),
                            ", ".join("%s %s KB" % (k, budget.kb(v))
                                      for k, v in plan["items"].items() if v),
                            budget.kb(plan["heap"])))
    done = {"board": info, "package": why, "ram": plan, "recovered": recovered, "files": []}
    new = {BUNDLE: _read(bundle)}  # the other files, by board path
    new.update((b, _read(p)) for b, p in zip(paths, extra))
    want = dict((n, _sha(d)) for n, d in files.items())
    live = hashes(board, LIB)
    package = (live or {}) != want
    changed = [p for p in new if board.sha256(p) != _sha(new[p])]
    for name in sorted(files):
        done["files"].append({"path": LIB + "/" + name, "bytes": len(files[name]),
                              "action": "written" if package and (live or {}).get(name)
                              != want[name] else "unchanged"})
    for p in new:
        done["files"].append({"path": p, "bytes": len(new[p]),
                              "action": "written" if p in changed else "unchanged"})
        if bar and p not in changed:
            bar(len(new[p]))
    if not package and not changed:
        if bar:
            bar(sum(len(d) for d in files.values()))
        _discard(board, ())  # what a deploy cut off before its commit staged
        return done
    active = "the previous bundle stays active" if board.exists(BUNDLE) \
        else "no bundle is active"
    try:
        _stage(board, files, want, live, package, dict((p, new[p]) for p in changed),
               step, bar)
        step("verify", None)
        verify(board, want if package else None,
               BUNDLE + ".tmp" if BUNDLE in changed else BUNDLE)
        step("commit", SWAP + ".tmp")
        board.write(SWAP + ".tmp", json.dumps(
            _journal(board, live is not None, package, changed, keep_state)).encode())
    except BoardError as e:
        try:
            _discard(board, changed)
            board.remove(SWAP + ".tmp")
        except BoardError:
            pass  # the link is gone; the next deploy reuses or removes what was staged
        raise type(e)("%s; nothing was replaced: %s" % (e, active))
    step("swap", SWAP)
    try:
        swap(board)
    except BoardError as e:
        raise type(e)("%s; the board holds the previous files, the new ones or the swap's "
                      "journal: run `ulearn deploy` again to finish it" % e)
    return done


def extra_paths(extra):
    """The board paths of `extra` files (in /ulearn-data, by name); ValueError when two
    have the same name or one would replace the bundle or the board's state."""
    paths = [HOME + "/" + os.path.basename(p) for p in extra]
    clash = sorted(set(p for p in paths if paths.count(p) > 1 or p in (BUNDLE, STATE)))
    if clash:
        raise ValueError("%s: another file has that board path (the bundle, the board's "
                         "state or another --file); give it another name" % clash[0])
    return paths


def _no_step(step, path):
    pass


def _stage(board, files, want, live, package, new, step, bar):
    # the package (when it changes) whole into STAGED, reusing what a cut-off deploy
    # left there, and each other new file to PATH.tmp
    board.makedirs(HOME)
    staged = hashes(board, STAGED) if package else None
    if package:
        board.makedirs(STAGED)
        for name in sorted(set(staged or ()) - set(want)):  # another package's file
            _remove_tree(board, STAGED + "/" + name)
    elif board.exists(STAGE_ROOT):
        _remove_tree(board, STAGE_ROOT)  # staged by a deploy cut off before its commit
    staged = staged or {}
    _room(board, [len(d) for n, d in files.items() if package and staged.get(n) != want[n]]
          + [len(d) for d in new.values()])
    for name in sorted(files) if package else ():
        path, data = STAGED + "/" + name, files[name]
        step("stage", path)
        if staged.get(name) == want[name]:
            if bar:
                bar(len(data))
        elif (live or {}).get(name) == want[name]:  # the board has it: copied there
            src = LIB + "/" + name
            got = board.exec(_COPY % (path, src, path), "copying %s to %s" % (src, path))
            if got.strip() != want[name]:
                raise BoardError("%s on the board does not match %s" % (path, src))
            if bar:
                bar(len(data))
        else:
            board.write(path, data, _progress(bar))
    for path, data in new.items():
        step("bundle" if path == BUNDLE else "extra", path + ".tmp")
        _put(board, path + ".tmp", data, bar)


def _journal(board, had_lib, package, changed, keep_state):
    # the swap's renames, in order, then what it removes
    ops = []
    if package:
        if had_lib:
            ops.append(["mv", LIB, ASIDE])
        ops.append(["mv", STAGED, LIB])
    if BUNDLE in changed and not keep_state:
        # the board's state goes aside, with a save's .tmp, which load() falls back to
        if board.exists(STATE):
            ops.append(["mv", STATE, STATE + ".bak"])
        ops.append(["mv", STATE + ".tmp", STATE + ".bak.tmp"] if board.exists(STATE + ".tmp")
                   else ["rm", STATE + ".bak.tmp"])
    ops.extend(["mv", p + ".tmp", p] for p in changed)
    ops.extend(["rm", p] for p in (ASIDE, STAGE_ROOT))
    return ops


def swap(board, commit=True, limit=-1):
    """Do the board's swap journal in one command (see the module docstring).

    With `commit`, first rename the journal SWAP + ".tmp" (written and checked by
    :func:`deploy`) to SWAP: the commit. Then, if there is a journal, do its renames
    (each only while its source exists, so doing them again is harmless) and
    removals, then remove it. Without a journal nothing was committed: the previous
    package is put back if only its aside copy is left.

    `limit` stops after that many file system changes (-1: no limit), raising
    BoardError: a test stands a power cut there. Returns "swapped", "rolled back" or
    None (nothing to do).
    """
    out = board.exec(_SWAP % (limit, SWAP, commit, ASIDE, LIB, ASIDE, LIB, ASIDE),
                     "swapping in the new files" if commit
                     else "finishing an interrupted deploy").strip()
    return out.splitlines()[-1] if out else None


def recover(board):
    """Bring a board back to one whole package and bundle after a deploy was cut off:
    :func:`swap` without a commit. Returns None, "swapped" or "rolled back"."""
    return swap(board, commit=False)


def verify(board, want, bundle):
    """Check the new files on the board: the hashes of the package staged in STAGED
    against `want` ({name: SHA-256}; None: the package in LIB stays), then import that
    package afresh from there (ulearn modules first dropped from sys.modules) and load
    `bundle` with it on the board."""
    if want is not None:
        got = hashes(board, STAGED) or {}
        if got != want:
            bad = sorted(n for n in set(got) | set(want) if got.get(n) != want.get(n))
            raise BoardError("the package staged in %s does not match what was sent: %s"
                             % (STAGED, ", ".join(bad)))
    board.exec(_VERIFY % (STAGE_ROOT if want is not None else "", bundle),
               "importing the new package and loading %s on the board" % bundle)


def hashes(board, folder):
    """{name: hex SHA-256, or "dir" for a folder} of what a board folder holds, computed
    on the board; None when the folder is missing."""
    return ast.literal_eval(board.exec(_HASHES % (folder, folder),
                                       "hashing the files in %s" % folder).strip())


def _discard(board, changed):
    # remove what a deploy staged: the staging folder and each PATH.tmp of `changed`
    if board.exists(STAGE_ROOT):
        _remove_tree(board, STAGE_ROOT)
    for p in changed or (BUNDLE,):
        board.remove(p + ".tmp")


def _remove_tree(board, path):
    board.exec(_FS % -1 + "_rm(%r)\n" % path, "removing %s" % path)


def _sha(data):
    return hashlib.sha256(data).hexdigest()


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


def _put(board, path, data, bar):
    # write `data` to `path` (checked by hash there) unless the board has it already
    if board.sha256(path) != _sha(data):
        board.write(path, data, _progress(bar))
    elif bar:
        bar(len(data))


def _room(board, sizes):
    # whether new files of `sizes` bytes fit, each rounded up to whole blocks (FAT's
    # clusters, littlefs's blocks: the statvfs block size)
    block, free = board.eval("(lambda s: (s[0], s[0] * s[3]))(__import__('os').statvfs('/'))",
                             "reading free space")
    need = sum((n + block - 1) // block * block for n in sizes)
    if free < need:
        raise BoardFull("board filesystem is full: the new files need %d bytes, %d free"
                        % (need, free))


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
