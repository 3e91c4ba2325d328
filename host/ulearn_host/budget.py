"""Will a learner fit a board? The RAM and flash of one bundle on a board profile.

RAM: the device package once imported, the learner's Python objects, its
arrays (exact, from the checkpoint layout) and its working vectors (found on a
learner built from the config), all read through ``ulearn_host.anatomy``, the
allocator's headers and rounding, plus the larger transient of a learn_one
step (what it holds at once; what it allocates, replay steps included, is
``step_alloc``) or a checkpoint load/save, plus a margin for the holes that importing
the package and loading the bundle leave in the heap. Constants that are not
arithmetic on the layout were measured in real MicroPython interpreters (the
unix port built 32-bit with float32, without ulab and with real ulab) by
``tools/measure_ram.py`` (``ram_costs.json``); the margin is not derived:
it is fitted to the smallest heap each benchmark learner runs in on the
virtual board (``tools/fit_budget.py``), and the need is that heap. Flash: the device package as
``ulearn deploy`` copies it (.mpy compiled by mpy-cross, else .py), the
bundle, the checkpoint twice (a save writes PATH.tmp, then replaces PATH) and
the log, each rounded up to the filesystem's blocks. Board figures are the
typical ones in ``boards.json``. Sizes are bytes; KB in text is 1024 bytes.

Example
-------
>>> from ulearn_host import budget
>>> plans = [budget.plan("bundle.npz", name) for name in budget.profiles()]  # doctest: +SKIP
>>> print(budget.table(plans))                                               # doctest: +SKIP
>>> budget.plan("bundle.npz", "rp2040")["verdicts"]                           # doctest: +SKIP
['RAM: needs 38.0 KB of 219.7 KB free heap on rp2040: 181.8 KB to spare', 'Flash: ...']
"""
import inspect
import json
import os
from functools import lru_cache
from pathlib import Path

from ulearn import checkpoint
from ulearn.contract import LOG_MAX

from . import anatomy
from . import mpy as mpyfiles
from .anatomy import array_bytes, describe, npz_bytes

HERE = Path(__file__).resolve().parent
KB = 1024
BLOCK = 16  # MicroPython's GC block: every allocation is rounded up to it
LOG_BYTES = 2 * LOG_MAX  # log.txt and log.txt.1 (ulearn.app rotates the log)
LOAD_MAX_BYTES = inspect.signature(checkpoint.load).parameters["max_bytes"].default


@lru_cache(maxsize=None)
def _data(name):
    return json.loads((HERE / name).read_text())


def profiles():
    """Board profiles from ``boards.json``: {name: profile dict}, in file order."""
    return {b["name"]: b for b in _data("boards.json")["boards"]}


def costs():
    """The RAM constants measured by ``tools/measure_ram.py`` (``ram_costs.json``)."""
    return _data("ram_costs.json")


def profile(board):
    """The profile of `board`: a name from :func:`profiles`, or a profile dict as is.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known ones.
    """
    if isinstance(board, dict):
        return board
    known = profiles()
    if board not in known:
        raise ValueError("unknown board %r; known boards: %s" % (board, ", ".join(known)))
    return known[board]


# -- the learner: its anatomy (ulearn_host.anatomy), read from its own layout and objects

ULAB_BLOCK = 4096  # ulearn.kern_np._BLOCK: the largest temporary a ulab training step makes


def _blocks(nbytes, block=BLOCK):
    return -(-nbytes // block) * block


def step_live(anat, kernels):
    """Bytes one learn_one holds at once beyond the learner (the `step` item of the need):
    the collector reclaims the rest of what the step allocates as it goes. Pure Python: an
    allowance for a few floats and call frames (``costs()["step_live"]``); ulab: that and
    the largest array the step makes, a block of a trained layer's outer product
    (kern_np makes it ULAB_BLOCK bytes at most), with its header."""
    k = costs()
    live = k["step_live"]["python"]
    if kernels == "ulab":
        temp = 0
        for _, n_in, n_out, _ in anat["trained"]:
            rows = max(1, ULAB_BLOCK // (4 * n_in))
            temp = max(temp, 4 * n_in * min(n_out, rows))
        live += k["array_header"]["ulab"] + _blocks(temp)
    return live


def step_alloc(anat, kernels):
    """Bytes (GC blocks) one learn_one allocates, every class row in use and the replay
    steps counted: the anatomy's step terms times the coefficients tools/measure_ram.py
    fitted in real MicroPython (``costs()["step"]``)."""
    coef = costs()["step"][kernels][anat["kind"]]
    return sum(coef[name] * v for name, v in anat["step_terms"].items())


def _ram(anat, kernels, code):
    # RAM items in bytes, and the bytes one learn_one allocates
    k, kind, c = costs(), anat["kind"], anat["widest"]
    sizes = [p["bytes"] for p in anat["arrays"]]
    replay = sum(p["bytes"] for p in anat["arrays"] if p["owner"] == "replay")
    work = anat["working"]
    header = k["array_header"]
    churn = step_alloc(anat, kernels)
    # a load (or save) holds meta.json as bytes, str and objects, the member
    # table, an open file and one row of the widest array at a time
    ck, cols = k["checkpoint"], max(p["shape"][-1] for p in anat["arrays"])
    obj = k["objects"]
    items = {
        "package": k["package"]["%s-%s" % (kernels, code)],
        "objects": obj[kind] + obj["per_layer"] * len(c["extractor"])
        + obj["per_label"] * c.get("capacity", 0),
        "arrays": sum(sizes) - replay,
        "replay": replay,
        "buffers": sum(p["bytes"] for p in work),
        # array.array scratch (the replay memory's row classes) has the small header
        "overhead": sum(header[kernels] + _blocks(b) - b for b in sizes) + sum(
            header["python" if p["container"] == "array" else kernels] + _blocks(p["bytes"])
            - p["bytes"] for p in work),
        "step": step_live(anat, kernels),
        "checkpoint": ck["file"] + ck["per_member"] * len(sizes)
        + ck["meta_per_byte"] * anat["meta_bytes"] + ck["row_per_col"][kernels] * cols,
    }
    return {name: int(round(v)) for name, v in items.items()}, int(round(churn))


def margin(resident, transient, kernels):
    """Heap beyond resident + transient that a learner needs to load and run: the holes
    importing the package and loading the bundle leave, and the collector's slack.

    Not derived: the smallest heaps the device benchmark's learners run in on the
    virtual board are ``(1 + scale) x resident + const`` to within a few percent (fitted
    by tools/fit_budget.py into ``costs()["board"]``), where the derived transients do
    not predict them; the margin is what that figure adds to resident + transient (0
    when the transient is the larger, or before a calibration)."""
    fit = costs().get("board", {}).get(kernels)
    if not fit:
        return 0
    return max(0, int(round((1 + fit["scale"]) * resident + fit["const"])) - resident - transient)


@lru_cache(maxsize=None)
def _package(bytecode):
    # ({file: bytes} as `ulearn deploy` copies it, how they were obtained)
    if bytecode is None:
        return {n: len(d) for n, d in mpyfiles.sources().items()}, "sources (.py)"
    major, minor = (int(v) for v in bytecode.split("."))
    files, why = mpyfiles.package_files({"impl": "micropython", "mpy": major | minor << 8})
    if all(name.endswith(".mpy") for name in files):
        return {n: len(d) for n, d in files.items()}, why
    ratio = costs()["mpy_ratio"]  # no mpy-cross here: scale the sources as measured
    return ({n[:-3] + ".mpy": int(len(d) * ratio) for n, d in files.items()},
            ".mpy estimated as %.2f x the .py sizes, not compiled: %s" % (ratio, why))


def _flash(spec, prof, code, package_bytes, log_bytes):
    sizes, how = _package(prof["mpy"] if code == "mpy" else None)
    blk = prof["fs_block"]
    ck = npz_bytes(spec["layout"], spec["meta_bytes"])
    bundle = os.path.getsize(spec["path"]) if spec["path"] else ck
    package = sum(_blocks(s, blk) for s in sizes.values())
    if package_bytes is not None:
        package, how = package_bytes, "given"
    items = {"package": package, "bundle": _blocks(bundle, blk), "checkpoint": _blocks(ck, blk),
             "checkpoint_tmp": _blocks(ck, blk), "logs": _blocks(log_bytes, blk)}
    return items, {"package_files": len(sizes), "package_how": how, "bundle_bytes": bundle,
                   "checkpoint_bytes": ck, "fs_block": blk}


def plan(source, board, *, capacity=None, package_bytes=None, ulab=None, mpy=None,
         log_bytes=LOG_BYTES):
    """RAM and flash of a learner on one board: what does not fit, and by how much.

    Parameters
    ----------
    source : str or os.PathLike or dict
        A bundle or checkpoint file (read without building the model), or a
        dict like its meta.json: ``{"kind": "Classifier", "config": {...}}``.
    board : str or dict
        A name from :func:`profiles`, or a profile dict with the same fields.
    capacity : int, optional
        Plan a Classifier for this many classes instead of the bundle's.
    package_bytes : int, optional
        Flash the device package takes, when not the files ``ulearn deploy``
        copies (e.g. 0 with ulearn frozen into the firmware).
    ulab : bool, optional
        Plan for the ulab kernels (True) or pure Python (False) instead of
        what the profile's stock firmware has.
    mpy : bool, optional
        Plan for .mpy (True) or .py files; default: .mpy when the profile
        has a MicroPython .mpy version.
    log_bytes : int
        Flash allowance for the board's log (default: log.txt and log.txt.1).

    Returns
    -------
    dict (JSON-serialisable; sizes in bytes)
        ``board``, ``description``, ``firmware``, ``kernels`` ("ulab" |
        "python"), ``code`` ("mpy" | "py"), ``learner`` {kind, config, path,
        arrays {name: bytes}, working {name: bytes}} (``ulearn_host.anatomy``);
        ``ram`` {items {package, objects, arrays, buffers, overhead, step (what
        one learn_one holds at once: :func:`step_live`), checkpoint, margin},
        resident, transient (the larger of step and checkpoint), need (resident
        + transient + margin), heap, headroom (negative: short by), fits,
        step_alloc (bytes one learn_one allocates, replay steps included:
        :func:`step_alloc`), collections_per_step};
        ``flash`` {items {package, bundle, checkpoint, checkpoint_tmp, logs},
        need, flash_fs, headroom, fits, package_files, package_how,
        bundle_bytes, checkpoint_bytes, fs_block}; ``fits`` (RAM and flash);
        ``verdicts`` (a line for RAM, one for flash); ``notes`` (a list).

    Raises
    ------
    ValueError
        An unknown board (the message lists the known ones), a capacity for
        an AnomalyDetector, or .mpy asked of a board that has none.
    ulearn.CheckpointError
        If `source` is not a ulearn bundle or checkpoint (the loader's text).
    """
    prof = profile(board)
    spec = anatomy.of(source, capacity, flops=False)
    kernels = "ulab" if (prof["ulab"] if ulab is None else ulab) else "python"
    if mpy and prof["mpy"] is None:
        raise ValueError("%s does not import MicroPython .mpy files" % prof["name"])
    code = "mpy" if (prof["mpy"] is not None if mpy is None else mpy) else "py"
    items, churn = _ram(spec, kernels, code)
    resident = sum(v for name, v in items.items() if name not in ("step", "checkpoint"))
    transient = max(items["step"], items["checkpoint"])
    items["margin"] = margin(resident, transient, kernels)
    need, heap = resident + transient + items["margin"], prof["heap"]
    ram = {"items": items, "resident": resident, "transient": transient, "need": need,
           "heap": heap, "headroom": heap - need, "fits": need <= heap, "step_alloc": churn,
           "collections_per_step": round(churn / max(heap - need, BLOCK), 2)}
    f_items, details = _flash(spec, prof, code, package_bytes, log_bytes)
    f_need, fs = sum(f_items.values()), prof["flash_fs"]
    flash = dict(items=f_items, need=f_need, flash_fs=fs, headroom=fs - f_need,
                 fits=f_need <= fs, **details)
    arrays = array_bytes(spec["layout"])
    notes = []
    if sum(arrays.values()) > LOAD_MAX_BYTES:
        notes.append("the arrays take %d bytes, more than ulearn.load's default max_bytes=%d: "
                     "load with a larger max_bytes" % (sum(arrays.values()), LOAD_MAX_BYTES))
    measured, now = costs()["source_bytes"], sum(_package(None)[0].values())
    if abs(now - measured) > 0.1 * measured:
        notes.append("the device package is now %d bytes of source, the RAM figures were measured "
                     "on %d: re-run tools/measure_ram.py" % (now, measured))
    if kernels == "python" and ram["fits"] and ram["collections_per_step"] >= 1:
        notes.append("one learn_one allocates %.1f KB of short-lived floats: about %.1f garbage "
                     "collections per step" % (churn / KB, ram["collections_per_step"]))
    return {"board": prof["name"], "description": prof["description"],
            "firmware": prof["firmware"], "kernels": kernels, "code": code,
            "learner": {"kind": spec["kind"], "config": spec["config"], "path": spec["path"],
                        "arrays": arrays,
                        "working": {p["name"]: p["bytes"] for p in spec["working"]}},
            "ram": ram, "flash": flash, "fits": ram["fits"] and flash["fits"],
            "verdicts": [_verdict("RAM", need, heap, "free heap", prof["name"]),
                         _verdict("Flash", f_need, fs, "filesystem", prof["name"])],
            "notes": notes}


def sparse_plan(bundle, support, budget_bytes, budget_macs=None, method="fisher", seed=0):
    """The channels a board would train (``Classifier.select_updates``, run
    here on the device code) for the support set in stream file `support` (or a
    tuple ``(samples, labels)``)
    within the budgets, with the cost of training the head alone and of
    training every channel (full fine-tuning) for comparison.

    Returns a dict: ``picks`` (channels per frozen layer), ``layers``
    ([n_in, n_out, act] per frozen layer), ``cost``, ``head_only``, ``full``
    (each ``ulearn.sparse.cost()``: bytes by part, and backward MACs),
    ``adds`` (bytes the selection allocates beside the learner: its rows'
    weights, gradients, work vectors and object headers), ``budget_bytes``, ``budget_macs``,
    ``method``. Raises ValueError for what select_updates refuses.
    """
    import ulearn
    from ulearn import sparse
    from ulearn.stream import Stream
    clf = ulearn.load(os.fspath(bundle))
    if not isinstance(clf, ulearn.Classifier):
        raise ValueError("sparse updates need a Classifier bundle")
    if isinstance(support, tuple):  # (samples, labels) already in memory
        X, y = support
    else:
        s = Stream(os.fspath(support))
        X, y = s.column(0), list(s.column(1))
    sel = clf.select_updates(X, y, budget_bytes, budget_macs, method, seed)
    sc = anatomy.sparse_costs(clf)
    adds = sparse.allocated(sc["dims"], [len(p) for p in sel["picks"]], sc["top"])
    return {"picks": sel["picks"], "cost": sel["cost"], "head_only": sc["head_only"],
            "full": sc["full"],
            "adds": adds, "budget_bytes": budget_bytes, "budget_macs": budget_macs,
            "method": method,
            "layers": [[f.n_in, f.n_out, f.act] for f in clf.extractor]}


def sparse_table(sp):
    """Text for a human: the selection of :func:`sparse_plan` against the alternatives."""
    out = ["Sparse update (%s selection; budget %d bytes%s)" % (
        sp["method"], sp["budget_bytes"],
        ", %d MACs" % sp["budget_macs"] if sp["budget_macs"] else "")]
    for i, ((n_in, n_out, act), p) in enumerate(zip(sp["layers"], sp["picks"])):
        out.append("  frozen layer %d (%d -> %d, %s): %d of %d channels trained%s" % (
            i, n_in, n_out, act, len(p), n_out, ": " + _ranges(p) if p else ""))
    out.append("  %-26s %10s %12s" % ("", "bytes", "backward MACs"))
    for key, label in (("head_only", "head only"), ("cost", "this selection"),
                       ("full", "every channel (full)")):
        c = sp[key]
        out.append("  %-26s %10d %12d" % (label, c["bytes"], c["macs"]))
    out.append("  the selection allocates %d bytes beside the learner (rows, gradients, "
               "work vectors, object headers)" % sp["adds"])
    return "\n".join(out)


def _ranges(picks):
    # [0, 1, 2, 5, 7, 8] -> "0-2, 5, 7-8"
    out, start = [], None
    for j, o in enumerate(picks):
        if start is None:
            start = o
        if j + 1 == len(picks) or picks[j + 1] != o + 1:
            out.append("%d" % o if o == start else "%d-%d" % (start, o))
            start = None
    return ", ".join(out)


def _verdict(what, need, have, of, board):
    if need <= have:
        return "%s: needs %s of %s %s on %s: %s to spare" % (
            what, kb(need), kb(have), of, board, kb(have - need))
    return "%s: needs %s, %s has %s %s: short by %s" % (
        what, kb(need), board, kb(have), of, kb(need - have))


def kb(n):
    return "%.1f KB" % (n / KB)


# -- text for a human (describe: ulearn_host.anatomy.describe)

_RAM_ROWS = (("package", "device package, imported"), ("objects", "learner objects"),
             ("arrays", "arrays (as in the checkpoint)"),
             ("replay", "replay memory (int8 rows)"), ("buffers", "working vectors"),
             ("overhead", "allocator headers and rounding"),
             ("step", "transient: one learn_one, live"),
             ("checkpoint", "transient: checkpoint load/save"),
             ("margin", "margin: import/load holes, GC"))
_FLASH_ROWS = (("package", "device package"), ("bundle", "bundle"), ("checkpoint", "checkpoint"),
               ("checkpoint_tmp", "checkpoint .tmp during a save"), ("logs", "logs"))
_LINE = "%-21s %-7s %-4s %10s %10s %-5s %10s %10s %s"


def table(plans):
    """Text for a human: one plan's breakdown, or a line per board for several plans.

    `plans` is what :func:`plan` returned, or a list of those.
    """
    plans = [plans] if isinstance(plans, dict) else list(plans)
    if len(plans) == 1:
        return _breakdown(plans[0])
    lines = [describe(plans[0]["learner"]["kind"], plans[0]["learner"]["config"]),
             _LINE % ("board", "kernels", "code", "RAM need", "free heap", "RAM",
                      "flash need", "filesystem", "flash")]
    for p in plans:
        r, f = p["ram"], p["flash"]
        lines.append(_LINE % (p["board"], p["kernels"], "." + p["code"], kb(r["need"]),
                              kb(r["heap"]), _ok(r), kb(f["need"]), kb(f["flash_fs"]), _ok(f)))
    return "\n".join(lines)


def _ok(part):
    return "ok" if part["fits"] else "SHORT"


def _breakdown(p):
    r, f = p["ram"], p["flash"]
    out = [describe(p["learner"]["kind"], p["learner"]["config"]),
           "on %s (%s): %s kernels, .%s files" % (
               p["board"], p["description"], "ulab" if p["kernels"] == "ulab" else "pure-Python",
               p["code"]), "", "RAM%40s" % "bytes"]
    out += ["  %-32s %9d" % (label, r["items"][key]) for key, label in _RAM_ROWS]
    out += ["  %-32s %9d  resident + the larger transient + margin (calibrated on "
            "the virtual board)" % ("need", r["need"]),
            "  %-32s %9d  typical gc.mem_free()" % ("free heap", r["heap"]),
            "  one learn_one allocates %d bytes of short-lived objects" % r["step_alloc"],
            "", "Flash, in %d-byte filesystem blocks" % f["fs_block"]]
    out += ["  %-32s %9d" % (label, f["items"][key]) for key, label in _FLASH_ROWS]
    out += ["  %-32s %9d" % ("need", f["need"]), "  %-32s %9d" % ("filesystem", f["flash_fs"]),
            "  package: %d files, %s" % (f["package_files"], f["package_how"]), ""]
    return "\n".join(out + p["verdicts"] + ["note: " + n for n in p["notes"]])
