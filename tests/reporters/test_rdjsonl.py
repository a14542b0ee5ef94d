from __future__ import annotations

import io
import json

from factories import finding

from reviewbot.reporters.rdjsonl import RdjsonlReporter
from reviewbot.types import Review, Severity, Side, Stats


def render(review: Review) -> str:
    out = io.StringIO()
    RdjsonlReporter(out).report(review)
    return out.getvalue()


def test_one_diagnostic_per_line(review: Review) -> None:
    text = render(review)
    assert text.endswith("\n")
    assert [json.loads(line) for line in text.splitlines()] == [
        {
            "message": "Off-by-one: the loop reads past the end.",
            "location": {
                "path": "src/app.py",
                "range": {"start": {"line": 12}, "end": {"line": 13}},
            },
            "severity": "ERROR",
            "source": {"name": "reviewbot"},
            "code": {"value": "bug"},
            "suggestions": [
                {
                    "range": {"start": {"line": 12}, "end": {"line": 13}},
                    "text": "for i in range(n):\n    total += xs[i]",
                }
            ],
        },
        {
            "message": "Parsing and I/O are mixed in one function.",
            "location": {"path": "src/app.py"},
            "severity": "WARNING",
            "source": {"name": "reviewbot"},
            "code": {"value": "design"},
        },
        {
            "message": "The removed check guarded against None. (on removed line 30)",
            "location": {"path": "src/app.py"},
            "severity": "INFO",
            "source": {"name": "reviewbot"},
            "code": {"value": "style"},
        },
        {
            "message": "The change adds no tests.",
            "severity": "WARNING",
            "source": {"name": "reviewbot"},
            "code": {"value": "tests"},
        },
        {
            "message": "The example prints the token.",
            "location": {
                "path": "docs/guide ü.md",
                "range": {"start": {"line": 3}, "end": {"line": 3}},
            },
            "severity": "ERROR",
            "source": {"name": "reviewbot"},
            "code": {"value": "security"},
            "suggestions": [
                {
                    "range": {"start": {"line": 3}, "end": {"line": 3}},
                    "text": "```sh\necho done\n```",
                }
            ],
        },
    ]


def test_exact_line_text_keeps_non_ascii(review: Review) -> None:
    last = render(review).splitlines()[-1]
    assert last.startswith(
        '{"message": "The example prints the token.", "location": {"path": "docs/guide ü.md"'
    )


def test_deletion_suggestion_is_empty_text() -> None:
    item = finding(line=4, end_line=5, suggestion="")
    (line,) = render(Review(findings=(item,), stats=Stats(calls=1))).splitlines()
    assert json.loads(line)["suggestions"] == [
        {"range": {"start": {"line": 4}, "end": {"line": 5}}, "text": ""}
    ]


def test_no_suggestion_on_removed_lines() -> None:
    item = finding(line=4, end_line=4, side=Side.LEFT, severity=Severity.ERROR, suggestion="x = 1")
    (line,) = render(Review(findings=(item,), stats=Stats(calls=1))).splitlines()
    assert json.loads(line) == {
        "message": "m (on removed line 4)",
        "location": {"path": "a.py"},
        "severity": "ERROR",
        "source": {"name": "reviewbot"},
        "code": {"value": "c"},
    }


def test_failed_review_writes_nothing(failed_review: Review) -> None:
    assert render(failed_review) == ""
