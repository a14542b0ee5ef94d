"""The request handler of ``reviewbot serve``: one thread per connection, one request each.

Endpoints: ``POST /v1/chat/completions``, ``GET /v1/models``, ``GET /health`` and
``POST /tokenize`` (``{"content": text}`` as llama.cpp's, or ``{"prompt": text}`` as vLLM's ->
``{"count": n, "max_model_len": n}``; no token ids, which the Backend protocol does not expose).
Every request but ``/health`` needs ``Authorization: Bearer KEY`` when an API key is set (the
scheme matched case-insensitively, per RFC 7235 section 2.1). Connections close after each answer
(HTTP/1.0), so a shutdown never waits on an idle keep-alive connection. A client that leaves
before its answer costs one log line, not a traceback. Client mistakes are 4xx, never 5xx, since
clients (reviewbot's own included) retry 5xx. While the model loads, ``/health`` answers 503
``{"status": "loading", "message": ...}`` and the other endpoints 503 in OpenAI's error shape
(code ``model_loading``), all with ``Retry-After``: llama.cpp's server answers 503 while loading
too, so load balancers and OpenAI clients already wait on it.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING

from reviewbot.serve.batcher import BatcherClosed, PromptTooLong, QueueFull
from reviewbot.serve.protocol import (
    RequestRejected,
    completion_body,
    max_tokens_given,
    models_body,
    parse_chat_request,
)
from reviewbot.types import Completion, FinishReason, Request

if TYPE_CHECKING:
    from reviewbot.serve.app import Engine, ReviewServer

log = logging.getLogger("reviewbot.serve")

_Answer = tuple[int, dict[str, object], tuple[int, int]]  # status, JSON body, tokens in/out


# Bodies up to this size are read and dropped before a 413 so the client sees the answer
# instead of a reset connection; larger ones are cut off.
_DISCARD_LIMIT = 64 * 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    """Answers one request per connection; ``server`` holds the backend, batcher and settings."""

    server: ReviewServer
    server_version = "reviewbot"
    timeout = 60  # seconds a client may take to send its request; frees stuck threads

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def log_message(self, format: str, *args: object) -> None:
        """Silence http.server's own access log; ``_dispatch`` logs one line per request."""

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        try:
            self._answer(method, path)
        except ConnectionError as exc:  # nobody left to answer; not the server's fault
            log.info("%s %s: client disconnected, no answer sent: %s", method, path, exc)

    def _answer(self, method: str, path: str) -> None:
        started = time.monotonic()
        tokens = (0, 0)
        retry_after = None
        try:
            if path != "/health":  # health checks carry no key and the answer reveals nothing
                self._check_auth()
            status, body, tokens = self._route(method, path)()
        except RequestRejected as exc:
            status, body, retry_after = exc.status, exc.body(), exc.retry_after
        # Logged before answering, so the line is written before the client can act on it.
        log.info(
            "%s %s %d in=%d out=%d %.3fs",
            method, path, status, tokens[0], tokens[1], time.monotonic() - started,
        )  # fmt: skip
        self._send(status, body, retry_after)

    def _route(self, method: str, path: str) -> Callable[[], _Answer]:
        routes: dict[str, tuple[str, Callable[[], _Answer]]] = {
            "/health": ("GET", self._health),
            "/v1/models": ("GET", self._models),
            "/v1/chat/completions": ("POST", self._chat),
            "/tokenize": ("POST", self._tokenize),
        }
        if path not in routes:
            known = ", ".join(f"{m} {p}" for p, (m, _) in routes.items())
            raise RequestRejected(404, f"no endpoint {path}; this server has: {known}", code="404")
        allowed, route = routes[path]
        if method != allowed:
            raise RequestRejected(405, f"{path} takes {allowed}, not {method}", code="405")
        return route

    def _check_auth(self) -> None:
        key = self.server.settings.api_key
        if key is None:
            return
        scheme, _, given = self.headers.get("Authorization", "").strip().partition(" ")
        matches = hmac.compare_digest(given.strip().encode(), key.encode())
        if scheme.lower() != "bearer" or not matches:
            raise RequestRejected(
                401,
                "missing or wrong API key; send 'Authorization: Bearer KEY'",
                "authentication_error",
                "invalid_api_key",
            )

    def _engine(self, *, health: bool = False) -> Engine:
        """The loaded engine. Raises RequestRejected (503, Retry-After) while the model loads."""
        engine = self.server.engine
        if engine is not None:
            return engine
        settings = self.server.settings
        wait = settings.loading_retry_after_s
        message = f"model {settings.model_id} is still loading; retry in {wait} s"
        raise RequestRejected(
            503,
            message,
            "server_error",
            "model_loading",
            retry_after=wait,
            answer={"status": "loading", "message": message} if health else None,
        )

    def _health(self) -> _Answer:
        self._engine(health=True)
        return 200, {"status": "ok"}, (0, 0)

    def _models(self) -> _Answer:
        window = self._engine().backend.context_window
        body = models_body(self.server.settings.model_id, window, self.server.started)
        return 200, body, (0, 0)

    def _tokenize(self) -> _Answer:
        body = self._read_json()  # read before any answer, so the client is not cut off
        engine = self._engine()
        text = body.get("content", body.get("prompt")) if isinstance(body, dict) else None
        if not isinstance(text, str):
            raise RequestRejected(
                400, 'send {"content": "text"} or {"prompt": "text"}', code="text"
            )
        count = engine.batcher.count_tokens(text)
        window = engine.backend.context_window
        return 200, {"count": count, "max_model_len": window}, (count, 0)

    def _chat(self) -> _Answer:
        payload = self._read_json()  # read before any answer, so the client is not cut off
        engine = self._engine()
        cap = engine.max_tokens_cap
        default = min(self.server.settings.default_max_tokens, cap)
        request = parse_chat_request(payload, default_max_tokens=default, max_tokens_cap=cap)
        completion = self._complete(engine, request, fit_window=not max_tokens_given(payload))
        if completion.finish_reason is FinishReason.ERROR:
            message = completion.error or "the engine failed without saying why"
            raise RequestRejected(500, f"engine error: {message}", "server_error", "engine_error")
        body = completion_body(
            completion,
            model=self.server.settings.model_id,
            request_id=f"chatcmpl-{uuid.uuid4().hex}",
            created=int(time.time()),
        )
        return 200, body, (completion.prompt_tokens, completion.completion_tokens)

    def _complete(self, engine: Engine, request: Request, *, fit_window: bool) -> Completion:
        try:
            future = engine.batcher.submit(request, fit_window=fit_window)
        except QueueFull as exc:
            raise RequestRejected(
                429,
                f"server busy: {exc}; retry later",
                "rate_limit_error",
                "queue_full",
                retry_after=self.server.settings.retry_after_s,
            ) from None
        except BatcherClosed as exc:
            raise RequestRejected(503, str(exc), "server_error", "shutting_down") from None
        try:
            return future.result()
        except PromptTooLong as exc:  # OpenAI's code for it, so clients know not to retry
            raise RequestRejected(400, str(exc), code="context_length_exceeded") from None
        except Exception as exc:  # the batcher logged it; this client gets 500, others go on
            raise RequestRejected(
                500, f"engine failed: {type(exc).__name__}: {exc}", "server_error", "engine_error"
            ) from None

    def _read_json(self) -> object:
        length = self._content_length()
        try:
            raw = self.rfile.read(length)
        except TimeoutError:
            raise RequestRejected(
                408, "timed out reading the request body", code="timeout"
            ) from None
        if len(raw) < length:  # the client closed its side early; it may still read the answer
            raise RequestRejected(
                400,
                f"request body ended after {len(raw)} of {length} bytes; send a Content-Length "
                "that matches the body",
                code="length",
            )
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RequestRejected(
                400, f"request body is not valid JSON: {exc}", code="invalid_json"
            ) from None

    def _content_length(self) -> int:
        header = self.headers.get("Content-Length", "")
        if not header.isdigit():
            raise RequestRejected(411, "send the body with a Content-Length header", code="length")
        length, limit = int(header), self.server.settings.max_body_bytes
        if length > limit:
            if length <= _DISCARD_LIMIT:
                self._discard(length)
            raise RequestRejected(
                413,
                f"request body of {length} bytes is over the limit of {limit}",
                code="too_large",
            )
        return length

    def _discard(self, length: int) -> None:
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 16))
            if not chunk:
                return
            length -= len(chunk)

    def _send(self, status: int, body: dict[str, object], retry_after: int | None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", str(retry_after))
        self.end_headers()
        self.wfile.write(data)
