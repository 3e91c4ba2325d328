"""The ``ulearn`` command: one handler per verb, as mpremote does it."""
import argparse
import json
import os
import sys

from ulearn import contract

from . import __version__
from .firmware.targets import DEFAULT as FIRMWARE_DEFAULT
from .firmware.targets import FS_TYPES, QEMU_BOARDS


class CommandError(Exception):
    """A user mistake: printed as ``ulearn: message``, exit status 1."""


def _emit(args, data, text):
    print(json.dumps(data, indent=2) if args.json else text)


def _user_errors():
    # exceptions that carry a message for the user rather than a bug
    from ulearn.checkpoint import CheckpointError

    from .board import BoardError
    from .datasets import DatasetUnavailable
    return (CheckpointError, BoardError, DatasetUnavailable, FileNotFoundError)


# -- host work

def do_demo(args):
    if args.which == "tinyol":
        from . import demo_tinyol as demo
        r = demo.run(seed=args.seed, quiet=args.json)
    else:
        from . import demo
        r = demo.run(seed=args.seed, quiet=args.json, device=args.device)
    _emit(args, r, demo.report(r))


def do_datasets(args):
    from . import datasets
    rows = []
    for name, info in datasets.DATASETS.items():
        try:
            info.loader()
            ok = True
        except datasets.DatasetUnavailable:
            ok = False
        rows.append({"name": name, "description": info.description,
                     "installed": ok, "install": info.install})
    _emit(args, rows, "\n".join(
        "%-13s %s (%s)" % (r["name"], r["description"],
                           "installed" if r["installed"] else "missing: " + r["install"])
        for r in rows))


def do_train(args):
    import ulearn

    from . import tasks, train
    try:
        task = tasks.load_task(args.data)
        keep = [c for c in task.names if c not in (args.exclude or [])]
        tasks.class_ids(task, args.exclude or [])  # names any unknown class
        tr = tasks.select(task, "train", keep)
        te = tasks.select(task, "test", keep)
        ids = tasks.class_ids(task, keep)
        remap = {c: i for i, c in enumerate(ids)}
        y = [remap[v] for v in task.y[tr]]
        net = train.train(task.X[tr], y, len(keep), hidden=tuple(args.hidden),
                          epochs=args.epochs, lr=args.lr, seed=args.seed, quiet=args.json)
    except ValueError as e:
        raise CommandError(str(e))
    clf = net.to_classifier(keep)
    names = [task.names[v] for v in task.y[te]]
    acc, per = train.accuracy(clf, task.X[te], names)
    info = dict(task.info, classes=keep, excluded=list(args.exclude or []),
                hidden=list(args.hidden), epochs=args.epochs, seed=args.seed,
                test_accuracy=round(acc, 4), ulearn=__version__)
    ulearn.save(clf, args.output, info)
    r = {"model": args.output, "train_samples": len(tr), "test_samples": len(te),
         "test_accuracy": acc, "per_class": per, "classes": keep,
         "excluded": info["excluded"]}
    _emit(args, r, "trained %s on %d %s samples (%d classes%s); test accuracy %.3f on %d "
          "samples of new subjects/held-out rows\nwrote %s"
          % ("x".join(str(h) for h in [task.X.shape[1]] + args.hidden + [len(keep)]), len(tr),
             args.data, len(keep), ", without " + ", ".join(args.exclude) if args.exclude
             else "", acc, len(te), args.output))


def do_export(args):
    import ulearn
    from .flops import learner_flops

    from . import export
    opt = ulearn.SGD(args.lr, momentum=args.momentum, weight_decay=args.weight_decay,
                     clip=args.clip)
    distil = None
    if args.replay_method:
        distil = {"method": args.replay_method, "fraction": args.replay_fraction,
                  "per_class": args.replay_per_class, "seed": args.seed}
    try:
        meta = export.export(args.model, args.output, int8=args.int8, capacity=args.capacity,
                             optimizer=opt, stats_window=args.stats_window,
                             trainable_last=args.trainable_last, replay=args.replay,
                             replay_k=args.replay_k, distil=distil, grow_step=args.grow_step,
                             max_hidden=args.max_hidden, grow_below=args.grow_below,
                             grow_on_class=not args.no_grow_on_class)
    except ValueError as e:
        raise CommandError(str(e))
    c = meta["config"]
    cost = learner_flops(ulearn.load(args.output))
    r = {"bundle": args.output, "bytes": os.path.getsize(args.output),
         "format_version": meta["version"], "n_features": c["n_features"],
         "capacity": c["capacity"], "labels": meta["state"]["labels"],
         "extractor": c["extractor"], "hidden": c["hidden"], "optimizer": c["optimizer"],
         "replay": c["replay"], "replay_rows": meta["state"].get("replay", {}).get("n", 0),
         "replay_k": c["replay_k"], "flops_inference": cost["inference"],
         "flops_train_step": cost["train_step"]}
    layers = ["%d%s" % (lc["n_out"], " int8" if lc["int8"] else "") for lc in c["extractor"]]
    if c["hidden"]:
        layers.append("%d trainable" % c["hidden"])
    lines = ["wrote %s: %d bytes, format version %d, %d features -> %s -> %d of %d classes used"
             % (args.output, r["bytes"], r["format_version"], r["n_features"],
                " -> ".join(layers) or "(no extractor)", len(r["labels"]), r["capacity"]),
             "labels: " + ", ".join(map(str, r["labels"]))]
    if r["replay"]:
        lines.append("replay memory: %d rows (%d filled), %d replayed per sample"
                     % (r["replay"], r["replay_rows"], r["replay_k"]))
    lines.append("FLOPs: %d per inference, %d per learn_one"
                 % (r["flops_inference"], r["flops_train_step"]))
    _emit(args, r, "\n".join(lines))


def do_stream(args):
    import numpy as np
    from ulearn import stream

    from . import tasks
    try:
        task = tasks.load_task(args.data)
        rows = tasks.select(task, args.split, args.classes)
    except ValueError as e:
        raise CommandError(str(e))
    if len(rows) == 0:
        raise CommandError("no %s rows of those classes in %s" % (args.split, args.data))
    if args.shuffle:
        rows = np.random.default_rng(args.seed).permutation(rows)
    rows = rows[:args.limit] if args.limit else rows
    stream.save(args.output, task.X[rows], task.y[rows], task.names)
    counts = {task.names[c]: int(n) for c, n in zip(*np.unique(task.y[rows], return_counts=True))}
    _emit(args, {"stream": args.output, "samples": len(rows), "per_class": counts},
          "wrote %s: %d samples (%s)" % (args.output, len(rows),
                                          ", ".join("%s %d" % kv for kv in counts.items())))


def do_budget(args):
    from . import budget
    try:
        ulab = None if args.kernels is None else args.kernels == "ulab"
        plans = [budget.plan(args.bundle, b, ulab=ulab) for b in (args.board or budget.profiles())]
        text = [budget.table(plans)]
        if args.sparse:
            text += _sparse_budget(args, budget, plans)
    except ValueError as e:
        raise CommandError(str(e))
    _emit(args, plans, "\n\n".join(text))


def _sparse_budget(args, budget, plans):
    # each board's own selection within its RAM headroom, or one within --budget-bytes
    out, done = [], {}
    for p in plans:
        room = args.budget_bytes or p["ram"]["headroom"]
        if room < 1:
            raise ValueError("%s has no RAM to spare for a sparse update" % p["board"])
        if room not in done:
            done[room] = budget.sparse_plan(args.bundle, args.sparse, room, args.budget_macs,
                                            args.method, args.seed)
            out.append(budget.sparse_table(done[room]))
        p["sparse"] = sp = done[room]
        out.append("%s: %s RAM to spare after this selection" % (
            p["board"], budget.kb(p["ram"]["headroom"] - sp["adds"])))
    return out


def do_report(args):
    from . import report
    try:
        r = report.write(args.docs, args.output)
    except report.ReportError as e:
        raise CommandError(str(e))
    _emit(args, r, report.summary(r))


# -- board work

def _board(args, soft_reset=True):
    from .board import Board
    return Board(args.device, soft_reset=soft_reset)


def do_deploy(args):
    from ulearn.checkpoint import read_meta

    from . import deploy
    from .progress import bytes_bar
    read_meta(args.bundle)  # refuse a bad bundle before touching the board
    for p in args.file or []:
        if not os.path.isfile(p):
            raise CommandError("no such file: %s" % p)
    with _board(args) as board:
        with bytes_bar(None, "deploying", args.json) as bar:
            r = deploy.deploy(board, args.bundle, args.file or [], mode=args.mode,
                              keep_state=args.keep_state, bar=bar.update, check=not args.force)
    written = [f for f in r["files"] if f["action"] == "written"]
    _emit(args, r, "%s %s (%s)\n%d files written, %d already identical; all verified by "
          "SHA-256 on the board\nactive bundle: %s" % (
              r["board"]["impl"], r["board"]["version"], r["package"], len(written),
              len(r["files"]) - len(written), deploy.BUNDLE))


def do_run(args):
    from . import run
    if args.target.endswith(".py"):
        if not os.path.isfile(args.target):
            raise CommandError("no such file: %s" % args.target)
        with open(args.target) as f:
            code = f.read()
    else:
        try:
            code = run.entry_code(args.target, args.args)
        except ValueError as e:
            raise CommandError(str(e))
    with _board(args, soft_reset=not args.no_reset) as board:
        reports = run.run(board, code, sys.stderr if args.json else sys.stdout,
                          timeout=args.timeout)
    if args.json:
        print(json.dumps(reports, indent=2))


def do_pull(args):
    from . import deploy
    os.makedirs(args.dest, exist_ok=True)
    from .progress import bytes_bar
    with _board(args, soft_reset=False) as board:
        with bytes_bar(None, "pulling", args.json) as bar:
            r = deploy.pull(board, args.paths or deploy.PULL, args.dest, bar.update)
    _emit(args, r, "\n".join(
        "%s -> %s (%d bytes, SHA-256 verified)" % (f["path"], f["local"], f["bytes"])
        if f["action"] == "pulled" else "%s: not on the board" % f["path"] for f in r))


def do_fed(args):
    from tqdm import tqdm

    from .fed import boards
    try:
        strat = boards.strategy(args.strategy, args.steps, args.epochs, args.lr, args.beta,
                                args.per_round)
    except ValueError as e:
        raise CommandError(str(e))
    bar = tqdm(total=args.rounds, desc="rounds", unit=" rounds", leave=False,
               disable=args.json or not sys.stderr.isatty())

    def line(rnd, theta, entry):
        bar.update()
        for name, why in entry["skipped"].items():
            bar.write("ulearn: warning: round %d: skipped %s (%s)" % (rnd, name, why),
                      file=sys.stderr)
        if not args.json:
            bar.write("round %d: %s trained, theta saved to %s" % (
                rnd, ", ".join(n for n in entry["clients"] if n not in entry["skipped"]) or
                "no board", args.output))
    try:
        history = boards.federate(args.bundle, args.device, args.output, args.rounds, strat,
                                  args.stream, args.seed, on_round=line)
    except ValueError as e:
        raise CommandError(str(e))
    finally:
        bar.close()
    r = {"output": args.output, "rounds": history}
    _emit(args, r, "%d rounds run; the initialisation is in %s" % (len(history), args.output))


def do_package(args):
    from . import package
    try:
        names, why = package.write(args.output, args.form)
    except ValueError as e:
        raise CommandError(str(e))
    manifest = os.path.join(args.output, "package.json")
    _emit(args, {"package": manifest, "files": names, "form": why},
          "wrote %s: %d files, %s\ninstall: mpremote mip install %s"
          % (manifest, len(names), why, manifest))


# -- firmware and virtual boards

def do_firmware(args):
    from . import firmware
    from .firmware.make import main_progress
    if args.action == "list":
        rows = [{"target": n, "about": t.about, "built": str(firmware.product(n) or ""),
                 "missing_tools": firmware.missing_tools(n)} for n, t in firmware.TARGETS.items()]
        _emit(args, rows, "\n".join("%-12s %s\n             %s" % (
            r["target"], r["about"], r["built"] or "not built" + (
                " (needs: apt-get install %s)" % " ".join(r["missing_tools"])
                if r["missing_tools"] else "")) for r in rows))
        return
    targets = list(firmware.TARGETS) if "all" in (args.target or []) else (
        args.target or list(firmware.DEFAULT))
    try:
        if args.action == "path":
            paths = {t: str(firmware.require(t)) for t in targets}
        else:
            paths = {t: str(p) for t, p in firmware.build(
                targets, src=args.src, jobs=args.jobs, force=args.force,
                progress=main_progress(args.json)).items()}
    except (firmware.FirmwareError, ValueError) as e:
        raise CommandError(str(e))
    _emit(args, paths, "\n".join("%-12s %s" % kv for kv in paths.items()))


def do_vboard(args):
    from . import vboard
    try:
        if args.action == "start":
            b = vboard.VBoard(args.board, vboard.parse_size(args.heap), args.fs, args.fs_type,
                              vboard.parse_size(args.fs_size) if args.fs_size else None,
                              "socket" if args.socket else "pty",
                              None if args.icount < 0 else args.icount)
            b.start()
            if b.warning:
                print("ulearn: warning: %s" % b.warning, file=sys.stderr)
            _emit(args, b.record(), b.device if args.quiet else
                  "%s\nboard %s, heap %d bytes, %s on %s (pid %d)\ntry: mpremote connect %s fs ls :"
                  % (b.device, b.board, b.heap, b.fs_type, b.fs, b.pid, b.device))
        elif args.action == "stop":
            if not (args.fs or args.device or args.all):
                args.fs = vboard.default_fs(args.board)
            gone = vboard.stop(args.fs, args.device, args.all)
            _emit(args, gone, "\n".join("stopped %s (%s)" % (r["device"], r["fs"]) for r in gone)
                  or "no virtual board was running")
        else:
            rows = vboard.boards()
            _emit(args, rows, "\n".join("%s  %s heap %d  %s %s  pid %d" % (
                r["device"], r["board"], r["heap"], r["fs_type"], r["fs"], r["pid"])
                for r in rows) or "no virtual board is running")
    except (vboard.VBoardError, ValueError) as e:
        raise CommandError(str(e))


# -- parser

def _parser():
    p = argparse.ArgumentParser(
        prog="ulearn", description="ulearn host companion: on-device continual learning "
        "for MicroPython and CircuitPython boards.")
    p.add_argument("--version", action="version", version="ulearn " + __version__)
    sub = p.add_subparsers(dest="verb", metavar="COMMAND")
    sub.required = True

    def verb(name, handler, help, description, json_out=True, board=False):
        s = sub.add_parser(name, help=help, description=description)
        if json_out:
            s.add_argument("--json", action="store_true", help="print the result as JSON")
        if board:
            s.add_argument("-d", "--device", default=os.environ.get("ULEARN_DEVICE", "auto"),
                           help="the board, as mpremote names it: auto, a0/u0/c0, id:SERIAL, "
                           "port:PATH, a device path, or socket://HOST:PORT "
                           "(default: $ULEARN_DEVICE or auto)")
        s.set_defaults(handler=handler)
        return s

    d = verb("demo", do_demo, "the whole path on a virtual board: train, deploy, learn, pull",
             "board (default): train a model on real smartwatch IMU data on the host, deploy "
             "it to a board over mpremote (a virtual board: MicroPython firmware under QEMU, "
             "built by `ulearn firmware build`, unless --device names one), let the board learn a "
             "new exercise online and checkpoint, pull the checkpoint and check it on the "
             "host. tinyol: online learning from scratch and anomaly detection, run in-process.")
    d.add_argument("which", nargs="?", choices=["board", "tinyol"], default="board",
                   help="which demo (default board)")
    d.add_argument("--seed", type=int, default=0, help="order of the data (default 0)")
    d.add_argument("--device", default=None,
                   help="a real board (mpremote name or URL) instead of a virtual one")

    verb("datasets", do_datasets, "list the offline datasets and whether they are installed",
         "List the real public datasets ulearn reads offline.")

    t = verb("train", do_train, "train a feature extractor and head on a dataset (host)",
             "Train a small network (relu hidden layers + softmax head) on a dataset's "
             "training split with minibatch SGD, running the device package's own layer "
             "code on numpy. Writes a model file (a ulearn checkpoint) that `ulearn export` "
             "turns into a bundle for a board.")
    t.add_argument("--data", choices=["watch", "digits"], default="watch",
                   help="watch: smartwatch exercises, 26 window features, subjects 1-7 "
                   "train / 8-10 test; digits: 8x8 images, 70/30 split (default watch)")
    t.add_argument("--exclude", action="append", metavar="CLASS",
                   help="leave this class out (repeatable), e.g. for a board to learn later")
    t.add_argument("--hidden", type=int, nargs="+", default=[32],
                   help="widths of the hidden layers (default 32)")
    t.add_argument("--epochs", type=int, default=40, help="passes over the data (default 40)")
    t.add_argument("--lr", type=float, default=0.05, help="learning rate (default 0.05)")
    t.add_argument("--seed", type=int, default=0, help="initialisation and order (default 0)")
    t.add_argument("-o", "--output", default="model.npz", help="model file (default model.npz)")

    e = verb("export", do_export, "turn a trained model into a bundle for a board",
             "Write the bundle a board loads: frozen extractor (float32 or --int8 with one "
             "scale per row), the head with room for new classes (--capacity), input "
             "statistics, labels, the optimizer the board learns with, and metadata.")
    e.add_argument("model", help="a model file from `ulearn train`")
    e.add_argument("-o", "--output", default="bundle.npz", help="bundle (default bundle.npz)")
    e.add_argument("--int8", action="store_true", help="store extractor weights as int8")
    e.add_argument("--capacity", type=int, help="head rows: trained classes + room for new ones")
    e.add_argument("--lr", type=float, default=0.02, help="board learning rate (default 0.02)")
    e.add_argument("--momentum", type=float, default=0.5, help="board momentum (default 0.5)")
    e.add_argument("--weight-decay", type=float, default=0.0, help="default 0")
    e.add_argument("--clip", type=float, default=5.0, help="gradient norm clip (default 5)")
    e.add_argument("--stats-window", type=int, default=0,
                   help="let the input statistics forget over this many samples (0: never)")
    e.add_argument("--trainable-last", action="store_true",
                   help="keep the last hidden layer trainable on the board (it can grow)")
    e.add_argument("--replay", type=int, default=0,
                   help="rows of the board's replay memory (default 0; grows to hold a "
                   "--replay-method set)")
    e.add_argument("--replay-k", type=int, default=2,
                   help="replayed samples trained on with each new one (default 2)")
    e.add_argument("--replay-method", choices=["dm", "herding", "random"],
                   help="fill the replay memory from the model's training data: dm "
                   "(distribution matching), herding or random")
    e.add_argument("--replay-fraction", type=float, default=0.01,
                   help="size of that set as a fraction of the data (default 0.01)")
    e.add_argument("--replay-per-class", type=int, help="or this many rows per class")
    e.add_argument("--seed", type=int, default=0, help="for the replay set (default 0)")
    e.add_argument("--grow-step", type=int, default=0,
                   help="units the trainable layer gains when a class arrives (default 0)")
    e.add_argument("--max-hidden", type=int, default=0, help="largest width it may grow to")
    e.add_argument("--grow-below", type=float, default=0.0,
                   help="also grow when accuracy on the replay memory falls below this")
    e.add_argument("--no-grow-on-class", action="store_true",
                   help="grow only on that accuracy drop, not when a class arrives")

    s = verb("stream", do_stream, "write a labelled sample stream for a board to learn from",
             "Write rows of a dataset as a stream file (x.npy, y.npy, labels.json) that a "
             "board reads one row at a time; copy it with `ulearn deploy --file`.")
    s.add_argument("--data", choices=["watch", "digits"], default="watch")
    s.add_argument("--split", choices=["train", "test"], default="train")
    s.add_argument("--classes", type=lambda v: v.split(","), help="comma-separated class names")
    s.add_argument("--limit", type=int, help="at most this many rows")
    s.add_argument("--shuffle", action="store_true", help="shuffle the rows (else dataset order)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("-o", "--output", default="stream.npz")

    b = verb("budget", do_budget, "RAM and flash a bundle needs on board profiles",
             "Say what a bundle plus its learner needs in RAM (arrays, working buffers, "
             "the package itself) and flash (package, bundle, checkpoints) on each board "
             "profile, and what does not fit by how much.")
    b.add_argument("bundle", help="a bundle from `ulearn export`")
    b.add_argument("--board", action="append", help="profile name (repeatable; default all)")
    b.add_argument("--kernels", choices=["ulab", "python"],
                   help="plan for these kernels (default: what each profile's firmware has)")
    b.add_argument("--sparse", metavar="SUPPORT",
                   help="also plan a sparse update (TinyTrain) from this support set, a stream "
                   "file from `ulearn stream`: the channels of the frozen layers the board "
                   "would train")
    b.add_argument("--budget-bytes", type=int,
                   help="memory budget of the sparse update (default: each board's RAM to spare)")
    b.add_argument("--budget-macs", type=int, help="backward MACs per step (default: no limit)")
    b.add_argument("--method", choices=["fisher", "l2", "random"], default="fisher",
                   help="how channels are scored (default fisher)")
    b.add_argument("--seed", type=int, default=0, help="for --method random")

    fd = verb("fed", do_fed, "federated meta-learning rounds over boards (TinyReptile)",
              "Learn an initialisation across boards: each round the host sends the weights "
              "(the bundle's trainable layers) to a board, the board trains on its own stream "
              "(ulearn.app.inner) and sends its weights back, and the host applies the "
              "strategy's update. The output is saved after every round and a stopped run "
              "resumes from it; a board that drops is skipped with a warning. Deploy the "
              "bundle and a stream to every board first.")
    fd.add_argument("bundle", help="a bundle from `ulearn export` (its trainable layers are learned)")
    fd.add_argument("-d", "--device", action="append", required=True,
                    help="a board, as mpremote names it or a socket:// URL (repeat for each)")
    fd.add_argument("-o", "--output", default="theta.npz",
                    help="the learned initialisation, a bundle (default theta.npz)")
    fd.add_argument("--strategy", choices=["tinyreptile", "reptile", "fedavg"],
                    default="tinyreptile")
    fd.add_argument("--rounds", type=int, default=20)
    fd.add_argument("--steps", type=int, default=20,
                    help="single-sample steps per board and round (tinyreptile, reptile)")
    fd.add_argument("--epochs", type=int, default=1, help="passes over the stream (fedavg)")
    fd.add_argument("--lr", type=float, default=0.05, help="the boards' learning rate")
    fd.add_argument("--beta", type=float, default=1.0,
                    help="outer step, annealed linearly over the rounds (tinyreptile, reptile)")
    fd.add_argument("--per-round", type=int, default=2,
                    help="boards per round (reptile, fedavg; tinyreptile asks one)")
    fd.add_argument("--stream", default=contract.STREAM,
                    help="the stream file on each board (default %s)" % contract.STREAM)
    fd.add_argument("--seed", type=int, default=0)

    rp = verb("report", do_report, "gather every benchmark page into one report (.md or .html)",
              "Write one page from the benchmark pages in --docs (benchmarks.md, incremental.md, "
              "sparse.md, fed.md, device.md, written by tools/bench_*.py): where each came from, "
              "a table of contents, their Summary and Target(s) paragraphs as headline figures, "
              "then each page with a caption after every table naming the command that made it "
              "and its section. A missing page is reported with the command that makes it. The "
              "output's suffix picks the format: .md (images linked relative to it) or .html (one "
              "self-contained file, images embedded; needs the markdown package: "
              "pip install -e \".[report]\").")
    rp.add_argument("--docs", default="docs", help="folder of the benchmark pages (default docs)")
    rp.add_argument("-o", "--output", help="the report, .md or .html (default DOCS/report.md)")

    dp = verb("deploy", do_deploy, "copy the device package and a bundle to a board",
              "Copy the device package (.mpy compiled for the board's bytecode version when "
              "mpy-cross can, else .py) to /lib/ulearn and the bundle to /ulearn-data/bundle.npz. "
              "A learner that needs more heap than the board has free is refused first. "
              "Every file is checked by SHA-256 on the board; identical files are skipped; a "
              "new bundle is staged, verified and loaded once on the board before it replaces "
              "the active one.", board=True)
    dp.add_argument("bundle", help="a bundle from `ulearn export`")
    dp.add_argument("--file", action="append", metavar="PATH",
                    help="another file for the board's /ulearn folder (repeatable)")
    dp.add_argument("--mode", choices=["auto", "mpy", "py"], default="auto",
                    help="package form (default auto)")
    dp.add_argument("--keep-state", action="store_true",
                    help="keep the board's learned state when the bundle changes "
                    "(default: moved to /ulearn-data/state.npz.bak)")
    dp.add_argument("--force", action="store_true",
                    help="copy even when `ulearn budget` plans more heap than the board has free")

    r = verb("run", do_run, "run a script or an entry point on a board, streaming its output",
             "Run a local .py file on the board, or an entry point of ulearn.app with "
             "key=value arguments, e.g. `ulearn run learn stream=/ulearn-data/stream.npz every=50` "
             "or `ulearn run evaluate stream=/ulearn-data/test.npz`. Output streams as it comes; "
             "with --json the board's reports are printed as JSON at the end.", board=True)
    r.add_argument("target", help="a .py file, or learn / evaluate")
    r.add_argument("args", nargs="*", help="key=value arguments of the entry point")
    r.add_argument("--timeout", type=float, default=None,
                   help="give up after this many silent seconds (default: wait)")
    r.add_argument("--no-reset", action="store_true",
                   help="do not soft-reset the board first (keep its state, like mpremote resume)")

    pl = verb("pull", do_pull, "fetch checkpoints and logs from a board",
              "Copy the board's learned state and logs (default /ulearn-data/state.npz, "
              "/ulearn-data/log.txt, /ulearn-data/log.txt.1) into a folder, each checked against the "
              "SHA-256 the board computes.", board=True)
    pl.add_argument("paths", nargs="*", help="board paths (default: state and logs)")
    pl.add_argument("--dest", default=".", help="local folder (default .)")
    pk = verb("package", do_package, "the device package as a mip package of .mpy files",
              "Write DIR/package.json and DIR/ulearn/*.mpy (bytecode v6, compiled by mpy-cross "
              "for every MicroPython since 1.22) for `mpremote mip install DIR/package.json`, "
              "which puts them in the board's /lib/ulearn. A board imports .mpy without "
              "compiling, which a small heap cannot always afford. Remove older .py files "
              "there first (`mpremote rm -r :lib/ulearn`): a .py shadows its .mpy. `ulearn "
              "deploy` does all of this itself.")
    pk.add_argument("-o", "--output", default="ulearn-mpy",
                    help="the package folder (default ulearn-mpy)")
    pk.add_argument("--form", choices=["mpy", "py"], default="mpy",
                    help="bytecode (default) or sources")

    fw = verb("firmware", do_firmware, "build real MicroPython/CircuitPython interpreters and "
              "board firmware from pinned sources",
              "build: compile the targets (default: %s; --target all for every one) from the "
              "pinned sources in --src or $ULEARN_FIRMWARE_SRC (the firmware kit's archives, "
              "SHA-256 checked), or else fetched with git at the pinned commits. Products are "
              "cached in the user's cache folder, keyed by sources and options: a second build "
              "is a no-op. list: the targets and whether each is built. path: where a built "
              "target is." % ", ".join(FIRMWARE_DEFAULT))
    fw.add_argument("action", choices=["build", "list", "path"])
    fw.add_argument("--target", action="append", metavar="T",
                    help="a target (repeatable), or all; see `ulearn firmware list`")
    fw.add_argument("--src", help="folder holding the pinned source archives "
                    "(default: $ULEARN_FIRMWARE_SRC, else fetch from upstream)")
    fw.add_argument("--jobs", type=int, help="parallel compile jobs (default: CPU count)")
    fw.add_argument("--force", action="store_true", help="build even if cached")

    vb = verb("vboard", do_vboard, "start, stop or list virtual boards (MicroPython under QEMU)",
              "start: boot the QEMU board firmware (build it first: `ulearn firmware build`) "
              "with its UART on a pseudo-terminal and print the device name for `mpremote "
              "connect`; its flash is a littlefs (or FAT) image in a host file, so killing "
              "QEMU is a power cut. One board per image; several may run at once. stop: stop "
              "the board on --fs (default image), at --device, or --all. status: list the "
              "running boards.")
    vb.add_argument("action", choices=["start", "stop", "status"])
    vb.add_argument("--board", choices=list(QEMU_BOARDS), default="m3",
                    help="m3: Cortex-M3 MPS2-AN385, soft float (default); m7: Cortex-M7 "
                    "MPS2-AN500 with FPU; rv32: RISC-V 32 (ESP32-C3 class)")
    vb.add_argument("--heap", default="192K", help="GC heap, fixed at boot (default 192K, as "
                    "an RP2040; at most 1M)")
    vb.add_argument("--fs", help="image file of the board's flash (created if missing; "
                    "default: one per board type in the cache)")
    vb.add_argument("--fs-type", choices=FS_TYPES, default=FS_TYPES[0],
                    help="filesystem of a new image: littlefs (default) or FAT")
    vb.add_argument("--fs-size", help="size of a new image (default 1M)")
    vb.add_argument("--socket", action="store_true",
                    help="UART on socket://127.0.0.1:PORT instead of a pseudo-terminal")
    vb.add_argument("--icount", type=int, default=3,
                    help="QEMU instruction counting shift: deterministic time (default 3; "
                    "-1: off)")
    vb.add_argument("-q", "--quiet", action="store_true", help="start: print only the device")
    vb.add_argument("--device", help="stop: the board at this device")
    vb.add_argument("--all", action="store_true", help="stop: every board")
    return p


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        args.handler(args)
    except CommandError as e:
        print("ulearn: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ulearn: interrupted", file=sys.stderr)
        return 130
    except _user_errors() as e:
        print("ulearn: %s" % (e.strerror + ": " + e.filename if isinstance(
            e, FileNotFoundError) and e.filename else e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
