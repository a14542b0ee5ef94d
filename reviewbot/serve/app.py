"""HTTP request handling for ``reviewbot serve``.

Built on the standard library's ``ThreadingHTTPServer``: no dependency to install next to a
pre-commit hook, and the engine, not HTTP, is the bottleneck (one thread per connection, requests
funnelled into the batcher).

Endpoints: ``POST /v1/chat/completions``, ``GET /v1/models``, ``GET /health`` and
``POST /tokenize`` (``{"content": text}`` as llama.cpp's, or ``{"prompt": text}`` as vLLM's ->
``{"count": n, "max_model_len": n}``; no token ids, which the Backend protocol does not expose).
Every request but ``/health`` needs ``Authorization: Bearer KEY`` when an API key is set (the
scheme matched case-insensitively, per RFC 7235 section 2.1). Connections close after each answer
(HTTP/1.0), so a shutdown never waits on an idle keep-alive connection. A client that leaves
before its answer costs one log line, not a traceback.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from reviewbot.backends.base import Backend
from reviewbot.errors import ConfigError
from reviewbot.serve.batcher import Batcher, BatcherClosed, PromptTooLong, QueueFull
from reviewbot.serve.protocol import (
    RequestRejected,
    completion_body,
    models_body,
    parse_chat_request,
)
from reviewbot.types import Completion, FinishReason, Request

log = logging.getLogger("reviewbot.serve")

API_KEY_VARIABLE = "REVIEWBOT_SERVE_API_KEY"


@dataclass(frozen=True)
class ServeSettings:
    """Limits and identity of one server.

    model_id: the name /v1/models reports and completions echo. api_key: None = no auth (allowed
    on loopback only, see ``check_bind_address``). max_body_bytes: larger bodies get 413.
    max_tokens_cap: larger ``max_tokens`` get 400; None = the backend's context window.
    default_max_tokens: used when a request gives none. max_queue: waiting requests before 429.
    """

    model_id: str
    api_key: str | None = None
    max_body_bytes: int = 8 * 1024 * 1024
    max_tokens_cap: int | None = None
    default_max_tokens: int = 1024
    max_batch_size: int = 8
    max_wait_s: float = 0.005
    max_queue: int = 64
    retry_after_s: int = 1


def check_bind_address(host: str, api_key: str | None) -> None:
    """Refuse to listen beyond this machine without an API key.

    Loopback means ``localhost`` or an address in 127.0.0.0/8 or ::1. Raises ConfigError naming
    the host and the environment variable to set.
    """
    if api_key or _is_loopback(host):
        return
    raise ConfigError(
        f"refusing to listen on {host!r} without an API key: anyone who can reach it could use "
        f"the model. Set {API_KEY_VARIABLE} in the environment (clients then send "
        "'Authorization: Bearer KEY'), or listen on 127.0.0.1"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


class ReviewServer(ThreadingHTTPServer):
    """A threading HTTP server holding the backend, its batcher and the settings.

    ``url`` is the base URL clients use (``http://HOST:PORT/v1``, the real port when bound to 0).
    """

    daemon_threads = False  # server_close() joins handler threads: in-flight requests drain

    def __init__(self, backend: Backend, settings: ServeSettings, host: str, port: int) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.backend = backend
        self.settings = settings
        self.max_tokens_cap = settings.max_tokens_cap or backend.context_window
        self.started = int(time.time())
        super().__init__((host.strip("[]"), port), _Handler)
        self.batcher = Batcher(
            backend,
            max_batch_size=settings.max_batch_size,
            max_wait_s=settings.max_wait_s,
            max_queue=settings.max_queue,
        )

    def handle_error(self, request: object, client_address: object) -> None:
        """One log entry instead of socketserver's bare print to stderr: one line when the
        client went away (nothing is wrong here), the traceback for anything else."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            log.info("connection from %s closed early: %s", _peer(client_address), error)
            return
        log.exception("connection from %s failed", _peer(client_address))

    @property
    def url(self) -> str:
        """``http://HOST:PORT/v1``; a wildcard bind shows the loopback address of its family."""
        host, port = self.socket.getsockname()[:2]
        return _base_url(_WILDCARDS.get(str(host), str(host)), int(port))

    @property
    def listening(self) -> str:
        """Where clients reach this server, for the startup line (see ``describe_listening``)."""
        host, port = self.socket.getsockname()[:2]
        return describe_listening(str(host), int(port))


_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1"}


def describe_listening(host: str, port: int, hostname: str | None = None) -> str:
    """The base URL of a server bound to ``host:port``; for a wildcard address (0.0.0.0, ::),
    a sentence saying it listens on all interfaces, with the URL to use on this machine and
    from others (``hostname``, default ``socket.gethostname()``)."""
    if host not in _WILDCARDS:
        return _base_url(host, port)
    name = hostname if hostname is not None else socket.gethostname()
    return (
        f"all interfaces ({host}) port {port}: {_base_url(_WILDCARDS[host], port)} on this "
        f"machine, {_base_url(name, port)} or this machine's IP address from others"
    )


def _base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/v1"


def _peer(client_address: object) -> str:
    if isinstance(client_address, tuple) and len(client_address) >= 2:
        return f"{client_address[0]}:{client_address[1]}"
    return str(client_address)


def serve_until(server: ReviewServer, stop: threading.Event) -> None:
    """Serve until ``stop`` is set, then stop accepting, finish in-flight requests and return."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="reviewbot-serve"
    )
    thread.start()
    try:
        while not stop.wait(0.5):  # a timed wait lets signal handlers run in the main thread
            pass
        log.info("stopping: no new connections; finishing the requests in flight")
    finally:
        server.shutdown()
        thread.join()
        server.server_close()  # joins the handler threads, which wait on the batcher
        server.batcher.close()


_Answer = tuple[int, dict[str, object], tuple[int, int]]  # status, JSON body, tokens in/out


# Bodies up to this size are read and dropped before a 413 so the client sees the answer
# instead of a reset connection; larger ones are cut off.
_DISCARD_LIMIT = 64 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
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

    def _health(self) -> _Answer:
        return 200, {"status": "ok"}, (0, 0)

    def _models(self) -> _Answer:
        server = self.server
        body = models_body(server.settings.model_id, server.backend.context_window, server.started)
        return 200, body, (0, 0)

    def _tokenize(self) -> _Answer:
        body = self._read_json()
        text = body.get("content", body.get("prompt")) if isinstance(body, dict) else None
        if not isinstance(text, str):
            raise RequestRejected(
                400, 'send {"content": "text"} or {"prompt": "text"}', code="text"
            )
        count = self.server.batcher.count_tokens(text)
        window = self.server.backend.context_window
        return 200, {"count": count, "max_model_len": window}, (count, 0)

    def _chat(self) -> _Answer:
        cap = self.server.max_tokens_cap
        default = min(self.server.settings.default_max_tokens, cap)
        body = self._read_json()
        request = parse_chat_request(body, default_max_tokens=default, max_tokens_cap=cap)
        asked = isinstance(body, dict) and any(
            body.get(key) is not None for key in ("max_tokens", "max_completion_tokens")
        )
        completion = self._complete(request, fit_window=not asked)
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

    def _complete(self, request: Request, *, fit_window: bool) -> Completion:
        try:
            future = self.server.batcher.submit(request, fit_window=fit_window)
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
