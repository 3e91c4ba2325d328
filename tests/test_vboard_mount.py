"""Checkpoints read through `mpremote mount` on the QEMU board: its files have no tell()."""
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
