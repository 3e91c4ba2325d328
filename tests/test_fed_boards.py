"""Tier 4: `ulearn fed` over several virtual boards (QEMU, one image each) through the
real mpremote: rounds that save theta, a stopped run that resumes, a board that drops."""
import pytest

from ulearn_dev import devicepkg
from ulearn_dev import vboards
from test_datasets import load
from test_end_to_end import as_json, ulearn_cmd


@pytest.fixture(autouse=True)
def on_numpy():
    devicepkg.use("numpy")


@pytest.fixture(scope="module")
def boards(tmp_path_factory):
    """Three boards, each with the bundle and a stream of its own wearers' windows; the
    second is reached through a link that a test can cut (DropLink). Yields the bundle,
    the devices and that link."""
    from ulearn_host import tasks
    load(tasks.load_task, "watch")  # skip off CI when the data is missing
    tmp = tmp_path_factory.mktemp("fed")
    bundle = str(tmp / "bundle.npz")
    ulearn_cmd("train", "--data", "watch", "--epochs", "5", "-o", str(tmp / "m.npz"))
    ulearn_cmd("export", str(tmp / "m.npz"), "--int8", "-o", bundle)
    started = []
    try:
        for i in range(3):
            b = vboards.start(tmp, name="flash%d.img" % i, serial="socket" if i == 1 else "pty")
            started.append(b)
            (tmp / str(i)).mkdir()
            stream = str(tmp / str(i) / "learn.npz")  # /ulearn-data/learn.npz on the board
            ulearn_cmd("stream", "--data", "watch", "--split", "train", "--shuffle", "--seed",
                       str(i), "--limit", "60", "-o", stream)
            ulearn_cmd("deploy", bundle, "-d", b.device, "--file", stream)
        link = vboards.DropLink(started[1].device)
        yield bundle, [started[0].device, link.device, started[2].device], link
        link.close()
    finally:
        for b in started:
            b.stop()


def test_rounds_over_boards_save_theta_and_resume(boards, tmp_path):
    import ulearn
    from ulearn_host.fed import boards as fb
    from ulearn_host.fed import params
    bundle, devices, _ = boards
    out = str(tmp_path / "theta.npz")
    strat = fb.strategy("tinyreptile", 8, 1, 0.05, 1.0, 1)

    def stop_after_round_1(rnd, theta, entry):
        if rnd == 1:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        fb.federate(bundle, devices, out, 4, strat, on_round=stop_after_round_1)
    assert ulearn.checkpoint.read_meta(out)["info"]["fed"]["round"] == 1
    r = as_json(ulearn_cmd("fed", bundle, *sum((["-d", d] for d in devices), []), "--rounds", "4",
                           "--steps", "8", "-o", out, "--json"))
    assert [h["round"] for h in r["rounds"]] == [2, 3]  # resumed where it stopped
    assert all(len(h["clients"]) == 1 and not h["skipped"] for h in r["rounds"])
    theta, start = params.get(ulearn.load(out)), params.get(ulearn.load(bundle))
    assert any((a != b).any() for a, b in zip(theta, start))
    again = ulearn_cmd("fed", bundle, "-d", devices[0], "--rounds", "4", "-o", out, check=False)
    assert again.returncode == 1 and "holds another run" in again.stderr


def test_a_board_that_drops_is_skipped_and_the_round_completes(boards, tmp_path):
    bundle, devices, link = boards
    link.drop_after(3000)  # mid-round: while theta is being written
    r = ulearn_cmd("fed", bundle, *sum((["-d", d] for d in devices), []), "--strategy", "reptile",
                   "--per-round", "3", "--rounds", "1", "--steps", "5",
                   "-o", str(tmp_path / "t.npz"), "--json", check=False)
    h = as_json(r)["rounds"][0]
    assert r.returncode == 1 and r.stderr.strip().splitlines()[-1] == (
        "ulearn fed: error: %s dropped out (%s missed round 0); the rounds completed with the "
        "other boards" % (link.device, link.device))
    assert list(h["skipped"]) == [link.device] and len(h["cost"]) == 2
    assert "warning: round 0: skipped %s" % link.device in r.stderr, r.stderr
    assert "lost while writing /ulearn-data/theta.npz" in r.stderr, r.stderr
