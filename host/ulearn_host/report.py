"""One page of every benchmark's headline figures (``ulearn report``).

Each benchmark script in tools/ writes its result as JSON (``docs/<key>.json``;
the format is described in ``ulearn_dev.benchkit``) and renders its own page
from it. The report reads the JSON files only: per benchmark, where the
figures came from (command, commit, date, machine), its summary, headline
tables and targets (rendered by :func:`headline`, which the pages use too), its
plots and a link to its page. The output is Markdown (images linked relative
to the report's folder) or one self-contained HTML file (images embedded as
``data:`` URIs; needs the ``markdown`` package).

Example
-------
>>> from ulearn_host import report
>>> r = report.write("docs", "report.html")   # doctest: +SKIP
>>> [(b["key"], b["found"]) for b in r["benchmarks"]]  # doctest: +SKIP
"""
import base64
import json
import mimetypes
import os
from pathlib import Path

from .files import write_atomic

# the benchmarks in report order, and the command that makes each result
BENCHMARKS = ("tinyol", "incremental", "sparse", "fed", "device")
PAGE = {"tinyol": "benchmarks.md"}  # the others: <key>.md
TITLE = "ulearn benchmark report"
FORMATS = {".md": "md", ".html": "html", ".htm": "html"}
INSTALL = 'pip install -e ".[report]"'

CSS = """body{font:15px/1.5 system-ui,sans-serif;max-width:80em;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0;display:block;overflow-x:auto}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#eee}tr:nth-child(even) td{background:#f7f7f7}
code{background:#f2f2f2;padding:0 .2em}pre{background:#f2f2f2;padding:.5em;overflow-x:auto}
img{max-width:100%}p>em:only-child{color:#555}"""


class ReportError(ValueError):
    """A report that cannot be made: printed as a message, not a traceback."""


def command(key):
    """The command that makes benchmark ``key``'s result and page."""
    page = PAGE.get(key, key + ".md")
    return ("python tools/bench_%s.py --json docs/%s.json --out docs/%s --plot docs/img"
            % (key, key, page))


def table(columns, rows):
    """A Markdown table."""
    out = ["| " + " | ".join(map(str, columns)) + " |", "|" + "---|" * len(columns)]
    return "\n".join(out + ["| " + " | ".join(map(str, r)) + " |" for r in rows]) + "\n"


def headline(res):
    """The Markdown blocks of a result's summary, headline tables and targets: the
    same on the benchmark's page and in the report."""
    md = ["**Summary.** %s\n" % res["summary"]] if res.get("summary") else []
    for t in res.get("headline", ()):
        if t.get("caption"):
            md.append("*%s*\n" % t["caption"])
        md.append(table(t["columns"], t["rows"]))
    targets = res.get("targets") or ()
    if targets:
        met = sum(t["met"] is True for t in targets)
        measured = sum(t["met"] is not None for t in targets)
        md.append("**Targets:** %d of %d met%s.\n" % (
            met, measured, "" if measured == len(targets)
            else " (%d not measured)" % (len(targets) - measured)))
        md.append(table(["target", "measured", "met"], [
            [t["target"], t["measured"], {True: "yes", False: "**MISSED**", None: "not measured"}[t["met"]]]
            for t in targets]))
    return md


def write(docs="docs", out=None):
    """Write the report of the results in ``docs`` to ``out`` (default docs/report.md);
    .md or .html by its suffix. Returns what was written, benchmark by benchmark.

    Raises ReportError for an unknown suffix, no result at all, an unreadable
    result, a missing plot in HTML, or HTML without the markdown package; nothing
    is written then."""
    out = out or os.path.join(docs, "report.md")
    fmt = FORMATS.get(Path(out).suffix.lower())
    if fmt is None:
        raise ReportError("cannot write %s: unknown suffix %r (use .md for Markdown or .html "
                          "for one self-contained HTML file)" % (out, Path(out).suffix))
    if fmt == "html":
        _markdown()  # fail before any work when the package is missing
    found = [_read(docs, key) for key in BENCHMARKS]
    if not any(b["found"] for b in found):
        raise ReportError("no benchmark result in %s (looked for %s); make one with, e.g., %s"
                          % (docs, ", ".join(b["file"] for b in found), command(BENCHMARKS[0])))
    out_dir = os.path.dirname(os.path.abspath(out))
    text = _assemble(found, docs, out_dir, fmt == "html")
    if fmt == "html":
        text = _html(text)
    write_atomic(out, text)
    return {"output": out, "format": fmt, "bytes": len(text.encode("utf-8")),
            "tables": sum(b["tables"] for b in found),
            "benchmarks": [{k: v for k, v in b.items() if k != "result"} for b in found]}


def summary(r):
    """The CLI's text: a line per benchmark, then the output."""
    lines = []
    for b in r["benchmarks"]:
        if b["found"]:
            state = "found: %s, %s, made %s at %s" % (
                _count(b["tables"], "table"), _count(b["images"], "plot"), b["date"], b["commit"])
            if b["quick"]:
                state += " (quick run: not the reference figures)"
        else:
            state = "missing: make it with %s" % b["command"]
        lines.append("%-12s %-18s %s" % (b["key"], b["file"], state))
    lines.append("wrote %s (%s, %d of %d benchmarks, %s)" % (
        r["output"], "Markdown" if r["format"] == "md" else "self-contained HTML",
        sum(b["found"] for b in r["benchmarks"]), len(r["benchmarks"]),
        _count(r["tables"], "table")))
    return "\n".join(lines)


def _count(n, noun):
    return "%d %s%s" % (n, noun, "" if n == 1 else "s")


def _read(docs, key):
    file = key + ".json"
    b = {"key": key, "file": file, "found": False, "command": command(key), "tables": 0,
         "images": 0, "quick": False, "date": None, "commit": None}
    path = os.path.join(docs, file)
    if not os.path.isfile(path):
        return b
    try:
        res = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ReportError("cannot read %s: %s" % (path, e))
    if not isinstance(res, dict) or res.get("benchmark") != key:
        raise ReportError("%s is not the %s benchmark's result (no \"benchmark\": %r)"
                          % (path, key, key))
    b.update(found=True, result=res, command=res.get("command") or b["command"],
             tables=len(res.get("headline", ())) + bool(res.get("targets")),
             images=len(res.get("plots", ())), quick=bool(res.get("quick")),
             date=res.get("date"), commit=res.get("commit"))
    return b


def _assemble(found, docs, out_dir, embed):
    md = ["# %s\n" % TITLE,
          "Each section is one benchmark's headline figures, read from its JSON result; "
          "its page has every table and how it was measured.\n"]
    md += ["%d. [%s](#%s)" % (i + 1, b["result"]["title"] if b["found"] else b["key"], b["key"])
           for i, b in enumerate(found)]
    md.append("")
    for b in found:
        if not b["found"]:
            md += ['## <a id="%s"></a>%s\n' % (b["key"], b["key"]),
                   "*No result yet: make it with `%s`.*\n" % b["command"]]
            continue
        res = b["result"]
        page = os.path.join(docs, res.get("page") or PAGE.get(b["key"], b["key"] + ".md"))
        md.append('## <a id="%s"></a>%s\n' % (b["key"], res["title"]))
        md.append("*From `%s` at commit %s on %s; %s. Every figure: [%s](%s).%s*\n" % (
            res.get("command"), res.get("commit"), res.get("date"), res.get("environment"),
            os.path.basename(page), _relative(page, out_dir),
            " Quick run: not the reference figures." if res.get("quick") else ""))
        md += headline(res)
        for p in res.get("plots", ()):
            img = os.path.join(os.path.dirname(page), p)
            md.append("![%s](%s)\n" % (Path(p).stem, _image(img, out_dir, embed)))
    return "\n".join(md)


def _image(path, out_dir, embed):
    if not embed:
        return _relative(path, out_dir)
    try:
        data = Path(path).read_bytes()
    except OSError:
        raise ReportError("cannot embed %s: the plot is missing (re-run the benchmark with "
                          "--plot, or write .md)" % path)
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return "data:%s;base64,%s" % (kind, base64.b64encode(data).decode())


def _relative(path, start):
    try:
        return Path(os.path.relpath(path, start)).as_posix()
    except ValueError:  # another drive (Windows)
        return Path(os.path.abspath(path)).as_uri()


def _markdown():
    try:
        import markdown
    except ImportError:
        raise ReportError("HTML output needs the markdown package: %s (or write .md)" % INSTALL)
    return markdown


def _html(text):
    body = _markdown().markdown(text, extensions=["tables", "fenced_code"])
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>%s</title>\n<style>\n%s\n</style>\n</head>\n<body>\n%s\n</body>\n</html>\n"
            % (TITLE, CSS, body))
