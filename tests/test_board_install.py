"""The package and files on the QEMU board the ways a user puts them there: `mpremote mount`
(whose files have no tell()) and `mpremote mip install` of `ulearn package`."""
import json

import devicepkg
from helpers import blobs
from vboards import ok, start


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
