"""The learners and their floors on real firmware: the QEMU Cortex-M3 board
(MicroPython v1.29 + ulab, `ulearn vboard`, reached through mpremote's
serial transport) and the unix builds (CircuitPython unix, MicroPython unix
32-bit, through tools/mpreal).

On the board, QEMU counts instructions (``-icount shift=3``: one instruction
is 8 ns of virtual time), so ``time.ticks_us()`` is an instruction clock and a
step costs the same on every run and machine. Bytes allocated per step come
from ``micropython.mem_total()`` (MICROPY_MEM_STATS: every allocation, also
while the collector runs mid-step). The smallest heap at which 1,000
predict-then-learn steps run is found by booting at a heap size and halving
the interval (the board is deterministic at a given heap, so one run per
size decides it).

The pure-Python kernels run on the same ulab firmware with ``ulab`` hidden
from the package before it is imported (``sys.modules['ulab']`` set to an
empty object), which is the path a stock firmware without ulab takes.
"""
import functools
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

from ulearn_host import firmware
from ulearn_host.firmware.targets import PINNED
from ulearn_host.vboard import VBoard

HERE = Path(__file__).resolve().parent
KERNELS = ("ulab", "python")
HEAP = 192 * 1024  # the heap the time and live figures are read at: an RP2040's
MIN_STEPS = 1000  # steps a heap must carry to count as enough
PROBE_STEPS = 50  # a first bisection on this many steps; the result is then checked on MIN_STEPS
GRAIN = 512  # the bisection stops when the interval is this narrow (bytes)
IMAGE = 4 * 1024 * 1024  # the board's flash: package, floors, bundles, rows
US_PER_INSN = 2 ** 3 / 1000  # -icount shift=3

# Chooses the kernels, opens the row files; defines the steps. Rows are read
# from flash one at a time into fixed buffers, as a sensor loop would.
_SETUP = """\
import gc, sys, time, micropython
from array import array
if %(python)r:
    class _NoUlab:
        pass
    sys.modules['ulab'] = _NoUlab()  # the package falls back to pure Python
import ulearn
from ulearn.backend import NAME
_F = open('/bench/%(name)s.rows', 'rb')
_N, _R = %(n)d, %(rows)d
X = array('f', bytes(4 * _N))
L = array('h', [0, 0])
def row(t):
    if t %% _R == 0:
        _F.seek(0)
    _F.readinto(X)
    _F.readinto(L)
def total():
    return micropython.mem_total()
clf = fl = None
%(preload)s
gc.collect()
M0 = gc.mem_alloc()
"""

# timed(n, f, t0): n steps of f on rows t0.., each call timed alone; prints the
# per-call microseconds and the bytes allocated
_TIMED = """\
def learn():
    clf.learn_one(X, L[0])
def predict():
    clf.predict_one(X)
def flearn():
    fl.learn(X, L[1])
def fpredict():
    fl.predict(X)
def nop():
    pass
def timed(n, f, t0=0):
    us = array('i', bytes(4 * n))
    nb = array('i', bytes(4 * n))
    for k in range(n):
        row(t0 + k)
        a = total()
        s = time.ticks_us()
        f()
        e = time.ticks_us()
        nb[k] = (total() - a) % 4294967296
        us[k] = time.ticks_diff(e, s)
    print(list(us))
    print(list(nb))
def both(n, t0):
    for k in range(n):
        row(t0 + k)
        clf.predict_one(X)
        clf.learn_one(X, L[0])
def live():
    gc.collect()
    return gc.mem_alloc() - M0
"""

# the smallest-heap run: load, then n predict-then-learn steps
_STEPS = """\
try:
    clf = ulearn.load('/bench/%(name)s.npz')
    for k in range(%(steps)d):
        row(k)
        clf.predict_one(X)
        clf.learn_one(X, L[0])
    print('ran', NAME)
except MemoryError:
    print('MemoryError at', k if 'k' in globals() else 'load')
"""


def rows_file(X, y, idx):
    """The board's row file: per row, n float32 then (label, label index) as int16."""
    out = bytearray()
    for r, a, b in zip(X, y, idx):
        out += array("f", r).tobytes() + array("h", [a, b]).tobytes()
    return bytes(out)


def floors_package(tmp):
    """The floors as a package (/lib/dbfloor) compiled for the board."""
    pkg = Path(tmp) / "dbfloor"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    cross = str(firmware.require("mpy-cross"))
    for name in ("floor_py.py", "floor_ulab.py"):
        _run([cross, "-o", str(pkg / (name[:-3] + ".mpy")), str(HERE / name)])
    return pkg


class Board:
    """One boot of the QEMU board from a copy of a prepared image; `exec` runs code in its raw REPL."""

    def __init__(self, image, heap, icount=3):
        from mpremote.transport_serial import SerialTransport
        self.dir = tempfile.TemporaryDirectory()
        img = Path(self.dir.name) / "flash.img"
        shutil.copyfile(image, img)
        self.vb = VBoard("m3", heap=heap, fs=img, icount=icount)
        device = self.vb.start()
        try:
            self.t = SerialTransport(device, baudrate=115200)
            self.t.enter_raw_repl()
        except BaseException:
            self.vb.kill()
            raise

    def exec(self, code, timeout=3600):
        out, err = self.t.exec_raw(code, timeout=timeout)
        if err:
            raise RuntimeError("on the board: %s" % err.decode(errors="replace").strip())
        return out.decode()

    def close(self):
        try:
            self.t.close()
        finally:
            self.vb.kill()
            self.dir.cleanup()


def prepare_image(image, bundles, rows, heap=1024 * 1024):
    """A littlefs image with the package (.mpy, as `ulearn package` makes it), the floors,
    each bundle and its rows under /bench."""
    with tempfile.TemporaryDirectory() as tmp:
        pkg = Path(tmp) / "pkg"
        _run([sys.executable, "-m", "ulearn_host.cli", "package", "-o", str(pkg)])
        floors = floors_package(tmp)
        for name, path in bundles.items():
            shutil.copyfile(path, Path(tmp) / (name + ".npz"))
            (Path(tmp) / (name + ".rows")).write_bytes(rows_file(*rows[name]))
        vb = VBoard("m3", heap=heap, fs=image, fs_size=IMAGE, icount=None)
        dev = vb.start()
        try:
            mp = [sys.executable, "-m", "mpremote", "connect", dev]
            _run(mp + ["mip", "install", str(pkg / "package.json")])
            _run(mp + ["mkdir", ":/bench", "+", "cp", "-r", str(floors), ":/lib/"])
            _run(mp + ["cp"] + [str(Path(tmp) / (n + s)) for n in bundles for s in (".npz", ".rows")]
                 + [":/bench/"])
        finally:
            vb.kill()


def _run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if r.returncode:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd[2:4]), (r.stdout + r.stderr).strip()))
    return r.stdout


def setup_code(name, kernels, n, rows, preload=True):
    """The setup; with `preload`, one load of the bundle first, so that M0 (the live heap
    before the learner) holds every module a load and a step import."""
    pre = "ulearn.load('/bench/%s.npz').learn_one(X, 0)" % name if preload else ""
    return _SETUP % dict(python=kernels == "python", name=name, n=n, rows=rows,
                         preload=pre) + _TIMED


def measure(bundles, rows, steps, long_steps, chunk, on_step=None):
    """{"board": about, name: {kernels: figures}} on the QEMU M3 board, or {"error": why}."""
    try:
        firmware.require("qemu-m3")
    except firmware.FirmwareError as e:
        return {"error": str(e)}
    out = {"board": {"target": "qemu-m3", "machine": "MPS2-AN385 (Cortex-M3, soft float)",
                     "heap": HEAP, "icount_shift": 3,
                     "firmware": {k: PINNED[k]["commit"] for k in ("micropython", "ulab")}}}
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "bench.img"
        prepare_image(image, bundles, rows)
        for name in bundles:
            n, r = len(rows[name][0][0]), len(rows[name][0])
            out[name] = {}
            for kernels in KERNELS:
                out[name][kernels] = f = one(image, name, kernels, n, r, steps, long_steps, chunk)
                runs = functools.partial(_board_runs, image, name, kernels, n, r)
                f["min_heap"] = min_heap(runs)
                f["min_heap_load"] = load_heap(runs, f["min_heap"])
                if on_step:
                    on_step()
    return out


def one(image, name, kernels, n, r, steps, long_steps, chunk):
    """Every figure of one learner on one kernel set but the smallest heaps."""
    b = Board(image, HEAP)
    try:
        b.exec(setup_code(name, kernels, n, r))
        f = {"kernels": b.exec("print(NAME)").strip()}
        if f["kernels"] != kernels:
            raise RuntimeError("%s ran on %s kernels, not %s" % (name, f["kernels"], kernels))
        f["package"] = int(b.exec("print(M0)"))  # the server-less REPL, package imported
        b.exec("clf = ulearn.load('/bench/%s.npz')" % name)
        f["live"] = int(b.exec("print(live())"))
        f["nop"] = _timed(b, "nop", steps, 0)["us"]
        f.update(_versus(b, name, kernels, steps))
        # live heap over a long run, as it is and with the learner's numbers zeroed, less
        # the floor's modules and the zeroing code (read before the learner is loaded)
        b.exec(_ZERO)
        b.exec("gc.collect()\nM0 = gc.mem_alloc()\nclf = ulearn.load('/bench/%s.npz')" % name)
        heap, zeroed, t0 = [], [], time.perf_counter()
        for k in range(max(1, long_steps // chunk)):
            b.exec("both(%d, %d)" % (chunk, k * chunk))
            heap.append(int(b.exec("print(live())")))
            b.exec("stash(clf)")
            zeroed.append(int(b.exec("print(live())")))
            b.exec("unstash(clf)")
        f["heap_chunks"], f["heap_zeroed"] = heap, zeroed
        f["restored"] = b.exec("print(restored(clf))").strip() == "True"
        f["long_steps"], f["long_wall"] = chunk * len(heap), time.perf_counter() - t0
    finally:
        b.close()
    if "floor_error" in f:  # learner and floor again, side by side on a heap the floor fits
        b = Board(image, 2 * HEAP)
        try:
            b.exec(setup_code(name, kernels, n, r))
            b.exec("clf = ulearn.load('/bench/%s.npz')" % name)
            f["versus"] = dict(_versus(b, name, kernels, steps), heap=2 * HEAP)
        finally:
            b.close()
    return f


def _versus(b, name, kernels, steps):
    # the learner, then its floor from the same bundle over the same rows; the learner's
    # arrays go to files, which the floor's are compared with
    f = {"learn": _timed(b, "learn", steps, 0), "predict": _timed(b, "predict", steps, steps)}
    b.exec("for i, a in enumerate(clf.arrays()):\n    with open('/A%d' % i, 'wb') as o:\n"
           "        o.write(a)\nclf = None")
    floor = "floor_py" if kernels == "python" else "floor_ulab"
    try:
        b.exec("from dbfloor.%s import Floor\nfl = Floor(ulearn.load('/bench/%s.npz'))"
               % (floor, name))
        f["flearn"] = _timed(b, "flearn", steps, 0)
        f["fpredict"] = _timed(b, "fpredict", steps, steps)
        f["same"] = b.exec(_SAME).strip()
    except RuntimeError as e:  # the fewest operations may need a run of free heap it lacks
        if "MemoryError" not in str(e):
            raise
        f.pop("flearn", None)
        f["floor_error"] = str(e).strip().splitlines()[-1]
        f["same"] = "not run"
    b.exec("fl = None")
    return f


def _timed(b, what, n, t0):
    us, nb = b.exec("timed(%d, %s, %d)" % (n, what, t0)).split("\n")[:2]
    return {"us": json.loads(us), "bytes": json.loads(nb)}


# the floor's arrays against the learner's after the same rows: bytes equal
# (pure Python), or the largest difference (ulab: its sums may run in another order)
_SAME = """\
d = 0.0
for i, a in enumerate(fl.clf.arrays()):
    with open('/B%d' % i, 'wb') as o:
        o.write(a)
    with open('/A%d' % i, 'rb') as p, open('/B%d' % i, 'rb') as q:
        while True:
            u, v = p.read(512), q.read(512)
            if not u:
                break
            if u != v:
                if NAME != 'ulab':
                    d = -1.0
                    break
                from ulab import numpy as np
                u = np.array(np.frombuffer(u, dtype=a.dtype), dtype=np.float)
                v = np.array(np.frombuffer(v, dtype=a.dtype), dtype=np.float)
                d = max(d, np.max(abs(u - v)) or 1e-45)
print('same' if d == 0.0 else 'different' if d < 0 else 'largest difference %.3g' % d)
"""

# stash(o) saves every array reachable from o to files and zeroes it (through
# the buffer protocol, which arrays and dense ulab arrays have); unstash puts
# the numbers back bit for bit (see the device page: the collector scans
# arrays of numbers, so pointer-like numbers can hold garbage at a reading)
_ZERO = """\
def _arrays(o, seen, out):
    if id(o) in seen or isinstance(o, (type, type(gc))):
        return
    seen.add(id(o))
    if isinstance(o, (array, bytearray)) or type(o).__name__ == 'ndarray':
        out.append(o)
        return
    if isinstance(o, (list, tuple)):
        items = o
    elif isinstance(o, dict):
        items = o.values()
    else:
        items = getattr(o, '__dict__', {}).values()
    for v in items:
        _arrays(v, seen, out)
def arrays_of(o):
    out = []
    _arrays(o, set(), out)
    return out
def stash(o, tag='s'):
    for i, a in enumerate(arrays_of(o)):
        with open('/%s%d' % (tag, i), 'wb') as f:
            f.write(a)
        with open('/zeros', 'rb') as f:
            f.readinto(a)
def unstash(o, tag='s'):
    for i, a in enumerate(arrays_of(o)):
        with open('/%s%d' % (tag, i), 'rb') as f:
            f.readinto(a)
def restored(o):
    # stash, unstash, stash again: the second files are the first, byte for byte
    stash(o)
    unstash(o)
    stash(o, 't')
    unstash(o)
    for i in range(len(arrays_of(o))):
        with open('/s%d' % i, 'rb') as f, open('/t%d' % i, 'rb') as g:
            while True:
                x, y = f.read(512), g.read(512)
                if x != y:
                    return False
                if not x:
                    break
    return True
with open('/zeros', 'wb') as f:
    _z = bytes(4096)
    for _ in range(16):  # as many bytes as the largest array
        f.write(_z)
    _z = None
"""


def _board_runs(image, name, kernels, n, r, heap, steps):
    b = Board(image, heap, icount=None)  # the heap need does not depend on time: run fast
    try:
        b.exec(setup_code(name, kernels, n, r, preload=False))
        return b.exec(_STEPS % dict(name=name, steps=steps)).startswith("ran")
    except RuntimeError as e:
        if "MemoryError" in str(e):
            return False
        raise
    finally:
        b.close()


def min_heap(runs, lo=16 * 1024, hi=1024 * 1024):
    """The smallest heap (bytes, within GRAIN) at which runs(heap, MIN_STEPS) is True.

    Bisects on PROBE_STEPS steps first (a heap too small for them is too small
    for MIN_STEPS), then checks the result on MIN_STEPS and moves up if needed.
    Returns None when even `hi` is not enough."""
    if not runs(hi, MIN_STEPS):
        return None
    found = _bisect(lambda h: runs(h, PROBE_STEPS), lo, hi)
    return _bisect(lambda h: runs(h, MIN_STEPS), found - GRAIN, hi) if not runs(found, MIN_STEPS) \
        else found


def load_heap(runs, hi, lo=16 * 1024):
    """The smallest heap (within GRAIN, at most `hi`) at which runs(heap, 0) is True: the
    package imported and the bundle loaded, no step. None when `hi` is None."""
    return None if hi is None else _bisect(lambda h: runs(h, 0), lo, hi)


def _bisect(ok, lo, hi):
    # ok(hi) holds; the smallest h in (lo, hi] with ok(h), to GRAIN
    while hi - lo > GRAIN:
        mid = (lo + hi) // 2 // 16 * 16
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def summary(f):
    """(mean, std over steps, median bytes) of each timed call, the clock's own cost taken off;
    the floor's from the larger heap when it did not fit the board's ("heap": where the
    learner and floor were compared)."""
    base = statistics.mean(f["nop"])

    def stats(t):
        us = [u - base for u in t["us"]]
        return statistics.mean(us), statistics.stdev(us), statistics.median(t["bytes"])
    s = {"learn": stats(f["learn"]), "predict": stats(f["predict"]), "heap": HEAP}
    vs = f.get("versus", f)
    if "flearn" in vs:
        s.update(flearn=stats(vs["flearn"]), fpredict=stats(vs["fpredict"]),
                 vlearn=stats(vs["learn"]), vpredict=stats(vs["predict"]),
                 heap=vs.get("heap", HEAP))
    else:
        s.update({k: (float("nan"),) * 3 for k in ("flearn", "fpredict", "vlearn", "vpredict")})
    return s
