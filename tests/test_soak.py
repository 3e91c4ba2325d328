"""Tier 4: a learner learning on the 192 KB virtual board through random power cuts
(issue 20): every reload is the last completed save bit for bit, the live heap does not
grow, every save predicts finite probabilities.

A short run of `ulearn_dev.soak` (16,000 steps, a checkpoint every 500, 5 cuts); the full
100,000-step soak is `python -m ulearn_dev.soak` (docs/reliability.md).
"""
from ulearn_dev import soak


def test_learning_through_random_power_cuts_loses_nothing_and_leaks_nothing(tmp_path):
    r = soak.soak(tmp_path, total=16_000, every=500, cuts=5, seed=1)
    print("\n%s" % {k: v for k, v in r.items() if k != "heap"})
    assert r["problems"] == []
    assert sum(r["cuts"].values()) == 5 and r["reloads"] == 5
    assert r["saves"] >= 32  # every checkpoint of the run, and those redone after cuts
    # the heap check had a long boot to look at
    assert max(sum(1 for h in r["heap"] if h[0] == b and h[1] == "saved")
               for b in range(1, r["boots"] + 1)) >= 20


def test_heap_growth_sees_a_rising_floor_and_not_single_jumps():
    flat = [(1, "saved", i, 70000 + (4096 if i % 7 == 0 else 0)) for i in range(30)]
    assert soak.heap_growth(flat) == 0
    leak = [(1, "saved", i, 70000 + 32 * i) for i in range(30)]
    assert soak.heap_growth(leak) == 32 * 25 - 32 * 10
