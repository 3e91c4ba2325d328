"""ulearn report: every benchmark's results on one page."""
from ._common import emit

HELP = "gather every benchmark's results into one report (.md or .html)"
DESCRIPTION = (
    "Write one page from the benchmark results in --docs (NAME.json, written by "
    "tools/bench_*.py): for each benchmark where its figures came from, its summary, headline "
    "tables and targets, its plots and a link to its own page. A missing result is reported "
    "with the command that makes it. The output's suffix picks the format: .md (images linked "
    "relative to it) or .html (one self-contained file, images embedded; needs the markdown "
    "package: pip install -e \".[report]\").")


def add_arguments(p):
    # nothing from ulearn_host.report here: it loads only when the report is written
    p.add_argument("--docs", default="docs",
                   help="folder of the benchmark results (default docs)")
    p.add_argument("-o", "--output", help="the report, .md or .html (default DOCS/report.md)")


def run(args):
    from .. import report
    r = report.write(args.docs, args.output)
    emit(args, r, report.summary(r))
