"""The Reporter protocol and the facts about a review that every format states the same way."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Protocol, TextIO

from reviewbot.types import Review, Severity

# (path, first line, last line) -> the original RIGHT-side lines, or None when unknown.
OriginalLines = Callable[[str, int, int], list[str] | None]


class Reporter(Protocol):
    def report(self, review: Review) -> None: ...


class ReporterFactory(Protocol):
    """A reporter class: formats ignore the options they have no use for."""

    def __call__(
        self,
        stream: TextIO | None = None,
        *,
        color: bool = False,
        original_lines: OriginalLines | None = None,
    ) -> Reporter: ...


_PLURAL = {"critical": "critical", "error": "errors", "warning": "warnings", "info": "info"}


def severity_counts(review: Review) -> str:
    """E.g. ``"1 critical, 2 errors, 1 warning"``: most severe first, zero counts left out."""
    counts = Counter(finding.severity for finding in review.findings)
    parts = []
    for severity in sorted(Severity, key=lambda s: s.rank, reverse=True):
        n = counts[severity]
        if n:
            parts.append(f"{n} {severity.value if n == 1 else _PLURAL[severity.value]}")
    return ", ".join(parts)


def chunks_attempted(review: Review) -> int:
    """Chunks sent to the model: every call, and at least every failed chunk."""
    return max(review.stats.calls, len(review.errors))


def count(n: int, noun: str) -> str:
    """``"1 file"``, ``"2 files"``: English plural by adding "s"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def line_span(start: int, end: int | None) -> str:
    """``"line 4"`` or ``"lines 4-6"``."""
    if end is None or end == start:
        return f"line {start}"
    return f"lines {start}-{end}"
