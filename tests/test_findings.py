"""The findings schema and the model-output parser, against golden model outputs.

Each tests/fixtures/outputs/NAME.txt is a model answer; NAME.expected.json holds the finish
reason it is parsed with and either the expected findings/truncated/problems or the error.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from reviewbot.errors import OutputParseError
from reviewbot.findings import (
    MAX_FINDINGS,
    FindingModel,
    FindingsModel,
    cut_off,
    findings_json_schema,
    parse_output,
)
from reviewbot.types import Category, FinishReason, RawFinding, Severity, Side

OUTPUTS = Path(__file__).parent / "fixtures" / "outputs"
CASES = sorted(path.stem for path in OUTPUTS.glob("*.txt"))


def _as_json(finding: RawFinding) -> dict[str, object]:
    return {
        key: value.value if isinstance(value, (Side, Severity)) else value
        for key, value in dataclasses.asdict(finding).items()
    }


def test_every_listed_case_has_a_golden_file() -> None:
    expected = {
        "bare",
        "bare_empty_list",
        "bare_list",
        "echoed_diff",
        "empty",
        "empty_list",
        "fenced",
        "garbage",
        "invalid_element",
        "issues_key",
        "prose",
        "prose_cut_off",
        "single_object",
        "think",
        "think_orphan_close",
        "think_unterminated",
        "truncated_before_first",
        "truncated_mid_object",
        "truncated_mid_string",
        "wrong_types",
    }
    assert set(CASES) == expected
    assert {p.name.removesuffix(".expected.json") for p in OUTPUTS.glob("*.json")} == expected


@pytest.mark.parametrize("name", CASES)
def test_golden_output(name: str) -> None:
    text = (OUTPUTS / f"{name}.txt").read_text(encoding="utf-8")
    expected = json.loads((OUTPUTS / f"{name}.expected.json").read_text(encoding="utf-8"))
    finish_reason = FinishReason(expected["finish_reason"])
    if "error" in expected:
        with pytest.raises(OutputParseError) as caught:
            parse_output(text, finish_reason)
        assert str(caught.value) == expected["error"]
        assert caught.value.raw == text
        return
    parsed = parse_output(text, finish_reason)
    assert [_as_json(f) for f in parsed.findings] == expected["findings"]
    assert parsed.truncated is expected["truncated"]
    assert list(parsed.problems) == expected["problems"]
    assert list(parsed.discarded) == expected.get("discarded", [])


@pytest.mark.parametrize("name", CASES)
def test_parsed_findings_satisfy_the_schema_model(name: str) -> None:
    """Whatever the parser repairs comes out as something the schema would have allowed."""
    text = (OUTPUTS / f"{name}.txt").read_text(encoding="utf-8")
    finish_reason = FinishReason(
        json.loads((OUTPUTS / f"{name}.expected.json").read_text())["finish_reason"]
    )
    try:
        parsed = parse_output(text, finish_reason)
    except OutputParseError:
        return
    for finding in parsed.findings:
        if finding.line is None:
            continue  # no usable line number: kept for placement by quote or on its file
        FindingModel.model_validate(_as_json(finding))


def test_truncated_output_keeps_complete_findings_only() -> None:
    parsed = parse_output((OUTPUTS / "truncated_mid_object.txt").read_text(), FinishReason.LENGTH)
    assert [f.line for f in parsed.findings] == [18, 25]
    assert parsed.truncated is True


def test_every_prefix_of_an_answer_parses_or_raises_cleanly() -> None:
    """Cut a good answer at every character: never a crash, never a wrong finding."""
    full = (OUTPUTS / "bare.txt").read_text()
    complete = parse_output(full, FinishReason.STOP).findings
    for cut in range(len(full)):
        try:
            parsed = parse_output(full[:cut], FinishReason.LENGTH)
        except OutputParseError:
            continue
        assert parsed.findings == complete[: len(parsed.findings)]
        # Complete once the findings array has closed, even without the root's "}".
        assert parsed.truncated is (cut <= full.rindex("]"))


def test_empty_findings_is_not_an_error() -> None:
    parsed = parse_output('{"findings": []}', FinishReason.STOP)
    assert parsed == parsed.__class__(findings=(), truncated=False, problems=())


def test_bare_empty_list_inside_prose_is_not_taken_as_an_answer() -> None:
    with pytest.raises(OutputParseError, match="no findings JSON"):
        parse_output("The list x = [] is never filled.", FinishReason.STOP)


def test_long_message_is_cut() -> None:
    text = json.dumps(
        {
            "findings": [
                {
                    "path": "a.py",
                    "line": 1,
                    "severity": "info",
                    "category": "style",
                    "message": "x" * 3000,
                }
            ]
        }
    )
    parsed = parse_output(text, FinishReason.STOP)
    assert len(parsed.findings[0].message) == 2000
    assert parsed.findings[0].message.endswith("…")
    assert parsed.problems == ("finding 1: message cut to 2000 characters",)


@pytest.mark.parametrize(
    ("word", "severity"),
    [
        ("high", Severity.ERROR),
        ("MEDIUM", Severity.WARNING),
        ("low", Severity.INFO),
        ("major", Severity.ERROR),
        ("minor", Severity.WARNING),
        ("nit", Severity.INFO),
        ("blocker", Severity.CRITICAL),
    ],
)
def test_severity_words(word: str, severity: Severity) -> None:
    text = json.dumps(
        [{"path": "a", "line": 1, "severity": word, "message": "m", "category": "bug"}]
    )
    assert parse_output(text, FinishReason.STOP).findings[0].severity is severity


def _walk(node: object) -> list[dict[str, object]]:
    if isinstance(node, list):
        return [d for item in node for d in _walk(item)]
    if isinstance(node, dict):
        return [node, *(d for value in node.values() for d in _walk(value))]
    return []


def test_schema_is_inline_and_portable() -> None:
    schema = findings_json_schema()
    nodes = _walk(schema)
    banned = {
        "$ref",
        "$defs",
        "definitions",
        "format",
        "pattern",
        "minLength",
        "maxLength",
        "default",
        "title",
    }
    assert not [node for node in nodes if banned & set(node)]
    # Formatron allows nothing beside "anyOf" in a node that has it.
    assert all(set(node) == {"anyOf"} for node in nodes if "anyOf" in node)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    findings = schema["properties"]["findings"]  # type: ignore[index]
    assert findings["maxItems"] == MAX_FINDINGS
    item = findings["items"]
    order = [
        "path",
        "line",
        "end_line",
        "side",
        "severity",
        "category",
        "quote",
        "message",
        "suggestion",
    ]
    assert list(item["properties"]) == order
    assert item["required"] == order
    assert item["additionalProperties"] is False
    assert item["properties"]["end_line"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert item["properties"]["suggestion"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert item["properties"]["side"] == {"type": "string", "enum": ["LEFT", "RIGHT"]}
    assert item["properties"]["severity"]["enum"] == ["info", "warning", "error", "critical"]
    assert item["properties"]["category"]["enum"] == [c.value for c in Category]
    assert len(Category) == 7


def test_model_rejects_what_the_schema_forbids() -> None:
    good = {
        "path": "a.py",
        "line": 3,
        "end_line": None,
        "side": "RIGHT",
        "severity": "info",
        "category": "bug",
        "quote": None,
        "message": "m",
        "suggestion": None,
    }
    FindingsModel.model_validate({"findings": [good]})
    for bad in (
        {**good, "line": 0},
        {**good, "message": ""},
        {**good, "extra": 1},
        {**good, "category": "logic"},
    ):
        with pytest.raises(ValueError):
            FindingModel.model_validate(bad)
    with pytest.raises(ValueError):
        FindingsModel.model_validate({"findings": [good] * (MAX_FINDINGS + 1)})


@pytest.mark.parametrize(
    "text",
    ["[" * 5000, "{" * 5000, '{"a":[' * 3000, '[{"a": "' * 3000, "+ x = [{a: 1}];\n" * 2000],
)
def test_pathological_answers_raise_parse_errors(text: str) -> None:
    with pytest.raises(OutputParseError, match="no findings JSON"):
        parse_output(text, FinishReason.STOP)


def test_answer_after_an_echoed_diff_full_of_json_is_found() -> None:
    echoed = '+  {"name": "x", "v": [1, 2]},\n' * 500
    answer = '{"findings": [{"path": "a", "line": 1, "severity": "info", "category": "bug", '
    answer += '"message": "m"}]}'
    parsed = parse_output(echoed + answer, FinishReason.STOP)
    assert [(f.path, f.line) for f in parsed.findings] == [("a", 1)]


def test_findings_of_which_none_is_usable_are_an_error() -> None:
    text = '{"findings": [{"path": "a.py", "line": 3}, 7]}'
    with pytest.raises(OutputParseError) as caught:
        parse_output(text, FinishReason.STOP)
    assert str(caught.value) == (
        "none of the 2 findings in the model's answer could be used: "
        "finding 1: message is missing; dropped; "
        "finding 2: not an object but int; dropped"
    )


def test_a_finding_without_a_line_number_is_kept() -> None:
    text = '{"findings": [{"path": "a.py", "message": "no line", "quote": "x = 1", '
    text += '"severity": "error", "category": "bug"}]}'
    parsed = parse_output(text, FinishReason.STOP)
    assert [(f.path, f.line, f.quote) for f in parsed.findings] == [("a.py", None, "x = 1")]
    assert parsed.problems == ("finding 1: line is missing; placed by its quote or on its file",)
    assert parsed.discarded == ()


@pytest.mark.parametrize("side", [["LEFT"], {"side": "LEFT"}, 3])
def test_a_side_that_is_not_a_word_is_reported_and_right_assumed(side: object) -> None:
    text = json.dumps(
        [
            {
                "path": "a",
                "line": 1,
                "side": side,
                "severity": "info",
                "category": "bug",
                "message": "m",
            }
        ]
    )
    parsed = parse_output(text, FinishReason.STOP)
    assert parsed.findings[0].side is Side.RIGHT
    assert parsed.problems == (f"finding 1: side {side!r} is not RIGHT or LEFT; RIGHT assumed",)


def test_cut_off_counts_the_finish_reason_and_an_unclosed_array() -> None:
    closed = parse_output('{"findings": []}', FinishReason.STOP)
    unclosed = parse_output((OUTPUTS / "truncated_mid_object.txt").read_text(), FinishReason.STOP)
    assert [
        cut_off(FinishReason.STOP, closed),
        cut_off(FinishReason.STOP, unclosed),
        cut_off(FinishReason.LENGTH, closed),
        cut_off(FinishReason.LENGTH, None),  # unreadable, but stopped at max_new_tokens
        cut_off(FinishReason.STOP, None),
    ] == [False, True, True, True, False]
