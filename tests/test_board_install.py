"""The package and files on the QEMU board the ways a user puts them there: `mpremote mount`
(whose files have no tell()), `mpremote mip install` of `ulearn package`, and frozen into the
firmware by device/manifest.py."""
import json

from ulearn_dev import devicepkg
from helpers import blobs
from ulearn_dev.vboards import ok, start


def test_a_checkpoint_loads_from_a_mounted_host_folder(tmp_path):
    from ulearn_host import mpy
    ul = devicepkg.use("python")
    clf = ul.Classifier(4, 3, optimizer=ul.SGD(0.05, momentum=0.5, clip=5.0))
    for x, y in blobs(200):
        clf.learn_one(x, y)
    share = tmp_path / "share"
    share.mkdir()
    ul.save(clf, str(share / "ck.npz"))
    x = [1.0, 2.0, 1.0, 2.0]
    want = clf.predict_proba_one(x)

    board = start(tmp_path)
    try:
        files, _ = mpy.package_files({"impl": "micropython", "mpy": 6})
        pkg = tmp_path / "ulearn"
        pkg.mkdir()
        for name, data in files.items():
            (pkg / name).write_bytes(data)
        ok(board.device, "mkdir", ":lib", "+", "cp", "-r", pkg, ":lib/")
        out = ok(board.device, "mount", share, "exec",
                 "import json, ulearn\nc = ulearn.load('ck.npz')\n"
                 "print(json.dumps(c.predict_proba_one(%r)))" % (x,))
    finally:
        board.stop()
    got = {int(k): v for k, v in json.loads(out.strip().splitlines()[-1]).items()}
    assert got.keys() == want.keys() and all(abs(got[k] - want[k]) < 1e-5 for k in want)


def test_mip_installs_the_mpy_package_that_ulearn_package_writes(tmp_path):
    import subprocess
    import sys
    out = tmp_path / "pkg"
    r = subprocess.run([sys.executable, "-m", "ulearn_host.cli", "package", "-o", str(out),
                        "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    names = json.loads(r.stdout)["files"]
    assert names and all(n.endswith(".mpy") for n in names)
    board = start(tmp_path)
    try:
        ok(board.device, "mip", "install", out / "package.json")
        got = ok(board.device, "exec", "import ulearn, ulearn.classifier\n"
                 "print(ulearn.classifier.__file__)\n"
                 "c = ulearn.Classifier(2, 2)\nc.learn_one([1.0, 2.0], 'a')\nprint(c.labels)")
    finally:
        board.stop()
    assert got.splitlines() == ["/lib/ulearn/classifier.mpy", "['a']"]
    again = subprocess.run([sys.executable, "-m", "ulearn_host.cli", "package", "-o",
                            str(tmp_path)], capture_output=True, text=True)
    assert again.returncode == 1 and "not a package folder" in again.stderr


FROZEN = """\
import gc, os
gc.collect()
a = gc.mem_alloc()
import ulearn
from ulearn import app, checkpoint, classifier, layers, optim, scaler
gc.collect()
print(ulearn.__file__, 'lib' in os.listdir('/'), gc.mem_alloc() - a)
c = ulearn.Classifier(4, 3, hidden=8)
for i in range(30):
    c.learn_one([i % 3, 1.0, 0.5, -1.0], 'abc'[i % 3])
print(c.n_seen, c.predict_one([2, 1.0, 0.5, -1.0]) in 'abc')
"""


def test_the_package_frozen_into_the_firmware_runs_from_flash(tmp_path):
    """device/manifest.py frozen into the QEMU firmware (`ulearn firmware build --target
    qemu-m3-frozen`): nothing in /lib, and the package's modules cost the heap only their
    objects (7.8 KB measured, where the .mpy files in /lib take about 41 KB)."""
    b = start(tmp_path, board="m3-frozen")
    try:
        script = tmp_path / "frozen.py"
        script.write_text(FROZEN)
        where, lib, heap, seen, known = ok(b.device, "run", str(script)).split()
        assert where == "ulearn/__init__.py" and lib == "False"  # frozen, not a file
        assert int(heap) < 16 * 1024, heap
        assert seen == "30" and known == "True"
    finally:
        b.stop()
