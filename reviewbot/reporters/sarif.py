"""SARIF 2.1.0 report for GitHub code scanning and other SARIF viewers.

One run; one rule per category (``reviewbot/<category>``); partialFingerprints carry the finding's
rebase-stable fingerprint (``reviewbot.fingerprint``) under ``FINGERPRINT_KEY``, whose version
goes up whenever what the fingerprint hashes changes (SARIF 2.1.0, section 3.27.17). SARIF
describes the current files, so findings on removed (LEFT) lines point at the file without a
region and say the old line in the message. Chunk errors, skipped files and cut-off outputs become
toolExecutionNotifications; ``executionSuccessful`` is false when any chunk failed. GitHub accepts
at most 25,000 results per run: beyond that the most severe are kept and a notification says how
many were left out.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO
from urllib.parse import quote

from reviewbot import __version__
from reviewbot.reporters.base import OriginalLines, count, line_span
from reviewbot.suggestions import suggestion_file_text, suggestion_lines
from reviewbot.types import Finding, Placement, Review, Side

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
GITHUB_MAX_RESULTS = 25_000  # per run, GitHub code scanning's upload limit
# Versioned: the SARIF consumer compares fingerprints only under one key.
FINGERPRINT_KEY = "reviewbot/v2"


class SarifReporter:
    """Writes one SARIF log (JSON, 2-space indent) to ``stream``."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        color: bool = False,
        original_lines: OriginalLines | None = None,
        max_results: int = GITHUB_MAX_RESULTS,
    ) -> None:
        self._stream = stream
        self._max_results = max_results

    def report(self, review: Review) -> None:
        out = self._stream if self._stream is not None else sys.stdout
        log = sarif_log(review, max_results=self._max_results)
        out.write(json.dumps(log, indent=2, ensure_ascii=False) + "\n")


def sarif_log(review: Review, *, max_results: int = GITHUB_MAX_RESULTS) -> dict[str, Any]:
    """The SARIF 2.1.0 log of ``review`` as a dict of JSON values."""
    findings = _most_severe(review.findings, max_results)
    categories = sorted({f.category for f in findings})
    rule_index = {category: i for i, category in enumerate(categories)}
    rules = [
        {"id": f"reviewbot/{c}", "shortDescription": {"text": f"reviewbot: {c} findings"}}
        for c in categories
    ]
    dropped = len(review.findings) - len(findings)
    run = {
        "tool": {"driver": {"name": "reviewbot", "version": __version__, "rules": rules}},
        "invocations": [_invocation(review, dropped, max_results)],
        "results": [_result(f, rule_index[f.category]) for f in findings],
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _most_severe(findings: Sequence[Finding], limit: int) -> Sequence[Finding]:
    if len(findings) <= limit:
        return findings
    return sorted(findings, key=lambda f: -f.severity.rank)[:limit]


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f"reviewbot/{finding.category}",
        "ruleIndex": rule_index,
        "level": finding.severity.sarif_level,
        "message": {"text": _message(finding)},
    }
    if finding.path:
        result["locations"] = [{"physicalLocation": _physical_location(finding)}]
    result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    properties = {
        "category": finding.category,
        "severity": finding.severity.value,
        "placement": finding.placement.value,
    }
    if finding.note:
        properties["note"] = finding.note
    result["properties"] = properties
    lines = _new_lines(finding)
    if lines is not None and finding.suggestion is not None:
        result["fixes"] = [_fix(finding.path, *lines, finding.suggestion)]
    return result


def _new_lines(finding: Finding) -> tuple[int, int] | None:
    """(first, last) new-file lines of an inline RIGHT finding; None for any other finding."""
    if finding.placement is not Placement.INLINE or finding.line is None:
        return None
    if finding.side is not Side.RIGHT:
        return None
    return finding.line, finding.end_line or finding.line


def _message(finding: Finding) -> str:
    text = finding.message
    lines = _new_lines(finding)
    if finding.placement is Placement.INLINE and finding.side is Side.LEFT and finding.line:
        text += f" (on removed {line_span(finding.line, finding.end_line)})"
    elif lines is not None and finding.suggestion is not None:
        span = line_span(*lines)
        new = suggestion_lines(finding.suggestion)
        if new:
            text += f"\n\nSuggested replacement for {span}:\n" + "\n".join(new)
        else:
            text += f"\n\nSuggested: delete {span}."
    return text


def _artifact(path: str) -> dict[str, str]:
    # RFC 3986: percent-encode spaces and non-ASCII (as UTF-8); keep "/" as the separator.
    return {"uri": quote(path, safe="/"), "uriBaseId": "%SRCROOT%"}


def _physical_location(finding: Finding) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": _artifact(finding.path)}
    lines = _new_lines(finding)
    if lines is not None:
        location["region"] = {"startLine": lines[0], "endLine": lines[1]}
    return location


def _fix(path: str, start: int, end: int, suggestion: str) -> dict[str, Any]:
    new = suggestion_lines(suggestion)
    # A line-only region ends before the last line's newline (SARIF 2.1.0 §3.30.2), so a
    # replacement keeps the file's own line terminator; a deletion must also take the newline,
    # so it runs to column 1 of the next line.
    region: dict[str, int] = {"startLine": start, "endLine": end}
    if not new:
        region = {"startLine": start, "startColumn": 1, "endLine": end + 1, "endColumn": 1}
    return {
        "description": {"text": f"Replace {line_span(start, end)}"},
        "artifactChanges": [
            {
                "artifactLocation": _artifact(path),
                "replacements": [
                    {
                        "deletedRegion": region,
                        "insertedContent": {"text": suggestion_file_text(suggestion)},
                    }
                ],
            }
        ],
    }


def _invocation(review: Review, dropped: int, max_results: int) -> dict[str, Any]:
    notes = [
        _note("error", f"chunk failed ({', '.join(e.paths)}): {e.reason}") for e in review.errors
    ]
    notes += [_note("note", f"skipped {s.path}: {s.reason}") for s in review.skipped]
    notes += [_note("warning", f"unusable finding: {why}") for why in review.discarded]
    if review.stats.truncated_outputs:
        notes.append(
            _note(
                "warning",
                f"{count(review.stats.truncated_outputs, 'model output')} cut off at the token "
                "limit; findings may be missing (raise max_new_tokens)",
            )
        )
    if dropped:
        notes.append(
            _note(
                "warning",
                f"{dropped} of {len(review.findings)} results left out: at most {max_results} "
                "results per run are accepted by GitHub code scanning; the most severe were kept",
            )
        )
    # any failed chunk means part of the diff was not reviewed: not a successful execution
    return {"executionSuccessful": not review.errors, "toolExecutionNotifications": notes}


def _note(level: str, text: str) -> dict[str, Any]:
    return {"level": level, "message": {"text": text}}
