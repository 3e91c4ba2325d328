"""Power cuts at every block write of a checkpoint save, on the virtual board's real
littlefs and FAT (issue 20).

The QEMU board's block device counts writes: ``ulearn_board.cut(n)`` lets n more land and
then drops every later one (the image then holds exactly what a cut there leaves; a remount
shows it), and ``ulearn_board.cut(n, True)`` exits QEMU at that write instead, a real stop
followed by a real boot. A sweep runs on one board with the package on its flash as .mpy:

1. save version 1 of a learner (completed); this image is the base;
2. for every n: restore the base image, save version 2 with the power cut after n writes,
   remount, load: the loaded learner must be version 1 or 2, bit for bit, and work;
   then (a pair) save version 3 cut after every m writes in turn, remount, load: it must
   be what the first reload gave or version 3, never older and never nothing;
3. some first cuts again with QEMU really stopped and booted: the same outcome.

n runs from 0 until a save completes with no write dropped, so every write of every save
is a cut point. ``python -m ulearn_dev.powercut`` runs the full sweep and prints a table.
"""
import argparse
import ast
import json
import sys
import time
from pathlib import Path

from ulearn_host.board import Board
from ulearn_host.vboard import VBoard

from . import vboards

FS_SIZE = 256 * 1024
CUT_STATUS = 3  # QEMU's exit status when ulearn_board.cut(n, True) stops it

# Board code: a learner's arrays, hashed as a save writes them (needs binascii, hashlib
# and ulearn.checkpoint imported)
FINGERPRINT = """\
def fp(l):
    h = hashlib.sha256()
    for (n, shape, code), a in zip(l.layout(l.config()), l.arrays()):
        for b in checkpoint._chunks(a, shape, code)():
            h.update(b)
    return binascii.hexlify(h.digest()).decode()[:16]
"""

# Sent once per connection. PY forces the pure-Python kernels (ulab then fails to import).
_SETUP = """\
import sys
if %(py)r:
    class _NoUlab:
        pass
    sys.modules['ulab'] = _NoUlab
import binascii, gc, hashlib, json, os, vfs, ulearn_board
from ulearn import Classifier, backend, checkpoint
FS = vfs.%(fs)s
P = '/state.npz'

def remount():
    try:
        vfs.umount('/')
    except OSError:
        pass
    vfs.mount(FS(ulearn_board.bdev), '/')
    os.chdir('/')

%(fingerprint)s
def version(v):
    # a learner that has seen 40 * v samples: every version differs in every array
    l = Classifier(8, 4, hidden=6, replay=6, seed=3)
    for i in range(40 * v):
        l.learn_one([((i * 7 + j * 3) %% 11) / 11.0 for j in range(8)], i %% 3)
    return l

L = {v: version(v) for v in (1, 2, 3)}
FP = {v: fp(L[v]) for v in L}

def save(v, n=None, halt=False):
    # save version v with the power cut after n writes (None: no cut); True if it completed
    ulearn_board.cut(n, halt)
    try:
        checkpoint.save(L[v], P, {'v': v})
    except Exception:
        pass  # writes failing after the cut: the program would be dead by now
    done = n is None or ulearn_board.writes() <= n
    try:
        vfs.umount('/')  # still cut: whatever it flushes is lost too
    except OSError:
        pass
    ulearn_board.cut(None)
    remount()
    return done

def check():
    # what a reboot finds at P: its version, bit for bit that save's, and still working
    gc.collect()
    try:
        l = checkpoint.load(P)
    except Exception as e:
        return {'v': None, 'error': '%%s: %%s' %% (type(e).__name__, e)}
    v = (l.info or {}).get('v')
    exact = FP.get(v) == fp(l)
    l.learn_one([0.25] * 8, 1)
    p = l.predict_proba_one([0.5] * 8)
    return {'v': v, 'exact': exact, 'works': all(q == q and 0 <= q <= 1 for q in p.values())}

print(json.dumps({'backend': backend.NAME, 'fp': FP}))
"""


class Sweep:
    """One board (littlefs or FAT image, ulab or pure-Python kernels) and its cut trials."""

    def __init__(self, folder, fs_type="lfs2", py=False):
        self.image = Path(folder) / ("powercut-%s-%s.img" % (fs_type, "py" if py else "ulab"))
        self.image.unlink(missing_ok=True)
        self.fs_type, self.py = fs_type, py
        self.board = VBoard(fs=self.image, fs_type=fs_type, fs_size=FS_SIZE, icount=None)
        self.link = None
        self.boots = 0

    # -- the board

    def boot(self):
        self.board.device = None
        self.board.start()
        self.boots += 1
        self.link = Board(self.board.device)
        if self.boots == 1:
            vboards.put_package(self.link)
        setup = _SETUP % {"py": self.py, "fs": "VfsLfs2" if self.fs_type == "lfs2" else "VfsFat",
                          "fingerprint": FINGERPRINT}
        self.info = json.loads(self.link.exec(setup, "setting up the sweep").strip())
        self.do("remount()")

    def stop(self):
        if self.link is not None:
            self.link.close()
            self.link = None
        self.board.stop()

    def do(self, code):
        """Run code on the board; the value of its last line, printed as a Python literal."""
        *body, last = code.strip().splitlines()
        out = self.link.exec("\n".join(body + ["print(repr(%s))" % last]), "a cut trial")
        return ast.literal_eval(out.strip().splitlines()[-1])

    # -- images

    def snapshot(self):
        return self.image.read_bytes()

    def restore(self, data):
        # in place: QEMU keeps the file open; the board remounts right after
        self.do("vfs.umount('/')\nNone")
        with open(self.image, "r+b") as f:
            f.write(data)
        self.do("remount()")

    # -- trials

    def base(self):
        """Version 1 saved, completed: the image every first cut starts from."""
        assert self.do("save(1)")
        got = self.do("check()")
        assert got["v"] == 1 and got["exact"] and got["works"], got
        return self.snapshot()

    def first(self, base, n):
        """Cut the save of version 2 after n writes: (completed, what loads)."""
        self.restore(base)
        done = self.do("save(2, %d)" % n)
        return done, self.do("check()")

    def second(self, m):
        """From wherever the last trial left the board, cut the save of version 3."""
        done = self.do("save(3, %d)" % m)
        return done, self.do("check()")

    def halted(self, base, n):
        """The first cut at n with QEMU really stopped there, then booted: what loads."""
        self.restore(base)
        self.link.exec("save(2, %d, True)" % n, "a save that cuts the power")  # does not return
        raise AssertionError("the board did not stop at write %d" % n)


def halt_and_boot(sweep, base, n):
    """Run Sweep.halted(n) and return (QEMU's exit status, what loads after a new boot)."""
    from ulearn_host.board import BoardError
    try:
        sweep.halted(base, n)
    except BoardError:
        pass  # the link went with the board
    sweep.link.close()
    sweep.link = None
    status = sweep.board.proc.wait(timeout=30)
    sweep.board.stop()  # forgets its record
    sweep.boot()
    return status, sweep.do("check()")


def verdict(before, done, got, newer):
    """Problems with one reload: None when it is `before` or `newer` (`newer` required when
    the save completed), bit for bit, and works."""
    want = (newer,) if done else (before, newer)
    if got.get("v") not in want:
        return "loaded %r, expected one of %r (%s)" % (got.get("v"), want, got.get("error", ""))
    if not got["exact"]:
        return "version %r loaded but its arrays differ from that save's" % got["v"]
    if not got["works"]:
        return "version %r loaded but does not predict finite values" % got["v"]
    return None


def run(folder, fs_type, py, pairs=1, halts=4, progress=None):
    """Every first cut; second cuts at every write after every `pairs`-th first cut (1: all
    pairs); `halts` first cuts also with QEMU stopped and booted. Returns the counts and
    the problems found (a list of strings, empty when every state recovered)."""
    s = Sweep(folder, fs_type, py)
    r = {"fs": fs_type, "backend": None, "writes_per_save": None, "first": 0, "pairs": 0,
         "halts": 0, "boots": 0, "loaded": {}, "problems": []}
    try:
        s.boot()
        r["backend"] = s.info["backend"]
        base = s.base()
        firsts = []
        n = 0
        while True:
            done, got = s.first(base, n)
            r["first"] += 1
            firsts.append((n, got))
            problem = verdict(1, done, got, 2)
            if problem:
                r["problems"].append("first cut at write %d: %s" % (n, problem))
            _tally(r, "first", got)
            if progress:
                progress()
            if pairs and n % pairs == 0 and not problem:
                after = s.snapshot()
                m = 0
                while True:
                    done2, got2 = s.second(m)
                    r["pairs"] += 1
                    p2 = verdict(got["v"], done2, got2, 3)
                    if p2:
                        r["problems"].append("cut at write %d, then at write %d: %s"
                                             % (n, m, p2))
                    _tally(r, "second", got2)
                    if progress:
                        progress()
                    if done2:
                        break
                    s.restore(after)
                    m += 1
            if done:
                r["writes_per_save"] = n
                break
            n += 1
        step = max(1, len(firsts) // max(1, halts))
        for n, got in firsts[::step][:halts]:
            status, again = halt_and_boot(s, base, n)
            r["halts"] += 1
            if status != CUT_STATUS:
                r["problems"].append("QEMU exited with %d at the cut at write %d, not %d"
                                     % (status, n, CUT_STATUS))
            if (again.get("v"), again.get("exact")) != (got["v"], got["exact"]):
                r["problems"].append("cut at write %d: a real stop and boot loaded %r, the "
                                     "same cut without stopping %r" % (n, again, got))
    finally:
        r["boots"] = s.boots
        s.stop()
    return r


def _tally(r, which, got):
    key = "%s: v%s" % (which, got.get("v"))
    r["loaded"][key] = r["loaded"].get(key, 0) + 1


def main(argv=None):
    import tempfile
    from tqdm import tqdm
    p = argparse.ArgumentParser(prog="python -m ulearn_dev.powercut", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fs", nargs="+", default=["lfs2", "fat"], choices=["lfs2", "fat"])
    p.add_argument("--backend", nargs="+", default=["ulab", "py"], choices=["ulab", "py"])
    p.add_argument("--pairs", type=int, default=1,
                   help="second cuts after every K-th first cut (default 1: every pair)")
    p.add_argument("--halts", type=int, default=8,
                   help="first cuts repeated with QEMU stopped and booted (default 8)")
    p.add_argument("--json", help="also write the results here")
    a = p.parse_args(argv)
    rows = []
    t0 = time.time()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for fs in a.fs:
                for be in a.backend:
                    with tqdm(desc="%s %s" % (fs, be), unit=" cuts", file=sys.stderr) as bar:
                        rows.append(run(tmp, fs, be == "py", a.pairs, a.halts,
                                        lambda: bar.update()))
    except KeyboardInterrupt:
        print("powercut: interrupted", file=sys.stderr)
        return 130
    print("| filesystem | kernels | writes per save | first cuts | pairs of cuts | real stops"
          " | loaded after the cut(s) | problems |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %s | %d | %d | %d | %s | %d |" % (
            r["fs"], r["backend"], r["writes_per_save"], r["first"], r["pairs"], r["halts"],
            ", ".join("%s %d" % kv for kv in sorted(r["loaded"].items())), len(r["problems"])))
    for r in rows:
        for line in r["problems"]:
            print("%s %s: %s" % (r["fs"], r["backend"], line))
    print("%.0f s" % (time.time() - t0))
    if a.json:
        from ulearn_host.files import write_atomic
        write_atomic(a.json, json.dumps(rows, indent=1).encode())
    return 1 if any(r["problems"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
