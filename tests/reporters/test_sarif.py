from __future__ import annotations

import io
import json
from typing import Any

import factories
import pytest
from pydantic_sarif.model import (  # type: ignore[import-untyped]
    StaticAnalysisResultsFormatSarifVersion210JsonSchema as SarifLog,
)

from reviewbot import __version__
from reviewbot.reporters.sarif import SarifReporter, sarif_log
from reviewbot.types import Finding, Placement, Review, Severity, Stats

SRC_APP = {"uri": "src/app.py", "uriBaseId": "%SRCROOT%"}
GUIDE = {"uri": "docs/guide%20%C3%BC.md", "uriBaseId": "%SRCROOT%"}


def render(review: Review, **options: Any) -> dict[str, Any]:
    out = io.StringIO()
    SarifReporter(out, **options).report(review)
    text = out.getvalue()
    assert text.endswith("}\n")
    log: dict[str, Any] = json.loads(text)
    # pydantic-sarif's models are generated from sarif-schema-2.1.0.json (extra keys forbidden).
    SarifLog.model_validate(log)
    return log


def test_log_header_and_rules(review: Review) -> None:
    log = render(review)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    assert log["runs"][0]["tool"] == {
        "driver": {
            "name": "reviewbot",
            "version": __version__,
            "rules": [
                {"id": f"reviewbot/{c}", "shortDescription": {"text": f"reviewbot: {c} findings"}}
                for c in ("bug", "design", "security", "style", "tests")
            ],
        }
    }


def test_results(review: Review) -> None:
    results = render(review)["runs"][0]["results"]
    assert results == [
        {
            "ruleId": "reviewbot/bug",
            "ruleIndex": 0,
            "level": "error",
            "message": {
                "text": "Off-by-one: the loop reads past the end.\n\n"
                "Suggested replacement for lines 12-13:\nfor i in range(n):\n    total += xs[i]"
            },
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": SRC_APP,
                        "region": {"startLine": 12, "endLine": 13},
                    }
                }
            ],
            "partialFingerprints": {"reviewbot/v2": "fp-inline"},
            "properties": {"category": "bug", "severity": "error", "placement": "inline"},
            "fixes": [
                {
                    "description": {"text": "Replace lines 12-13"},
                    "artifactChanges": [
                        {
                            "artifactLocation": SRC_APP,
                            "replacements": [
                                {
                                    "deletedRegion": {"startLine": 12, "endLine": 13},
                                    "insertedContent": {
                                        "text": "for i in range(n):\n    total += xs[i]"
                                    },
                                }
                            ],
                        }
                    ],
                }
            ],
        },
        {
            "ruleId": "reviewbot/design",
            "ruleIndex": 1,
            "level": "warning",
            "message": {"text": "Parsing and I/O are mixed in one function."},
            "locations": [{"physicalLocation": {"artifactLocation": SRC_APP}}],
            "partialFingerprints": {"reviewbot/v2": "fp-file"},
            "properties": {"category": "design", "severity": "warning", "placement": "file"},
        },
        {
            "ruleId": "reviewbot/style",
            "ruleIndex": 3,
            "level": "note",
            "message": {"text": "The removed check guarded against None. (on removed line 30)"},
            "locations": [{"physicalLocation": {"artifactLocation": SRC_APP}}],
            "partialFingerprints": {"reviewbot/v2": "fp-left"},
            "properties": {
                "category": "style",
                "severity": "info",
                "placement": "inline",
                "note": "moved from line 29, which is not in the diff",
            },
        },
        {
            "ruleId": "reviewbot/tests",
            "ruleIndex": 4,
            "level": "warning",
            "message": {"text": "The change adds no tests."},
            "partialFingerprints": {"reviewbot/v2": "fp-summary"},
            "properties": {"category": "tests", "severity": "warning", "placement": "summary"},
        },
        {
            "ruleId": "reviewbot/security",
            "ruleIndex": 2,
            "level": "error",
            "message": {
                "text": "The example prints the token.\n\n"
                "Suggested replacement for line 3:\n```sh\necho done\n```"
            },
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": GUIDE,
                        "region": {"startLine": 3, "endLine": 3},
                    }
                }
            ],
            "partialFingerprints": {"reviewbot/v2": "fp-fenced"},
            "properties": {"category": "security", "severity": "critical", "placement": "inline"},
            "fixes": [
                {
                    "description": {"text": "Replace line 3"},
                    "artifactChanges": [
                        {
                            "artifactLocation": GUIDE,
                            "replacements": [
                                {
                                    "deletedRegion": {"startLine": 3, "endLine": 3},
                                    "insertedContent": {"text": "```sh\necho done\n```"},
                                }
                            ],
                        }
                    ],
                }
            ],
        },
    ]


def test_invocation_reports_errors_skips_and_cut_off_outputs(review: Review) -> None:
    assert render(review)["runs"][0]["invocations"] == [
        {
            "executionSuccessful": False,  # one chunk failed: part of the diff was not reviewed
            "toolExecutionNotifications": [
                {
                    "level": "error",
                    "message": {
                        "text": "chunk failed (src/db.py, src/api.py): "
                        "model output was not valid JSON"
                    },
                },
                {"level": "note", "message": {"text": "skipped assets/logo.png: binary file"}},
                {
                    "level": "warning",
                    "message": {
                        "text": "1 model output cut off at the token limit; findings may be "
                        "missing (raise max_new_tokens)"
                    },
                },
            ],
        }
    ]


def test_all_chunks_failed_is_not_successful(failed_review: Review) -> None:
    run = render(failed_review)["runs"][0]
    assert run["results"] == []
    assert run["invocations"][0]["executionSuccessful"] is False
    assert [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]] == [
        "chunk failed (a.py): backend timed out after 120 s",
        "chunk failed (b.py): backend timed out after 120 s",
    ]


def finding(line: int, severity: Severity, suggestion: str | None = None) -> Finding:
    return factories.finding(
        line=line,
        end_line=line,
        severity=severity,
        category="bug",
        message=f"m{line}",
        suggestion=suggestion,
        fingerprint=f"f{line}",
    )


def test_results_beyond_the_limit_keep_the_most_severe() -> None:
    review = Review(
        findings=(
            finding(1, Severity.INFO),
            finding(2, Severity.CRITICAL),
            finding(3, Severity.WARNING),
            finding(4, Severity.CRITICAL),
        ),
        stats=Stats(calls=1),
    )
    run = render(review, max_results=3)["runs"][0]
    assert [r["message"]["text"] for r in run["results"]] == ["m2", "m4", "m3"]
    assert run["invocations"][0]["toolExecutionNotifications"] == [
        {
            "level": "warning",
            "message": {
                "text": "1 of 4 results left out: at most 3 results per run are accepted by "
                "GitHub code scanning; the most severe were kept"
            },
        }
    ]


def test_github_limit_is_25000() -> None:
    review = Review(findings=(finding(1, Severity.INFO),) * 25_001, stats=Stats(calls=1))
    log = sarif_log(review)
    assert len(log["runs"][0]["results"]) == 25_000


def test_deletion_fix_takes_the_line_terminators() -> None:
    review = Review(findings=(finding(5, Severity.WARNING, suggestion=""),), stats=Stats(calls=1))
    result = render(review)["runs"][0]["results"][0]
    assert result["message"]["text"] == "m5\n\nSuggested: delete line 5."
    assert result["fixes"][0]["artifactChanges"][0]["replacements"] == [
        {
            "deletedRegion": {"startLine": 5, "startColumn": 1, "endLine": 6, "endColumn": 1},
            "insertedContent": {"text": ""},
        }
    ]


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("src/a b.py", "src/a%20b.py"),
        ("src/naïve.py", "src/na%C3%AFve.py"),
        ("src/100%.py", "src/100%25.py"),
        ("src/x#1?.py", "src/x%231%3F.py"),
    ],
)
def test_uris_are_percent_encoded(path: str, uri: str) -> None:
    item = factories.finding(path=path, line=None, placement=Placement.FILE)
    result = render(Review(findings=(item,), stats=Stats(calls=1)))["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri


def test_schema_validation_rejects_bad_logs() -> None:
    # Guards the validator itself: a misspelt property must fail, or the checks above prove nothing.
    log = sarif_log(Review(findings=(finding(1, Severity.INFO),), stats=Stats(calls=1)))
    log["runs"][0]["results"][0]["partialFingerprint"] = {}
    with pytest.raises(ValueError, match="partialFingerprint"):
        SarifLog.model_validate(log)
