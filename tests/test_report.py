"""`ulearn report`: the benchmark pages gathered into one Markdown or HTML page."""
import base64
import json
import re
import struct
import zlib
from pathlib import Path

import pytest

from ulearn_host.cli import main
from ulearn_host.report import PAGES

ROOT = Path(__file__).resolve().parents[1]
CAPTION = re.compile(r"^\*Table (\d+): from `([^`]*)`; data: (.*)\.\*$", re.M)
TABLE_SEP = re.compile(r"^\|(\s*:?-+:?\s*\|)+\s*$", re.M)


def png():
    """A valid 1x1 grey PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


def page(title, command, summary, sections, plots=()):
    """A page in the benchmark scripts' format."""
    md = ["# %s" % title, "", "Reproduce from the repository root (≈ 1 s on the machine below):",
          "", "```", command, "```", "", "Environment: CPython 3.x; run on 2025-01-02.", "",
          "**Summary.** %s" % summary, ""]
    for heading, body in sections:
        md += [heading, ""] + body + [""]
    if plots:
        md += ["## Plots", ""] + ["![%s](img/%s.png)\n" % (p, p) for p in plots]
    return "\n".join(md) + "\n"


TABLE = ["| learner | accuracy |", "|---|---|", "| ulearn | 0.9 |"]
TINYOL_CMD = "python tools/bench_tinyol.py --out docs/benchmarks.md --plot docs/img --quick"
FED_CMD = "python tools/bench_fed.py --out docs/fed.md"


@pytest.fixture
def docs(tmp_path):
    d = tmp_path / "docs"
    (d / "img").mkdir(parents=True)
    (d / "img" / "curve.png").write_bytes(png())
    (d / "benchmarks.md").write_text(page(
        "ulearn TinyOL benchmarks", TINYOL_CMD, "ulearn ends at 0.85 on watch.",
        [("## 1. Prequential streaming accuracy", ["Intro."]),
         ("### watch, i.i.d. order", TABLE + ["", "A note."]),
         ("### digits", TABLE),
         ("## 2. Cost", ["```", "# not a heading", "| not | a table |", "|---|---|", "```"]
          + TABLE + ["", "See [the device page](device.md), not [notes](notes.md)."])],
        plots=["curve"]), encoding="utf-8")
    fed = page("ulearn federated benchmark", FED_CMD, "TinyReptile adapts fastest:",
               [("## 1. Accuracy", TABLE)])
    # a Summary with its own table, then a Target paragraph, as in docs/fed.md
    fed = fed.replace("TinyReptile adapts fastest:\n",
                      "TinyReptile adapts fastest:\n\n" + "\n".join(TABLE) +
                      "\n\n**Target** (within 2 points): **MET**.\n")
    (d / "fed.md").write_text(fed, encoding="utf-8")
    return d


def run(*argv):
    return main(["report", *map(str, argv)])


def test_markdown_report(docs, tmp_path, capsys):
    out = docs / "report.md"
    assert run("--docs", docs) == 0  # default output: DOCS/report.md
    text = out.read_text(encoding="utf-8")
    printed = capsys.readouterr().out
    assert "wrote %s" % out in printed and "missing: make it with" in printed

    # headings demoted one level, code blocks left alone
    assert "\n## " in text and "## <a id=\"bench-tinyol\"></a>ulearn TinyOL benchmarks\n" in text
    assert re.search(r"^### .*1\. Prequential streaming accuracy$", text, re.M)
    assert "\n#### watch, i.i.d. order\n" in text and "\n#### digits\n" in text
    assert "\n# not a heading\n" in text and not re.search(r"^##+ not a heading", text, re.M)
    # a link to another benchmark page goes to its section; others to their file
    assert "See [the device page](#bench-device), not [notes](notes.md)." in text

    # a caption right after every table, numbered in order, naming command and headings
    caps = CAPTION.findall(text)
    assert [int(k) for k, _, _ in caps] == list(range(1, len(caps) + 1))
    assert [(c, d) for _, c, d in caps] == [
        (FED_CMD, "ulearn federated benchmark › Summary"),
        (TINYOL_CMD, "1. Prequential streaming accuracy › watch, i.i.d. order"),
        (TINYOL_CMD, "1. Prequential streaming accuracy › digits"),
        (TINYOL_CMD, "2. Cost"),
        (FED_CMD, "1. Accuracy")]
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if CAPTION.match(line):
            assert lines[i - 1] == "" and lines[i - 2].startswith("|")

    # headline figures: each page's Summary and Target, before the sections
    head = text.split("Headline figures", 2)[2].split('<a id="bench-tinyol">')[0]
    assert "**Summary.** ulearn ends at 0.85 on watch." in head
    assert "**Summary.** TinyReptile adapts fastest:" in head and "**Target** (within 2" in head
    assert "(#bench-tinyol)" in head and "(#bench-fed)" in head
    assert text.count("**Summary.**") == 2  # moved there, not repeated

    # the sources name each page's command and environment line
    assert "`%s`" % TINYOL_CMD in text and "run on 2025-01-02" in text

    # images linked relative to the report, and they resolve
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links == ["img/curve.png"]
    assert all((out.parent / link).is_file() for link in links)


def test_images_resolve_from_another_folder(docs, tmp_path):
    out = tmp_path / "elsewhere" / "deep" / "r.md"
    assert run("--docs", docs, "-o", out) == 0
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", out.read_text(encoding="utf-8"))
    assert links and all(not Path(link).is_absolute() and (out.parent / link).is_file()
                         for link in links)


def test_html_is_one_file_with_embedded_images(docs, tmp_path):
    out = tmp_path / "report.html"
    assert run("--docs", docs, "-o", out) == 0
    html = out.read_text(encoding="utf-8")
    assert list(tmp_path.glob("*.html")) == [out] and html.startswith("<!DOCTYPE html>")
    assert "<style>" in html and html.count("<table>") == 5
    srcs = re.findall(r'src="([^"]*)"', html)
    assert len(srcs) == 1 and srcs[0].startswith("data:image/png;base64,")
    assert base64.b64decode(srcs[0].split(",", 1)[1]) == png()
    assert not re.search(r'src="(?!data:)', html)  # no content outside the file
    # links: to sections, except the one to a file that is not a benchmark page
    assert re.findall(r'href="(?!#)([^"]*)"', html) == ["docs/notes.md"]
    assert "<em>Table 1: from <code>%s</code>" % FED_CMD in html


def test_missing_page_names_the_registry_command(docs, tmp_path, capsys):
    (docs / "fed.md").unlink()
    out = tmp_path / "r.md"
    assert run("--docs", docs, "-o", out, "--json") == 0
    r = json.loads(capsys.readouterr().out)
    state = {p["key"]: p for p in r["pages"]}
    assert state["tinyol"]["found"] and state["tinyol"]["command"] == TINYOL_CMD
    assert state["tinyol"]["tables"] == 3 and state["tinyol"]["images"] == 1
    assert not state["fed"]["found"] and not state["device"]["found"]
    text = out.read_text(encoding="utf-8")
    for spec in PAGES[1:]:
        assert "```\n%s\n```" % spec.command in text
        assert state[spec.key]["command"] == spec.command


def test_missing_image_fails_html_and_writes_nothing(docs, tmp_path, capsys):
    (docs / "img" / "curve.png").unlink()
    out = tmp_path / "report.html"
    assert run("--docs", docs, "-o", out) == 1
    err = capsys.readouterr().err
    assert err.startswith("ulearn: ") and "img/curve.png" in err and "benchmarks.md" in err
    assert list(tmp_path.iterdir()) == [docs]  # no output, no temporary file
    out.write_text("an earlier report")
    assert run("--docs", docs, "-o", out) == 1
    assert out.read_text() == "an earlier report" and sorted(tmp_path.iterdir()) == [docs, out]
    # Markdown still gets written, and says which image is missing
    assert run("--docs", docs, "-o", tmp_path / "r.md") == 0
    assert "missing: img/curve.png" in capsys.readouterr().out


def test_bad_suffix_and_no_pages_fail_clearly(docs, tmp_path, capsys):
    assert run("--docs", docs, "-o", tmp_path / "report.pdf") == 1
    err = capsys.readouterr().err
    assert "'.pdf'" in err and ".md" in err and ".html" in err and "Traceback" not in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("--docs", empty) == 1
    err = capsys.readouterr().err
    assert err.startswith("ulearn: no benchmark page in") and "benchmarks.md" in err
    assert list(empty.iterdir()) == [] and not (tmp_path / "report.pdf").exists()
    before = (docs / "fed.md").read_text(encoding="utf-8")
    assert run("--docs", docs, "-o", docs / "fed.md") == 1  # a report never replaces a page
    assert "one of the benchmark pages" in capsys.readouterr().err
    assert (docs / "fed.md").read_text(encoding="utf-8") == before


def test_html_without_markdown_says_what_to_install(docs, tmp_path, monkeypatch, capsys):
    import sys
    monkeypatch.setitem(sys.modules, "markdown", None)  # import markdown -> ImportError
    assert run("--docs", docs, "-o", tmp_path / "r.html") == 1
    assert 'pip install -e ".[report]"' in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_a_verb_of_the_cli_loaded_only_when_run(capsys):
    import subprocess
    import sys
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "report" in capsys.readouterr().out
    code = ("import sys; from ulearn_host import cli; cli._parser(); "
            "print('ulearn_host.report' in sys.modules, 'markdown' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_repository_pages(tmp_path, capsys):
    out = tmp_path / "report.md"
    assert run("--docs", ROOT / "docs", "-o", out, "--json") == 0
    r = json.loads(capsys.readouterr().out)
    text = out.read_text(encoding="utf-8")
    present = [s for s in PAGES if (ROOT / "docs" / s.file).is_file()]
    assert present and [p["key"] for p in r["pages"] if p["found"]] == [s.key for s in present]
    tables = 0
    for spec in present:
        src = (ROOT / "docs" / spec.file).read_text(encoding="utf-8")
        title = re.search(r"^# (.+)$", src, re.M).group(1)
        assert '<a id="bench-%s"></a>%s\n' % (spec.key, title) in text
        tables += len(TABLE_SEP.findall(src))
    caps = CAPTION.findall(text)
    assert len(caps) == tables == r["tables"]
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert all((out.parent / link).is_file() for link in links)
