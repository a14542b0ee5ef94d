"""reviewbot's own ``openai`` backend works against ``reviewbot serve`` unchanged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewbot.backends.fake import FakeBackend
from reviewbot.backends.openai import OpenAIBackend
from reviewbot.config import Config
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
