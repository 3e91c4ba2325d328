"""Tier 4 for sparse updates: the host plans a selection with `ulearn budget
--sparse`, the board (a virtual one under QEMU, through the real mpremote) makes the same
selection from the same support set and adapts, and the pulled state is what
the host computes on the ulab emulation, within float32 rounding."""
import pytest

from ulearn_dev import devicepkg
from test_datasets import load
from test_end_to_end import as_json, ulearn_cmd
from ulearn_dev.tier3 import agree

BUDGET = 4000  # bytes: room for some channels of one frozen layer, not all


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A watch model with two frozen layers, its int8 bundle, a support set of
    35 windows of new subjects, and the rest of their windows to test on."""
    from ulearn_host import tasks
    load(tasks.load_task, "watch")  # skip off CI when the data is missing
    d = tmp_path_factory.mktemp("sparse")
    f = {k: str(d / (k + ".npz")) for k in ("model", "bundle", "support")}
    ulearn_cmd("train", "--data", "watch", "--hidden", "32", "16", "--epochs", "15",
               "-o", f["model"])
    ulearn_cmd("export", f["model"], "--int8", "-o", f["bundle"])
    ulearn_cmd("stream", "--data", "watch", "--split", "test", "--shuffle", "--limit", "35",
               "-o", f["support"])
    return f


def test_budget_plans_a_selection(made):
    plan = as_json(ulearn_cmd("budget", made["bundle"], "--board", "rp2040", "--sparse",
                              made["support"], "--budget-bytes", str(BUDGET), "--json"))[0]
    sp = plan["sparse"]
    assert sp["cost"]["bytes"] <= BUDGET < sp["full"]["bytes"]
    assert 0 < sum(map(len, sp["picks"])) < 48 and sp["cost"]["macs"] < sp["full"]["macs"]
    assert sp["head_only"]["bytes"] < sp["cost"]["bytes"]
    r = ulearn_cmd("budget", made["bundle"], "--board", "rp2040", "--sparse", made["support"],
                   "--budget-bytes", "500", check=False)
    assert r.returncode == 1 and "too small for even one channel" in r.stderr


def test_the_board_selects_what_the_host_planned_and_adapts(made, vboard, tmp_path):
    plan = as_json(ulearn_cmd("budget", made["bundle"], "--board", "rp2040", "--sparse",
                              made["support"], "--budget-bytes", str(BUDGET), "--json"))[0]
    url = vboard.device
    ulearn_cmd("deploy", made["bundle"], "-d", url, "--file", made["support"])
    r = as_json(ulearn_cmd("run", "-d", url, "adapt", "support=/ulearn-data/support.npz",
                           "budget_bytes=%d" % BUDGET, "epochs=3", "--json"))[-1]
    assert r["picks"] == plan["sparse"]["picks"] and r["cost"] == plan["sparse"]["cost"]
    ulearn_cmd("pull", "-d", url, "--dest", str(tmp_path))
    log = (tmp_path / "log.txt").read_text()
    assert "adapt: epoch 3" in log

    # the host, on the ulab emulation (the board runs real ulab, float32), adapts to the
    # same state within float32 rounding
    py = devicepkg.use("ulab")
    from ulearn.stream import Stream
    board = py.load(str(tmp_path / "state.npz"))
    host = py.load(made["bundle"])
    s = Stream(made["support"])
    host.select_updates(s.column(0), list(s.column(1)), BUDGET)
    for _ in range(3):
        for x, y in s:
            host.learn_one(x, y)
    assert board.sparse.picks == host.sparse.picks
    for x, _ in s:
        agree(board.predict_proba_one(x), host.predict_proba_one(x))
    devicepkg.use("numpy")
