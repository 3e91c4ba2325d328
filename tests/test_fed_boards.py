"""Tier 4: `ulearn fed` over several virtual boards through the real mpremote:
rounds that save theta, a stopped run that resumes, a board that drops."""
import pytest

import devicepkg
from test_datasets import load
from test_end_to_end import as_json, ulearn_cmd


@pytest.fixture(autouse=True)
def on_numpy():
    devicepkg.use("numpy")


@pytest.fixture
def boards(tmp_path):
    """Three virtual boards, each with the bundle and a stream of its own wearers' windows."""
    from tools.mpvm import MicroPythonUnavailable
    from tools.vboard import VirtualBoard
    from ulearn_host import tasks
    load(tasks.load_task, "watch")  # skip off CI when the data is missing
    bundle = str(tmp_path / "bundle.npz")
    ulearn_cmd("train", "--data", "watch", "--epochs", "5", "-o", str(tmp_path / "m.npz"))
    ulearn_cmd("export", str(tmp_path / "m.npz"), "--int8", "-o", bundle)
    out = []
    try:
        for i in range(3):
            b = VirtualBoard(tmp_path / ("flash%d" % i))
            out.append(b)
            (tmp_path / str(i)).mkdir()
            stream = str(tmp_path / str(i) / "learn.npz")  # /ulearn-data/learn.npz on the board
            ulearn_cmd("stream", "--data", "watch", "--split", "train", "--shuffle", "--seed",
                       str(i), "--limit", "60", "-o", stream)
            ulearn_cmd("deploy", bundle, "-d", b.url, "--file", stream)
    except MicroPythonUnavailable as e:
        pytest.skip(str(e))
    yield bundle, out
    for b in out:
        b.close()


def test_rounds_over_boards_save_theta_and_resume(boards, tmp_path):
    import ulearn
    from ulearn_host.fed import boards as fb
    from ulearn_host.fed import params
    bundle, bs = boards
    out = str(tmp_path / "theta.npz")
    strat = fb.strategy("tinyreptile", 8, 1, 0.05, 1.0, 1)

    def stop_after_round_1(rnd, theta, entry):
        if rnd == 1:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        fb.federate(bundle, [b.url for b in bs], out, 4, strat, on_round=stop_after_round_1)
    assert ulearn.checkpoint.read_meta(out)["info"]["fed"]["round"] == 1
    r = as_json(ulearn_cmd("fed", bundle, *sum((["-d", b.url] for b in bs), []), "--rounds", "4",
                           "--steps", "8", "-o", out, "--json"))
    assert [h["round"] for h in r["rounds"]] == [2, 3]  # resumed where it stopped
    assert all(len(h["clients"]) == 1 and not h["skipped"] for h in r["rounds"])
    theta, start = params.get(ulearn.load(out)), params.get(ulearn.load(bundle))
    assert any((a != b).any() for a, b in zip(theta, start))
    again = ulearn_cmd("fed", bundle, "-d", bs[0].url, "--rounds", "4", "-o", out, check=False)
    assert again.returncode == 1 and "holds another run" in again.stderr


def test_a_board_that_drops_is_skipped_and_the_round_completes(boards, tmp_path):
    bundle, bs = boards
    bs[1].drop_after(3000)  # mid-round: while theta is being written
    r = ulearn_cmd("fed", bundle, *sum((["-d", b.url] for b in bs), []), "--strategy", "reptile",
                   "--per-round", "3", "--rounds", "1", "--steps", "5",
                   "-o", str(tmp_path / "t.npz"), "--json")
    h = as_json(r)["rounds"][0]
    assert list(h["skipped"]) == [bs[1].url] and len(h["cost"]) == 2
    assert "warning: round 0: skipped %s" % bs[1].url in r.stderr

