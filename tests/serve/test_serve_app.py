"""The HTTP server end to end: real requests to 127.0.0.1 with httpx."""

from __future__ import annotations

import logging
import re
import threading
from typing import TYPE_CHECKING

import httpx
import pytest

from reviewbot.backends.fake import FakeBackend
from reviewbot.types import Completion, FinishReason, Message, Request

if TYPE_CHECKING:
    from conftest import GatedBackend, ServerFactory, WaitFor

    from reviewbot.serve import ReviewServer

SCHEMA = {
    "type": "object",
    "properties": {"ok": {"type": "boolean"}},
    "required": ["ok"],
    "additionalProperties": False,
}
MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "review"}]


def queued(server: ReviewServer) -> int:
    """Requests waiting in the server's batcher."""
    assert server.engine is not None
    return server.engine.batcher.queued


def post(url: str, body: object, **headers: str) -> httpx.Response:
    return httpx.post(f"{url}/chat/completions", json=body, headers=headers, trust_env=False)


def test_chat_completion_answers_in_openai_shape(serve: ServerFactory) -> None:
    answer = Completion('{"ok": true}', FinishReason.STOP, prompt_tokens=12, completion_tokens=5)
    fake = FakeBackend([answer])
    body = {"messages": MESSAGES, "max_tokens": 64, "seed": 7, "stop": "</s>"}
    with serve(fake) as server:
        response = post(server.url, body)
    data = response.json()
    assert response.status_code == 200
    assert re.fullmatch(r"chatcmpl-[0-9a-f]{32}", data.pop("id"))
    assert isinstance(data.pop("created"), int)
    assert data == {
        "object": "chat.completion",
        "model": "tiny.gguf",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": '{"ok": true}'},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
    }
    assert fake.requests == [
        Request(
            messages=(Message("system", "be brief"), Message("user", "review")),
            max_new_tokens=64,
            stop=("</s>",),
            seed=7,
        )
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "r", "schema": SCHEMA},
            }
        },
        {"response_format": {"type": "json_object", "schema": SCHEMA}},
        {"structured_outputs": {"json": SCHEMA}},
        {"json_schema": SCHEMA},
    ],
    ids=["response_format", "json_object", "structured_outputs", "llamacpp"],
)
def test_schema_reaches_the_backend(serve: ServerFactory, fields: dict[str, object]) -> None:
    fake = FakeBackend(['{"ok": true}'])
    with serve(fake) as server:
        response = post(server.url, {"messages": MESSAGES, **fields})
    assert response.status_code == 200
    assert fake.requests[0].json_schema == SCHEMA
    assert fake.requests[0].max_new_tokens == 1024  # ServeSettings.default_max_tokens


def test_models_reports_the_context_window(serve: ServerFactory) -> None:
    with serve(FakeBackend(context_window=2048)) as server:
        data = httpx.get(f"{server.url}/models", trust_env=False).json()
    assert isinstance(data["data"][0].pop("created"), int)
    assert data == {
        "object": "list",
        "data": [
            {
                "id": "tiny.gguf",
                "object": "model",
                "owned_by": "reviewbot",
                "max_model_len": 2048,
                "context_length": 2048,
            }
        ],
    }


def test_health_and_tokenize(serve: ServerFactory) -> None:
    with serve(FakeBackend()) as server:
        root = server.url.removesuffix("/v1")
        health = httpx.get(f"{root}/health", trust_env=False)
        llama = httpx.post(f"{root}/tokenize", json={"content": "abcdefgh"}, trust_env=False)
        vllm = httpx.post(f"{root}/tokenize", json={"prompt": "abcd"}, trust_env=False)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert llama.json() == {"count": 3, "max_model_len": 8192}  # FakeBackend: len // 4 + 1
    assert vllm.json() == {"count": 2, "max_model_len": 8192}


def test_api_key_is_required_on_every_endpoint_but_health(serve: ServerFactory) -> None:
    with serve(FakeBackend(), api_key="sekrit") as server:
        root = server.url.removesuffix("/v1")
        health = httpx.get(f"{root}/health", trust_env=False)
        missing = httpx.get(f"{server.url}/models", trust_env=False)
        wrong = post(server.url, {"messages": MESSAGES}, Authorization="Bearer sekrit2")
        scheme = post(server.url, {"messages": MESSAGES}, Authorization="Basic sekrit")
        right = post(server.url, {"messages": MESSAGES}, Authorization="Bearer sekrit")
        lower = post(server.url, {"messages": MESSAGES}, Authorization="bearer sekrit")
        upper = post(server.url, {"messages": MESSAGES}, Authorization="BEARER  sekrit")
    error = {
        "error": {
            "message": "missing or wrong API key; send 'Authorization: Bearer KEY'",
            "type": "authentication_error",
            "code": "invalid_api_key",
        }
    }
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (missing.status_code, missing.json()) == (401, error)
    assert (wrong.status_code, wrong.json()) == (401, error)
    assert (scheme.status_code, scheme.json()) == (401, error)
    assert [right.status_code, lower.status_code, upper.status_code] == [200, 200, 200]


def test_malformed_json_is_400(serve: ServerFactory) -> None:
    with serve(FakeBackend()) as server:
        response = httpx.post(
            f"{server.url}/chat/completions", content=b'{"messages": [', trust_env=False
        )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert response.json()["error"]["code"] == "invalid_json"


def test_oversize_body_is_413(serve: ServerFactory) -> None:
    fake = FakeBackend()
    with serve(fake, max_body_bytes=1000) as server:
        body = b'{"messages": [{"role": "user", "content": "' + b"x" * 1953 + b'"}]}'
        response = httpx.post(f"{server.url}/chat/completions", content=body, trust_env=False)
    assert response.status_code == 413
    assert response.json()["error"]["message"] == (
        "request body of 2000 bytes is over the limit of 1000"
    )
    assert fake.requests == []


def test_max_tokens_over_the_cap_is_400(serve: ServerFactory) -> None:
    with serve(FakeBackend(), max_tokens_cap=100) as server:
        response = post(server.url, {"messages": MESSAGES, "max_tokens": 101})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "max_tokens = 101 is above this server's limit of 100; ask for fewer",
        "type": "invalid_request_error",
        "code": "max_tokens",
    }


def test_stream_is_refused(serve: ServerFactory) -> None:
    with serve(FakeBackend()) as server:
        response = post(server.url, {"messages": MESSAGES, "stream": True})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "stream not supported; send stream: false"


def test_unknown_path_and_wrong_method(serve: ServerFactory) -> None:
    with serve(FakeBackend()) as server:
        missing = httpx.post(f"{server.url}/completions", json={}, trust_env=False)
        wrong = httpx.get(f"{server.url}/chat/completions", trust_env=False)
    assert missing.status_code == 404
    assert wrong.status_code == 405
    assert wrong.json()["error"]["message"] == "/v1/chat/completions takes POST, not GET"


def test_full_queue_is_429_with_retry_after(
    serve: ServerFactory, gated: GatedBackend, wait_for: WaitFor
) -> None:
    answers: list[httpx.Response] = []

    def client() -> None:
        answers.append(post(server.url, {"messages": MESSAGES}))

    with serve(gated, max_queue=1, max_batch_size=1) as server:
        running = threading.Thread(target=client)
        running.start()
        wait_for(gated.entered.is_set, "the first request to reach the backend")
        waiting = threading.Thread(target=client)
        waiting.start()
        wait_for(lambda: queued(server) == 1, "the second request to queue")
        refused = post(server.url, {"messages": MESSAGES})
        gated.release.set()
        running.join()
        waiting.join()
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["error"]["code"] == "queue_full"
    assert [a.status_code for a in answers] == [200, 200]
    assert [len(batch) for batch in gated.batches] == [1, 1]


def test_engine_exception_is_500_and_the_server_keeps_serving(
    serve: ServerFactory, gated: GatedBackend
) -> None:
    gated.fail_next = RuntimeError("out of memory")
    gated.release.set()
    with serve(gated) as server:
        failed = post(server.url, {"messages": MESSAGES})
        after = post(server.url, {"messages": MESSAGES})
    assert failed.status_code == 500
    assert failed.json()["error"] == {
        "message": "engine failed: RuntimeError: out of memory",
        "type": "server_error",
        "code": "engine_error",
    }
    assert after.status_code == 200
    assert after.json()["choices"][0]["message"]["content"] == "answer 2"


def test_error_completion_is_500_with_its_message(serve: ServerFactory) -> None:
    broken = Completion("", FinishReason.ERROR, error="prompt of 9000 tokens exceeds 8192")
    with serve(FakeBackend([broken])) as server:
        response = post(server.url, {"messages": MESSAGES})
    assert response.status_code == 500
    assert response.json()["error"] == {
        "message": "engine error: prompt of 9000 tokens exceeds 8192",
        "type": "server_error",
        "code": "engine_error",
    }


def test_one_log_line_per_request(serve: ServerFactory, caplog: pytest.LogCaptureFixture) -> None:
    answer = Completion("{}", FinishReason.STOP, prompt_tokens=12, completion_tokens=5)
    caplog.set_level(logging.INFO, logger="reviewbot.serve")
    with serve(FakeBackend([answer])) as server:
        post(server.url, {"messages": MESSAGES})
        httpx.get(f"{server.url}/models", trust_env=False)
    lines = [r.getMessage() for r in caplog.records if r.name == "reviewbot.serve"]
    assert len(lines) == 3
    assert re.fullmatch(r"POST /v1/chat/completions 200 in=12 out=5 \d+\.\d{3}s", lines[0])
    assert re.fullmatch(r"GET /v1/models 200 in=0 out=0 \d+\.\d{3}s", lines[1])
    assert lines[2] == "stopping: no new connections; finishing the requests in flight"


def test_large_oversize_body_still_gets_413(serve: ServerFactory) -> None:
    # Larger than socket buffers: the server reads and drops it so the client sees the answer.
    with serve(FakeBackend(), max_body_bytes=1000) as server:
        response = httpx.post(
            f"{server.url}/chat/completions", content=b"x" * (4 << 20), trust_env=False
        )
    assert response.status_code == 413


def long_messages(characters: int) -> list[dict[str, str]]:
    """One user message of ``characters`` x's: ``characters // 4 + 1`` FakeBackend tokens."""
    return [{"role": "user", "content": "x" * characters}]


def test_prompt_over_the_context_window_is_400_and_never_queued(serve: ServerFactory) -> None:
    fake = FakeBackend(context_window=100)  # count_tokens: len // 4 + 1
    with serve(fake) as server:
        response = post(server.url, {"messages": long_messages(360), "max_tokens": 10})
        fits = post(server.url, {"messages": long_messages(360), "max_tokens": 9})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "this model's context window is 100 tokens, but the request needs 101: 91 "
        "in the messages and 10 for the answer (max_tokens); shorten the messages or ask for "
        "fewer max_tokens",
        "type": "invalid_request_error",
        "code": "context_length_exceeded",
    }
    assert fits.status_code == 200
    assert [r.max_new_tokens for r in fake.requests] == [9]


def test_default_max_tokens_shrinks_to_what_the_window_leaves(serve: ServerFactory) -> None:
    fake = FakeBackend(context_window=100)
    with serve(fake) as server:
        shrunk = post(server.url, {"messages": long_messages(360)})
        refused = post(server.url, {"messages": long_messages(396)})  # no room for an answer
    assert shrunk.status_code == 200
    assert [r.max_new_tokens for r in fake.requests] == [9]  # 100 - 91, not the default 1024
    assert refused.json()["error"]["code"] == "context_length_exceeded"
    assert refused.json()["error"]["message"].startswith(
        "this model's context window is 100 tokens, but the request needs 101: 100 in the "
        "messages and 1 for the answer"
    )


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            {"type": "nonsense"},
            "response_format.json_schema.schema.type = 'nonsense' is not a JSON Schema type; "
            "use one of: array, boolean, integer, null, number, object, string",
        ),
        (
            {"type": "object", "properties": {"ok": {"type": "bool"}}},
            "response_format.json_schema.schema.properties.ok.type = 'bool' is not a JSON "
            "Schema type; use one of: array, boolean, integer, null, number, object, string",
        ),
        (
            ["not", "an", "object"],
            "response_format.json_schema.schema must be a JSON Schema object, got array",
        ),
    ],
    ids=["bad-type", "bad-nested-type", "not-an-object"],
)
def test_malformed_schema_is_400_before_the_engine(
    serve: ServerFactory, schema: object, message: str
) -> None:
    fake = FakeBackend()
    fields = {"response_format": {"type": "json_schema", "json_schema": {"schema": schema}}}
    with serve(fake) as server:
        response = post(server.url, {"messages": MESSAGES, **fields})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": message,
        "type": "invalid_request_error",
        "code": "schema",
    }
    assert fake.requests == []
