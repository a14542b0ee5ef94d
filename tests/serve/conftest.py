"""Fixtures for the serve tests: servers on 127.0.0.1 port 0 and a backend that waits on a gate."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager

import pytest

from reviewbot.backends.base import Backend
from reviewbot.serve import ReviewServer, ServeSettings, serve_until
from reviewbot.types import Completion, FinishReason, Request


class GatedBackend:
    """Blocks inside ``complete`` until ``release`` is set; records each batch.

    entered: set when a ``complete`` call starts. fail_next: the next call raises it.
    """

    name = "gated"
    context_window = 4096

    def __init__(self) -> None:
        self.batches: list[list[Request]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail_next: Exception | None = None

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def complete(self, requests: Sequence[Request]) -> list[Completion]:
        self.batches.append(list(requests))
        self.entered.set()
        self.release.wait(30)
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        return [Completion(f"answer {len(r.messages)}", FinishReason.STOP, 3, 2) for r in requests]


def _wait_for(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


WaitFor = Callable[[Callable[[], bool], str], None]


@pytest.fixture
def wait_for() -> WaitFor:
    """``wait_for(predicate, what)``: poll until it holds; fail naming ``what`` after 20 s."""
    return _wait_for


@pytest.fixture
def gated() -> GatedBackend:
    """A fresh GatedBackend (not released)."""
    return GatedBackend()


ServerFactory = Callable[..., AbstractContextManager[ReviewServer]]


@pytest.fixture
def serve() -> ServerFactory:
    """``with serve(backend, **settings) as server:`` runs a server on 127.0.0.1, port 0;
    backend None: a server whose model is still loading (``server.ready(backend)`` ends it)."""

    @contextmanager
    def start(backend: Backend | None, **overrides: object) -> Iterator[ReviewServer]:
        fields: dict[str, object] = {"model_id": "tiny.gguf", **overrides}
        server = ReviewServer(backend, ServeSettings(**fields), "127.0.0.1", 0)
        stop = threading.Event()
        thread = threading.Thread(target=serve_until, args=(server, stop))
        thread.start()
        try:
            yield server
        finally:
            stop.set()
            thread.join(30)

    return start
