"""reviewdog's rdjsonl: one ``Diagnostic`` JSON object per line, so reviewdog can post findings to
GitLab, Gitea, Bitbucket and Gerrit (format: reviewdog's proto/rdf/reviewdog.proto).

Ranges carry lines only, no columns: per reviewdog.proto, "if both start and end position omit
column value, it's handled as linewise and the range includes end position (line) as well", and
reviewdog's GitHub and Gitea services only turn such line-wise suggestions into suggestion blocks,
requiring the suggestion's lines to equal the diagnostic's. reviewdog comments on the new side, so
findings on removed (LEFT) lines and file-level findings get a path without a range.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from reviewbot.reporters.base import OriginalLines, line_span
from reviewbot.suggestions import suggestion_file_text
from reviewbot.types import Finding, Placement, Review, Severity, Side

_SEVERITY = {
    Severity.CRITICAL: "ERROR",
    Severity.ERROR: "ERROR",
    Severity.WARNING: "WARNING",
    Severity.INFO: "INFO",
}


class RdjsonlReporter:
    """Writes one line per finding to ``stream``; a review without findings writes nothing.

    Skipped files and chunk errors have no place in the format; the CLI reports them on stderr.
    """

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
        for finding in review.findings:
            out.write(json.dumps(diagnostic(finding), ensure_ascii=False) + "\n")


def diagnostic(finding: Finding) -> dict[str, Any]:
    """One finding as a reviewdog ``Diagnostic`` dict."""
    message = finding.message
    line_range = None
    if finding.placement is Placement.INLINE and finding.line is not None:
        end = finding.end_line or finding.line
        if finding.side is Side.LEFT:
            message += f" (on removed {line_span(finding.line, end)})"
        else:
            line_range = {"start": {"line": finding.line}, "end": {"line": end}}
    result: dict[str, Any] = {"message": message}
    if finding.path:
        location: dict[str, Any] = {"path": finding.path}
        if line_range is not None:
            location["range"] = line_range
        result["location"] = location
    result["severity"] = _SEVERITY[finding.severity]
    result["source"] = {"name": "reviewbot"}
    result["code"] = {"value": finding.category}
    if line_range is not None and finding.suggestion is not None:
        # reviewdog appends the newline after the last line itself; "" deletes the lines.
        text = suggestion_file_text(finding.suggestion)
        result["suggestions"] = [{"range": line_range, "text": text}]
    return result
