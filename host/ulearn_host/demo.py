"""``ulearn demo``: the whole path, host to board and back.

1. On the host: train a feature extractor and head on smartwatch exercise
   windows (subjects 1-7) without one exercise, and export an int8 bundle with
   room for more classes.
2. Deploy the package and bundle to a board over mpremote: a virtual board
   (MicroPython firmware on an emulated Cortex-M3 under QEMU, see
   :mod:`ulearn_host.vboard`) unless a real one is named.
3. On the board: evaluate on new subjects, learn online from a stream in
   which the missing exercise appears, checkpoint, evaluate again.
4. Pull the checkpoint and log, load the checkpoint on the host and measure
   what the board reported.
"""
import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

import ulearn

from . import deploy, evaluate, tasks, train
from .board import Board, BoardError
from .export import export
from .run import entry_code, run as run_on
from .vboard import VBoard, VBoardError

NEW = "ROW"  # upright row: the exercise the board learns itself
# what the demo writes over on a board named with --device (asked first: `ulearn demo --yes`)
REPLACES = "%s and %s/ (bundle, state, log, learn.npz, test.npz)" % (deploy.LIB, deploy.HOME)


def run(seed=0, quiet=False, device=None, out=None):
    """Run the demo; returns a dict of its figures. `out` gets the board's output.
    Its files (model, bundle, streams, the virtual board's flash, what was pulled)
    are in a temporary folder, removed at the end, as after an error or Ctrl-C."""
    with tempfile.TemporaryDirectory(prefix="ulearn-demo-") as work:
        return _run(Path(work), seed, quiet, device, out)


def _run(work, seed, quiet, device, out):
    out = out or (io.StringIO() if quiet else sys.stdout)
    task = tasks.load_task("watch")
    say = (lambda *a: None) if quiet else (lambda msg: print(msg, file=out))
    with _board(device, work) as (name, board):  # first, so that a missing board fails at once
        old, bundle, learn, test, test_rows = _make(task, work, seed, quiet, say)
        say("== board (%s): deploying" % name)
        done = deploy.deploy(board, bundle, [learn, test])
        say("   %s %s, package as %s; %d files verified by SHA-256 on the board"
            % (done["board"]["impl"], done["board"]["version"], done["package"],
               len(done["files"])))
        home = deploy.HOME
        before = run_on(board, entry_code("evaluate", ["stream=%s/test.npz" % home]), out)[-1]
        learned = run_on(board, entry_code("learn", ["stream=%s/learn.npz" % home,
                                                      "every=200"]), out)[-1]
        after = run_on(board, entry_code("evaluate", ["stream=%s/test.npz" % home]), out)[-1]
        pulled = deploy.pull(board, dest=str(work))

    state = ulearn.load(str(work / "state.npz"))
    names = [task.names[v] for v in task.y[test_rows]]
    host_acc, host_per = evaluate.holdout(state, task.X[test_rows], names)
    board_per = {k: h / n for k, (h, n) in after["per_class"].items()}
    return {
        "board": name, "package": done["package"], "new_class": NEW, "old_classes": old,
        "bundle_bytes": os.path.getsize(bundle),
        "learn_samples": learned["n"], "prequential_accuracy": learned["prequential"],
        "board_accuracy_before": before["accuracy"], "board_accuracy_after": after["accuracy"],
        "board_new_class_before": _rate(before["per_class"].get(NEW)),
        "board_old_classes_before": _rate(_others(before["per_class"])),
        "board_old_classes_after": _rate(_others(after["per_class"])),
        "board_new_class_after": board_per.get(NEW),
        "host_accuracy_after": host_acc, "host_new_class_after": host_per.get(NEW),
        "pulled": [p["path"] for p in pulled if p["action"] == "pulled"],
        "test_windows": len(test_rows),
    }


def _make(task, work, seed, quiet, say):
    # the host's part: a bundle without NEW, a stream to learn from, one to test on
    old = [c for c in task.names if c != NEW]
    tr = tasks.select(task, "train", old)
    say("== host: training on %d windows of %d exercises (without %s)" % (len(tr), len(old), NEW))
    net = train.train(task.X[tr], [old.index(task.names[v]) for v in task.y[tr]], len(old),
                      hidden=(32,), epochs=30, seed=seed, quiet=quiet)
    model, bundle = str(work / "model.npz"), str(work / "bundle.npz")
    ulearn.save(net.to_classifier(old), model, dict(task.info, classes=old))
    export(model, bundle, int8=True, capacity=8,
           optimizer=ulearn.SGD(0.02, momentum=0.5, clip=5.0))
    rng = np.random.default_rng(seed)
    learn_rows = rng.permutation(tasks.select(task, "train"))[:600]
    test_rows = tasks.select(task, "test")
    learn, test = str(work / "learn.npz"), str(work / "test.npz")
    ulearn.stream.save(learn, task.X[learn_rows], task.y[learn_rows], task.names)
    ulearn.stream.save(test, task.X[test_rows], task.y[test_rows], task.names)
    say("   bundle: %d bytes (int8 extractor, 8 class rows, %d used)"
        % (os.path.getsize(bundle), len(old)))
    return old, bundle, learn, test, test_rows


def _rate(hits_n):
    return hits_n[0] / hits_n[1] if hits_n else None


def _others(per_class):
    # [hits, n] over every class but the new one
    rows = [c for label, c in per_class.items() if label != NEW]
    return [sum(c[0] for c in rows), sum(c[1] for c in rows)]


@contextlib.contextmanager
def _board(device, work):
    # the named board, or a virtual one (QEMU) on an image in `work`, stopped at the end
    if device:
        with Board(device) as board:
            yield device, board
        return
    try:
        vb = VBoard(fs=work / "flash.img")
        vb.start()
    except (VBoardError, ValueError) as e:
        raise BoardError("the demo's virtual board: %s (or name a board with --device)" % e)
    try:
        with Board(vb.device) as board:
            yield "virtual board %s under QEMU" % vb.device, board
    finally:
        vb.stop()


def report(r):
    """The demo's figures as text."""
    pct = lambda v: "n/a" if v is None else "%.1f%%" % (100 * v)  # noqa: E731
    return "\n".join([
        "",
        "ulearn demo: train on the host, learn on the board, check on the host",
        "  board: %s; package as %s" % (r["board"], r["package"]),
        "  bundle: %d bytes, trained without '%s'" % (r["bundle_bytes"], r["new_class"]),
        "  on the board, new subjects (%d windows): accuracy %s before, %s after learning"
        % (r["test_windows"], pct(r["board_accuracy_before"]), pct(r["board_accuracy_after"])),
        "  new exercise '%s' on new subjects: %s before, %s after (board), %s (host, pulled "
        "checkpoint)" % (r["new_class"], pct(r["board_new_class_before"]),
                         pct(r["board_new_class_after"]), pct(r["host_new_class_after"])),
        "  the %d exercises it was trained on: %s before, %s after (interference from learning "
        "without replay)" % (len(r["old_classes"]), pct(r["board_old_classes_before"]),
                             pct(r["board_old_classes_after"])),
        "  online learning on the board: %d windows, prequential accuracy %s"
        % (r["learn_samples"], pct(r["prequential_accuracy"])),
        "  pulled: %s" % ", ".join(r["pulled"]),
    ])
