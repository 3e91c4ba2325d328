#!/usr/bin/env python
"""Loader soak: mutated checkpoints, bundles, replay sets and stream files against the loaders' contract.

Every file the board or host reads is either refused with the loader's error class
(``CheckpointError`` for checkpoints and bundles, ``ValueError`` for stream files) or loads
into something that works: finite outputs, one learning step that stays finite, a save that
loads again (tools/loader_oracle.py, the same code on CPython and in real MicroPython).
Honest files of each type (several learner configurations; a bundle from ``ulearn export``
with a distilled replay set) are mutated: byte flips, truncation, ZIP members removed,
renamed, duplicated, reordered, re-zipped with a wrong or right CRC or a lying size,
meta.json edits (types, huge numbers, NaN, deep nesting, unknown keys), .npy header lies
(shape, dtype, huge shapes) and hostile array values. From the repository root::

    python tools/soak_loaders.py                      # 10,000 per type on CPython, 2,000 in MicroPython
    python tools/soak_loaders.py --cases 500 --mp-cases 100 --json soak.json

A contract violation is listed with its case number and seed, and its file and mutation
are saved to --out (``python tools/soak_loaders.py --replay FILE.json`` runs one again).
Files that load into a learner that works, and whose numbers a learning step on a valid
sample then blows up (nan, an embedding its own checks refuse, a save past the loader's
limits), are counted apart as "diverged": that is the sample contract's business (a step
must leave a learner finite), and their reproducers go to --out/diverged. The exit status
is 1 when any case violates the contract. This is a benchmark-style soak, not a test;
tests/test_fuzz_loaders.py runs a seeded few hundred cases per type in CI.
"""
import argparse
import contextlib
import importlib
import json
import os
import random
import struct
import sys
import tempfile
import time
import warnings
import zlib
from pathlib import Path

from ulearn_dev import devicepkg

TYPES = ("checkpoint", "bundle", "replay", "stream")
BACKENDS = ("numpy", "python")
MP_TARGET = "unix32-ulab"
ORACLE = Path(__file__).resolve().with_name("loader_oracle.py")
MP_BATCH = 50  # cases per interpreter request


# -- honest files

def _blobs(n, d, classes, seed):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        y = rnd.randrange(classes)
        out.append(([rnd.gauss(y * (1 + j % 2), 0.5) for j in range(d)], y))
    return out


def _frozen(ul, n_in, n_out, act, int8, seed):
    rnd = random.Random(seed)
    W = [[rnd.uniform(-1, 1) for _ in range(n_in)] for _ in range(n_out)]
    return ul.Frozen(n_in, n_out, act=act, int8=int8).set_weights(W, [0.1] * n_out)


def _learners(ul):
    # {name: learner} of the configurations a checkpoint holds
    names = ["a", "b", "c"]
    out = {}
    clf = ul.Classifier(4, 5, optimizer=ul.SGD(0.05, momentum=0.5))
    for x, y in _blobs(60, 4, 3, 1):
        clf.learn_one(x, names[y])
    out["plain"] = clf
    clf = ul.Classifier(3, 3, standardize=False)
    for x, y in _blobs(30, 3, 2, 2):
        clf.learn_one(x, y)
    out["nostd"] = clf
    clf = ul.Classifier(4, 6, extractor=[_frozen(ul, 4, 5, "tanh", False, 3)], hidden=3,
                        grow_step=2, max_hidden=7, stats_window=20,
                        optimizer=ul.SGD(0.05, momentum=0.9))
    for x, y in _blobs(40, 4, 3, 4):
        clf.learn_one(x, names[y])
    out["hidden-grow"] = clf
    clf = ul.Classifier(4, 4, extractor=[_frozen(ul, 4, 6, "relu", False, 5),
                                         _frozen(ul, 6, 5, "relu", True, 6)])
    data = _blobs(20, 4, 3, 7)
    clf.select_updates([x for x, _ in data], [names[y] for _, y in data], budget_bytes=1500)
    for x, y in data:
        clf.learn_one(x, names[y])
    out["sparse"] = clf
    det = ul.AnomalyDetector(4, hidden=2, extractor=[_frozen(ul, 4, 3, "tanh", True, 8)],
                             warmup=10)
    for x, _ in _blobs(60, 4, 3, 9):
        det.learn_one(x)
    out["anomaly"] = det
    return out


def _replaying(ul):
    clf = ul.Classifier(4, 5, hidden=3, replay=6, replay_k=2,
                        optimizer=ul.SGD(0.05, momentum=0.5))
    for x, y in _blobs(60, 4, 3, 10):
        clf.learn_one(x, ["a", "b", "c"][y])
    return clf


def _bundles(ul, folder):
    # what `ulearn export` writes: a bundle with int8 layers, a trainable layer and a
    # distilled replay set, and a plain float one
    import numpy as np
    from ulearn_host import export, tasks, train
    rnd = np.random.default_rng(0)
    X = rnd.normal(size=(90, 6)).astype(np.float32)
    y = np.arange(90) % 3
    X[:, 0] += y * 2
    task = tasks.Task(X, y, ["walk", "run", "sit"], np.array(["train"] * 90), {})
    hidden = [(rnd.normal(size=(8, 6)).astype(np.float32) * 0.5, np.zeros(8, np.float32),
               "relu"),
              (rnd.normal(size=(5, 8)).astype(np.float32) * 0.5, np.zeros(5, np.float32),
               "relu")]
    head = (rnd.normal(size=(3, 5)).astype(np.float32), np.zeros(3, np.float32))
    stats = (X.mean(0), X.var(0), 90)
    model = train.classifier(hidden, head, task.names, stats)
    path = os.path.join(folder, "model.npz")
    ul.save(model, path, {"dataset": "synthetic"})
    out = {}
    for name, kw in (("int8-distilled", dict(int8=True, trainable_last=True, replay=4,
                                             distil={"method": "herding", "fraction": 0.1},
                                             task=task, grow_step=1, max_hidden=7)),
                     ("float", dict(capacity=5))):
        dest = os.path.join(folder, name + ".npz")
        export.export(path, dest, **kw)
        out[name] = Path(dest).read_bytes()
    return out


def honest_files():
    """{file type: {name: bytes}} of valid files, the same on every call (seeded)."""
    with devicepkg.using("numpy") as ul, tempfile.TemporaryDirectory() as tmp:
        def saved(learner, name):
            path = os.path.join(tmp, name + ".npz")
            ul.save(learner, path)
            return Path(path).read_bytes()
        files = {"checkpoint": {k: saved(v, k) for k, v in _learners(ul).items()},
                 "replay": {"replay": saved(_replaying(ul), "replay")},
                 "bundle": _bundles(ul, tmp), "stream": {}}
        from ulearn import stream
        rows = _blobs(12, 5, 3, 11)
        for name, names in (("named", ["up", "down", "left"]), ("ints", None)):
            path = os.path.join(tmp, name + ".npz")
            stream.save(path, [x for x, _ in rows], [y for _, y in rows], names)
            files["stream"][name] = Path(path).read_bytes()
    return files


# -- stored ZIP reading and writing (with lies on request)

def unzip(data):
    """[[name bytes, data]] of a well-formed stored ZIP (an honest file)."""
    n, cd_off = struct.unpack("<H4xL", data[-12:-2])
    out, p = [], cd_off
    for _ in range(n):
        size, nlen, off = (struct.unpack("<L", data[p + 24:p + 28])[0],
                           struct.unpack("<H", data[p + 28:p + 30])[0],
                           struct.unpack("<L", data[p + 42:p + 46])[0])
        name = data[p + 46:p + 46 + nlen]
        start = off + 30 + struct.unpack("<H", data[off + 26:off + 28])[0]
        out.append([name, data[start:start + size]])
        p += 46 + nlen
    return out


def rezip(members, lies=None):
    """A stored ZIP of members [[name bytes, data]]; lies: {member index: {"crc": ...,
    "size": ..., "method": ..., "flags": ..., "offset": ...}} written in place of the truth,
    and "end": {field: value} for the end record."""
    lies = lies or {}
    out, central = bytearray(), bytearray()
    for i, (name, data) in enumerate(members):
        lie = lies.get(i, {})
        crc = lie.get("crc", zlib.crc32(data))
        size = lie.get("size", len(data))
        method, flags = lie.get("method", 0), lie.get("flags", 0)
        off = lie.get("offset", len(out))
        out += b"PK\x03\x04" + struct.pack("<5H3L2H", 20, flags, method, 0, 0x21, crc, size,
                                           size, len(name), 0) + name + data
        central += b"PK\x01\x02" + struct.pack("<6H3L5H2L", 20, 20, flags, method, 0, 0x21,
                                               crc, size, size, len(name), 0, 0, 0, 0, 0,
                                               off) + name
    end = dict(n=len(members), n2=len(members), size=len(central), off=len(out), comment=0)
    end.update(lies.get("end", {}))
    tail = b"PK\x05\x06" + struct.pack("<4H2LH", 0, 0, end["n"], end["n2"], end["size"],
                                       end["off"], end["comment"])
    return bytes(out + central + tail)


def npy_header(descr, shape, fortran=False):
    """A .npy v1.0 header as numpy writes it; shape a tuple or any text."""
    dims = shape if isinstance(shape, str) else (
        "(%d,)" % shape if len(shape) == 1 else "(%s)" % ", ".join(str(d) for d in shape))
    h = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, dims)
    pad = 64 - (10 + len(h) + 1) % 64
    h = h + " " * (pad % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode()


# -- mutations: a plan (JSON) drawn by a chooser, applied to an honest file

class RandomChooser:
    """Draws from random.Random (the soak)."""
    def __init__(self, rng):
        self.rng = rng

    def int(self, lo, hi):
        return self.rng.randint(lo, hi)

    def pick(self, seq):
        return seq[self.int(0, len(seq) - 1)]


HUGE = 2 ** 31
INTS = [0, 1, -1, 2, 3, 4, 5, 7, 64, 255, 4096, 4097, 65535, 65536, HUGE, 2 ** 32 - 1, 2 ** 53,
        2 ** 53 + 1, 2 ** 63, 10 ** 30, -10 ** 30, 10 ** 400]
FLOATS = [0.0, -0.0, 0.5, 1.0, -1.0, 1e-45, 1e-320, 1e15, 1e30, 3.4e38, 1e39, 1e308, -1e308,
          float("inf"), float("-inf"), float("nan")]
STRINGS = ["", "a", "Classifier", "AnomalyDetector", "ulearn-checkpoint", "relu", "0", "\u00e9",
           "x" * 300]
F32S = [0.0, -0.0, 1.0, -1.0, 1e-45, 1e-38, 1e5, -1e5, 1e10, 1e12, 1e15, 9e17, -9e17, 1e20,
        1e30, 3.4e38, -3.4e38,
        float("inf"), float("nan")]
NAMES = [b"meta.json", b"x.npy", b"y.npy", b"labels.json", b"head.W.npy", b"replay.X.npy",
         b"", b"\xff\xfe.npy", b"n" * 65, b"META.JSON", b"../meta.json"]
DEPTHS = [10, 100, 900, 1000, 2000, 5000, 8000]  # of nested lists in meta.json
DESCRS = ["<f4", "|i1", "<i4", "<f8", ">f4", "<i8", "|b1", "<U4", "|O"]


def json_value(ch, depth=0):
    """A JSON-able value: interesting scalars, containers, deep nesting."""
    k = ch.int(0, 8 if depth < 2 else 5)
    if k == 0:
        return None
    if k == 1:
        return ch.pick([True, False])
    if k in (2, 3):
        return ch.pick(INTS) if ch.int(0, 1) else ch.int(-10, 10)
    if k == 4:
        return ch.pick(FLOATS)
    if k == 5:
        return ch.pick(STRINGS)
    if k == 6:
        return [json_value(ch, depth + 1) for _ in range(ch.int(0, 3))]
    if k == 7:
        return {ch.pick(STRINGS + ["n", "labels", "capacity"]): json_value(ch, depth + 1)
                for _ in range(ch.int(0, 3))}
    return "DEEP%d" % ch.pick(DEPTHS)  # nesting written by hand: see _dumps()


def paths(v, prefix=()):
    """Every path (a list of keys/indexes) into a JSON value, the root first."""
    out = [list(prefix)]
    if isinstance(v, dict):
        for k in v:
            out += paths(v[k], prefix + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            out += paths(x, prefix + (i,))
    return out


def draw_plan(ch, ftype, corpus):
    """A mutation plan for a file of ftype (from honest files corpus[ftype])."""
    src = ch.pick(sorted(corpus[ftype]))
    data = corpus[ftype][src]
    members = unzip(data)
    plan = {"type": ftype, "src": src, "ops": []}
    for _ in range(ch.pick([1, 1, 1, 2, 3])):
        plan["ops"].append(_draw_op(ch, ftype, data, members))
    return plan


def _member(ch, ftype, members):
    # a member index; the replay set's members more often for "replay"
    if ftype == "replay" and ch.int(0, 2):
        idx = [i for i, (n, _) in enumerate(members) if n.startswith(b"replay.")]
        return ch.pick(idx + [0])  # 0: meta.json comes first
    return ch.int(0, len(members) - 1)


def _draw_op(ch, ftype, data, members):
    n = len(data)
    kind = ch.pick(["flip", "flip", "truncate", "insert", "m_remove", "m_rename", "m_dup",
                    "m_crc", "m_data", "m_data", "m_trunc", "m_swap", "m_size", "m_order",
                    "m_value", "m_value", "meta", "meta", "meta", "meta_raw", "npy", "npy",
                    "zip"])
    i = _member(ch, ftype, members)
    if kind == "flip":
        return [kind, [[ch.int(0, n - 1), ch.int(1, 255)] for _ in range(ch.pick([1, 1, 2, 8]))]]
    if kind == "truncate":
        return [kind, ch.int(0, n - 1)]
    if kind == "insert":
        return [kind, ch.int(0, n), ch.pick(["00", "ff", "504b0304", "504b0506", "41" * 64])]
    if kind in ("m_remove", "m_dup", "m_crc"):
        return [kind, i]
    if kind == "m_rename":
        return [kind, i, ch.pick(NAMES + [m[0] for m in members]).hex()]
    if kind == "m_data":
        return [kind, i, ch.int(0, 1 << 16), ch.int(1, 255)]
    if kind == "m_trunc":
        return [kind, i, ch.int(0, 1 << 16)]
    if kind == "m_swap":
        return [kind, i, ch.int(0, len(members) - 1)]
    if kind == "m_size":
        return [kind, i, ch.pick([0, 1, 1 << 16, HUGE, 2 ** 32 - 1, -1]),
                ch.pick(["size", "offset"])]
    if kind == "m_order":
        return [kind, ch.int(0, 1 << 16)]
    if kind == "m_value":
        return [kind, i, ch.int(0, 1 << 16), ch.pick(F32S), ch.pick([1, 1, 4, 1000])]
    if kind == "meta":
        name = "labels.json" if ftype == "stream" else "meta.json"
        action = ch.pick(["set", "set", "set", "del", "add"])
        return [kind, name, ch.int(0, 1 << 16), action, json_value(ch),
                ch.pick(STRINGS + ["n", "rng", "version", "sparse", "replay"])]
    if kind == "meta_raw":
        return [kind, ch.pick(["", "{", "[]", "null", "NaN", '{"format": 1e999}',
                               "[" * 20000 + "]" * 20000, "[" * 6000 + "]" * 6000,
                               '{"a":' * 3000 + "1" + "}" * 3000, "\xff", '"x"' + " " * 17000])]
    if kind == "npy":
        shape = ch.pick([(100000, 100000), (999999,), (0,), (1,), (2, 3, 4), (3, 5), (5, 3),
                         (6, 4), (4,), (5,), (12, 5), (12,), (HUGE, 2), (1, 0),
                         "(-1,)", "()", "(3,,)", "(1e3,)", "(0x10,)", "(" + "9" * 40 + ",)"])
        return [kind, i, ch.pick(DESCRS), list(shape) if isinstance(shape, tuple) else shape,
                ch.pick([False, False, True]), ch.pick(["keep", "fit", "len"])]
    field = ch.pick(["n", "n2", "size", "off", "comment", "method", "flags"])
    return ["zip", field, ch.pick([0, 1, 2, 63, 64, 65, 65535, HUGE, 2 ** 32 - 1]), i]


def _descend(meta, path_index, action):
    ps = paths(meta)
    if action != "add":
        ps = ps[1:] or ps
    p = ps[path_index % len(ps)]
    parent = meta
    for k in p[:-1]:
        parent = parent[k]
    return parent, (p[-1] if p else None), p


def _dumps(v):
    text = json.dumps(v)
    for depth in DEPTHS:  # nesting json.dumps cannot write
        text = text.replace('"DEEP%d"' % depth, "[" * depth + "]" * depth)
    return text.encode()


def apply(plan, corpus):
    """The bytes of plan's mutated file."""
    data = corpus[plan["type"]][plan["src"]]
    for op in plan["ops"]:
        data = _apply(op, data)
    return data


def _apply(op, data):
    kind = op[0]
    if not data:
        return data
    if kind == "flip":
        b = bytearray(data)
        for pos, x in op[1]:
            b[pos % len(b)] ^= x
        return bytes(b)
    if kind == "truncate":
        return data[:op[1] % len(data)]
    if kind == "insert":
        pos = op[1] % (len(data) + 1)
        return data[:pos] + bytes.fromhex(op[2]) + data[pos:]
    try:
        members = unzip(data)
    except (struct.error, IndexError, ValueError):
        return data  # an earlier op broke the ZIP: nothing to edit member-wise
    if not members:
        return data
    i = op[1] % len(members) if isinstance(op[1], int) else 0
    name, body = members[i]
    lies = {}
    if kind == "m_remove":
        del members[i]
    elif kind == "m_dup":
        members.insert(i, [name, body])
    elif kind == "m_crc":
        lies[i] = {"crc": (zlib.crc32(body) + 1) & 0xFFFFFFFF}
    elif kind == "m_rename":
        members[i][0] = bytes.fromhex(op[2])
    elif kind == "m_data":
        if body:
            b = bytearray(body)
            b[op[2] % len(b)] ^= op[3]
            members[i][1] = bytes(b)
    elif kind == "m_trunc":
        members[i][1] = body[:op[2] % (len(body) + 1)]
    elif kind == "m_swap":
        members[i][1] = members[op[2] % len(members)][1]
    elif kind == "m_size":
        lies[i] = {op[3]: op[2] & 0xFFFFFFFF}
    elif kind == "m_order":
        random.Random(op[1]).shuffle(members)
    elif kind == "m_value":
        members[i][1] = _set_values(body, op[2], op[3], op[4])
    elif kind == "meta":
        members = _edit_json(members, op)
    elif kind == "meta_raw":
        for m in members:
            if m[0] == b"meta.json":
                m[1] = op[1].encode("utf-8", "surrogateescape")
    elif kind == "npy":
        members[i][1] = _edit_npy(body, op[2], op[3], op[4], op[5])
    elif kind == "zip":
        field, value = op[1], op[2]
        if field in ("n", "n2", "size", "off", "comment"):
            lies["end"] = {field: value & (0xFFFF if field in ("n", "n2", "comment")
                                           else 0xFFFFFFFF)}
        else:
            lies[op[3] % len(members)] = {field: value & 0xFFFF}
    return rezip(members, lies)


def _set_values(body, at, value, count):
    # overwrite count float32 values of a .npy member's data (CRC recomputed on rezip)
    if not body.startswith(b"\x93NUMPY") or len(body) < 10:
        return body
    start = 10 + struct.unpack("<H", body[8:10])[0]
    n = (len(body) - start) // 4
    if n <= 0 or b"'<f4'" not in body[:start]:
        return body
    b = bytearray(body)
    first = at % n
    for k in range(first, min(n, first + count)):
        b[start + 4 * k:start + 4 * k + 4] = struct.pack("<f", value)
    return bytes(b)


def _edit_json(members, op):
    _, name, at, action, value, key = op
    for m in members:
        if m[0].decode("latin-1") == name:
            try:
                doc = json.loads(m[1])
            except (ValueError, RecursionError):  # an earlier op made it unreadable
                return members
            parent, last, p = _descend(doc, at, action)
            if action == "add":
                target = doc if not p else parent[last]
                if isinstance(target, dict):
                    target[key] = value
                elif isinstance(target, list):
                    target.append(value)
            elif not p:
                doc = value
            elif action == "del":
                del parent[last]
            else:
                parent[last] = value
            m[1] = _dumps(doc)
    return members


def _edit_npy(body, descr, shape, fortran, fit):
    if not body.startswith(b"\x93NUMPY") or len(body) < 10:
        return body
    start = 10 + struct.unpack("<H", body[8:10])[0]
    h = npy_header(descr, tuple(shape) if isinstance(shape, list) else shape, fortran)
    data = body[start:]
    if fit == "fit" and isinstance(shape, list):  # data as long as the lie needs, if small
        need = 4
        for d in shape:
            need *= d
        if 0 <= need <= 1 << 16:
            data = (data * (need // max(1, len(data)) + 1))[:need]
    elif fit == "len":  # the header length field lies
        h = h[:8] + struct.pack("<H", (len(h) - 10) * 3) + h[10:]
    return h + data


# -- running cases

def _clean(*paths):
    for p in paths:
        for q in (p, p + ".tmp"):
            with contextlib.suppress(OSError):
                os.remove(q)


def run_cpython(backend, cases, workdir, progress=None):
    """Verdicts [(verdict, detail)] of cases [(ftype, bytes)] on a CPython backend."""
    out = []
    path, scratch = os.path.join(workdir, "case.npz"), os.path.join(workdir, "again.npz")
    with devicepkg.using(backend), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy's overflow warnings: the oracle judges
        oracle = importlib.import_module("ulearn_dev.loader_oracle")
        for ftype, data in cases:
            _clean(path, scratch)
            Path(path).write_bytes(data)
            out.append(oracle.check(ftype, path, scratch))
            if progress:
                progress(1)
    return out


class MicroPythonRunner:
    """Cases in a real interpreter (tools/mpreal.py), MP_BATCH files per request; restarted
    when a case kills it."""
    def __init__(self, target=MP_TARGET, heap="192K", form="mpy"):
        self.target, self.heap, self.form = target, heap, form
        self.interp = None

    def _start(self):
        from ulearn_dev.mpreal import Interpreter
        self.interp = Interpreter(self.target, heap=self.heap, form=self.form, timeout=300)
        self.interp.write_file("/lib/loader_oracle.py", ORACLE.read_bytes())
        self.interp.makedirs("/c")

    def close(self):
        if self.interp is not None:
            self.interp.close()
            self.interp = None

    def run(self, cases, progress=None):
        """Verdicts [(verdict, detail)] of cases [(ftype, bytes)]."""
        out = []
        for k in range(0, len(cases), MP_BATCH):
            batch = cases[k:k + MP_BATCH]
            got = self._batch(batch)
            if got is None:  # the interpreter died or ran out of time: one at a time
                got = []
                for case in batch:
                    one = self._batch([case])
                    got += one or [("violation", "the interpreter died: %s" % self._last)]
            out += got
            if progress:
                progress(len(batch))
        return out

    def _batch(self, batch):
        from ulearn_dev.mpreal import MicroPythonError
        if self.interp is None:
            self._start()
        specs = []
        for j, (ftype, data) in enumerate(batch):
            self.interp.write_file("/c/%d.npz" % j, data)
            for p in ("/c/%d.npz.tmp" % j, "/c/s.npz", "/c/s.npz.tmp"):
                if self.interp.exists(p):
                    self.interp.remove(p)
            specs.append((ftype, "/c/%d.npz" % j, "/c/s%d.npz" % j))
        try:
            text = self.interp.exec("import loader_oracle\nloader_oracle.run(%r)\n"
                                    % (specs,))
        except MicroPythonError as e:
            self._last = "%s %s" % (e.type, str(e)[-300:])
            self.close()
            return None
        lines = [json.loads(s) for s in text.splitlines() if s.startswith("[")]
        return [tuple(v) for v in lines]


def cases_for(ftype, corpus, n, seed):
    """[(plan, bytes)] of n seeded cases of ftype; case k depends on (seed, ftype, k) only."""
    out = []
    for k in range(n):
        rng = random.Random("%s/%s/%d" % (seed, ftype, k))
        plan = draw_plan(RandomChooser(rng), ftype, corpus)
        plan["case"] = k
        out.append((plan, apply(plan, corpus)))
    return out


def reasons(verdicts):
    """{refusal message with its numbers and names cut: count}, most frequent first."""
    import re
    out = {}
    for v, detail in verdicts:
        if v == "refused":
            key = re.sub(r"'[^']*'|\S*\.npy|[-+0-9.e]{2,}|\d", "_", detail.split(".npz: ")[-1])
            out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def save_reproducer(folder, where, seed, plan, data, verdict):
    """Write the mutated file and its plan; returns the plan's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = "%s-%s-%d" % (plan["type"], where, plan["case"])
    (folder / (stem + ".npz")).write_bytes(data)
    rec = {"seed": seed, "where": where, "plan": plan, "verdict": list(verdict)}
    (folder / (stem + ".json")).write_text(json.dumps(rec, indent=1))
    return folder / (stem + ".json")


# -- command line

def _table(results):
    head = ["file type", "where", "cases", "refused (right error)", "loaded and works",
            "works, its step refused or diverged", "violations", "seconds"]
    rows = [[r["type"], r["where"], r["cases"], r["refused"], r["works"], r["diverged"],
             r["violations"], "%.1f" % r["seconds"]] for r in results]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = lambda r: "| " + " | ".join(str(x).ljust(w) for x, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
                     + [line(r) for r in rows])


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python tools/soak_loaders.py",
                                 description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=10000,
                    help="mutated files per file type on each CPython backend (default 10000)")
    ap.add_argument("--mp-cases", type=int, default=2000,
                    help="mutated files per file type in real MicroPython (default 2000; 0: none)")
    ap.add_argument("--mp-target", default=MP_TARGET,
                    help="interpreter of `ulearn firmware build` (default %s)" % MP_TARGET)
    ap.add_argument("--backends", default=",".join(BACKENDS),
                    help="CPython backends, comma-separated (default numpy,python)")
    ap.add_argument("--types", default=",".join(TYPES), help="file types (default: all)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the mutations (default 0)")
    ap.add_argument("--json", metavar="OUT", help="write the results as JSON to OUT")
    ap.add_argument("--out", default="soak-violations",
                    help="folder for the reproducers of violations (default soak-violations)")
    ap.add_argument("--replay", metavar="FILE",
                    help="run one saved reproducer (FILE.json) again and print its verdict")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    if args.replay:
        return _replay(args.replay)
    from tqdm import tqdm
    types = [t for t in args.types.split(",") if t]
    backends = [b for b in args.backends.split(",") if b]
    for t in types:
        if t not in TYPES:
            ap.error("unknown file type %r (choose from %s)" % (t, ", ".join(TYPES)))
    t0 = time.time()
    corpus = honest_files()
    results, bad, diverged = [], [], []
    where_all = [(b, args.cases) for b in backends if args.cases]
    if args.mp_cases:
        where_all.append((args.mp_target, args.mp_cases))
    total = sum(n for _, n in where_all) * len(types)
    bar = tqdm(total=total, unit="file", disable=args.no_progress, file=sys.stderr)
    with tempfile.TemporaryDirectory() as work:
        for where, n in where_all:
            runner = None if where in BACKENDS else MicroPythonRunner(where)
            try:
                for ftype in types:
                    bar.set_description("%s %s" % (ftype, where))
                    cases = cases_for(ftype, corpus, n, args.seed)
                    t = time.time()
                    blobs = [(ftype, data) for _, data in cases]
                    verdicts = (run_cpython(where, blobs, work, bar.update) if runner is None
                                else runner.run(blobs, bar.update))
                    r = {"type": ftype, "where": where, "cases": n,
                         "refused": sum(v[0] == "refused" for v in verdicts),
                         "works": sum(v[0] == "works" for v in verdicts),
                         "diverged": sum(v[0] == "diverged" for v in verdicts),
                         "violations": sum(v[0] == "violation" for v in verdicts),
                         "seconds": time.time() - t}
                    r["reasons"] = reasons(verdicts)
                    results.append(r)
                    for (plan, data), v in zip(cases, verdicts):
                        if v[0] in ("violation", "diverged"):
                            folder = os.path.join(args.out, "" if v[0] == "violation"
                                                  else "diverged")
                            path = save_reproducer(folder, where, args.seed, plan, data, v)
                            (bad if v[0] == "violation" else diverged).append(
                                {"type": ftype, "where": where, "case": plan["case"],
                                 "seed": args.seed, "what": v[1], "reproducer": str(path)})
            finally:
                if runner is not None:
                    runner.close()
    bar.close()
    wall = time.time() - t0
    if args.json:
        from ulearn_host.files import write_atomic
        write_atomic(args.json, json.dumps({"command": " ".join(sys.argv), "seed": args.seed,
                                            "wall_seconds": wall, "results": results,
                                            "violations": bad, "diverged": diverged},
                                           indent=1).encode())
    print(_table(results))
    print("\nwall time %.0f s; seed %d; %d violations" % (wall, args.seed, len(bad)))
    for label, items in (("VIOLATION", bad), ("diverged on learning", diverged)):
        for b in items:
            print("%s: %s on %s, case %d (seed %d): %s\n  reproducer: %s"
                  % (label, b["type"], b["where"], b["case"], b["seed"], b["what"],
                     b["reproducer"]))
    return 1 if bad else 0


def _replay(path):
    rec = json.loads(Path(path).read_text())
    plan = rec["plan"]
    data = apply(plan, honest_files())
    where = rec["where"]
    if where in BACKENDS:
        with tempfile.TemporaryDirectory() as work:
            v = run_cpython(where, [(plan["type"], data)], work)[0]
    else:
        runner = MicroPythonRunner(where)
        try:
            v = runner.run([(plan["type"], data)])[0]
        finally:
            runner.close()
    print(json.dumps({"plan": plan, "verdict": list(v)}))
    return 1 if v[0] == "violation" else 0


if __name__ == "__main__":
    sys.exit(main())
