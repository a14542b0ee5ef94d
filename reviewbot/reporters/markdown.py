"""Markdown report for people: pull-request bodies, CI job summaries, issue comments.

Counts first, then one section per file with ``path:line`` locations, suggestions in fenced
blocks, then what was not reviewed (skipped files, failed chunks). A review whose chunks all failed
says so and never says "no findings".
"""

from __future__ import annotations

import re
import sys
from itertools import groupby
from typing import TextIO

from reviewbot.mdtext import neutralize
from reviewbot.reporters.base import (
    OriginalLines,
    chunks_attempted,
    count,
    line_span,
    severity_counts,
)
from reviewbot.suggestions import suggestion_fence, suggestion_lines
from reviewbot.types import Finding, Placement, Review, Side

_BACKTICKS = re.compile(r"`+")


class MarkdownReporter:
    """Writes one GitHub-flavoured Markdown document to ``stream``."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        color: bool = False,
        original_lines: OriginalLines | None = None,
    ) -> None:
        self._stream = stream

    def report(self, review: Review) -> None:
        out = self._stream if self._stream is not None else sys.stdout
        out.write(render_markdown(review))


def render_markdown(review: Review) -> str:
    """The whole report; blocks separated by blank lines, ending in one newline."""
    blocks = ["## reviewbot review", *_verdict(review)]
    placed = [f for f in review.findings if f.placement is not Placement.SUMMARY]
    placed.sort(key=lambda f: (f.path, f.placement is not Placement.FILE, f.line or 0))
    for path, group in groupby(placed, key=lambda f: f.path):
        blocks.append(f"### {_code(path)}\n\n" + "\n".join(_item(f) for f in group))
    general = [f for f in review.findings if f.placement is Placement.SUMMARY]
    if general:
        blocks.append("### General\n\n" + "\n".join(_item(f) for f in general))
    if review.skipped:
        skipped = "\n".join(f"- {_code(s.path)}: {s.reason}" for s in review.skipped)
        blocks.append(f"### Skipped files\n\n{skipped}")
    if review.errors:
        errors = "\n".join(
            f"- {', '.join(_code(p) for p in e.paths) or '(no files)'}: {e.reason}"
            for e in review.errors
        )
        blocks.append(f"### Failed chunks\n\n{errors}")
    return "\n\n".join(blocks) + "\n"


def _verdict(review: Review) -> list[str]:
    total = chunks_attempted(review)
    if review.failed:
        return [f"> **Review failed:** all {count(total, 'chunk')} failed; nothing was reviewed."]
    files = count(len(review.reviewed_files), "file")
    if review.findings:
        found = f"**{count(len(review.findings), 'finding')}** ({severity_counts(review)})"
        lines = [f"{found} in {files} reviewed."]
    else:
        lines = [f"No findings in {files} reviewed."]
    if review.errors:
        lines.append(
            f"> **Review incomplete:** {len(review.errors)} of {total} chunks failed; "
            "their files were not reviewed."
        )
    if review.stats.truncated_outputs:
        lines.append(
            f"> **Note:** {count(review.stats.truncated_outputs, 'model output')} cut off at "
            "the token limit; findings may be missing."
        )
    return lines


def _item(finding: Finding) -> str:
    where = _where(finding)
    head = f"- **{finding.severity.value}** [{finding.category}]{where}: "
    # Continuation lines indented by two spaces stay inside the list item.
    body = "\n  ".join(neutralize(finding.message).splitlines() or [""])
    parts = [head + body]
    if finding.note:
        parts.append(f"  (note: {neutralize(finding.note)})")
    if finding.suggestion is not None and finding.line is not None and finding.side is Side.RIGHT:
        parts.append(
            _suggestion(finding.line, finding.end_line or finding.line, finding.suggestion)
        )
    return "\n".join(parts)


def _where(finding: Finding) -> str:
    if finding.placement is Placement.SUMMARY:
        return f" {_code(finding.path)}" if finding.path else ""
    if finding.placement is Placement.FILE or finding.line is None:
        return f" {_code(finding.path)}"
    if finding.side is Side.LEFT:
        return f" {_code(finding.path)} (removed {line_span(finding.line, finding.end_line)})"
    span = "" if finding.end_line in (None, finding.line) else f"-{finding.end_line}"
    return f" {_code(f'{finding.path}:{finding.line}{span}')}"


def _suggestion(start: int, end: int, suggestion: str) -> str:
    lines = suggestion_lines(suggestion)
    if not lines:
        return f"\n  Suggested: delete {line_span(start, end)}."
    fence = suggestion_fence("\n".join(lines))
    block = "\n".join(f"  {line}" if line else "" for line in [fence, *lines, fence])
    return f"\n  Suggested replacement for {line_span(start, end)}:\n\n{block}"


def _code(text: str) -> str:
    """``text`` as an inline code span, whatever backticks it holds (CommonMark: a span closes
    at the first backtick run as long as its opening one)."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
