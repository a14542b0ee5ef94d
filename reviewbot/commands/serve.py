"""``reviewbot serve``: keep a model warm behind an OpenAI-compatible HTTP API.

Hooks and bots on the network then use ``backend = "openai"`` with the printed ``base_url``.
The address is checked and bound first, so a refused host or a busy port fails at once, not
after a model load that can take minutes; while the model loads the server already answers, with
503 and ``Retry-After`` (see ``reviewbot.serve.handler``). A model that fails to load stops the
server and ends the command with the load's error. Ctrl-C during the load stops at once (130).

Once serving, SIGINT (Ctrl-C) and SIGTERM stop accepting connections, finish the requests in
flight and return 0: being stopped is how a server ends, not an error. A second signal during
that drain stops the process at once, abandoning the generations in flight, with exit status
128 + the signal number (130 for Ctrl-C), the shell's convention.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TextIO

from reviewbot.backends import create_backend
from reviewbot.backends.base import Backend
from reviewbot.config import Config
from reviewbot.errors import ConfigError
from reviewbot.serve import (
    API_KEY_VARIABLE,
    ReviewServer,
    ServeSettings,
    check_bind_address,
    serving,
    wait_until,
)
from reviewbot.serve.app import check_host

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def in_process_engine(config: Config) -> Config:
    """``config`` with an in-process backend: ``openai`` (the default, meant for clients) is
    read as llamacpp for a ``.gguf`` model, since that is the only engine a file can be for.

    Raises ConfigError otherwise: serving ``openai`` would only forward to another server.
    """
    if config.backend != "openai":
        return config
    if config.model and config.model.lower().endswith(".gguf"):
        return replace(config, backend="llamacpp")
    raise ConfigError(
        "reviewbot serve runs a model in this process; backend 'openai' would only forward to "
        "another server. Use --backend llamacpp (a .gguf file), exllamav2 or exllamav3 (a model "
        f"directory) with --model PATH (got model {config.model!r}, from {config.source})"
    )


def run(
    config: Config,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    environ: Mapping[str, str] = os.environ,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stop: threading.Event | None = None,
    max_batch_size: int = 8,
    max_queue: int = 64,
    backend_factory: Callable[[Config], Backend] = create_backend,
) -> int:
    """Listen on ``host:port``, load ``config.backend`` with ``config.model``, and serve it
    until stopped; requests that arrive during the load get 503 (model loading).

    port 0 picks a free port (the printed URL has the real one). stop: serve until it is set;
    None installs SIGINT/SIGTERM handlers that set it (main thread only, once the model is
    loaded); a second signal ends the process at once with 128 + its number. One log line per
    request goes to stderr, and only there. Returns 0 after a clean stop.

    Raises ConfigError, before the model loads, for a host that is neither an IP address nor a
    resolvable name (checked first), for a non-loopback host without
    ``REVIEWBOT_SERVE_API_KEY``, for the ``openai`` backend (nothing in-process to serve) and
    when the address cannot be bound (a busy port, an address not of this machine). Whatever
    ``backend_factory`` raises (BackendUnavailable when the engine cannot load, ConfigError for
    a missing model file) is raised after the server has stopped.
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    api_key = environ.get(API_KEY_VARIABLE) or None
    check_host(host)  # a mistyped address is named as such, not as a missing API key
    check_bind_address(host, api_key)
    config = in_process_engine(config)
    settings = ServeSettings(
        model_id=Path(config.model).name if config.model else config.backend,
        api_key=api_key,
        default_max_tokens=config.max_new_tokens,
        max_batch_size=max_batch_size,
        max_queue=max_queue,
    )
    server = _bind(settings, host, port)
    where = "clients send 'Authorization: Bearer $REVIEWBOT_SERVE_API_KEY'"
    _say(
        out,
        f"listening on {server.listening} ({where if api_key else 'this machine only'}; "
        "Ctrl-C to stop)",
    )
    with _request_log(err), serving(server) as drain:
        _say(
            out,
            f"loading {config.backend} model {settings.model_id}; requests get 503 until it "
            "is ready",
        )
        backend = backend_factory(config)  # raising leaves ``serving``: the server stops
        server.ready(backend)
        _say(
            out,
            f"ready: {backend.name} model {settings.model_id}, context window "
            f"{backend.context_window} tokens, batches of up to {max_batch_size}",
        )
        _wait_then_drain(stop, drain, err)
    _say(out, "stopped")
    return 0


def _wait_then_drain(stop: threading.Event | None, drain: Callable[[], None], err: TextIO) -> None:
    """Wait for ``stop``, or for a signal when it is None, then drain the server."""
    if stop is not None:
        wait_until(stop)
        drain()
        return
    # Installed only once the model is loaded, so Ctrl-C during the load interrupts it; the
    # drain runs under them, so a second signal during it stops at once.
    with _stop_on_signals(err) as event:
        wait_until(event)
        drain()


def _say(out: TextIO, line: str) -> None:
    print(f"reviewbot serve: {line}", file=out, flush=True)


def _bind(settings: ServeSettings, host: str, port: int) -> ReviewServer:
    """The server listening on ``host:port``, with no model yet. Raises ConfigError."""
    try:
        return ReviewServer(None, settings, host, port)
    except OSError as exc:
        raise ConfigError(bind_error(host, port, exc)) from exc


def bind_error(host: str, port: int, exc: OSError) -> str:
    """What failed when listening on ``host:port``, and how to fix it (errno names per
    POSIX bind(2)); the message of the ConfigError ``run`` raises."""
    where = f"cannot listen on {host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{where}: the port is already in use (another server, perhaps another reviewbot "
            "serve, is listening there); pick another port with --port (--port 0 picks a free "
            "one) or stop the other server"
        )
    if exc.errno == errno.EACCES:
        return (
            f"{where}: permission denied (ports below 1024 need privileges); pick a port above "
            "1023 with --port"
        )
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return (
            f"{where}: {host} is not an address of this machine ({exc.strerror or exc}); use "
            "--host 127.0.0.1, 0.0.0.0 (all interfaces) or one of this machine's addresses"
        )
    return f"{where}: {exc.strerror or exc}; pick another --host or --port"


@contextmanager
def _stop_on_signals(err: TextIO) -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM; the previous handlers come back afterwards.

    A second signal ends the process at once with 128 + its number and one line on ``err``.
    """
    event = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        if not event.is_set():
            event.set()
            return
        print(
            "reviewbot serve: stopping now, without finishing the requests in flight",
            file=err,
            flush=True,
        )
        sys.stdout.flush()
        # Not an exception: it would wait for the handler threads, which wait for the engine,
        # and unwinding could free the model while the engine thread still runs on it.
        os._exit(128 + signum)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield event
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _request_log(stream: TextIO) -> Iterator[None]:
    """Send the server's one-line-per-request log to ``stream`` while serving, and only there:
    the CLI's root handler (``reviewbot: warning: ...``) would write every line a second time."""
    logger = logging.getLogger("reviewbot.serve")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
