"""The TinyOL benchmark's page is generated: rendering its JSON result
(docs/tinyol.json) reproduces docs/benchmarks.md exactly, which is how CI
diffs the page, and a small result renders too. Nothing is measured here."""
import copy
import json
from pathlib import Path

import pytest

from ulearn_dev import bench_tinyol
from ulearn_dev.benchkit import load_json
from ulearn_host import report

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def result():
    return load_json(DOCS / "tinyol.json")


def test_the_page_is_the_rendered_json(result):
    res = copy.deepcopy(result)
    assert bench_tinyol.render(res) == (DOCS / "benchmarks.md").read_text(), (
        "docs/benchmarks.md is generated: re-render it with python tools/bench_tinyol.py "
        "--render docs/tinyol.json --out docs/benchmarks.md")
    # the JSON holds what the render fills in, so ulearn report shows what the page shows
    assert {k: res[k] for k in ("summary", "headline", "targets")} == {
        k: result[k] for k in ("summary", "headline", "targets")}


def test_the_result_is_the_reports(result):
    assert result["benchmark"] == "tinyol" and result["command"] == report.command("tinyol")
    n = len(result["seeds"])
    d = result["data"]
    assert all(len(r["f"]) == n for r in d["anomaly"]["shuttle"]["rows"] + d["anomaly"]["kdd"]["rows"])
    assert all(len(v) == n for st in d["streams"].values() for v in st["tail"].values())
    assert all(len(g["final"][s]) == n for g in d["grid"] for s in g["final"])
    assert all((DOCS / p).is_file() for p in result["plots"])


def _one_seed(x, n):
    # the per-seed lists (those of n items, but the marks along the streams) cut to their first seed
    if isinstance(x, dict):
        return {k: v if k == "marks" else _one_seed(v, n) for k, v in x.items()}
    if isinstance(x, list) and len(x) == n:
        return [_one_seed(x[0], n)]
    return [_one_seed(v, n) for v in x] if isinstance(x, list) else x


def test_a_small_result_renders(result, tmp_path):
    res = copy.deepcopy(result)
    res.update(quick=True, seeds=[0], plots=[], data=_one_seed(res["data"], len(res["seeds"])))
    res["config"]["limits"] = dict(watch=1500, digits=600, shuttle=10000)
    res["data"]["anomaly"]["shuttle"]["limit"] = 10000
    res["data"]["anomaly"]["kdd"] = {"error": "KDD-TSAD is not downloaded"}
    path = tmp_path / "tinyol.json"
    path.write_text(json.dumps(res))
    bench_tinyol.main(["--render", str(path), "--out", str(tmp_path / "page.md")])
    page, saved = (tmp_path / "page.md").read_text(), json.loads(path.read_text())
    assert page == bench_tinyol.render(copy.deepcopy(res))
    assert "Quick (smoke) run" in page and "Not run: KDD-TSAD is not downloaded" in page
    assert "± 0.000" in page and "## Plots" not in page
    assert [t["met"] for t in saved["targets"]][-3:] == [None] * 3  # KDD: not measured
    assert "(3 not measured)" in "\n".join(report.headline(saved))
