"""The page's head (command, environment, seeds) and its Setup section:
the streams, the model, the two paths, the replay sets."""
import platform

import numpy as np

from tools.benchkit import machine, table

from . import data
from .settings import (BOARD_CLIP, BOARD_MOM, FRACTION, HIDDEN, HOST_BS, HOST_EPOCHS, HOST_MOM, HOST_WD,
                       QUICK, STREAM_NAMES)


def environment():
    return "CPython %s, numpy %s; %s" % (platform.python_version(), np.__version__, machine())


def head(cmd, args, seeds, tseeds):
    """The page's first lines; main fills in {elapsed}, the run times and
    {summary} at the end."""
    return ["# ulearn class-incremental benchmark\n",
            "Reproduce from the repository root (≈ {elapsed} on the machine below):\n",
            "```\n%s\n```\n" % cmd,
            "Environment: %s; %d worker process(es), one BLAS thread each. Test seeds: %s; tuning seeds: "
            "%s.%s\n"
            % (environment(), args.jobs, ", ".join(map(str, seeds)), ", ".join(map(str, tseeds)),
               " **Quick (smoke) run: Fashion-MNIST cut to %d training / %d test rows per class, small "
               "grids; "
               "not the reference figures.**" % (QUICK["fashion_train"], QUICK["fashion_test"])
               if args.quick else ""),
            "{summary}\n"]


def fashion_memory():
    # bytes of the 1% replay memory (int8 row + scale + label) and of the
    # trainable relu layer with its momentum buffers, at 7x7 and at 14x14
    if ("fashion", "final") not in data.DATA:
        return "Fashion-MNIST not run"
    d = data.DATA["fashion", "final"]
    cap = data.budget(d["ytr"], range(d["n_classes"]), FRACTION)
    kb = lambda n: "%.0f KB" % (n / 1024)  # noqa: E731
    return ("at 7x7 the 1%% replay memory (%d rows) takes %s and the %d-unit trainable layer with momentum "
            "%s; at 14x14 they would take %s and %s, next to a 264 KB RP2040's heap"
            % (cap, kb(cap * (49 + 8)), HIDDEN, kb(8 * (49 * HIDDEN + HIDDEN)), kb(cap * (196 + 8)),
               kb(8 * (196 * HIDDEN + HIDDEN))))


def setup_text(streams, info):
    md = ["## Setup\n"]
    rows = []
    for s in streams:
        i = info[s]
        tasks_ = " / ".join("{" + ", ".join(i["names"][c] for c in t) + "}" for t in i["tasks"])
        d = data.DATA[s, "final"]
        cap = data.budget(d["ytr"], range(d["n_classes"]), FRACTION)
        rows.append([STREAM_NAMES[s], tasks_, "%d / %d / %d / %d" % i["n"], str(i["d"]),
                     "%d rows, %d B" % (cap, cap * (i["d"] + 8)), i["how"]])
    md.append(table(["stream", "tasks (in order)", "train' / validation / train / test rows", "inputs",
                     "replay memory at 1% (int8 rows + scale + label)", "data"], rows) + "\n")
    md.append(
        "* **Inputs** are scaled on the host with fixed constants, so every row sees the same front end and "
        "the replay memory's stored rows stay valid: pixels divided by their full scale (16 for digits, 255 "
        "for Fashion-MNIST), watch features standardised with the first task's training mean and std (what a "
        "bundle carries). The Classifier runs with `standardize=False` (with a replay memory its scaler "
        "would be frozen anyway). Fashion-MNIST is averaged from 28x28 to **7x7** (49 inputs), for the "
        "board's memory: %s.\n" % fashion_memory())
    md.append(
        "* **Model**: [frozen front end] -> trainable `hidden` relu layer (%d units; the adaptive model "
        "starts smaller and grows) -> softmax head with a row per class seen so far. The front end (none, or "
        "an extractor trained on the first task only) is chosen on validation, below. The replay memory "
        "lives in the trainable part's input space (what the board stores). The adaptive model widens its "
        "hidden layer when a new class arrives and/or when its accuracy on the replay memory falls below a "
        "threshold (`Classifier(grow_step=, max_hidden=, grow_below=, grow_on_class=)`); which triggers, "
        "the start width and the step are chosen on validation.\n" % HIDDEN)
    md.append(
        "* **Board path**: `ulearn.Classifier(d, classes, hidden=%d, replay=M, replay_k=k, optimizer=SGD(lr, "
        "momentum=%g, clip=%g), standardize=False, seed=s+1)` on CPython/numpy, each task's training rows "
        "once, shuffled, through `learn_one`. M is the 1%% budget of the whole stream, allocated up front as "
        "on a board. **How the 1%% set reaches the memory** (chosen): after the board has learned a task, "
        "the host builds that task's set (`ulearn_host.distill.replay_set(X_task, y_task, method, "
        "fraction=0.01)`, in the stored space) and the board's memory receives the union of the sets of all "
        "tasks so far (`load_replay`, which replaces the contents). While a task is learned, `learn_one` "
        "also offers every new sample to the memory: the slots the union does not fill (the budget of the "
        "tasks still to come) take the current task's samples by the class-balanced reservoir, and the "
        "loaded rows are never evicted (the old classes are never the largest). So each learn_one trains on "
        "the new sample and on k rows drawn uniformly from the memory (old classes' sets plus current-task "
        "samples). The *reservoir only* row is what a board does without a host: the same memory, filled "
        "only by the reservoir. *No replay* and *joint* have no memory; joint sees all tasks' rows shuffled "
        "in one stream, once.\n" % (HIDDEN, BOARD_MOM, BOARD_CLIP))
    md.append(
        "* **Host path**: the same trainable part (`ulearn.Dense` relu + head, the device's layer code) on "
        "`ulearn_host.batch` kernels, SGD with momentum %g and weight decay %g, %s epochs per task; each "
        "minibatch holds %d of the task's rows and k x %d rows drawn from the replay memory (the union of "
        "the previous tasks' sets; the current task needs none: all its rows are there). Joint: the same "
        "epochs over all the data at once. The head gets rows in order of class arrival, as on the board; "
        "for the adaptive model the hidden layer is widened with the device's `ulearn.grow.widen`, on the "
        "same triggers (each new class but the first, when its task starts, if on; replay accuracy after "
        "each epoch).\n"
        % (HOST_MOM, HOST_WD, "/".join("%s %d" % kv for kv in HOST_EPOCHS.items()), HOST_BS, HOST_BS))
    md.append(
        "* **Replay sets**: *random* (rows drawn per class), *herding* (iCaRL: rows whose running mean "
        "tracks the class mean) and *dm* (distribution matching: synthetic rows moved so that their mean "
        "embedding under a fresh random relu network matches the real rows'; `replay_set` defaults: 1000 "
        "iterations, lr 0.1, width 128, batches of 256 per class; not tuned), each with 1% of every class's "
        "training rows (at least 1: Split-digits gets 1 row per class). The set of task t is built from task "
        "t's rows only, once it has been seen (as in Rüb et al.). The set of the last task is not built: "
        "nothing is trained after it.\n")
    return md
