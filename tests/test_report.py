"""`ulearn report`: every benchmark's headline figures, read from its JSON result."""
import base64
import json
import re
import struct
import zlib
from pathlib import Path

import pytest

from ulearn_host.cli import main
from ulearn_host.report import BENCHMARKS, command, headline

ROOT = Path(__file__).resolve().parents[1]


def png():
    """A valid 1x1 grey PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


TINYOL_CMD = "python tools/bench_tinyol.py --json docs/tinyol.json --quick"


def result(key, **kw):
    """A result in the benchmarks' format (ulearn_dev.benchkit)."""
    res = {"benchmark": key, "title": "The %s benchmark" % key, "command": command(key),
           "commit": "abc1234", "date": "2026-01-02", "environment": "CPython 3.x; 2 CPUs",
           "quick": False, "seeds": [0, 1], "config": {}, "data": {},
           "summary": "%s ends at 0.85." % key,
           "headline": [{"caption": "accuracy, mean ± std", "columns": ["learner", "accuracy"],
                         "rows": [["ulearn", "0.850 ± 0.010"]]}],
           "targets": [], "plots": []}
    res.update(kw)
    return res


@pytest.fixture
def docs(tmp_path):
    d = tmp_path / "docs"
    (d / "img").mkdir(parents=True)
    (d / "img" / "curve.png").write_bytes(png())
    (d / "tinyol.json").write_text(json.dumps(result(
        "tinyol", command=TINYOL_CMD, quick=True, plots=["img/curve.png"])))
    (d / "fed.json").write_text(json.dumps(result("fed", targets=[
        {"target": "TinyReptile within 2 points of transfer", "measured": "1.1 points", "met": True},
        {"target": "peak bytes < 64 KB", "measured": "70 KB", "met": False}])))
    for page in ("benchmarks.md", "fed.md"):
        (d / page).write_text("# a page rendered from its result\n")
    return d


def run(*argv):
    return main(["report", *map(str, argv)])


def test_markdown_report(docs, capsys):
    out = docs / "report.md"
    assert run("--docs", docs) == 0  # default output: DOCS/report.md
    text = out.read_text(encoding="utf-8")
    printed = capsys.readouterr().out
    assert "wrote %s" % out in printed
    assert "missing: make it with %s" % command("sparse") in printed
    assert "quick run" in printed

    # a section per benchmark in report order, found or not
    heads = re.findall(r'^## <a id="(\w+)"></a>(.*)$', text, re.M)
    assert [k for k, _ in heads] == list(BENCHMARKS)
    assert dict(heads)["fed"] == "The fed benchmark"
    assert "*No result yet: make it with `%s`.*" % command("device") in text

    # provenance, then the same block the benchmark's page shows
    assert "*From `%s` at commit abc1234 on 2026-01-02; CPython 3.x; 2 CPUs." % TINYOL_CMD in text
    assert "Quick run: not the reference figures." in text
    fed = json.loads((docs / "fed.json").read_text())
    assert "\n".join(headline(fed)) in text
    assert "**Targets:** 1 of 2 met." in text and "| peak bytes < 64 KB | 70 KB | **MISSED** |" in text
    assert "[benchmarks.md](benchmarks.md)" in text and "[fed.md](fed.md)" in text

    # images linked relative to the report, and they resolve
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links == ["img/curve.png"] and all((out.parent / link).is_file() for link in links)


def test_images_resolve_from_another_folder(docs, tmp_path):
    out = tmp_path / "elsewhere" / "deep" / "r.md"
    assert run("--docs", docs, "-o", out) == 0
    text = out.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text) + re.findall(r"\]\(([^)#]+\.md)\)", text)
    assert len(links) == 3 and all(not Path(link).is_absolute() and (out.parent / link).is_file()
                                   for link in links)


def test_html_is_one_file_with_embedded_images(docs, tmp_path):
    out = tmp_path / "report.html"
    assert run("--docs", docs, "-o", out) == 0
    html = out.read_text(encoding="utf-8")
    assert list(tmp_path.glob("*.html")) == [out] and html.startswith("<!DOCTYPE html>")
    assert "<style>" in html and html.count("<table>") == 3  # two headlines, one targets
    srcs = re.findall(r'src="([^"]*)"', html)
    assert len(srcs) == 1 and srcs[0].startswith("data:image/png;base64,")
    assert base64.b64decode(srcs[0].split(",", 1)[1]) == png()


def test_json_summary_of_what_was_found(docs, tmp_path, capsys):
    assert run("--docs", docs, "-o", tmp_path / "r.md", "--json") == 0
    r = json.loads(capsys.readouterr().out)
    state = {b["key"]: b for b in r["benchmarks"]}
    assert state["tinyol"]["found"] and state["tinyol"]["command"] == TINYOL_CMD
    assert state["tinyol"]["tables"] == 1 and state["tinyol"]["images"] == 1
    assert state["fed"]["tables"] == 2 and state["fed"]["commit"] == "abc1234"
    assert not state["sparse"]["found"] and state["sparse"]["command"] == command("sparse")
    assert r["tables"] == 3


def _fails(argv, capsys):
    assert run(*argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    return err


def test_missing_image_fails_html_and_writes_nothing(docs, tmp_path, capsys):
    (docs / "img" / "curve.png").unlink()
    out = tmp_path / "report.html"
    assert "curve.png" in _fails(["--docs", docs, "-o", out], capsys)
    assert sorted(tmp_path.iterdir()) == [docs]  # no output, no temporary file
    out.write_text("an earlier report")
    _fails(["--docs", docs, "-o", out], capsys)
    assert out.read_text() == "an earlier report" and sorted(tmp_path.iterdir()) == [docs, out]
    assert run("--docs", docs, "-o", tmp_path / "r.md") == 0  # Markdown only links it


def test_bad_input_fails_clearly(docs, tmp_path, capsys):
    err = _fails(["--docs", docs, "-o", tmp_path / "report.pdf"], capsys)
    assert "'.pdf'" in err and ".md" in err and ".html" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    err = _fails(["--docs", empty], capsys)
    assert "no benchmark result in" in err and "tinyol.json" in err
    assert list(empty.iterdir()) == [] and not (tmp_path / "report.pdf").exists()
    (docs / "fed.json").write_text("{not json")
    assert "fed.json" in _fails(["--docs", docs, "-o", tmp_path / "r.md"], capsys)
    (docs / "fed.json").write_text(json.dumps(result("sparse")))
    assert "not the fed benchmark's result" in _fails(["--docs", docs, "-o", tmp_path / "r.md"],
                                                      capsys)
    assert not (tmp_path / "r.md").exists()


def test_html_without_markdown_says_what_to_install(docs, tmp_path, monkeypatch, capsys):
    import sys
    monkeypatch.setitem(sys.modules, "markdown", None)  # import markdown -> ImportError
    assert 'pip install -e ".[report]"' in _fails(["--docs", docs, "-o", tmp_path / "r.html"], capsys)
    assert not (tmp_path / "r.html").exists()


def test_the_repository_results(tmp_path, capsys):
    out = tmp_path / "report.md"
    assert run("--docs", ROOT / "docs", "-o", out, "--json") == 0
    r = json.loads(capsys.readouterr().out)
    text = out.read_text(encoding="utf-8")
    present = [k for k in BENCHMARKS if (ROOT / "docs" / (k + ".json")).is_file()]
    assert present and [b["key"] for b in r["benchmarks"] if b["found"]] == present
    for key in present:
        res = json.loads((ROOT / "docs" / (key + ".json")).read_text())
        assert "\n".join(headline(res)) in text
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert all((out.parent / link).is_file() for link in links)
