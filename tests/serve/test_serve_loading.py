"""A server whose model is still loading: 503 with Retry-After on every endpoint that needs it,
then the normal answers once ``ready`` is called. Real requests to 127.0.0.1 with httpx."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from reviewbot.backends.fake import FakeBackend
from reviewbot.serve import ReviewServer, ServeSettings

if TYPE_CHECKING:
    from conftest import ServerFactory

MESSAGES = [{"role": "user", "content": "review"}]
LOADING = "model tiny.gguf is still loading; retry in 5 s"
LOADING_ERROR = {"error": {"message": LOADING, "type": "server_error", "code": "model_loading"}}


def answers_while_loading(url: str, **headers: str) -> dict[str, tuple[int, str | None, Any]]:
    """(status, Retry-After, JSON body) of each endpoint, keyed by ``METHOD path``."""
    root = url.removesuffix("/v1")
    requests = {
        "GET /health": ("GET", f"{root}/health", None),
        "GET /v1/models": ("GET", f"{url}/models", None),
        "POST /v1/chat/completions": ("POST", f"{url}/chat/completions", {"messages": MESSAGES}),
        "POST /tokenize": ("POST", f"{root}/tokenize", {"content": "abcd"}),
    }
    answers = {}
    for name, (method, address, body) in requests.items():
        response = httpx.request(method, address, json=body, headers=headers, trust_env=False)
        answers[name] = (response.status_code, response.headers.get("Retry-After"), response.json())
    return answers


def test_every_endpoint_answers_503_while_loading_then_serves(serve: ServerFactory) -> None:
    with serve(None) as server:
        loading = answers_while_loading(server.url)
        unknown = httpx.get(f"{server.url}/embeddings", trust_env=False)
        server.ready(FakeBackend(['{"ok": true}'], context_window=2048))
        loaded = answers_while_loading(server.url)
    assert loading == {
        "GET /health": (503, "5", {"status": "loading", "message": LOADING}),
        "GET /v1/models": (503, "5", LOADING_ERROR),
        "POST /v1/chat/completions": (503, "5", LOADING_ERROR),
        "POST /tokenize": (503, "5", LOADING_ERROR),
    }
    assert unknown.status_code == 404  # routing does not wait for the model
    assert loaded["GET /health"] == (200, None, {"status": "ok"})
    status, retry_after, models = loaded["GET /v1/models"]
    assert (status, retry_after, models["data"][0]["max_model_len"]) == (200, None, 2048)
    status, retry_after, chat = loaded["POST /v1/chat/completions"]
    assert (status, chat["choices"][0]["message"]["content"]) == (200, '{"ok": true}')
    assert loaded["POST /tokenize"] == (200, None, {"count": 2, "max_model_len": 2048})


def test_the_key_is_checked_before_the_loading_answer(serve: ServerFactory) -> None:
    with serve(None, api_key="k") as server:
        without = httpx.get(f"{server.url}/models", trust_env=False)
        health = httpx.get(f"{server.url.removesuffix('/v1')}/health", trust_env=False)
        with_key = httpx.get(
            f"{server.url}/models", headers={"Authorization": "Bearer k"}, trust_env=False
        )
    assert (without.status_code, without.json()["error"]["code"]) == (401, "invalid_api_key")
    assert (health.status_code, with_key.status_code) == (503, 503)


def test_a_malformed_body_is_400_even_while_loading(serve: ServerFactory) -> None:
    with serve(None) as server:
        response = httpx.post(
            f"{server.url}/chat/completions", content=b"{not json", trust_env=False
        )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_the_retry_after_while_loading_is_a_setting(serve: ServerFactory) -> None:
    with serve(None, loading_retry_after_s=12) as server:
        response = httpx.get(f"{server.url}/models", trust_env=False)
    assert (response.status_code, response.headers["Retry-After"]) == (503, "12")
    assert response.json()["error"]["message"] == "model tiny.gguf is still loading; retry in 12 s"


def test_a_second_server_cannot_share_a_busy_port() -> None:
    settings = ServeSettings(model_id="tiny.gguf")
    first = ReviewServer(None, settings, "127.0.0.1", 0)
    try:
        port = first.socket.getsockname()[1]
        with pytest.raises(OSError) as caught:
            ReviewServer(None, settings, "127.0.0.1", port)
    finally:
        first.server_close()
    assert caught.value.errno == errno.EADDRINUSE
