"""The sparse-update benchmark's page renders from its JSON result alone: the
committed page is what docs/sparse.json renders to (CI diffs it so), and a
small synthetic result renders, with --render, into a page and a result that
`ulearn report` reads. Nothing here measures."""
from pathlib import Path

from ulearn_dev import bench_sparse
from ulearn_dev.benchkit import load_json, save_json
from ulearn_dev.sparse_bench import settings as S
from ulearn_host import report

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_committed_page_is_its_json_rendered():
    res = load_json(DOCS / "sparse.json")
    assert res["benchmark"] == "sparse"
    assert bench_sparse.render(res) == (DOCS / "sparse.md").read_text()


def _runs(acc, bytes_, macs, counts, seeds, units):
    return [dict(acc=acc + 0.01 * s, units={u: acc + 0.01 * (s + i) for i, u in enumerate(units)}, bytes=bytes_,
                 max_bytes=bytes_, macs=macs, counts=counts, secs=0.1, n_query=50) for s in seeds]


def synthetic():
    """Two domains, two budgets, two seeds; rows where no channel fits; a board row and a failed one."""
    fracs, seeds, lrs, eps = [0.05, 0.1], [0, 1], [0.01, 0.1], [3, 10]
    info = {"watch": dict(units={"subject 8": 40, "subject 9": 50}, dims=[[26, 16], [16, 8]], head=7, classes=7,
                          full=dict(bytes=4000, macs=700), last=dict(bytes=400, macs=60)),
            "fashion_new": dict(units={"classes 5-9": 90}, dims=[[196, 16]], head=5, classes=5,
                                full=dict(bytes=20000, macs=3000), last=dict(bytes=600, macs=80))}
    rows = []
    for dom, i in info.items():
        for m in S.methods_of(dom):
            for f in ([None] if m in ("none", "head", "full") else [0.1] if m == "cold" else fracs):
                small = (dom, f) == ("watch", 0.05) or (dom, m, f) == ("fashion_new", "random", 0.1)
                chosen = [None, None] if m == "none" else None if small else [0.1, 10]
                part = 1.0 if m == "full" else 0.1 if f else 0.0
                runs = None if small else _runs(0.5 + 0.3 * part + 0.01 * len(m), int(i["full"]["bytes"] * (part or 0.1)),
                                                int(i["full"]["macs"] * (part or 0.1)),
                                                [d[1] * part for d in i["dims"]], seeds, i["units"])
                grid = [[None, None, 0.4]] if m == "none" else [] if m == "cold" else [
                    [lr, e, None if small else 0.5 + lr + e / 100] for lr in lrs for e in eps]
                rows.append(dict(domain=dom, method=m, fraction=f, chosen=chosen, runs=runs, validation=grid))
    row = dict(backend="python", picks=[[0, 1], []], cost=dict(bytes=400), acc=0.9, ms_per_learn=1.5, heap=2000)
    board = dict(unit="subject 8", seed=0, lr=0.1, epochs=2, n_learn=70, n_query=20, budget=400, heap_kb=192,
                 heap_planned=1900, boards={"unix32": dict(row, ref="python", same_picks=True, agree=20,
                                                           max_prob_diff=1e-6, version="3.4.0"),
                                            "unix32-ulab": dict(error="not built")},
                 cpython={k: dict(row, backend=k, **({} if k == "python" else dict(
                     ref="python", same_picks=True, agree=20, max_prob_diff=2e-6))) for k in ("python", "ulab", "numpy")})
    return dict(benchmark="sparse", title=bench_sparse.TITLE, command="python tools/bench_sparse.py --quick",
                commit="abc", date="2026-01-01", environment="CPython, numpy", elapsed=12.0,
                stages={"tuning": 5.0, "test runs": 7.0}, quick=True, seeds=seeds, plots=[],
                config=dict(domains=list(info), tune_seeds=[100], jobs=1, k_shot=5, lr=lrs, epochs=eps,
                            fractions=fracs, target_fraction=0.1, target_points=0.01, momentum=0.5, clip=5.0, warmup=1, pool=2,
                            shift_px=2),
                data=dict(datasets={"watch": dict(rows=999, train=[1, 2, 3, 4], test=[8, 9], val=[3, 4],
                                                  tune_train=[1, 2]),
                                    "fashion": dict(pretrain=100, val=20, test=50, names=list("ABCDEFGHIJ"))},
                          models=[dict(model="watch", phase="final", rows=300, widths=[26, 16, 8, 7], epochs=40,
                                       secs=0.2, acc=None),
                                  dict(model="fashion", phase="final", rows=100, widths=[196, 16, 5], epochs=10,
                                       secs=0.3, acc=[0.8, 0.4])],
                          domains=info, rows=rows, board=board))


def test_synthetic_result_renders_and_report_reads_it(tmp_path):
    path = tmp_path / "sparse.json"
    save_json(synthetic(), path)
    bench_sparse.main(["--render", str(path), "--out", str(tmp_path / "sparse.md")])
    page, res = (tmp_path / "sparse.md").read_text(), load_json(path)
    assert page == bench_sparse.render(load_json(path))  # deterministic, and the JSON kept what it filled in
    assert res["headline"][0]["rows"] and len(res["targets"]) == 3 and res["summary"]
    for text in ("**Targets:** ", "Quick (smoke) run", "## 1. Settings chosen", "### watch: new subjects",
                 "budget too small for one channel", "too small", "| MicroPython unix32-ulab | - | not run: not built",
                 "Per test subject", "## 5. One adaptation on real MicroPython", "lr 0.1, 10 passes"):
        assert text in page, text
    assert "\n".join(report.headline(res)) in page  # the page and `ulearn report` show the same block
    out = report.write(str(tmp_path), str(tmp_path / "report.md"))
    assert [b["key"] for b in out["benchmarks"] if b["found"]] == ["sparse"]
