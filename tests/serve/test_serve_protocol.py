"""OpenAI chat-completions JSON -> Request, and the bodies the server answers with."""

from __future__ import annotations

import json

import pytest

from reviewbot.backends.structured import STYLES, schema_fields
from reviewbot.serve.protocol import (
    RequestRejected,
    completion_body,
    max_tokens_given,
    parse_chat_request,
)
from reviewbot.types import Completion, FinishReason, Message, Request

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}}
USER = [{"role": "user", "content": "hi"}]


def parse(body: object) -> Request:
    return parse_chat_request(body, default_max_tokens=256, max_tokens_cap=1000)


def rejection(body: object) -> tuple[int, str, str]:
    with pytest.raises(RequestRejected) as caught:
        parse(body)
    return caught.value.status, caught.value.code, str(caught.value)


def test_every_field_maps_onto_the_request() -> None:
    body = {
        "model": "ignored",
        "messages": [
            {"role": "system", "content": "rules"},
            {
                "role": "user",
                "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
            },
        ],
        "max_completion_tokens": 300,
        "temperature": 0.5,
        "seed": 42,
        "stop": ["<|im_end|>", "\n\n"],
        "response_format": {"type": "json_schema", "json_schema": {"schema": SCHEMA}},
    }
    assert parse(body) == Request(
        messages=(Message("system", "rules"), Message("user", "ab")),
        max_new_tokens=300,
        json_schema=SCHEMA,
        stop=("<|im_end|>", "\n\n"),
        seed=42,
        temperature=0.5,
    )


def test_defaults() -> None:
    assert parse({"messages": USER}) == Request(
        messages=(Message("user", "hi"),), max_new_tokens=256, temperature=0.0, seed=0
    )


@pytest.mark.parametrize(
    ("fields", "schema"),
    [
        ({"response_format": {"type": "text"}}, None),
        ({"response_format": {"type": "json_object"}}, {"type": "object"}),
        ({"response_format": {"type": "json_object", "schema": SCHEMA}}, SCHEMA),
        ({"structured_outputs": {"json": json.dumps(SCHEMA)}}, SCHEMA),
        ({"guided_json": SCHEMA}, SCHEMA),
        ({"json_schema": SCHEMA, "response_format": {"type": "json_object", "schema": SCHEMA}},
         SCHEMA),
    ],
)  # fmt: skip
def test_schema_styles(fields: dict[str, object], schema: dict[str, object] | None) -> None:
    assert parse({"messages": USER, **fields}).json_schema == schema


@pytest.mark.parametrize("style", [style for style in STYLES if style != "none"])
def test_reads_the_schema_in_every_style_the_openai_backend_sends(style: str) -> None:
    """reviewbot serve must understand every way reviewbot's own client can send a schema."""
    assert parse({"messages": USER, **schema_fields(style, SCHEMA)}).json_schema == SCHEMA


@pytest.mark.parametrize(
    ("fields", "given"),
    [
        ({}, False),
        ({"max_tokens": None}, False),
        ({"max_tokens": 5}, True),
        ({"max_completion_tokens": 5}, True),
    ],
)
def test_max_tokens_given(fields: dict[str, object], given: bool) -> None:
    assert max_tokens_given({"messages": USER, **fields}) is given
    assert max_tokens_given([fields]) is False


def test_max_completion_tokens_wins_over_max_tokens() -> None:
    assert (
        parse({"messages": USER, "max_tokens": 9, "max_completion_tokens": 7}).max_new_tokens == 7
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], (400, "", "request body must be a JSON object, got array")),
        ({"messages": []}, (400, "messages", "messages must be a non-empty list")),
        (
            {"messages": [{"role": "tool", "content": "x"}]},
            (400, "messages", "messages[0].role = 'tool'; use one of: system, user, assistant"),
        ),
        (
            {"messages": [{"role": "user", "content": 3}]},
            (400, "messages", "messages[0].content must be a string or a list of text parts"),
        ),
        (
            {"messages": USER, "max_tokens": 0},
            (400, "max_tokens", "max_tokens = 0 must be at least 1"),
        ),
        (
            {"messages": USER, "max_tokens": "9"},
            (400, "max_tokens", "max_tokens = '9' must be an integer"),
        ),
        (
            {"messages": USER, "temperature": 3},
            (400, "temperature", "temperature = 3 must be a number from 0 to 2"),
        ),
        ({"messages": USER, "n": 2}, (400, "n", "n = 2 not supported; only n = 1")),
        (
            {"messages": USER, "stop": [1]},
            (400, "stop", "stop = [1] must be a string or a list of strings"),
        ),
        (
            {"messages": USER, "response_format": {"type": "json_schema", "json_schema": {}}},
            (400, "response_format", "response_format.json_schema.schema is missing"),
        ),
        (
            {"messages": USER, "json_schema": SCHEMA, "guided_json": {"type": "array"}},
            (400, "schema", "different JSON schemas given in more than one field; send one"),
        ),
        (
            {"messages": USER, "json_schema": [1]},
            (400, "schema", "json_schema must be a JSON Schema object, got array"),
        ),
    ],
)  # fmt: skip
def test_rejections(body: object, expected: tuple[int, str, str]) -> None:
    assert rejection(body) == expected


def test_length_finish_reason_and_usage() -> None:
    completion = Completion('{"n": 1', FinishReason.LENGTH, prompt_tokens=4, completion_tokens=8)
    body = completion_body(completion, model="m", request_id="chatcmpl-1", created=5)
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": '{"n": 1'},
            "finish_reason": "length",
        }
    ]
    assert body["usage"] == {"prompt_tokens": 4, "completion_tokens": 8, "total_tokens": 12}
