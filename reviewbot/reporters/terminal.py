"""Human-readable report for a terminal, compiler style (``path:line: severity: [category] msg``).

Editors and CI logs recognise ``path:line:`` and jump to it. Findings are grouped by file;
file-level findings read ``path: severity: ...``; findings not tied to a file go under
``general:``. The last lines say what was not reviewed and why, and end with one summary line
that never says "no findings" for a review whose chunks all failed.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from itertools import groupby
from typing import TextIO

from reviewbot.reporters.base import (
    OriginalLines,
    chunks_attempted,
    count,
    line_span,
    severity_counts,
)
from reviewbot.suggestions import suggestion_lines
from reviewbot.types import Finding, Placement, Review, Severity, Side, Skipped

_RESET = "\x1b[0m"
_SEVERITY_STYLE = {
    Severity.CRITICAL: "\x1b[1;31m",
    Severity.ERROR: "\x1b[31m",
    Severity.WARNING: "\x1b[33m",
    Severity.INFO: "\x1b[36m",
}
# Model text must not move the cursor or retitle the terminal: control characters (C0 except tab
# and newline, DEL, C1) are shown as "?".
_CONTROLS = {c: "?" for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if c not in (0x09, 0x0A)}
_BOLD, _RED, _GREEN, _YELLOW, _BOLD_RED = (
    "\x1b[1m",
    "\x1b[31m",
    "\x1b[32m",
    "\x1b[33m",
    "\x1b[1;31m",
)


class TerminalReporter:
    """Writes to ``stream`` (default: sys.stdout at report time); ANSI colour only if ``color``.

    original_lines: when given and it knows the lines, suggestions show as ``-``/``+`` diffs;
    otherwise as the ``+`` replacement lines under a "suggested replacement for lines a-b" header.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        color: bool = False,
        original_lines: OriginalLines | None = None,
    ) -> None:
        self._stream = stream
        self._color = color
        self._original_lines = original_lines

    def report(self, review: Review) -> None:
        out = self._stream if self._stream is not None else sys.stdout
        out.write("".join(line + "\n" for line in self._lines(_printable(review))))

    def _paint(self, text: str, style: str) -> str:
        return f"{style}{text}{_RESET}" if self._color else text

    def _lines(self, review: Review) -> list[str]:
        placed = [f for f in review.findings if f.placement is not Placement.SUMMARY]
        general = [f for f in review.findings if f.placement is Placement.SUMMARY]
        blocks: list[list[str]] = []
        # File-level findings first in each file, then by line; stable for equal keys.
        placed.sort(key=lambda f: (f.path, f.placement is not Placement.FILE, f.line or 0))
        for _, group in groupby(placed, key=lambda f: f.path):
            blocks.append([line for f in group for line in self._finding(f)])
        if general:
            blocks.append(
                ["general:"] + [f"  {line}" for f in general for line in self._finding(f)]
            )
        blocks.append(self._footer(review))
        return [line for i, block in enumerate(blocks) for line in ([""] if i else []) + block]

    def _finding(self, finding: Finding) -> list[str]:
        severity = self._paint(finding.severity.value, _SEVERITY_STYLE[finding.severity])
        first, *more = finding.message.splitlines() or [""]
        text = f"{severity}: [{finding.category}] {first}"
        if finding.placement is Placement.SUMMARY:
            head = f"{text} ({finding.path})" if finding.path else text
        elif finding.placement is Placement.FILE or finding.line is None:
            head = f"{self._paint(finding.path + ':', _BOLD)} {text}"
        elif finding.side is Side.LEFT:
            # Old-file numbers would send an editor to the wrong line, so no path:line here.
            where = line_span(finding.line, finding.end_line)
            head = f"{self._paint(finding.path + ':', _BOLD)} {text} (on removed {where})"
        else:
            head = f"{self._paint(f'{finding.path}:{finding.line}:', _BOLD)} {text}"
            if finding.end_line not in (None, finding.line):
                head += f" ({line_span(finding.line, finding.end_line)})"
        lines = [head, *(f"  {line}" for line in more), *self._suggestion(finding)]
        if finding.note:
            lines.append(f"  note: {finding.note}")
        return lines

    def _suggestion(self, finding: Finding) -> list[str]:
        if finding.suggestion is None or finding.line is None or finding.side is Side.LEFT:
            return []
        end = finding.end_line or finding.line
        new = suggestion_lines(finding.suggestion)
        old = (
            self._original_lines(finding.path, finding.line, end) if self._original_lines else None
        )
        if old is not None:
            header = f"  suggested change to {line_span(finding.line, end)}:"
        elif not new:
            return [f"  suggested: delete {line_span(finding.line, end)}"]
        else:
            header = f"  suggested replacement for {line_span(finding.line, end)}:"
        removed = [self._paint(f"  - {_text(line)}", _RED) for line in old or []]
        added = [self._paint(f"  + {line}", _GREEN) for line in new]
        return [header, *removed, *added]

    def _footer(self, review: Review) -> list[str]:
        lines: list[str] = []
        if review.skipped:
            lines.append(f"skipped {count(len(review.skipped), 'file')}:")
            lines += [f"  {s.path}: {s.reason}" for s in review.skipped]
        if review.errors:
            lines.append("chunk errors:")
            lines += [f"  {', '.join(e.paths) or '(no files)'}: {e.reason}" for e in review.errors]
        if review.discarded:
            lines.append("unusable findings in the model's answers:")
            lines += [f"  {_text(why)}" for why in review.discarded]
        cut = review.stats.truncated_outputs
        if cut:
            lines.append(
                f"note: {count(cut, 'model output')} cut off at the token limit; findings may be "
                "missing (raise max_new_tokens)"
            )
        lines += self._verdict(review)
        return lines

    def _verdict(self, review: Review) -> list[str]:
        total = chunks_attempted(review)
        if review.failed:
            failed = f"review failed: all {count(total, 'chunk')} failed; nothing was reviewed"
            return [self._paint(failed, _BOLD_RED)]
        lines = []
        if review.errors:
            lines.append(
                self._paint(
                    f"review incomplete: {len(review.errors)} of {total} chunks failed; "
                    "their files were not reviewed",
                    _YELLOW,
                )
            )
        files = count(len(review.reviewed_files), "file")
        if review.findings:
            counts = severity_counts(review)
            lines.append(f"{count(len(review.findings), 'finding')} ({counts}) in {files} reviewed")
        else:
            lines.append(f"no findings in {files} reviewed")
        return lines


def _text(text: str) -> str:
    return text.replace("\r\n", "\n").translate(_CONTROLS)


def _printable(review: Review) -> Review:
    """``review`` with control characters in every text from the model or the diff replaced."""
    findings = tuple(
        replace(
            f,
            path=_text(f.path),
            category=_text(f.category),
            message=_text(f.message),
            suggestion=None if f.suggestion is None else _text(f.suggestion),
            note=None if f.note is None else _text(f.note),
        )
        for f in review.findings
    )
    skipped = tuple(Skipped(_text(s.path), _text(s.reason)) for s in review.skipped)
    errors = tuple(
        replace(e, paths=tuple(map(_text, e.paths)), reason=_text(e.reason)) for e in review.errors
    )
    return replace(review, findings=findings, skipped=skipped, errors=errors)
