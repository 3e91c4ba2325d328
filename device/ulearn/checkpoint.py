# Checkpoints: a learner's config, state and arrays in one numpy .npz file
# (stored ZIP of .npy members plus meta.json). A save goes to PATH.tmp and is
# then renamed over PATH, so a power cut at any byte leaves the old or the new
# checkpoint; load() falls back to PATH.tmp when PATH is missing or damaged
# (a FAT rename removes PATH before it moves PATH.tmp into place).
import json
import os
import struct

from . import npy, zipstore
from .backend import K
from .inputs import LIMIT, finite
from .layers import ACTIVATIONS

FORMAT = "ulearn-checkpoint"
VERSION = 3  # 2: a classifier's optional hidden layer and replay memory;
# 3: a classifier's trainable rows of its frozen layers (sparse updates)
OLDEST = 1  # the oldest version this code still reads
_MAX_META = 16384  # bytes of meta.json
_MAX_NODES = 512  # lists and objects in meta.json (a learner's has about 10, a bundle's 20)
_MAX_DEPTH = 16  # their nesting (a bundle's is 4)
_MAX_DIM = 4096  # largest width of any layer or input
_MAX_LAYERS = 8
_MAX_REPLAY = 65536  # rows of a replay memory
_MAX_COUNT = 1 << 53  # of samples seen: beyond it a count no longer fits a float exactly
_OPTIMIZER = ("lr", "momentum", "weight_decay", "clip")  # SGD's settings
# Largest weight, bias, momentum or scale: a crafted 1e30 overflows float32 in the first
# layer it meets, while a learner's own stay far below (one step moves a weight by at most
# lr times a standardised reading, within about 6e16 for readings within inputs.LIMIT).
_MAX_WEIGHT = 1e18


class CheckpointError(ValueError):
    """A checkpoint that is damaged, foreign or does not fit its learner (a ValueError)."""
    pass


def kinds():
    """{kind: learner class} of what a checkpoint can hold."""
    from .anomaly import AnomalyDetector
    from .classifier import Classifier
    return {"Classifier": Classifier, "AnomalyDetector": AnomalyDetector}


# -- save

def save(learner, path, info=None):
    """Write learner to the .npz file path, through path + ".tmp" renamed over it.

    info: an optional small dict of JSON metadata (what a bundle was trained on); by default
    the info the learner was loaded with (learner.info), so a board's state keeps its bundle's.
    Raises OSError (e.g. a full filesystem: path then stays as it was).
    """
    if info is None:
        info = getattr(learner, "info", None)
    m = {"format": FORMAT, "version": VERSION, "kind": learner.kind,
         "config": learner.config(), "state": learner.state()}
    if info:
        m["info"] = info
    meta = json.dumps(m).encode()
    tmp = path + ".tmp"
    _finish_rename(tmp, path)
    try:
        with open(tmp, "wb") as f:
            z = zipstore.Writer(f)
            z.add("meta.json", lambda: (meta,))
            for (name, shape, code), a in zip(learner.layout(learner.config()), learner.arrays()):
                z.add(name + ".npy", _chunks(a, shape, code))
            z.close()
    except Exception:
        _remove(tmp)  # e.g. a full filesystem: PATH stays as it was
        raise
    if hasattr(os, "sync"):
        os.sync()
    getattr(os, "replace", os.rename)(tmp, path)


def _finish_rename(tmp, path):
    # A FAT rename removes the target first: a cut between that and the move leaves only
    # tmp, complete, which load() falls back to. Move it into place before tmp is written
    # again, or a second cut there would leave nothing loadable. (Only tmp, and partial,
    # means no save ever completed: nothing to lose.)
    try:
        os.stat(path)
        return
    except OSError:
        pass
    try:
        os.stat(tmp)
    except OSError:
        return
    getattr(os, "replace", os.rename)(tmp, path)


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _chunks(a, shape, code):
    def gen():
        yield npy.header(shape, code)
        if len(shape) == 1:
            yield K.row_bytes(a, 0, 0)
        else:
            for i in range(shape[0]):
                yield K.row_bytes(a, i, shape[1])
    return gen


# -- load

def load(path, max_bytes=262144):
    """Load a checkpoint written by save(); falls back to PATH.tmp.

    The learner's info attribute is the checkpoint's info metadata (None without), which
    save() writes again.
    """
    try:
        return _load(path, max_bytes)
    except (OSError, CheckpointError) as e:
        try:
            return _load(path + ".tmp", max_bytes)
        except (OSError, CheckpointError):
            pass
        if isinstance(e, CheckpointError):
            raise CheckpointError("%s: %s" % (path, e))
        raise


def read_meta(path):
    """meta.json of a checkpoint, checked as load() checks it, without the arrays."""
    with open(path, "rb") as f:
        try:
            return _meta(f, zipstore.members(f))
        except (ValueError, UnicodeError) as e:  # CheckpointError and ZipError too
            raise CheckpointError("%s: %s" % (path, e))


def _load(path, max_bytes):
    with open(path, "rb") as f:
        try:
            m = zipstore.members(f)
        except (ValueError, UnicodeError) as e:
            raise CheckpointError(str(e))
        meta = _meta(f, m)
        cls = kinds()[meta["kind"]]
        c = meta["config"]
        layout = cls.layout(c)
        _check_arrays(f, m, layout, max_bytes)
        learner = cls.from_config(c)  # allocates, now that sizes are known good
        for (name, shape, code), a in zip(layout, learner.arrays()):
            _read_array(f, m[name + ".npy"], shape, code, a, name)
        _check_state(meta["state"], learner)
        try:
            learner.set_state(meta["state"])
        except (ValueError, TypeError, KeyError) as e:  # e.g. a replay state not matching its rows
            raise CheckpointError("state does not match the arrays: %s" % e)
        _check_usable(learner)
    learner.info = meta.get("info")
    return learner


def _read_member(f, member, limit):
    off, size, crc = member
    if size > limit:
        raise CheckpointError("member of %d bytes exceeds the limit of %d" % (size, limit))
    f.seek(off)
    data = f.read(size)
    if len(data) != size or zipstore.crc32(data) != crc:
        raise CheckpointError("member data is damaged (CRC mismatch)")
    return data


def _meta(f, m):
    if "meta.json" not in m:
        raise CheckpointError("no meta.json: not a ulearn checkpoint")
    data = _read_member(f, m["meta.json"], _MAX_META)
    # lists and objects cost a board's heap to parse, and their nesting its stack to print
    # or save again: counted before parsing, nesting checked after
    if data.count(b"[") + data.count(b"{") > _MAX_NODES:
        raise CheckpointError("meta.json holds over %d lists and objects" % _MAX_NODES)
    try:
        meta = json.loads(data.decode())
    except (ValueError, RuntimeError):  # RuntimeError: nested too deeply to parse
        raise CheckpointError("meta.json is not valid JSON")
    _check_tree(meta)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError("not a ulearn checkpoint (format %r)"
                              % (meta.get("format") if isinstance(meta, dict) else None))
    v = meta.get("version")
    if not (isinstance(v, int) and OLDEST <= v <= VERSION):
        raise CheckpointError("checkpoint format version %r, this ulearn reads %d to %d"
                              % (v, OLDEST, VERSION))
    kind = meta.get("kind")
    if not isinstance(kind, str) or kind not in kinds():
        raise CheckpointError("unknown learner kind %r" % (meta.get("kind"),))
    check_config(meta.get("config"), meta["kind"])
    if not isinstance(meta.get("state"), dict):
        raise CheckpointError("meta.json has no state")
    _check_tree([meta.get("info")], True)  # saved again as it is (the rest is checked)
    return meta


def _check_tree(v, floats=False):
    # nesting, and with floats the numbers a save can write again (a board's float32 reads
    # 1e39 as inf, which its JSON writes as a word no parser reads); without recursion: a
    # board's stack is small
    todo = [(v, 0)] if isinstance(v, (list, dict)) else []
    while todo:
        v, d = todo.pop()
        if d > _MAX_DEPTH:
            raise CheckpointError("meta.json nests lists and objects over %d deep" % _MAX_DEPTH)
        for x in (v.values() if isinstance(v, dict) else v):
            if isinstance(x, (list, dict)):
                todo.append((x, d + 1))
            elif floats and isinstance(x, float) and not finite(x):
                raise CheckpointError("meta.json holds %r" % x)


def _field(c, key, kind, lo, hi):
    v = c.get(key) if isinstance(c, dict) else None
    types = (int, float) if kind is float else kind  # JSON may write 1.0 as 1
    if not (isinstance(v, types) and not isinstance(v, bool) and lo <= v <= hi):
        raise CheckpointError("config field %r = %r is not a %s in [%r, %r]"
                              % (key, v, kind.__name__, lo, hi))
    return v


def check_config(c, kind):
    """Check every field a constructor of `kind` will read, against limits, before allocating.

    Raises CheckpointError on the first bad one.
    """
    if not isinstance(c, dict):
        raise CheckpointError("meta.json has no config")
    n = _field(c, "n_features", int, 1, _MAX_DIM)
    if not isinstance(c.get("standardize"), bool):
        raise CheckpointError("config field 'standardize' must be true or false")
    _field(c, "stats_window", int, 0, 1 << 30)
    opt = c.get("optimizer")
    if not isinstance(opt, dict) or any(key not in _OPTIMIZER for key in opt):
        raise CheckpointError("config field 'optimizer' must hold only %s" % ", ".join(_OPTIMIZER))
    for key in _OPTIMIZER:
        _field(opt, key, float, 0.0, 0.999 if key == "momentum" else 1e6)
    ext = c.get("extractor")
    if not isinstance(ext, list) or len(ext) > _MAX_LAYERS:
        raise CheckpointError("config field 'extractor' must be a list of at most %d layers"
                              % _MAX_LAYERS)
    for lc in ext:
        if _field(lc, "n_in", int, 1, _MAX_DIM) != n:
            raise CheckpointError("extractor layer takes %r inputs, gets %d" % (lc["n_in"], n))
        n = _field(lc, "n_out", int, 1, _MAX_DIM)
        if lc.get("act") not in ACTIVATIONS or not isinstance(lc.get("int8"), bool):
            raise CheckpointError("extractor layer has a bad activation or int8 flag")
    if kind == "Classifier":
        _field(c, "capacity", int, 1, _MAX_DIM)
        for key, hi in (("hidden", _MAX_DIM), ("replay", _MAX_REPLAY), ("replay_k", 64),
                        ("seed", 0xFFFFFFFF), ("grow_step", _MAX_DIM), ("max_hidden", _MAX_DIM)):
            if key in c:  # absent from version 1
                _field(c, key, int, 0, hi)
        if "grow_below" in c:
            _field(c, "grow_below", float, 0.0, 1.0)
        if not isinstance(c.get("grow_on_class", True), bool):
            raise CheckpointError("config field 'grow_on_class' must be true or false")
        if c.get("sparse") is not None:
            _check_picks(c["sparse"], ext, c.get("replay", 0))
    else:
        _field(c, "hidden", int, 1, _MAX_DIM)
        _field(c, "k", float, 1e-6, 1e6)
        _field(c, "alpha", float, 1e-9, 1.0)
        _field(c, "warmup", int, 1, 1 << 30)
        _field(c, "seed", int, 0, 0xFFFFFFFF)


def _check_picks(picks, ext, replay):
    # the sparse rows: per frozen layer, increasing channel numbers below n_out
    ok = isinstance(picks, list) and len(picks) == len(ext) and not replay
    for p, lc in zip(picks if ok else (), ext):
        ok = ok and isinstance(p, list) and all(
            isinstance(o, int) and not isinstance(o, bool) and 0 <= o < lc["n_out"] for o in p)
        ok = ok and all(p[j] < p[j + 1] for j in range(len(p) - 1))
    if not ok or not any(picks):
        raise CheckpointError("config field 'sparse' must list increasing channels of each "
                              "frozen layer, some of them, and needs replay = 0")


def _check_arrays(f, m, layout, max_bytes):
    names = set(name + ".npy" for name, _, _ in layout)
    names.add("meta.json")
    if set(m) != names:
        raise CheckpointError("members %s do not match the learner (%s)"
                              % (sorted(set(m) ^ names), "extra or missing"))
    total = 0
    for name, shape, code in layout:
        off, size, _ = m[name + ".npy"]
        f.seek(off)
        try:
            got = npy.parse(f.read(128))
        except (ValueError, UnicodeError) as e:
            raise CheckpointError("%s.npy: %s" % (name, e))
        nbytes = npy.itemsize(code)
        for d in shape:
            nbytes *= d
        if got[0] != shape or got[1] != code or size != got[2] + nbytes:
            raise CheckpointError("%s.npy holds %s %r, the learner needs %s %r"
                                  % (name, got[1], got[0], code, shape))
        total += nbytes
    if total > max_bytes:
        raise CheckpointError("arrays need %d bytes, more than max_bytes=%d" % (total, max_bytes))


def _read_array(f, member, shape, code, a, name):
    # stream a member into a preallocated array row by row, checking its CRC and that every
    # value lies within what a learner can hold (_bounds)
    off, size, crc = member
    rows, cols = (1, shape[0]) if len(shape) == 1 else shape
    row_bytes = cols * npy.itemsize(code)
    f.seek(off)
    c = zipstore.crc32(f.read(size - rows * row_bytes))  # the .npy header
    fmt = "<%d%s" % (cols, "f" if code == "f4" else "b")
    lo, hi = _bounds(name)
    bad = None  # reported after the CRC: damage first
    for i in range(rows):
        b = f.read(row_bytes)
        c = zipstore.crc32(b, c)
        if len(b) != row_bytes:
            raise CheckpointError("array data is truncated")
        vals = struct.unpack(fmt, b)
        if code == "f4" and bad is None:
            for v in vals:
                if not lo <= v <= hi:
                    bad = _bad_value(name, v, lo, hi)
                    break
        K.set_row(a, i, 0 if len(shape) == 1 else cols, vals)
    if c != crc:
        raise CheckpointError("array data is damaged (CRC mismatch)")
    if bad:
        raise CheckpointError(bad)


def _bounds(name):
    # input statistics of readings within +-LIMIT: mean within it, variance up to its square
    # (with room for float32 rounding, so a learner's own save always loads again); rows of
    # a replay memory are embeddings within +-LIMIT, over 127; weights (_MAX_WEIGHT)
    if name == "scaler.var":
        return 0.0, 4 * LIMIT * LIMIT
    if name == "scaler.mean":
        return -2 * LIMIT, 2 * LIMIT
    if name == "replay.scale":
        return -LIMIT, LIMIT
    return -_MAX_WEIGHT, _MAX_WEIGHT


def _check_usable(learner):
    # finite outputs on a reading of ones: layers each within _MAX_WEIGHT can still overflow
    # float32 together, and are refused rather than loaded to give nan
    x = [1.0] * learner.n_features
    if learner.kind == "AnomalyDetector":
        v = learner.score_one(x)
    else:
        v = sum(learner.predict_proba_one(x).values())
    if not finite(v):
        raise CheckpointError("the weights overflow float32 on a reading of ones")


def _bad_value(name, v, lo, hi):
    if not finite(v):
        return "array data is not finite (%s.npy)" % name
    if v < 0 and lo == 0:
        return "a variance is negative (%s.npy)" % name
    return "%s.npy holds %g, outside [%g, %g]" % (name, v, lo, hi)


def _check_state(s, learner):
    for key in learner.state():
        if key not in s:
            raise CheckpointError("state has no %r" % key)
    for key in ("n_seen", "stats_count"):
        v = s[key]
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= _MAX_COUNT:
            raise CheckpointError("state %r = %r is not a count" % (key, v))
    if "labels" in s:
        labels = s["labels"]
        ok = isinstance(labels, list) and len(labels) <= learner.capacity
        if not ok or not all(isinstance(y, (int, str)) for y in labels) \
                or len(set(labels)) != len(labels):
            raise CheckpointError("state labels are not distinct ints/strs within capacity")

