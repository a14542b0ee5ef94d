"""A scripted OpenAI-compatible HTTP server on 127.0.0.1, for tests.

Use the ``scripted_server`` fixture (tests/conftest.py), or the class directly::

    with ScriptedServer() as server:
        server.reply('{"findings": []}')          # next chat answer
        server.fail(500, "boom")                  # the one after
        config = Config(base_url=server.base_url)
        ...
        assert server.chat_requests[0].body["max_tokens"] == 512

Endpoints (each answers 404 when its attribute is None):

- ``GET /v1/models``: ``{"object": "list", "data": server.models}``.
- ``GET /v1/model``: ``server.model_card`` (TabbyAPI's loaded model).
- ``GET /props``: ``server.props`` (llama.cpp server).
- ``POST /api/show``: ``server.ollama_show`` (Ollama).
- ``POST /tokenize``: ``server.tokenizer`` = ``"llama"`` (``{"content"}`` -> ``{"tokens"}``) or
  ``"vllm"`` (``{"model", "prompt"}`` -> ``{"count", "tokens", "max_model_len"}``); one token per
  whitespace-separated word; the wrong body gets 400.
- ``POST /v1/chat/completions``: the next scripted ``Reply`` from the queue, else
  ``server.default_reply`` (or, when ``server.responder`` is set, an answer whose text is
  ``responder(request_json)``: for answers that depend on the request). When ``server.api_key``
  is set, a request without ``Authorization: Bearer <api_key>`` gets 401.

Every request is recorded in ``server.requests`` (``Received``: method, path, headers, JSON body).
Nothing here listens anywhere but 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

DEFAULT_TEXT = '{"findings": []}'
MODEL_ID = "test-model"


@dataclass(frozen=True)
class Reply:
    """One scripted answer to a chat-completions request.

    body: sent verbatim when set (with ``status`` and ``content_type``); otherwise an OpenAI
    chat.completion is built from ``text`` and ``finish_reason``. delay: seconds to wait first
    (cut short when the server closes). prompt_tokens / completion_tokens: reported usage;
    None counts whitespace-separated words of the prompt / the text.
    """

    text: str = DEFAULT_TEXT
    finish_reason: str = "stop"
    status: int = 200
    body: str | None = None
    content_type: str = "application/json"
    delay: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    headers: tuple[tuple[str, str], ...] = ()  # extra response headers, e.g. Retry-After


@dataclass(frozen=True)
class Received:
    """One request as the server saw it. body: decoded JSON, or None when it was not JSON."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes = b""


@dataclass
class ScriptedServer:
    """A ThreadingHTTPServer on 127.0.0.1 and a free port; a context manager. See module doc."""

    models: list[dict[str, Any]] | None = field(
        default_factory=lambda: [{"id": MODEL_ID, "object": "model", "max_model_len": 4096}]
    )
    model_card: dict[str, Any] | None = None
    props: dict[str, Any] | None = None
    ollama_show: dict[str, Any] | None = None
    tokenizer: str | None = None
    api_key: str | None = None
    default_reply: Reply = field(default_factory=Reply)
    responder: Callable[[Any], str] | None = None
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.scripted = self  # type: ignore[attr-defined]
        # A short poll interval: shutdown() waits up to one interval (0.5 s by default).
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()  # wakes handlers that are "hanging"
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- addresses --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, the server root."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``, what ``Config.base_url`` takes."""
        return f"{self.url}/v1"

    # -- scripting --------------------------------------------------------------------------

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    def reply(
        self,
        text: str = DEFAULT_TEXT,
        finish_reason: str = "stop",
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
    ) -> None:
        """Queue a normal answer; token counts default to word counts (see ``Reply``)."""
        self.enqueue(
            Reply(
                text,
                finish_reason,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
            )
        )

    def fail(self, status: int, body: str = '{"error": "scripted failure"}') -> None:
        """Queue an HTTP error answer with a JSON (or any) body."""
        self.enqueue(Reply(status=status, body=body))

    def html(self, body: str = "<html><body>Not an API</body></html>", status: int = 200) -> None:
        """Queue an HTML page, as a web UI or a wrong path would answer."""
        self.enqueue(Reply(status=status, body=body, content_type="text/html"))

    def hang(self, seconds: float, text: str = DEFAULT_TEXT) -> None:
        """Queue an answer that comes only after ``seconds`` (or never, if the server closes)."""
        self.enqueue(Reply(text=text, delay=seconds))

    # -- what was received ------------------------------------------------------------------

    @property
    def chat_requests(self) -> list[Received]:
        """The POST /v1/chat/completions requests, in arrival order."""
        return [r for r in self.requests if r.path == "/v1/chat/completions"]

    @property
    def paths(self) -> list[str]:
        """``"METHOD /path"`` of every request, in arrival order."""
        return [f"{r.method} {r.path}" for r in self.requests]

    # -- used by the handler ----------------------------------------------------------------

    def _record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    def _next_reply(self, body: Any) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return Reply(text=self.responder(body))
        return self.default_reply

    def _wait(self, seconds: float) -> None:
        self._closing.wait(seconds)


def _words(text: str) -> int:
    return len(text.split())


def _completion_body(reply: Reply, request: Any) -> dict[str, Any]:
    messages = request.get("messages", []) if isinstance(request, dict) else []
    prompt = sum(_words(str(m.get("content", ""))) for m in messages if isinstance(m, dict))
    prompt_tokens = prompt if reply.prompt_tokens is None else reply.prompt_tokens
    completion = _words(reply.text) if reply.completion_tokens is None else reply.completion_tokens
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", MODEL_ID) if isinstance(request, dict) else MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.text},
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": prompt_tokens + completion,
        },
    }


def _tokenize(style: str, body: Any) -> tuple[int, Any]:
    body = body if isinstance(body, dict) else {}
    if style == "llama" and isinstance(body.get("content"), str):
        return 200, {"tokens": list(range(_words(body["content"])))}
    if style == "vllm" and isinstance(body.get("prompt"), str) and "model" in body:
        count = _words(body["prompt"])
        return 200, {"count": count, "tokens": list(range(count)), "max_model_len": 4096}
    return 400, {"error": f"bad tokenize body for a {style} server"}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def _handle(self, method: str) -> None:
        scripted: ScriptedServer = self.server.scripted  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = self.path.split("?", 1)[0]
        scripted._record(Received(method, path, dict(self.headers.items()), body, raw))
        # The client may have given up (a timeout test); then there is nobody to answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._route(scripted, method, path, body)

    def _route(self, scripted: ScriptedServer, method: str, path: str, body: Any) -> None:
        simple = {
            ("GET", "/v1/models"): None
            if scripted.models is None
            else {"object": "list", "data": scripted.models},
            ("GET", "/v1/model"): scripted.model_card,
            ("GET", "/props"): scripted.props,
            ("POST", "/api/show"): scripted.ollama_show,
        }
        if (method, path) in simple and simple[(method, path)] is not None:
            self._send(200, json.dumps(simple[(method, path)]))
        elif (method, path) == ("POST", "/tokenize") and scripted.tokenizer is not None:
            status, answer = _tokenize(scripted.tokenizer, body)
            self._send(status, json.dumps(answer))
        elif (method, path) == ("POST", "/v1/chat/completions"):
            self._chat(scripted, body)
        else:
            self._send(404, "Not Found", "text/plain")

    def _chat(self, scripted: ScriptedServer, body: Any) -> None:
        if scripted.api_key and self.headers.get("Authorization") != f"Bearer {scripted.api_key}":
            self._send(401, '{"error": "invalid api key"}')
            return
        reply = scripted._next_reply(body)
        if reply.delay:
            scripted._wait(reply.delay)
        if reply.body is not None:
            self._send(reply.status, reply.body, reply.content_type, reply.headers)
        else:
            self._send(
                reply.status, json.dumps(_completion_body(reply, body)), headers=reply.headers
            )

    def _send(
        self,
        status: int,
        text: str,
        content_type: str = "application/json",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
