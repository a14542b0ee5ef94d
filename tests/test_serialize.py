from __future__ import annotations

import json
from dataclasses import replace

import pytest
from factories import finding

from reviewbot.errors import SerializeError
from reviewbot.serialize import (
    SCHEMA_VERSION,
    finding_from_dict,
    finding_to_dict,
    review_from_dict,
    review_to_dict,
)
from reviewbot.types import (
    Anchoring,
    AnchorRule,
    ChunkError,
    Finding,
    PathMatch,
    Placement,
    Review,
    Severity,
    Side,
    Skipped,
    Stats,
    SuggestionDrop,
)

FINDING = Finding(
    path="src/ü app.py",
    line=4,
    end_line=6,
    side=Side.RIGHT,
    severity=Severity.CRITICAL,
    category="bug",
    message="Divides by zero when the list is empty.",
    suggestion="if not xs:\n    return 0\n",
    fingerprint="abc123",
    placement=Placement.INLINE,
    note="moved from line 3",
)
REVIEW = Review(
    findings=(
        FINDING,
        finding(line=None, category="style", fingerprint="f2", placement=Placement.FILE),
    ),
    skipped=(Skipped("logo.png", "binary file"),),
    errors=(ChunkError(("b.py", "c.py"), "output cut off", raw='{"findings": ['),),
    stats=Stats(prompt_tokens=10, completion_tokens=20, calls=2, seconds=1.5, truncated_outputs=1),
    reviewed_files=("src/ü app.py", "a.py"),
)


def test_finding_to_dict_uses_plain_json_values() -> None:
    assert finding_to_dict(FINDING) == {
        "path": "src/ü app.py",
        "line": 4,
        "end_line": 6,
        "side": "RIGHT",
        "severity": "critical",
        "category": "bug",
        "message": "Divides by zero when the list is empty.",
        "suggestion": "if not xs:\n    return 0\n",
        "fingerprint": "abc123",
        "placement": "inline",
        "note": "moved from line 3",
    }


def test_finding_round_trips() -> None:
    assert finding_from_dict(finding_to_dict(FINDING)) == FINDING


ANCHORED = replace(
    FINDING,
    anchoring=Anchoring(
        AnchorRule.STATED,
        "app.py",
        3,
        5,
        Side.LEFT,
        "x = 1",
        PathMatch.SUFFIX,
        moved=True,
        quote_lines=(7, 9),
        quote_side=Side.LEFT,
        dropped=SuggestionDrop.RANGE_CHANGED,
        line_text="    total = sum(xs)",
    ),
)


def test_a_finding_without_anchoring_writes_no_anchoring_key() -> None:
    assert "anchoring" not in finding_to_dict(FINDING)
    assert "anchoring" not in review_to_dict(REVIEW)["findings"][0]


def test_anchoring_is_written_as_plain_json_and_read_back() -> None:
    data = finding_to_dict(ANCHORED)
    assert data["anchoring"] == {
        "rule": "stated",
        "said_path": "app.py",
        "said_line": 3,
        "said_end_line": 5,
        "said_side": "LEFT",
        "quote": "x = 1",
        "path_match": "suffix",
        "moved": True,
        "quote_lines": [7, 9],
        "quote_side": "LEFT",
        "dropped": "range_changed",
        "line_text": "    total = sum(xs)",
    }
    back = finding_from_dict(json.loads(json.dumps(data)))
    # Finding equality leaves the record out (provenance), so compare it on its own.
    assert (back, back.anchoring) == (ANCHORED, ANCHORED.anchoring)
    review = Review(findings=(ANCHORED, FINDING))
    read = review_from_dict(json.loads(json.dumps(review_to_dict(review))))
    assert read == review
    assert [f.anchoring for f in read.findings] == [ANCHORED.anchoring, None]


def test_bad_anchoring_is_named() -> None:
    data = finding_to_dict(ANCHORED)
    data["anchoring"]["rule"] = "guessed"
    with pytest.raises(SerializeError, match=r"^x is not valid .*anchoring\.rule: Input should"):
        finding_from_dict(data, source="x")


def test_review_to_dict_has_version_and_failed_first() -> None:
    data = review_to_dict(REVIEW)
    assert list(data) == [
        "schema_version",
        "failed",
        "findings",
        "skipped",
        "errors",
        "stats",
        "reviewed_files",
        "discarded",
    ]
    assert data["schema_version"] == SCHEMA_VERSION == 1
    assert data["failed"] is False
    assert data["skipped"] == [{"path": "logo.png", "reason": "binary file"}]
    assert data["errors"] == [
        {"paths": ["b.py", "c.py"], "reason": "output cut off", "raw": '{"findings": ['}
    ]
    assert data["stats"] == {
        "prompt_tokens": 10,
        "completion_tokens": 20,
        "calls": 2,
        "seconds": 1.5,
        "truncated_outputs": 1,
    }
    assert data["reviewed_files"] == ["src/ü app.py", "a.py"]


def test_review_round_trips_through_json_text() -> None:
    text = json.dumps(review_to_dict(REVIEW))
    assert review_from_dict(json.loads(text)) == REVIEW


def test_failed_is_derived_not_read() -> None:
    failed = Review(errors=(ChunkError(("a.py",), "timeout"),), stats=Stats(calls=1))
    data = review_to_dict(failed)
    assert data["failed"] is True
    data["failed"] = False  # a stale or edited flag cannot hide the failure
    assert review_from_dict(data).failed is True


def test_empty_review_round_trips() -> None:
    assert review_from_dict(review_to_dict(Review())) == Review()


def test_other_schema_version_is_refused() -> None:
    data = review_to_dict(REVIEW) | {"schema_version": 2}
    with pytest.raises(SerializeError) as info:
        review_from_dict(data, source="cache/ab.json")
    assert str(info.value) == (
        "cache/ab.json: schema_version 2 is not 1; it was written by another reviewbot "
        "version: delete it (or re-run the review) to rebuild it"
    )


def test_bad_fields_are_named() -> None:
    data = review_to_dict(REVIEW)
    data["findings"][0]["severity"] = "huge"
    data["stats"]["calls"] = "many"
    with pytest.raises(SerializeError) as info:
        review_from_dict(data, source="audit.json")
    assert str(info.value) == (
        "audit.json is not valid reviewbot review data: "
        "findings.0.severity: Input should be 'info', 'warning', 'error' or 'critical'; "
        "stats.calls: Input should be a valid integer, unable to parse string as an integer; "
        "delete it or re-run the review"
    )


def test_bad_finding_is_named() -> None:
    data = finding_to_dict(FINDING)
    data["line"] = "four"
    with pytest.raises(SerializeError, match=r"^x is not valid .*line: Input should be a valid"):
        finding_from_dict(data, source="x")
