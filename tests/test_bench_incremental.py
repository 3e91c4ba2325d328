"""The class-incremental benchmark's page is generated: rendering its JSON result
(docs/incremental.json) reproduces docs/incremental.md exactly, and the renderer
handles a small synthetic result (quick run, fewer streams, no board run). No
measuring here."""
from pathlib import Path

import numpy as np

from ulearn_dev.bench_incremental import render
from ulearn_dev.benchkit import load_json
from ulearn_host import report

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_the_page_is_rendered_from_its_json():
    res = load_json(DOCS / "incremental.json")
    assert res["benchmark"] == "incremental"
    assert render(res) == (DOCS / "incremental.md").read_text()
    assert all(t["met"] in (True, False) for t in res["targets"])
    for p in res["plots"]:
        assert (DOCS / p).is_file()


def _run(rng, T, joint, width, seeds):
    # one row's entry: an accuracy matrix per seed (joint: one evaluation), FLOPs, sizes
    A = []
    for _ in seeds:
        a = np.tril(rng.uniform(0.2, 1.0, (T, T)))
        a[np.triu_indices(T, 1)] = np.nan
        A.append((a[-1:] if joint else a).tolist())
    return dict(cfg=dict(lr=0.02, k=2, start=8, step=4, below=0.9, on_class=False), A=A,
                train_flops=[1e6 * width] * len(seeds), inf_flops=[100 * width] * len(seeds),
                secs=[0.1] * len(seeds), width=[width] * len(seeds), sizes=[[[8, 0], [width, 50]]] * len(seeds))


def synthetic(streams=("digits", "watch"), seeds=(0, 1)):
    """A result in the benchmark's format with made-up figures."""
    rng = np.random.default_rng(0)
    tasks = {"digits": [[0, 1], [2, 3], [4, 5]], "watch": [[0, 1], [2]]}
    fracs = ("0.01", "0.05")
    runs, sweep, tuning, adapt = {}, {}, {}, {}
    for p, methods in (("board", ("none", "reservoir", "random", "herding", "dm", "joint")),
                       ("host", ("none", "random", "herding", "dm", "joint"))):
        for s in streams:
            T = len(tasks[s])
            runs.setdefault(p, {})[s] = {m: _run(rng, T, m == "joint", 64 if m != "adaptive" else 16, seeds)
                                         for m in methods + ("adaptive", "small")}
            sweep.setdefault(p, {})[s] = {m: {f: list(rng.uniform(0.5, 1, len(seeds))) for f in fracs}
                                          for m in ("random", "herding", "dm")}
            tuning.setdefault(p, {})[s] = {m: dict(best=dict(lr=0.02, k=1), tried=[
                dict(cfg=dict(lr=lr, k=1), val=[0.5 + lr]) for lr in (0.01, 0.02)]) for m in methods}
            a = dict(start=8, step=4, below=0.9, on_class=False)
            adapt.setdefault(p, {})[s] = dict(pick=a, tried=[dict(adapt=a, val=[0.5], train_flops=[1e6],
                                                                  width=[16])])
    return dict(
        benchmark="incremental", title="synthetic", command="python tools/bench_incremental.py --quick",
        commit="abc", date="2026-01-01", environment="CPython", elapsed=12.0, stages={"tuning": 12.0},
        quick=True, seeds=list(seeds),
        config=dict(streams=list(streams), tune_seeds=[100], jobs=1, fraction=0.01, hidden=64,
                    extractor=dict(width=32, epochs=30), board=dict(lr=[0.01, 0.02], k=[1], momentum=0.5, clip=5.0),
                    host=dict(lr=[0.05], k=[1], momentum=0.9, weight_decay=1e-4, batch=32,
                              epochs={"digits": 2, "watch": 2}, before_tuning=dict(lr=0.05, k=3)),
                    adapt_grid=[], adapt_tol=0.015, sweep=[0.05], fashion_rows_per_class=[300, 100]),
        data=dict(
            streams={s: dict(names=["c%d" % i for i in range(7)], tasks=tasks[s], d=8, n=[80, 20, 100, 50],
                             caps={f: 3 for f in fracs}) for s in streams},
            front_end=dict(chosen={s: "raw" for s in streams}, val={s: {fe: {
                m: [0.7] for m in ("joint", "random", "herding", "dm")} for fe in ("raw", "ext1")} for s in streams}),
            tuning=tuning, adapt=adapt, runs=runs, sweep=sweep,
            sizes={p: {s: [[8, 100, 1000], [64, 800, 8000]] for s in streams} for p in ("board", "host")},
            board={"error": "unix32: not built"} if "digits" in streams else None))


def test_a_synthetic_quick_result_renders():
    res = synthetic()
    md = render(res)
    assert "Quick (smoke) run" in md and "Fashion-MNIST not run" in md
    assert "## 5. The board path on real MicroPython" in md and "Not run: unix32: not built" in md
    assert md.count("<details>") == 2 and "## Plots" not in md
    assert render(res) == md  # deterministic
    # what ulearn report shows is on the page
    assert len(res["targets"]) == 6 + 2 * 2 * 2
    for block in report.headline(res):
        assert block in md


def test_a_result_without_digits_has_no_digits_targets():
    res = synthetic(streams=("watch",), seeds=(0,))
    md = render(res)
    assert "## 5." not in md and "Split-watch exercises" in md
    assert [t for t in res["targets"] if "Split-digits" in t["target"]] == []
