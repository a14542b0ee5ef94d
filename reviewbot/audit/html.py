"""A self-contained HTML report: one file, no external assets, readable offline.

Findings by severity, category and directory (inline SVG bar charts), a table that sorts by any
column (a few lines of inline JavaScript; without it the table is still there, in path order),
and every finding with a code excerpt whose flagged lines are highlighted. Everything taken from
the review is escaped (``html.escape``); nothing from it reaches an attribute unescaped or a
script at all.

``HtmlReporter`` has the reporters' constructor (``ReporterFactory``), so it can be registered
with the other formats.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from html import escape
from pathlib import PurePosixPath
from typing import TextIO

from reviewbot import __version__
from reviewbot.audit.html_assets import SCRIPT, STYLE
from reviewbot.reporters.base import OriginalLines, count, severity_counts
from reviewbot.types import Finding, Review, Severity

EXCERPT_CONTEXT = 3  # lines shown above and below the flagged ones
TOP_DIRECTORIES = 12
_COLORS = {"critical": "#8b0000", "error": "#d1242f", "warning": "#bf8700", "info": "#0969da"}


class HtmlReporter:
    """Writes one HTML page for a review to ``stream`` (stdout when None).

    original_lines: the files' current lines, for the excerpts; without it findings show no code.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        color: bool = False,
        original_lines: OriginalLines | None = None,
        title: str = "reviewbot audit",
    ) -> None:
        self._stream = stream
        self._lines = original_lines
        self._title = title

    def report(self, review: Review) -> None:
        out = self._stream if self._stream is not None else sys.stdout
        out.write(html_page(review, self._lines, title=self._title))


def html_page(review: Review, lines: OriginalLines | None, *, title: str) -> str:
    """The whole page as text."""
    findings = sorted(review.findings, key=lambda f: (-f.severity.rank, f.path, f.line or 0))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _summary(review),
        _charts(review.findings),
        _table(findings),
        _details(findings, lines),
        _problems(review),
        f"<footer>reviewbot {escape(__version__)}</footer>",
        f"<script>{SCRIPT}</script></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _summary(review: Review) -> str:
    counts = severity_counts(review) or "no findings"
    files = count(len(review.reviewed_files), "file")
    units = count(review.stats.calls, "unit")
    notes = []
    if review.errors:
        notes.append(f"{count(len(review.errors), 'unit')} failed")
    if review.skipped:
        notes.append(f"{count(len(review.skipped), 'file')} skipped")
    extra = f" ({', '.join(notes)})" if notes else ""
    return (
        f'<p class="summary"><strong>{escape(counts)}</strong> in {files}, '
        f"{units} audited{escape(extra)}.</p>"
    )


def _directory(path: str) -> str:
    parent = PurePosixPath(path).parent.as_posix()
    return "(top)" if parent == "." else parent + "/"


def _charts(findings: Sequence[Finding]) -> str:
    severities = Counter(f.severity.value for f in findings)
    by_severity = [
        (s.value, severities[s.value], _COLORS[s.value])
        for s in sorted(Severity, key=lambda s: -s.rank)
    ]
    categories = Counter(f.category for f in findings).most_common()
    directories = Counter(_directory(f.path) for f in findings).most_common(TOP_DIRECTORIES)
    return (
        '<section class="charts">'
        + bar_chart("By severity", by_severity)
        + bar_chart("By category", [(c, n, "#57606a") for c, n in categories])
        + bar_chart("By directory", [(d, n, "#1f6feb") for d, n in directories])
        + "</section>"
    )


def bar_chart(title: str, bars: Sequence[tuple[str, int, str]]) -> str:
    """An inline SVG of horizontal bars: (label, value, colour) each, in the order given."""
    width, label_width, row = 420, 170, 22
    most = max((n for _, n, _ in bars), default=0) or 1
    height = row * max(len(bars), 1) + 4
    rows = []
    for i, (label, value, colour) in enumerate(bars):
        y = i * row + 2
        length = round((width - label_width - 50) * value / most)
        shown = label if len(label) <= 24 else "…" + label[-23:]
        rows.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">{escape(shown)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length}" height="{row - 6}" '
            f'fill="{escape(colour)}"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{label_width + length + 4}" y="{y + 15}">{value}</text>'
        )
    if not bars:
        rows.append(f'<text x="4" y="{row - 6}">none</text>')
    return (
        f'<figure><figcaption>{escape(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
        + "".join(rows)
        + "</svg></figure>"
    )


def _where(finding: Finding) -> str:
    if finding.line is None:
        return ""
    end = finding.end_line
    return str(finding.line) if end is None or end == finding.line else f"{finding.line}-{end}"


def _table(findings: Sequence[Finding]) -> str:
    head = "".join(
        f'<th data-kind="{kind}">{name}</th>'
        for name, kind in (
            ("Severity", "num"),
            ("Category", "text"),
            ("File", "text"),
            ("Line", "num"),
            ("Message", "text"),
        )
    )
    rows = []
    for i, f in enumerate(findings):
        severity = f.severity.value
        rows.append(
            f'<tr><td data-sort="{f.severity.rank}"><span class="sev {severity}">{severity}</span>'
            f"</td><td>{escape(f.category)}</td><td>{escape(f.path)}</td>"
            f'<td data-sort="{f.line or 0}">{_where(f)}</td>'
            f'<td><a href="#f{i}">{escape(_first_line(f.message))}</a></td></tr>'
        )
    body = "".join(rows) or '<tr><td colspan="5">No findings.</td></tr>'
    return f'<table id="findings"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= 160 else line[:159] + "…"


def _details(findings: Sequence[Finding], lines: OriginalLines | None) -> str:
    parts = ["<section><h2>Findings</h2>"]
    for i, f in enumerate(findings):
        where = f"{f.path}:{_where(f)}" if f.line is not None else f.path
        parts.append(
            f'<article id="f{i}"><h3><span class="sev {f.severity.value}">{f.severity.value}</span>'
            f" {escape(f.category)} · <code>{escape(where)}</code></h3>"
            f"<p>{escape(f.message)}</p>{_excerpt(f, lines)}"
            + (f"<p class=note>{escape(f.note)}</p>" if f.note else "")
            + (f"<p>Suggested:</p><pre>{escape(f.suggestion)}</pre>" if f.suggestion else "")
            + "</article>"
        )
    parts.append("</section>")
    return "".join(parts)


def _excerpt(finding: Finding, lines: OriginalLines | None) -> str:
    """The flagged lines with EXCERPT_CONTEXT lines around them, flagged ones highlighted."""
    if lines is None or finding.line is None:
        return ""
    first, last = finding.line, finding.end_line or finding.line
    start, end = max(1, first - EXCERPT_CONTEXT), last + EXCERPT_CONTEXT
    shown = lines(finding.path, start, end)
    while shown is None and end > last:  # the excerpt ran past the end of the file
        end -= 1
        shown = lines(finding.path, start, end)
    if shown is None:
        return ""
    rows = []
    for number, text in enumerate(shown, start=start):
        mark = ' class="hit"' if first <= number <= last else ""
        rows.append(f"<tr{mark}><td>{number}</td><td>{escape(text)}</td></tr>")
    return f'<table class="code">{"".join(rows)}</table>'


def _problems(review: Review) -> str:
    parts = []
    if review.errors:
        items = "".join(
            f"<li><code>{escape(', '.join(e.paths))}</code>: {escape(e.reason)}</li>"
            for e in review.errors
        )
        parts.append(f"<details open><summary>Failed units</summary><ul>{items}</ul></details>")
    if review.skipped:
        items = "".join(
            f"<li><code>{escape(s.path)}</code>: {escape(s.reason)}</li>" for s in review.skipped
        )
        parts.append(f"<details><summary>Skipped files</summary><ul>{items}</ul></details>")
    return "".join(parts)
