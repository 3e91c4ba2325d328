"""The learners and their pure-Python floors inside MicroPython's
WebAssembly port (tools/mpvm): time per step, heap allocated per step, live
and peak heap, and the live heap over many steps. The port collects only
when a top-level call returns, so every figure is read between calls."""
import json
import statistics
import time
from pathlib import Path

import devicepkg

HERE = Path(__file__).resolve().parent

_SETUP = """\
import gc, json, time, ulearn
from array import array
from floor_py import Floor
d = json.load(open('/rows.json'))
XS = [array('f', r) for r in d['X']]
YS, IS = d['y'], d['i']
N = len(YS)
d = None
ulearn.load('/bundle.npz')  # every code path of a load run once
clf = fl = None
"""

# run(n, f): n steps of f from row T on (cycling), in this call; prints
# microseconds (ticks_us, millisecond resolution here) and heap bytes allocated
_RUN = """\
T = 0
def learn(t):
    clf.learn_one(XS[t], YS[t])
def predict(t):
    clf.predict_one(XS[t])
def flearn(t):
    fl.learn(XS[t], IS[t])
def fpredict(t):
    fl.predict(XS[t])
def run(n, f, move=True):
    global T
    gc.disable()
    a = gc.mem_alloc()
    t0 = time.ticks_us()
    t = T
    for _ in range(n):
        f(t)
        t += 1
        if t == N:
            t = 0
    dt = time.ticks_diff(time.ticks_us(), t0)
    b = gc.mem_alloc()
    gc.enable()
    if move:
        T = t
    print(dt, b - a)
def most(n, f):
    # the most one step allocates, over n steps
    global T
    m = 0
    for _ in range(n):
        a = gc.mem_alloc()
        f(T)
        m = max(m, gc.mem_alloc() - a)
        T = (T + 1) % N
    print(m)
"""


def measure(bundles, rows, steps, runs, long_steps, chunk=500):
    """{name: figures} for each bundle (name -> path), rows[name] = (X rows,
    labels, label rows); or {"error": why} when the VM cannot run."""
    from tools.mpvm import MicroPythonUnavailable, MicroPythonVM
    try:
        vm = MicroPythonVM(timeout=1200)
    except MicroPythonUnavailable as e:
        return {"error": str(e)}
    out = {}
    with vm:
        out["version"] = vm.exec("import sys; print(sys.version)").strip()
        out["address"] = int(vm.exec("print(id([]))"))  # where the heap is
        vm.put_tree(str(devicepkg.DEVICE / "ulearn"), "/lib/ulearn")
        vm.write_file("/lib/floor_py.py", (HERE / "floor_py.py").read_text())
        vm.exec("import gc, json, time, ulearn\nfrom array import array\nimport floor_py")
        for name, path in bundles.items():
            X, y, idx = rows[name]
            vm.write_file("/bundle.npz", Path(path).read_bytes())
            vm.write_file("/rows.json", json.dumps({"X": X, "y": y, "i": idx}))
            vm.exec(_SETUP)
            vm.exec(_RUN)
            out[name] = _one(vm, steps, runs, long_steps, chunk)
            vm.exec("clf = fl = XS = YS = IS = None")
    return out


def _one(vm, steps, runs, long_steps, chunk):
    r = {}
    m0 = vm.mem_alloc()
    vm.exec("clf = ulearn.load('/bundle.npz')")
    r["live"] = vm.mem_alloc() - m0
    vm.exec("fl = Floor(ulearn.load('/bundle.npz'))")
    vm.exec("run(3, learn, False); run(3, flearn)")  # first calls of every path
    for what in ("learn", "flearn", "predict", "fpredict"):
        r[what] = {"us": [], "bytes": []}
    for _ in range(runs):  # learner and floor alternate, over the same rows
        for what in ("learn", "flearn"):
            vm.exec("gc.collect()")
            # the learner's run leaves the row cursor for the floor's
            us, nb = vm.exec("run(%d, %s, %r)" % (steps, what, what == "flearn")).split()
            r[what]["us"].append(int(us) / steps)
            r[what]["bytes"].append(int(nb) / steps)
        for what in ("predict", "fpredict"):
            vm.exec("gc.collect()")
            us, nb = vm.exec("run(%d, %s, False)" % (steps, what)).split()
            r[what]["us"].append(int(us) / steps)
            r[what]["bytes"].append(int(nb) / steps)
    # the learner and its floor took the same steps: same weights?
    r["same"] = vm.exec(_SAME).strip() == "True"
    r["step_max"] = int(vm.exec("most(%d, learn)" % min(steps, 200)))
    # the live heap over long_steps learn + predict steps, read after each
    # chunk as it is, and again with every number the learner holds zeroed
    vm.exec("fl = None")  # the floor's copy is not part of the learner's heap
    vm.exec(_ZERO)
    vm.exec("def both(t):\n    clf.predict_one(XS[t])\n    clf.learn_one(XS[t], YS[t])")
    heap, zeroed, t0 = [], [], time.perf_counter()
    for _ in range(max(1, long_steps // chunk)):
        vm.exec("run(%d, both)" % chunk)
        heap.append(vm.mem_alloc() - m0)
        vm.exec("stash(clf)")
        zeroed.append(vm.mem_alloc() - m0)
        vm.exec("unstash(clf)")
    r["heap_chunks"], r["heap_zeroed"] = heap, zeroed
    r["restored"] = vm.exec(  # stash then unstash leaves every number as it was
        "B = [bytes(a) for a in arrays_of(clf)]\nstash(clf)\nunstash(clf)\n"
        "print(B == [bytes(a) for a in arrays_of(clf)])\nB = None").strip() == "True"
    r["long_steps"] = chunk * len(heap)
    r["long_wall"] = time.perf_counter() - t0
    return r


# The collector marks conservatively: any word of a live block that holds a
# heap address keeps that block, and it scans the data of arrays too. So a
# weight, momentum entry or int8 row whose bits happen to equal the address
# of a step's garbage keeps that garbage alive at a reading. stash() takes
# that effect out: it saves every array reachable from o to files (outside
# the heap) and zeroes it; unstash(o) walks o the same way and puts the
# numbers back, bit for bit. Between the two nothing is held but o itself.
_ZERO = """\
def _arrays(o, seen, out):
    if id(o) in seen or isinstance(o, (type, type(gc))):
        return
    seen.add(id(o))
    if isinstance(o, array):
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
def stash(o):
    for i, a in enumerate(arrays_of(o)):
        with open('/stash%d' % i, 'wb') as f:
            f.write(a)
        for j in range(len(a)):
            a[j] = 0
def unstash(o):
    for i, a in enumerate(arrays_of(o)):
        with open('/stash%d' % i, 'rb') as f:
            f.readinto(a)
"""

# the floor writes into its own copy's arrays: compare them with the learner's
_SAME = """\
def _arrays(c):
    return [bytes(a) for a in c.arrays()]
print(_arrays(clf) == _arrays(fl.clf))
"""


def summary(figs):
    """Medians and spreads of a config's timed runs."""
    s = {}
    for what in ("learn", "flearn", "predict", "fpredict"):
        us, nb = figs[what]["us"], figs[what]["bytes"]
        s[what] = (statistics.mean(us), statistics.stdev(us) if len(us) > 1 else 0.0,
                   statistics.median(nb))
    return s
