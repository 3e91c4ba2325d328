"""Transport faults during `ulearn deploy` (issue 20): the QEMU board loses power, or its serial
line breaks, at 12 points of a deploy that replaces one package and bundle with another; the
board then holds the old or the new files, never a mix (or, only after the swap's commit, the
journal that makes the rerun finish it), and a plain rerun completes the deploy.

"Old" and "new" are checkable: the set of files under /lib/ulearn with their SHA-256 (computed
on the board), the bundle, state.npz and state.npz.bak are exactly the old deploy's or the new
one's, nothing else is under a final name, and `import ulearn; ulearn.load(bundle)` predicts
that deploy's answer with that package's code. The two packages differ: the new one changes
three modules, adds one and drops one, so the new deploy sends some files and copies the
others on the board. Run on littlefs and on FAT (their renames differ).

Faults are injected with deploy's ``on_step`` hook, its progress callback (mid-file), a sleep
put into the board-side check (mid-verify) and deploy.swap's ``limit`` (between the swap's
renames); a power cut is QEMU killed and booted again on the same image, a serial break is the
host side of the pseudo-terminal closed.
"""
import ast
import hashlib
import json
import shutil
import threading
import time
from contextlib import contextmanager

import pytest

from ulearn.contract import ASIDE, BUNDLE, LIB, STAGED, STATE, SWAP
from ulearn_dev import devicepkg, vboards
from ulearn_host import cli, deploy, mpy
from ulearn_host.board import Board, BoardError

STAGE_ROOT = STAGED.rsplit("/", 1)[0]
CHANGED = ("classifier.py", "rng.py", "zipstore.py")  # modules the new package changes
X = [1.0, 0.0, 0.0, 0.0]  # the old bundle predicts "a" for it, the new one "z"

# every file and folder on the board: {path: SHA-256 hex or "dir"}
_TREE = """import os, hashlib, binascii
def _h(p):
    h = hashlib.sha256()
    f = open(p, 'rb')
    while True:
        b = f.read(512)
        if not b:
            break
        h.update(b)
    f.close()
    return binascii.hexlify(h.digest()).decode()
def _walk(d, out):
    for e in os.ilistdir(d):
        p = d.rstrip('/') + '/' + e[0]
        if e[1] & 0x4000:
            out[p] = 'dir'
            _walk(p, out)
        else:
            out[p] = _h(p)
_out = {}
_walk('/', _out)
print(repr(_out))
"""
# what the board runs from its files: the bundle's answer for X and the package's marks
_USE = """import sys
for k in [k for k in sys.modules if k.split('.')[0] == 'ulearn']:
    del sys.modules[k]
import ulearn, ulearn.rng
c = ulearn.load(%r)
try:
    import ulearn.new_only as m
except ImportError:
    import ulearn.old_only as m
print(repr((c.predict_one(%r), getattr(ulearn.rng, '_MARK', 1), m.MARK)))
""" % (BUNDLE, X)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def learner(ul, label):
    c = ul.Classifier(4, 4, hidden=16)
    for _ in range(20):
        c.learn_one(X, label)
        c.learn_one([0.0, 1.0, 0.0, 0.0], "b")
    return c


class Rig:
    """One virtual board and the two deploys: old (package `old`, bundle A, a learned state S)
    and new (package `new`, bundle B; S moved to state.npz.bak)."""

    def __init__(self, root, fs_type):
        self.root, self.fs_type = root, fs_type
        self.pkg = {}
        for which in ("old", "new"):
            d = root / which / "ulearn"
            shutil.copytree(mpy.PACKAGE, d, ignore=shutil.ignore_patterns("__pycache__"))
            (d / (which + "_only.py")).write_text("MARK = %d\n" % (2 if which == "new" else 1))
            if which == "new":
                for name in CHANGED:
                    with open(d / name, "a") as f:
                        f.write("\n_MARK = 2\n")
            self.pkg[which] = d
        self.bundle = {"old": root / "A.npz", "new": root / "B.npz"}
        with devicepkg.using("numpy") as ul:
            ul.save(learner(ul, "a"), str(self.bundle["old"]))
            ul.save(learner(ul, "z"), str(self.bundle["new"]))
            ul.save(learner(ul, "s"), str(root / "S.npz"))
        self.state = (root / "S.npz").read_bytes()
        self.vb = vboards.start(root, fs_type=fs_type, icount=None)
        try:
            with Board(self.vb.device) as b:
                info = b.info()
        except BaseException:
            self.vb.stop()
            raise
        self.files = {}
        for which in ("old", "new"):
            with self.package(which):
                files, _ = mpy.package_files(info, "auto")
            self.files[which] = files
        bundles = dict((k, sha(p.read_bytes())) for k, p in self.bundle.items())
        dirs = {"/lib": "dir", LIB: "dir", "/ulearn-data": "dir"}
        self.tree = {}
        for which, state in (("old", STATE), ("new", STATE + ".bak")):
            t = dict((LIB + "/" + n, sha(d)) for n, d in self.files[which].items())
            t.update(dirs)
            t.update({BUNDLE: bundles[which], state: sha(self.state)})
            self.tree[which] = t
        self.use = {"old": ("a", 1, 1), "new": ("z", 2, 2)}

    @contextmanager
    def package(self, which):
        """mpy.PACKAGE (what deploy copies) pointed at this package for a while."""
        was, mpy.PACKAGE = mpy.PACKAGE, self.pkg[which]
        try:
            yield
        finally:
            mpy.PACKAGE = was

    def board(self):
        return Board(self.vb.device)

    def deploy(self, b, which, **kw):
        with self.package(which):
            return deploy.deploy(b, str(self.bundle[which]), mode="auto", keep_state=True
                                 if which == "old" else False, **kw)

    def reset_to_old(self):
        """The board holding exactly the old deploy, with its learned state, and running it."""
        with self.board() as b:
            self.deploy(b, "old")
            b.remove(STATE + ".bak")
            b.write(STATE, self.state)
            assert self.holds(b) == "old"
            assert self.runs(b) == self.use["old"]

    def holds(self, b):
        """What the board holds under the final names: "old" or "new" (exactly), else
        "window" (no package) or "mix" (some old and some new files); with "+journal" when
        the swap's journal is on the board, "+staged" when only staged files are left."""
        tree = self.last_tree = ast.literal_eval(b.exec(_TREE).strip())
        final = dict((p, h) for p, h in tree.items() if not transient(p))
        for p, h in final.items():  # every file under a final name is whole: old or new
            assert h in (self.tree["old"].get(p), self.tree["new"].get(p)), (p, h)
        left = "+journal" if SWAP in tree else "+staged" if tree != final else ""
        for which in ("old", "new"):
            if final == self.tree[which]:
                return which + left
        assert left == "+journal", tree  # a mix only in the swap, which the rerun finishes
        if not any(p.startswith(LIB + "/") for p in final):
            return "window" + left
        return "mix" + left

    def runs(self, b):
        """What the board runs from its files: (the bundle's answer, the package's marks)."""
        return ast.literal_eval(b.exec(_USE).strip())


def transient(path):
    # where a deploy stages and swaps: never a final name
    return (path in (STAGE_ROOT, ASIDE, SWAP, SWAP + ".tmp", BUNDLE + ".tmp")
            or path.startswith((STAGE_ROOT + "/", ASIDE + "/")))


@pytest.fixture(scope="module", params=["lfs2", "fat"])
def rig(request, tmp_path_factory):
    r = Rig(tmp_path_factory.mktemp("deploy-" + request.param), request.param)
    yield r
    r.vb.stop()


# -- the faults


class Fault:
    """Fires `action` ("kill": power cut, "break": the host closes the serial line) at the
    `nth` on_step(`step`, ...) of a deploy, or `after` bytes into the file that step names."""

    def __init__(self, rig, action, step, nth=1, after=None, path=None):
        self.rig, self.action, self.step, self.nth, self.after = rig, action, step, nth, after
        self.path, self.seen, self.sent, self.board, self.fired = path, 0, None, None, False

    def on_step(self, step, path):
        if step == self.step and (self.path is None or self.path in path):
            self.seen += 1
            if self.seen == self.nth:
                if self.after is None:
                    self.fire()
                else:
                    self.sent = 0

    def bar(self, n):
        if self.sent is not None and not self.fired:
            self.sent += n
            if self.sent >= self.after:
                self.fire()

    def fire(self):
        self.fired = True
        if self.action == "kill":
            self.rig.vb.kill()
        else:
            self.board.t.serial.close()

    def deploy(self, **kw):
        with Board(self.rig.vb.device) as b, self.rig.package("new"):
            self.board = b
            return deploy.deploy(b, str(self.rig.bundle["new"]), mode="auto",
                                 on_step=self.on_step, bar=self.bar, **kw)


def cut_swap(limit):
    """At the swap: the board makes `limit` of the swap's file system changes, then the
    power goes (the journal's renames are ordered and each is one change)."""
    def inject(rig, fault, monkeypatch):
        def on_step(step, path):
            if step == "swap":
                try:
                    deploy.swap(fault.board, limit=limit)
                finally:
                    fault.fire()
        fault.on_step = on_step
    return inject


def break_during_swap(rig, fault, monkeypatch):
    """The swap's command reaches the board, then the line breaks: the board goes on and
    finishes the swap (given a second before the host connects again, which interrupts
    what the board runs)."""
    def on_step(step, path):
        if step == "swap":
            t = fault.board.t
            follow = t.follow

            def broken(*a, **kw):
                t.serial.close()
                time.sleep(1)
                return follow(*a, **kw)
            t.follow = broken
    fault.on_step = on_step


def kill_during_verify(rig, fault, monkeypatch):
    """The board is importing the staged package and loading the bundle when the power goes
    (a sleep in the board-side check, between the import and the load, holds it there)."""
    slow = deploy._VERIFY.replace("    gc.collect()\n    ulearn.load(",
                                  "    import time\n    time.sleep(5)\n    gc.collect()\n"
                                  "    ulearn.load(")
    assert slow != deploy._VERIFY
    monkeypatch.setattr(deploy, "_VERIFY", slow)

    def on_step(step, path):
        if step == "verify":
            threading.Timer(1.5, fault.fire).start()
    fault.on_step = on_step


def kill_in_recovery(rig, fault, monkeypatch):
    """Two cuts: in the swap after the first rename, then again while the rerun finishes it
    (after one more rename); the next rerun completes."""
    cut_swap(2)(rig, fault, monkeypatch)
    with pytest.raises(BoardError):
        fault.deploy()
    rig.vb.restart()
    with rig.board() as b:
        assert rig.holds(b) == "window+journal"

    def recover(board):
        try:
            return deploy.swap(board, commit=False, limit=1)
        finally:
            rig.vb.kill()
    monkeypatch.setattr(deploy, "recover", recover)
    fault.on_step = lambda step, path: None


def aside_half_removed(rig, tree):
    # some of the old package's files are gone from /lib/.ulearn-old, not all
    left = sum(p.startswith(ASIDE + "/") for p in tree)
    return 0 < left < sum(p.startswith(LIB + "/") for p in rig.tree["old"])


# (name, action, Fault arguments or an injector, what the board holds before the rerun,
# a check of the board's files then or None)
POINTS = [
    ("stage: power cut in the middle of a changed module", "kill",
     dict(step="stage", path="/classifier.", after=300), {"old+staged"}, None),
    ("stage: serial break between package files", "break", dict(step="stage", nth=10),
     {"old+staged"}, None),
    ("stage: power cut between package files, late", "kill", dict(step="stage", nth=20),
     {"old+staged"}, None),
    ("bundle: serial break in the middle of the bundle", "break",
     dict(step="bundle", after=700), {"old+staged"}, None),
    ("verify: power cut while the board imports and loads", "kill", kill_during_verify,
     {"old+staged"}, None),
    ("commit: serial break before the journal", "break", dict(step="commit"), {"old+staged"},
     None),
    ("swap: power cut right after the commit", "kill", cut_swap(1), {"old+journal"}, None),
    ("swap: power cut between the two package renames", "kill", cut_swap(2),
     {"window+journal"}, None),
    ("swap: power cut between the package and the bundle renames", "kill", cut_swap(3),
     {"mix+journal"}, None),
    ("swap: power cut while the old package is removed", "kill", cut_swap(9),
     {"new+journal"}, aside_half_removed),
    ("swap: serial break once the swap command was sent", "break", break_during_swap,
     {"new"}, None),
    ("recovery: a second power cut while the rerun finishes the swap", "kill",
     kill_in_recovery, {"mix+journal"}, None),
]


@pytest.mark.parametrize("name, action, how, before, check", POINTS,
                         ids=[p[0] for p in POINTS])
def test_a_cut_deploy_leaves_old_or_new_and_a_rerun_completes(rig, name, action, how, before,
                                                              check, monkeypatch, capsys):
    rig.reset_to_old()
    if isinstance(how, dict):
        fault = Fault(rig, action, **how)
    else:
        fault = Fault(rig, action, None)
        how(rig, fault, monkeypatch)
    with pytest.raises(BoardError) as e:
        fault.deploy()
    if isinstance(how, dict) or how is kill_during_verify:  # deploy's own message
        assert fault.fired and str(e.value).endswith(
            "nothing was replaced: the previous bundle stays active"), str(e.value)
    elif how is break_during_swap:
        assert str(e.value).endswith("run `ulearn deploy` again to finish it"), str(e.value)
    if action == "kill":
        rig.vb.restart()
    with rig.board() as b:
        held = rig.holds(b)
        assert held in before, held
        assert check is None or check(rig, rig.last_tree), rig.last_tree
        if held.split("+")[0] in ("old", "new"):
            assert rig.runs(b) == rig.use[held.split("+")[0]]
    monkeypatch.undo()

    capsys.readouterr()
    with rig.package("new"):  # the rerun: `ulearn deploy BUNDLE`, as the user typed it
        assert cli.main(["deploy", str(rig.bundle["new"]), "-d", rig.vb.device, "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["recovered"] == ("swapped" if "journal" in held else None)
    with rig.board() as b:
        assert rig.holds(b) == "new"  # exactly: nothing staged, aside or journaled is left
        assert rig.runs(b) == rig.use["new"]
    resent = sorted(f["path"] for f in done["files"] if f["action"] == "written")
    if "journal" in held or held.startswith("new"):
        assert resent == []  # the rerun finished the swap, or had nothing left to do
    else:  # the changed modules, the new one and the bundle: what differs from the old
        old, new = rig.files["old"], rig.files["new"]
        assert len(new) > 2 * len(CHANGED) + 2  # most files copied on the board, not sent
        assert resent == sorted([LIB + "/" + n for n in new if new[n] != old.get(n)]
                                + [BUNDLE])
