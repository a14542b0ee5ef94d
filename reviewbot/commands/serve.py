"""``reviewbot serve``: keep a model warm behind an OpenAI-compatible HTTP API.

Hooks and bots on the network then use ``backend = "openai"`` with the printed ``base_url``.
SIGINT (Ctrl-C) and SIGTERM stop accepting connections, finish the requests in flight and return 0:
being stopped is how a server ends, not an error. A second signal during that drain stops the
process at once, abandoning the generations in flight, with exit status 128 + the signal number
(130 for Ctrl-C), the shell's convention.
"""

from __future__ import annotations

import logging
import os
import signal
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
from reviewbot.serve import API_KEY_VARIABLE, ReviewServer, ServeSettings, check_bind_address
from reviewbot.serve.app import serve_until

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
    """Load ``config.backend`` with ``config.model`` and serve it on ``host:port`` until stopped.

    port 0 picks a free port (the printed URL has the real one). stop: serve until it is set;
    None installs SIGINT/SIGTERM handlers that set it (main thread only); a second signal ends
    the process at once with 128 + its number. One log line per request goes to stderr, and only
    there. Returns 0 after a clean stop.

    Raises ConfigError for a non-loopback host without ``REVIEWBOT_SERVE_API_KEY`` (checked
    before the model loads), for the ``openai`` backend (nothing in-process to serve) and when
    the address cannot be bound; BackendUnavailable when the engine cannot load.
    """
    out = stdout if stdout is not None else sys.stdout
    api_key = environ.get(API_KEY_VARIABLE) or None
    check_bind_address(host, api_key)
    config = in_process_engine(config)
    backend = backend_factory(config)
    settings = ServeSettings(
        model_id=Path(config.model).name if config.model else backend.name,
        api_key=api_key,
        default_max_tokens=config.max_new_tokens,
        max_batch_size=max_batch_size,
        max_queue=max_queue,
    )
    server = _bind(backend, settings, host, port)
    print(
        f"reviewbot serve: {backend.name} model {settings.model_id}, context window "
        f"{backend.context_window} tokens, batches of up to {max_batch_size}",
        file=out,
    )
    if not api_key:
        where = "this machine only"
    else:
        where = "clients send 'Authorization: Bearer $REVIEWBOT_SERVE_API_KEY'"
    print(
        f"reviewbot serve: listening on {server.listening} ({where}; Ctrl-C to stop)",
        file=out,
        flush=True,
    )
    err = stderr if stderr is not None else sys.stderr
    with _request_log(err):
        if stop is not None:
            serve_until(server, stop)
        else:
            with _stop_on_signals(err) as event:
                serve_until(server, event)
    print("reviewbot serve: stopped", file=out, flush=True)
    return 0


def _bind(backend: Backend, settings: ServeSettings, host: str, port: int) -> ReviewServer:
    try:
        return ReviewServer(backend, settings, host, port)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another port "
            "(0 picks a free one) or stop what is using it"
        ) from exc


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
