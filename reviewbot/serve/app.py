"""The HTTP server of ``reviewbot serve``: settings, binding, the startup address and shutdown.

The address is bound before the model loads (``ReviewServer(None, ...)``, then ``ready``), so a
busy port fails at once instead of after a load that can take minutes; until then every endpoint
that needs the model answers 503 with ``Retry-After``.

Built on the standard library's ``ThreadingHTTPServer``: no dependency to install next to a
pre-commit hook, and the engine, not HTTP, is the bottleneck (one thread per connection, requests
funnelled into the batcher). The requests themselves are answered in ``reviewbot.serve.handler``.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import ThreadingHTTPServer

from reviewbot.backends.base import Backend
from reviewbot.errors import ConfigError
from reviewbot.serve.batcher import Batcher
from reviewbot.serve.handler import Handler

log = logging.getLogger("reviewbot.serve")

API_KEY_VARIABLE = "REVIEWBOT_SERVE_API_KEY"


@dataclass(frozen=True)
class ServeSettings:
    """Limits and identity of one server.

    model_id: the name /v1/models reports and completions echo. api_key: None = no auth (allowed
    on loopback only, see ``check_bind_address``). max_body_bytes: larger bodies get 413.
    max_tokens_cap: larger ``max_tokens`` get 400; None = the backend's context window.
    default_max_tokens: used when a request gives none. max_queue: waiting requests before 429.
    retry_after_s: the ``Retry-After`` of a 429; loading_retry_after_s: of a 503 while the model
    loads (seconds; reviewbot's own client waits at most 30 s per retry).
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
    loading_retry_after_s: int = 5

    def __post_init__(self) -> None:
        # A programming-error guard, raised before anything binds: the CLI's argparse types
        # refuse these values with a usage message first.
        if self.max_batch_size < 1 or self.max_queue < 1:
            raise ValueError(
                f"max_batch_size={self.max_batch_size} and max_queue={self.max_queue} must be >= 1"
            )


Resolver = Callable[..., object]  # socket.getaddrinfo's shape: (host, port, ...) -> addresses


def check_host(host: str, resolve: Resolver = socket.getaddrinfo) -> None:
    """Refuse a ``host`` that is neither an IP address nor a name this machine resolves, so the
    mistake is named before anything else (the API-key check, the bind, the model load).

    A name made only of numbers and dots (``256.1.1.1``) is a mistyped IPv4 address, never looked
    up: no top-level domain is all-numeric (RFC 3696, section 2). ``[::1]`` is taken as ``::1``.
    resolve: ``socket.getaddrinfo`` or a stand-in with its signature and ``socket.gaierror``.
    Raises ConfigError naming the host and what to give instead.
    """
    address = host.strip("[]")
    fix = "use --host 127.0.0.1 (this machine only), 0.0.0.0 (all interfaces) or a name it resolves"
    try:
        ipaddress.ip_address(address)
        return
    except ValueError:
        pass
    if not address or address.replace(".", "").isdigit() or ":" in address:
        kind = "IPv6" if ":" in address else "IPv4"
        example = "::1" if ":" in address else "four numbers from 0 to 255, e.g. 192.168.1.5"
        raise ConfigError(f"cannot listen on {host!r}: not an {kind} address ({example}); {fix}")
    try:
        resolve(address, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise ConfigError(
            f"cannot listen on {host!r}: not an IP address, and the name does not resolve "
            f"({reason}); {fix}"
        ) from exc


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


@dataclass(frozen=True)
class Engine:
    """The loaded model as the handlers use it: the backend, the batcher in front of it, and
    the largest ``max_tokens`` a request may ask for (tokens)."""

    backend: Backend
    batcher: Batcher
    max_tokens_cap: int


class ReviewServer(ThreadingHTTPServer):
    """A threading HTTP server holding the settings and, once loaded, the Engine.

    backend: the model to serve, or None to bind the address now and load later: until
    ``ready(backend)``, ``engine`` is None and requests needing the model get 503 (loading).
    Raises OSError when ``host:port`` cannot be bound (in use, not this machine's address).
    ``url`` is the base URL clients use (``http://HOST:PORT/v1``, the real port when bound to 0).
    """

    daemon_threads = False  # server_close() joins handler threads: in-flight requests drain
    # Never share a port (SO_REUSEPORT): a second server on a busy port must fail, not split
    # the clients with the first. SO_REUSEADDR (HTTPServer's default) only skips TIME_WAIT.
    allow_reuse_port = False

    def __init__(
        self, backend: Backend | None, settings: ServeSettings, host: str, port: int
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.settings = settings
        self.engine: Engine | None = None
        self.started = int(time.time())
        super().__init__((host.strip("[]"), port), Handler)
        if backend is not None:
            self.ready(backend)

    def ready(self, backend: Backend) -> None:
        """Serve ``backend`` from now on: start its batcher and stop answering 503."""
        settings = self.settings
        batcher = Batcher(
            backend,
            max_batch_size=settings.max_batch_size,
            max_wait_s=settings.max_wait_s,
            max_queue=settings.max_queue,
        )
        cap = settings.max_tokens_cap or backend.context_window
        self.started = int(time.time())
        self.engine = Engine(backend, batcher, cap)  # one assignment: handlers see all or none

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


@contextmanager
def serving(server: ReviewServer) -> Iterator[Callable[[], None]]:
    """Answer requests on a background thread while the ``with`` body runs (loading the model,
    waiting for a stop). Yields ``drain``: stop accepting connections, finish the requests in
    flight and stop the batcher; leaving the ``with``, also by an exception, drains if the
    body did not (call it inside the body to drain under the body's own signal handlers)."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="reviewbot-serve"
    )
    drained = threading.Event()

    def drain() -> None:
        if drained.is_set():
            return
        drained.set()
        server.shutdown()
        thread.join()
        server.server_close()  # joins the handler threads, which wait on the batcher
        if server.engine is not None:
            server.engine.batcher.close()

    thread.start()
    try:
        yield drain
    finally:
        drain()


def wait_until(stop: threading.Event) -> None:
    """Return once ``stop`` is set, logging that the server stops."""
    while not stop.wait(0.5):  # a timed wait lets signal handlers run in the main thread
        pass
    log.info("stopping: no new connections; finishing the requests in flight")


def serve_until(server: ReviewServer, stop: threading.Event) -> None:
    """Serve until ``stop`` is set, then stop accepting, finish in-flight requests and return."""
    with serving(server):
        wait_until(stop)
