"""reviewbot's own ``openai`` backend works against ``reviewbot serve`` unchanged, and treats a
server still loading its model (503, Retry-After) as not ready, never as a smaller server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from reviewbot.backends.fake import FakeBackend
from reviewbot.backends.openai import OpenAIBackend
from reviewbot.config import Config
from reviewbot.errors import BackendUnavailable
from reviewbot.types import Completion, FinishReason, Message, Request

if TYPE_CHECKING:
    from conftest import ServerFactory

SCHEMA = {"type": "object", "properties": {"findings": {"type": "array", "maxItems": 0}}}


def test_openai_backend_discovers_and_completes(serve: ServerFactory) -> None:
    answer = Completion('{"findings": []}', FinishReason.STOP, prompt_tokens=9, completion_tokens=4)
    fake = FakeBackend([answer], context_window=3072)
    request = Request(
        messages=(Message("system", "rules"), Message("user", "diff")),
        max_new_tokens=200,
        json_schema=SCHEMA,
        stop=("<|im_end|>",),
        seed=3,
    )
    with serve(fake, api_key="k") as server:
        client = OpenAIBackend(Config(base_url=server.url, api_key="k", retries=0))
        try:
            model, window = client.model, client.context_window
            tokens = client.count_tokens("abcdefgh")
            completions = client.complete([request])
        finally:
            client.close()
    assert (model, window, tokens) == ("tiny.gguf", 3072, 3)  # FakeBackend: len // 4 + 1
    assert [
        (c.text, c.finish_reason, c.prompt_tokens, c.completion_tokens) for c in completions
    ] == [('{"findings": []}', FinishReason.STOP, 9, 4)]
    assert fake.requests == [request]


def test_probing_a_loading_server_retries_as_asked_then_says_it_is_loading(
    serve: ServerFactory,
) -> None:
    sleeps: list[float] = []
    with serve(None) as server:
        client = OpenAIBackend(Config(base_url=server.url, retries=2), sleep=sleeps.append)
        with pytest.raises(BackendUnavailable) as caught:
            _ = client.context_window
        url = server.url
    assert sleeps == [5.0, 5.0]  # Retry-After, not the exponential back-off
    assert str(caught.value) == (
        f"the model server at {url} is not ready (HTTP 503 on GET {url}/models: model "
        "tiny.gguf is still loading; retry in 5 s); it is probably still loading its model: "
        f"try again once {url.removesuffix('/v1')}/health answers 200"
    )


def test_nothing_is_guessed_from_a_loading_server(serve: ServerFactory) -> None:
    # A 503 is not "no such endpoint": no default context window or token estimate is kept.
    with serve(None) as server:
        client = OpenAIBackend(Config(base_url=server.url, model="tiny.gguf", retries=0))
        with pytest.raises(BackendUnavailable, match="is not ready"):
            _ = client.context_window
        with pytest.raises(BackendUnavailable, match="is not ready"):
            client.count_tokens("a b c d")
        server.ready(FakeBackend(context_window=3072))
        assert (client.context_window, client.count_tokens("abcdefgh")) == (3072, 3)


def test_a_request_to_a_loading_server_is_an_error_completion(serve: ServerFactory) -> None:
    request = Request(messages=(Message("user", "diff"),), max_new_tokens=10)
    sleeps: list[float] = []
    with serve(None) as server:
        config = Config(base_url=server.url, model="tiny.gguf", context_window=4096, retries=1)
        [completion] = OpenAIBackend(config, sleep=sleeps.append).complete([request])
        url = server.url
    assert sleeps == [5.0]
    assert (completion.finish_reason, completion.error) == (
        FinishReason.ERROR,
        f"HTTP 503 from {url}/chat/completions: "
        '{"error": {"message": "model tiny.gguf is still loading; retry in 5 s", "type": '
        '"server_error", "code": "model_loading"}}',
    )
