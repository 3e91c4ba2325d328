"""Tier 4: no sequence of two power cuts loses the last completed save, on the virtual
board's real littlefs and FAT, with the ulab and the pure-Python kernels' files (issue 20).

`ulearn_dev.powercut` cuts a checkpoint save at every block write the board's block
device is asked for, then cuts the next save at every write too, reloading after each
cut; a few first cuts are repeated with QEMU really stopped and booted again. Every
reload must be the last completed save or a newer one, bit for bit, and must still
predict and learn.
"""
import pytest

from ulearn_dev import powercut


@pytest.mark.parametrize("fs", ["lfs2", "fat"])
@pytest.mark.parametrize("kernels", ["ulab", "python"])
def test_every_cut_and_every_pair_of_cuts_leaves_the_last_completed_save(tmp_path, fs,
                                                                         kernels):
    r = powercut.run(tmp_path, fs, kernels == "python", pairs=1, halts=3)
    print("\n%s %s: %d writes per save, %d first cuts, %d pairs, %d real stops, loaded %s"
          % (fs, r["backend"], r["writes_per_save"], r["first"], r["pairs"], r["halts"],
             r["loaded"]))
    assert r["backend"] == kernels
    assert r["problems"] == []
    # the sweep really cut inside the save: both outcomes of a single cut happened
    assert r["writes_per_save"] >= 10
    assert r["loaded"].get("first: v1") and r["loaded"].get("first: v2")
    assert r["first"] == r["writes_per_save"] + 1 and r["pairs"] > r["first"] * 10
    assert r["halts"] == 3


def test_the_sweep_finds_the_lost_save_of_fat_without_the_fix(tmp_path, monkeypatch):
    # checkpoint.save without its first step (moving a lone PATH.tmp into place): on FAT
    # a cut between the rename's remove and move, then a cut while PATH.tmp is written
    # again, leaves nothing loadable. The sweep must see it.
    monkeypatch.setattr(powercut, "_SETUP", powercut._SETUP.replace(
        "P = '/state.npz'", "P = '/state.npz'\ncheckpoint._finish_rename = lambda t, p: None"))
    r = powercut.run(tmp_path, "fat", False, pairs=1, halts=0)
    lost = [p for p in r["problems"] if "loaded None" in p]
    assert lost, r
