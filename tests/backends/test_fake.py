from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewbot.backends import create_backend
from reviewbot.backends.fake import FakeBackend
from reviewbot.config import Config
from reviewbot.errors import ConfigError
from reviewbot.types import Completion, FinishReason, Message, Request


def request(text: str) -> Request:
    return Request(messages=(Message("user", text),), max_new_tokens=64)


def test_answers_queue_in_order_then_empty_findings() -> None:
    cut = Completion('{"findings": [', FinishReason.LENGTH, completion_tokens=64)
    backend = FakeBackend(['{"findings": [1]}', cut])
    answers = backend.complete([request("a"), request("b")]) + backend.complete([request("c")])
    assert answers == [
        Completion('{"findings": [1]}', FinishReason.STOP),
        cut,
        Completion('{"findings": []}', FinishReason.STOP),
    ]


def test_records_every_request_in_order() -> None:
    backend = FakeBackend()
    first, second = request("one"), request("two")
    backend.complete([first])
    backend.complete([second])
    assert backend.requests == [first, second]


def test_count_tokens_is_a_quarter_of_the_characters_plus_one() -> None:
    backend = FakeBackend()
    assert [backend.count_tokens(t) for t in ("", "abc", "abcd", "x" * 100)] == [1, 1, 2, 26]


def test_defaults_and_overrides() -> None:
    assert (FakeBackend().name, FakeBackend().context_window) == ("fake", 8192)
    custom = FakeBackend(context_window=1000, name="scripted")
    assert (custom.name, custom.context_window) == ("scripted", 1000)


def test_from_config_loads_responses_from_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(['{"findings": ["x"]}']), encoding="utf-8")
    backend = create_backend(Config(backend="fake", model=str(path), context_window=2048))
    assert isinstance(backend, FakeBackend)
    assert backend.context_window == 2048
    assert backend.complete([request("a"), request("b")]) == [
        Completion('{"findings": ["x"]}', FinishReason.STOP),
        Completion('{"findings": []}', FinishReason.STOP),
    ]


def test_from_config_without_a_model_starts_empty() -> None:
    backend = FakeBackend.from_config(Config(backend="fake"))
    assert backend.context_window == 8192
    assert backend.complete([request("a")]) == [Completion('{"findings": []}', FinishReason.STOP)]


def test_answers_file_of_any_name_is_read(tmp_path: Path) -> None:
    path = tmp_path / "answers.txt"
    path.write_text(json.dumps(['{"findings": []}']), encoding="utf-8")
    backend = FakeBackend.from_config(Config(backend="fake", model=str(path)))
    assert backend.complete([request("a")]) == [Completion('{"findings": []}', FinishReason.STOP)]


def test_missing_responses_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read responses file"):
        FakeBackend.from_config(Config(backend="fake", model=str(tmp_path / "nope.json")))


@pytest.mark.parametrize("content", ['{"a": 1}', "[1, 2]", "not json"])
def test_responses_file_must_hold_a_list_of_strings(tmp_path: Path, content: str) -> None:
    path = tmp_path / "answers.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"fake backend: .*answers\.json"):
        FakeBackend.from_config(Config(backend="fake", model=str(path)))
