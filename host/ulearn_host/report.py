"""One page gathering every benchmark's results (``ulearn report``).

The benchmark scripts in tools/ each write a Markdown page (docs/*.md) with
PNG plots (docs/img). This module reads those pages and writes one report:
where each page came from (its command and environment line), a table of
contents, the pages' Summary and Target(s) blocks under "Headline figures",
then each page's remaining content with its headings demoted one level, its
image paths rewritten, its links to other pages pointed at their sections
(other relative links at their files), and a caption after every table naming the command that made it and the
headings above it. The output is Markdown (images linked
relative to the report's folder) or one self-contained HTML file (images
embedded as base64 ``data:`` URIs; needs the ``markdown`` package).

Example
-------
>>> from ulearn_host import report
>>> r = report.write("docs", "docs/report.html")   # doctest: +SKIP
>>> [(p["key"], p["found"], p["tables"]) for p in r["pages"]]  # doctest: +SKIP
"""
import base64
import mimetypes
import os
import re
import tempfile
from collections import namedtuple
from datetime import datetime, timezone
from pathlib import Path

Page = namedtuple("Page", "key file title command")

# the benchmark pages, in report order; `command` is printed for a missing page
# (a page that exists names its own command, which is the one quoted)
PAGES = [
    Page("tinyol", "benchmarks.md",
         "TinyOL: streaming accuracy, anomaly detection, cost of one step",
         "python tools/bench_tinyol.py --out docs/benchmarks.md --plot docs/img"),
    Page("incremental", "incremental.md", "Class-incremental learning with replay",
         "python tools/bench_incremental.py --out docs/incremental.md --plot docs/img"),
    Page("sparse", "sparse.md", "Sparse updates",
         "python tools/bench_sparse.py --out docs/sparse.md --plot docs/img"),
    Page("fed", "fed.md", "Federated meta-learning",
         "python tools/bench_fed.py --out docs/fed.md --plot docs/img"),
    Page("device", "device.md", "Device-side speed and memory on the virtual board",
         "python tools/bench_device.py --out docs/device.md --json docs/device.json "
         "--plot docs/img"),
]

TITLE = "ulearn benchmark report"
FORMATS = {".md": "md", ".html": "html", ".htm": "html"}
INSTALL = 'pip install -e ".[report]"'

FENCE = re.compile(r"^\s{0,3}(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$")
IMAGE = re.compile(r'!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(\s+"[^"]*")?\s*\)')
LINK = re.compile(r'(?<!!)\[([^\]]*)\]\(\s*([^)\s#:]+)\s*\)')  # [text](relative/path)
BLOCK = re.compile(r"^\*\*(Summary|Targets?)\b")  # a headline block starts so
DETAILS = re.compile(r"^<details>", re.M)

CSS = """body{font:15px/1.5 system-ui,sans-serif;max-width:80em;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0;display:block;overflow-x:auto}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#eee}tr:nth-child(even) td{background:#f7f7f7}
code{background:#f2f2f2;padding:0 .2em}pre{background:#f2f2f2;padding:.5em;overflow-x:auto}
img{max-width:100%}details{margin:.5em 0}summary{cursor:pointer}
p>em:only-child{color:#555}"""


class ReportError(ValueError):
    """A report that cannot be made: printed as a message, not a traceback."""


def write(docs="docs", out=None):
    """Write the report of the pages in `docs` to `out` (default docs/report.md);
    .md or .html by its suffix. Returns what was written, page by page."""
    out = out or os.path.join(docs, "report.md")
    fmt = FORMATS.get(Path(out).suffix.lower())
    if fmt is None:
        raise ReportError("cannot write %s: unknown suffix %r (use .md for Markdown or .html "
                          "for one self-contained HTML file)" % (out, Path(out).suffix))
    if any(os.path.abspath(out) == os.path.abspath(os.path.join(docs, s.file)) for s in PAGES):
        raise ReportError("cannot write %s: it is one of the benchmark pages" % out)
    if fmt == "html":
        _markdown()  # fail before any work when the package is missing
    pages = [_read(docs, spec) for spec in PAGES]
    if not any(p["found"] for p in pages):
        raise ReportError("no benchmark page in %s (looked for %s); make one with, e.g., %s"
                          % (docs, ", ".join(s.file for s in PAGES), PAGES[0].command))
    text = _assemble(pages, docs, os.path.dirname(os.path.abspath(out)), fmt == "html")
    if fmt == "html":
        text = _html(text)
    _write_atomic(out, text)
    return {"output": out, "format": fmt, "bytes": len(text.encode("utf-8")),
            "tables": sum(p["tables"] for p in pages),
            "pages": [{k: v for k, v in p.items() if k not in ("header", "blocks", "body")}
                      for p in pages]}


def summary(r):
    """The CLI's text: a line per page, then the output."""
    lines = []
    for p in r["pages"]:
        if p["found"]:
            state = "found: %s, %s" % (_count(p["tables"], "table"), _count(p["images"], "image"))
            if p["missing_images"]:
                state += " (missing: %s)" % ", ".join(p["missing_images"])
        else:
            state = "missing: make it with %s" % p["command"]
        lines.append("%-12s %-15s %s" % (p["key"], p["file"], state))
    lines.append("wrote %s (%s, %d of %d pages, %s)" % (
        r["output"], "Markdown" if r["format"] == "md" else "self-contained HTML",
        sum(p["found"] for p in r["pages"]), len(r["pages"]), _count(r["tables"], "table")))
    return "\n".join(lines)


def _count(n, noun):
    return "%d %s%s" % (n, noun, "" if n == 1 else "s")


# -- reading a page

def _read(docs, spec):
    """A page split into title, header (command, environment), headline
    blocks (Summary, Target(s)) and body (from its first ## heading)."""
    p = {"key": spec.key, "file": spec.file, "title": spec.title, "found": False,
         "command": spec.command, "environment": None, "tables": 0, "images": 0,
         "missing_images": []}
    path = os.path.join(docs, spec.file)
    if not os.path.isfile(path):
        return p
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    start, body, fence = 0, len(lines), False
    for i, line in enumerate(lines):
        if FENCE.match(line):
            fence = not fence
        m = not fence and HEADING.match(line)
        if m and len(m.group(1)) == 1 and start == 0:
            p["title"], start = m.group(2), i + 1
        elif m and len(m.group(1)) > 1:
            body = i
            break
    header, blocks, fence = [], [], False
    for line in lines[start:body]:
        if FENCE.match(line):
            fence = not fence
        m = not fence and BLOCK.match(line)
        if m:
            blocks.append((m.group(1), []))
        (blocks[-1][1] if blocks else header).append(line)
    command = _first_fence(header)
    p.update(found=True, header=header, blocks=blocks, body=lines[body:],
             command=command or spec.command, environment=_environment(header))
    return p


def _first_fence(lines):
    """The command: the first fenced block's text on one line."""
    inside, got = False, []
    for line in lines:
        if FENCE.match(line):
            if inside:
                return " ".join(got)
            inside = True
        elif inside and line.strip():
            got.append(line.strip())
    return None


def _environment(header):
    """The machine / date line(s): the text after the command block."""
    ends = [i for i, line in enumerate(header) if FENCE.match(line)]
    rest = header[ends[1] + 1:] if len(ends) > 1 else header
    return " ".join(line.strip() for line in rest if line.strip()) or None


# -- writing the report

def _assemble(pages, docs, out_dir, embed):
    n = [0]  # tables so far, numbered in report order

    section = {p["file"]: "#bench-" + p["key"] for p in pages}

    def link(m):  # to another benchmark page: its section here; else from out_dir
        target = section.get(m.group(2)) or _relative(os.path.join(docs, m.group(2)), out_dir)
        return "[%s](%s)" % (m.group(1), target)

    def rewrite(page):
        # a line's images (embedded, or linked from out_dir) and links
        def sub(m):
            src = m.group(2)
            if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I):  # http:, data: ...: left alone
                return m.group(0)
            path = os.path.join(docs, src)
            page["images"] += 1
            if embed:
                if not os.path.isfile(path):
                    raise ReportError("image %s referenced by %s not found (looked for %s)"
                                      % (src, page["file"], path))
                mime = mimetypes.guess_type(path)[0] or "image/png"
                with open(path, "rb") as f:
                    src = "data:%s;base64,%s" % (mime, base64.b64encode(f.read()).decode())
            else:
                if not os.path.isfile(path):
                    page["missing_images"].append(src)
                src = _relative(path, out_dir)
            return "![%s](%s%s)" % (m.group(1), src, m.group(3) or "")
        return lambda line: LINK.sub(link, IMAGE.sub(sub, line))

    found = [p for p in pages if p["found"]]
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    md = ["# " + TITLE, "",
          "Made by `ulearn report` on %s from %d of %d benchmark pages in `%s/`. Every table "
          "is followed by a caption naming the command that produced it and the headings "
          "it sits under." % (made, len(found), len(pages), Path(docs).resolve().name), "",
          '## <a id="report-sources"></a>Sources', ""]
    for p in pages:
        if p["found"]:
            md.append("* **%s** (`%s`): `%s`" % (p["title"], p["file"], p["command"]))
            if p["environment"]:
                md.append("    * %s" % p["environment"])  # 4 spaces: nested everywhere
        else:
            md.append("* **%s** (`%s`): **not found**; make it with `%s`"
                      % (p["title"], p["file"], p["command"]))
    headline, sections = [], []
    for p in pages:
        headline += ["", '### <a id="headline-%s"></a>%s' % (p["key"], p["title"]), ""]
        if not p["found"]:
            headline.append("*Page not found: see [its section](#bench-%s).*" % p["key"])
            continue
        for label, lines in p["blocks"]:
            headline += _render(lines, p, [p["title"], label], n, rewrite(p), None)
        if not p["blocks"]:
            headline += ["*No Summary or Target paragraph on this page.*", ""]
        headline += ["", "[Full results: %s](#bench-%s)" % (p["title"], p["key"])]
    toc = ['* [Sources](#report-sources)', '* [Headline figures](#report-headline)']
    for p in pages:
        toc.append("* [%s](#bench-%s)%s" % (p["title"], p["key"],
                                             "" if p["found"] else " (not found)"))
        sections += ["", '## <a id="bench-%s"></a>%s' % (p["key"], p["title"]), ""]
        if not p["found"]:
            sections += ["**Not found**: `%s` is not among the pages. Make it from the repository "
                         "root with:" % p["file"], "", "```", p["command"], "```"]
            continue
        sections += _render(p["header"], p, [p["title"]], n, rewrite(p), None)
        if p["blocks"]:
            sections += ["*%s: in [Headline figures](#headline-%s).*" % (
                " and ".join(dict.fromkeys(label for label, _ in p["blocks"])), p["key"]), ""]
        sections += _render(p["body"], p, [], n, rewrite(p), toc)
    md += ["", '## <a id="report-contents"></a>Contents', ""] + toc
    md += ["", '## <a id="report-headline"></a>Headline figures'] + headline + sections
    return "\n".join(_squeeze(md)) + "\n"


def _render(lines, page, base, n, rewrite, toc):
    """Demote headings, rewrite images and links and caption every table. `base`: the
    heading path above these lines; `toc`: list the ## headings into it."""
    out, path, fence, i, sections = [], {}, False, 0, 0
    while i < len(lines):
        line = lines[i]
        if FENCE.match(line):
            fence = not fence
        m = not fence and HEADING.match(line)
        if m:
            level, text = len(m.group(1)), m.group(2)
            path = {k: v for k, v in path.items() if k < level}
            path[level] = text
            anchor = ""
            if toc is not None and level == 2:
                sections += 1
                name = "bench-%s-%d" % (page["key"], sections)
                anchor = '<a id="%s"></a>' % name
                toc.append("    * [%s](#%s)" % (text, name))
            out.append("#" * min(level + 1, 6) + " " + anchor + text)
            i += 1
        elif (not fence and line.lstrip().startswith("|") and i + 1 < len(lines)
              and TABLE_SEP.match(lines[i + 1])):
            j = i
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                j += 1
            out += [rewrite(t) for t in lines[i:j]]
            n[0] += 1
            page["tables"] += 1
            where = base + [path[k] for k in sorted(path) if k > 1] or [page["title"]]
            out += ["", "*Table %d: from `%s`; data: %s.*"
                    % (n[0], page["command"], " › ".join(where))]
            if j < len(lines) and lines[j].strip():
                out.append("")
            i = j
        else:
            out.append(line if fence else rewrite(line))
            i += 1
    return out


def _squeeze(lines):
    """No runs of blank lines (outside fenced code)."""
    out, fence = [], False
    for line in lines:
        if FENCE.match(line):
            fence = not fence
        if fence or line.strip() or (out and out[-1].strip()):
            out.append(line)
    return out


def _relative(path, start):
    try:
        return Path(os.path.relpath(path, start)).as_posix()
    except ValueError:  # another drive (Windows)
        return Path(os.path.abspath(path)).as_uri()


# -- HTML

def _markdown():
    try:
        import markdown
    except ImportError:
        raise ReportError("HTML output needs the markdown package: %s (or write .md)" % INSTALL)
    return markdown


def _html(text):
    # md_in_html: the tables inside <details> blocks are Markdown too
    body = _markdown().markdown(DETAILS.sub('<details markdown="1">', text),
                                extensions=["tables", "fenced_code", "toc", "md_in_html"])
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>%s</title>\n<style>\n%s\n</style>\n</head>\n<body>\n%s\n</body>\n</html>\n"
            % (TITLE, CSS, body))


def _write_atomic(out, text):
    """Write a temporary file next to `out`, then rename it over `out`."""
    folder = os.path.dirname(os.path.abspath(out))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".%s." % os.path.basename(out), suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a report is not
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
