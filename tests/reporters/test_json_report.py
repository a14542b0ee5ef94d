from __future__ import annotations

import io
import json

import pytest

from reviewbot.reporters.json_report import JsonReporter
from reviewbot.serialize import review_from_dict, review_to_dict
from reviewbot.types import Review


def render(review: Review) -> str:
    out = io.StringIO()
    JsonReporter(out).report(review)
    return out.getvalue()


def test_is_the_serialized_review_and_reads_back(review: Review) -> None:
    text = render(review)
    assert json.loads(text) == review_to_dict(review)
    assert review_from_dict(json.loads(text)) == review


def test_layout(failed_review: Review) -> None:
    text = render(failed_review)
    assert text.startswith('{\n  "schema_version": 1,\n  "failed": true,\n  "findings": [],\n')
    assert text.endswith("\n}\n")


def test_non_ascii_is_written_as_is(review: Review) -> None:
    assert '"docs/guide ü.md"' in render(review)


def test_extra_keys_follow_the_review_and_may_not_replace_it(review: Review) -> None:
    out = io.StringIO()
    JsonReporter(out, extra={"audit": {"shard": "1/2"}}).report(review)
    data = json.loads(out.getvalue())
    assert list(data)[-1] == "audit"
    assert data == {**review_to_dict(review), "audit": {"shard": "1/2"}}
    with pytest.raises(ValueError, match=r"extra keys \['findings'\]"):
        JsonReporter(io.StringIO(), extra={"findings": []}).report(review)
