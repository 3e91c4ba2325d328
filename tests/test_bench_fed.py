"""The federated benchmark's page is generated from its JSON result: rendering
docs/fed.json reproduces docs/fed.md (how CI diffs the page), and a small
result renders, through the script's --render too. Nothing is measured."""
import copy
import json
import subprocess
import sys
from pathlib import Path

from ulearn_dev import bench_fed
from ulearn_dev.benchkit import load_json
from ulearn_host import report

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_page_is_its_json_rendered():
    res = load_json(DOCS / "fed.json")
    assert res["benchmark"] == "fed" and not res["quick"]
    saved = copy.deepcopy(res)
    assert bench_fed.render(res) == (DOCS / "fed.md").read_text(encoding="utf-8")
    assert res == saved  # the summary, headline and targets the report reads are the page's
    assert all((DOCS / p).is_file() for p in res["plots"])


def small():
    """docs/fed.json cut down to one domain and one seed, as a quick run."""
    res = load_json(DOCS / "fed.json")
    res["config"]["domains"] = {"digits": res["config"]["domains"]["digits"]}
    res["data"] = {"digits": res["data"]["digits"]}
    for m in res["data"]["digits"]["methods"].values():
        m["acc"], m["devices"] = m["acc"][:1], {u: a[:1] for u, a in list(m["devices"].items())[:2]}
        m["cost"] = m["cost"] and m["cost"][:1]
    res.update(seeds=res["seeds"][:1], quick=True, plots=[])
    return res


def test_a_small_result_renders(tmp_path):
    res = small()
    md = bench_fed.render(res)
    assert "Quick (smoke) run" in md and "## Plots" not in md
    assert "### digits: new 5-way tasks" in md and "### watch: new wearers" not in md
    assert "0.000" in md.split("## 2.")[1]  # one seed: no spread
    assert [t["met"] for t in res["targets"]] in ([True, True], [False, True], [False, False], [True, False])
    assert md.count("test device ") == 2
    assert "\n".join(report.headline(res)) in md

    path = tmp_path / "fed.json"
    path.write_text(json.dumps(res))
    out = tmp_path / "page" / "fed.md"
    subprocess.run([sys.executable, str(ROOT / "tools" / "bench_fed.py"), "--render", str(path), "--out", str(out),
                    "--plot", str(tmp_path / "page" / "img")], check=True, capture_output=True, timeout=300)
    again = load_json(path)
    assert again["plots"] == ["img/fed_curves.png"] and (tmp_path / "page" / "img" / "fed_curves.png").is_file()
    assert out.read_text(encoding="utf-8") == bench_fed.render(again)
