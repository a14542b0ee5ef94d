"""``reviewbot serve`` over real llama.cpp on the tiny random-weight GGUF, on CPU."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field

from reviewbot.backends import create_backend
from reviewbot.backends.base import Backend
from reviewbot.config import Config

if TYPE_CHECKING:
    from conftest import ServerFactory

SCHEMA = {
    "type": "object",
    "properties": {
        "verdict": {"enum": ["ok", "bug"]},
        # Enums, not free strings: llama.cpp's grammar let a raw control character into a
        # string on the tiny model, which strict JSON parsers refuse.
        "lines": {"type": "array", "maxItems": 2, "items": {"enum": [1, 2, 3]}},
    },
    "required": ["verdict", "lines"],
    "additionalProperties": False,
}


class Answer(BaseModel):
    """SCHEMA as a validator."""

    model_config = ConfigDict(extra="forbid", strict=True)
    verdict: Literal["ok", "bug"]
    lines: list[Literal[1, 2, 3]] = Field(max_length=2)


@pytest.fixture(scope="module")
def llama(tiny_gguf: Path) -> Backend:
    pytest.importorskip("llama_cpp")
    return create_backend(Config(backend="llamacpp", model=str(tiny_gguf), threads=2))


@pytest.fixture
def server_url(serve: ServerFactory, llama: Backend) -> Iterator[str]:
    with serve(llama) as server:
        yield server.url


def chat(url: str, index: int) -> httpx.Response:
    body = {
        "messages": [
            {"role": "system", "content": "Answer with JSON."},
            {"role": "user", "content": f"+    x = items[{index}]"},
        ],
        "max_tokens": 200,
        "response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": SCHEMA}},
    }
    return httpx.post(f"{url}/chat/completions", json=body, trust_env=False, timeout=120)


def test_eight_concurrent_clients_get_schema_conforming_answers(server_url: str) -> None:
    answers: dict[int, httpx.Response] = {}
    threads = [
        threading.Thread(target=lambda i=i: answers.__setitem__(i, chat(server_url, i)))
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(8):
        data = answers[index].json()
        assert answers[index].status_code == 200, data
        choice = data["choices"][0]
        assert choice["finish_reason"] == "stop"
        Answer.model_validate(json.loads(choice["message"]["content"]))
        assert data["usage"]["completion_tokens"] > 0
    # Greedy decoding: the same answer as when each request runs alone.
    alone = {i: chat(server_url, i).json()["choices"][0]["message"]["content"] for i in (0, 7)}
    assert alone == {i: answers[i].json()["choices"][0]["message"]["content"] for i in (0, 7)}


def test_models_reports_llamacpp_context(server_url: str, llama: Backend) -> None:
    entry = httpx.get(f"{server_url}/models", trust_env=False).json()["data"][0]
    assert entry["max_model_len"] == entry["context_length"] == llama.context_window


def test_usage_never_exceeds_max_tokens(server_url: str) -> None:
    """This prompt once gave ``completion_tokens`` 574 for ``max_tokens`` 200: llama-cpp-python
    skipped its limit while the text ended inside a UTF-8 character (see LlamaCppBackend)."""
    body = {
        "messages": [
            {"role": "system", "content": "Answer."},
            {"role": "user", "content": "+    x = items[6] # h\u00e9llo \u4e16\u754c"},
        ],
        "max_tokens": 200,
    }
    data = httpx.post(f"{server_url}/chat/completions", json=body, trust_env=False, timeout=120)
    answer = data.json()
    assert (answer["choices"][0]["finish_reason"], answer["usage"]["completion_tokens"]) == (
        "length",
        200,
    )
