"""Soak: a learner learns for 100,000 steps on the 192 KB virtual board, checkpointing
every 500, while the power is cut at random (issue 20).

The learner is the digits learner with a hidden layer and a replay memory, learning from
real digits on the board's flash (1,000 rows, one pass after another). Cuts, drawn from a
seed, are of two kinds:

- **kill**: QEMU is killed at a random moment (most land mid-step, some mid-save);
- **write**: the board's block device stops QEMU at a random block write (every one lands
  in a save, the only thing that writes), armed at boot with ``ulearn_board.cut(n, True)``.

After each cut the board boots again and the program goes on from its checkpoint. Checked:
every reload is, bit for bit, the last save the board reported complete (or the one it had
begun, when a cut fell between a save's end and its report: counted); the live heap after
each save (``gc.mem_alloc()`` after a collection) does not grow over a long boot (its floor
over 5 saves rises at most 256 bytes after the first 10); every save's probabilities are
finite. ``python -m ulearn_dev.soak`` runs it and prints the figures.
"""
import argparse
import json
import random
import selectors
import subprocess
import sys
import time
from pathlib import Path

from ulearn_host import datasets
from ulearn_host.board import Board
from ulearn_host.vboard import VBoard

from . import vboards
from .powercut import FINGERPRINT

HEAP = 192 * 1024
STREAM, STATE = "/soak/digits.npz", "/soak/state.npz"
ROWS = 1000
CUT_STATUS = 3  # QEMU's exit status when the block device cuts the power
GROWTH = 256  # bytes the live heap's floor may rise over one long boot (see heap_growth)

# The board's program: load or start, then learn and save every EVERY steps until TOTAL.
_PROGRAM = """\
import binascii, gc, hashlib, ulearn_board
from ulearn import Classifier, checkpoint
from ulearn.stream import Stream

%(fingerprint)s
try:
    l = checkpoint.load(%(state)r)
    step = l.info['step']
except OSError:  # the first boot: no checkpoint yet
    l = Classifier(64, 10, hidden=32, replay=20, replay_k=2, seed=5)
    step = 0
f = fp(l)
gc.collect()
print('loaded %%d %%s %%d' %% (step, f, gc.mem_alloc()))
if %(cut)r is not None:
    ulearn_board.cut(%(cut)r, True)
x0 = None
while step < %(total)d:
    skip = step %% %(rows)d
    for x, y in Stream(%(stream)r):
        if skip:
            skip -= 1
            continue
        if x0 is None:
            x0 = x
        l.learn_one(x, y)
        step += 1
        if step %% %(every)d == 0:
            print('saving %%d %%s' %% (step, fp(l)))
            checkpoint.save(l, %(state)r, {'step': step})
            p = l.predict_proba_one(x0)
            finite = all(q == q and 0 <= q <= 1 for q in p.values())
            p = None
            gc.collect()
            print('saved %%d %%d %%d' %% (step, gc.mem_alloc(), finite))
        if step >= %(total)d:
            break
print('done %%d' %% step)
"""


def prepare(board_device):
    """The package (.mpy) and 1,000 real digits as a stream, on the board's flash."""
    from ulearn import stream
    import tempfile
    X, y = datasets.load_digits()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "digits.npz"
        stream.save(str(path), (X[:ROWS] / 16.0).tolist(), y[:ROWS].tolist())
        data = path.read_bytes()
    with Board(board_device) as b:
        vboards.put_package(b)
        b.makedirs("/soak")
        b.write(STREAM, data)


def soak(folder, total=100_000, every=500, cuts=40, seed=0, progress=None):
    """Run the soak with `cuts` random cuts (then on to the end); returns its figures and
    the problems found (empty when none)."""
    rng = random.Random(seed)
    board = VBoard(heap=HEAP, fs=Path(folder) / "soak.img", icount=None)
    r = {"steps": total, "every": every, "seed": seed, "boots": 0, "cuts": {"kill": 0,
         "write": 0}, "saves": 0, "reloads": 0, "reload_unreported": 0, "heap": [],
         "problems": [], "elapsed": 0.0}
    t0 = time.time()
    # last: (step, fingerprint) of the last save reported complete; pending: of the one begun
    state = {"last": None, "pending": None, "rate": None, "started": None}

    def on_line(line):
        words = line.split()
        if words[:1] == ["loaded"]:
            state["started"], state["from"] = time.time(), int(words[1])
            got, last, pending = (int(words[1]), words[2]), state["last"], state["pending"]
            if last is not None:
                r["reloads"] += 1
                if got == pending != last:  # the cut came after the save, before its report
                    r["reload_unreported"] += 1
                elif got != last:
                    r["problems"].append("boot %d loaded step %d (%s), the last save was "
                                         "step %d (%s)" % (r["boots"], *got, *last))
            state["last"] = state["pending"] = got
            r["heap"].append((r["boots"], "loaded", got[0], int(words[3])))
        elif words[:1] == ["saving"]:
            state["pending"] = (int(words[1]), words[2])
        elif words[:1] == ["saved"]:
            step = int(words[1])
            state["last"] = state["pending"]
            r["saves"] += 1
            r["heap"].append((r["boots"], "saved", step, int(words[2])))
            if words[3] != "1":
                r["problems"].append("step %d: probabilities not finite" % step)
            if state["rate"] is None:
                state["rate"] = (step - state["from"]) / (time.time() - state["started"])
            if progress:
                progress(step)
        elif "Traceback" in line or "Error" in line:
            r["problems"].append("boot %d: %s" % (r["boots"], line.strip()))

    try:
        board.start()
        prepare(board.device)
        while True:
            r["boots"] += 1
            kind = None
            if sum(r["cuts"].values()) < cuts:
                kind = rng.choice(["kill", "write"]) if state["rate"] else "write"
            cut = rng.randrange(0, 240) if kind == "write" else None
            # a kill lands anywhere in the next three checkpoints' worth of steps
            kill_at = rng.uniform(0.0, 3.0) * every / state["rate"] if kind == "kill" else None
            code = _PROGRAM % {"state": STATE, "stream": STREAM, "cut": cut, "total": total,
                               "every": every, "rows": ROWS, "fingerprint": FINGERPRINT}
            end = _run_once(board, code, kill_at, on_line, state)
            if end == "done":
                break
            if end == "killed":
                r["cuts"]["kill"] += 1
            else:
                status = board.proc.wait(timeout=60)
                if kind != "write" or status != CUT_STATUS:
                    r["problems"].append("boot %d: the program ended early (QEMU status %s)"
                                         % (r["boots"], status))
                    break
                r["cuts"]["write"] += 1
            board.stop()
            board.device = None
            board.start()
    finally:
        board.stop()
        r["elapsed"] = time.time() - t0
    r["heap_growth"] = heap_growth(r["heap"])
    if r["heap_growth"] > GROWTH:
        r["problems"].append("the live heap grew by %d bytes while learning" % r["heap_growth"])
    return r


def heap_growth(heap, n=5, settle=10):
    """The rise of the live heap's floor over one long boot (at least 2 * settle saves):
    the least of its last n saves against the least of n saves after its first `settle`
    (which settle buffers and tables; a collector that scans the stack conservatively
    keeps some garbage now and then, so single readings jump, while a leak raises the
    floor). 0 when no boot was that long."""
    rises = [0]
    for boot in sorted({h[0] for h in heap}):
        live = [h[3] for h in heap if h[0] == boot and h[1] == "saved"]
        if len(live) >= 2 * settle:
            rises.append(min(live[-n:]) - min(live[settle:settle + n]))
    return max(rises)


def _run_once(board, code, kill_at, on_line, state):
    """Run the program from one boot: "done", "killed" (QEMU killed kill_at seconds after
    the program started) or "ended" (mpremote ended without "done": the board stopped)."""
    proc = subprocess.Popen([sys.executable, "-m", "mpremote", "connect", board.device,
                             "exec", code], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    state["started"] = None
    try:
        while True:
            if kill_at is not None and state["started"] is not None \
                    and time.time() - state["started"] > kill_at:
                board.kill()
                return "killed"
            if not sel.select(timeout=0.02):
                continue
            line = proc.stdout.readline()
            if not line:
                return "ended"
            if line.startswith("done"):
                return "done"
            on_line(line)
    finally:
        proc.kill()
        proc.wait()
        sel.close()


def main(argv=None):
    import tempfile
    from tqdm import tqdm
    p = argparse.ArgumentParser(prog="python -m ulearn_dev.soak", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--every", type=int, default=500, help="steps between checkpoints")
    p.add_argument("--cuts", type=int, default=40, help="random cuts (default 40)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="also write the figures here")
    a = p.parse_args(argv)
    try:
        with tempfile.TemporaryDirectory() as tmp, \
                tqdm(total=a.steps, unit=" steps", file=sys.stderr) as bar:
            r = soak(tmp, a.steps, a.every, a.cuts, a.seed, lambda s: bar.update(s - bar.n))
    except KeyboardInterrupt:
        print("soak: interrupted", file=sys.stderr)
        return 130
    live = [h[3] for h in r["heap"]]
    print("| steps | checkpoints | boots | cuts: kill | cuts: write | reloads checked | "
          "reloads of an unreported save | live heap, bytes | its growth in one boot | "
          "problems | time |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print("| {:,} | {} | {} | {} | {} | {} | {} | {:,}..{:,} | {} | {} | {:.0f} s |".format(
        r["steps"], r["saves"], r["boots"], r["cuts"]["kill"], r["cuts"]["write"],
        r["reloads"], r["reload_unreported"], min(live), max(live), r["heap_growth"],
        len(r["problems"]), r["elapsed"]))
    for line in r["problems"]:
        print(line)
    if a.json:
        from ulearn_host.files import write_atomic
        write_atomic(a.json, json.dumps(r, indent=1).encode())
    return 1 if r["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
