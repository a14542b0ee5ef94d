"""Gather concurrent requests into batches for ``Backend.complete``.

One worker thread owns the backend: it waits for a first request, then collects whatever else
arrives within ``max_wait_s`` (up to ``max_batch_size``) and hands the lot to
``backend.complete(batch)`` as one call. Engines with continuous batching (the exllamav2/v3 dynamic
generators) run the batch together; llama.cpp runs it one by one inside ``complete``. Only one
``complete`` call runs at a time, and ``count_tokens`` takes the same lock, so backends need not be
thread-safe. For the same reason the worker, not the request handler, checks that each prompt fits
the context window, just before the batch runs: a handler counting tokens itself would wait for
the running batch to finish and miss the next one. That check counts the messages only (the
Backend protocol cannot count a rendered prompt); when an in-process engine, which counts the
chat template's tokens too, refuses a request as too long, the worker refuses it the same way
(PromptTooLong, a 400 that clients do not retry) or shrinks a default ``max_new_tokens`` and
runs it again.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field, replace

from reviewbot.backends.base import Backend
from reviewbot.errors import BackendError, ReviewbotError
from reviewbot.types import Completion, FinishReason, Request

log = logging.getLogger("reviewbot.serve")


class QueueFull(ReviewbotError):
    """More requests are waiting than the batcher accepts; retry later."""


class BatcherClosed(ReviewbotError):
    """The batcher is shutting down and takes no new requests."""


class PromptTooLong(ReviewbotError):
    """The messages plus ``max_new_tokens`` need more tokens than the context window holds.

    prompt_tokens: ``count_tokens`` summed over the messages' contents, or, when the engine
    refused a request that estimate let through, its exact count with the chat template's
    tokens; max_new_tokens: what the request asked to generate.
    """

    def __init__(self, prompt_tokens: int, max_new_tokens: int, context_window: int) -> None:
        super().__init__(
            f"this model's context window is {context_window} tokens, but the request needs "
            f"{prompt_tokens + max_new_tokens}: {prompt_tokens} in the messages and "
            f"{max_new_tokens} for the answer (max_tokens); shorten the messages or ask for "
            "fewer max_tokens"
        )
        self.prompt_tokens = prompt_tokens
        self.max_new_tokens = max_new_tokens
        self.context_window = context_window


@dataclass
class _Pending:
    request: Request
    fit_window: bool = False
    future: Future[Completion] = field(default_factory=Future)


class Batcher:
    """Queue requests and run them through ``backend.complete`` in batches.

    max_batch_size: most requests per ``complete`` call. max_wait_s: seconds the worker waits
    for more requests after the first one of a batch. max_queue: most requests waiting (not yet
    handed to the backend); ``submit`` raises QueueFull beyond it.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        max_batch_size: int = 8,
        max_wait_s: float = 0.005,
        max_queue: int = 64,
    ) -> None:
        if max_batch_size < 1 or max_queue < 1 or max_wait_s < 0:
            raise ValueError(
                f"max_batch_size={max_batch_size} and max_queue={max_queue} must be >= 1, "
                f"max_wait_s={max_wait_s} >= 0"
            )
        self._backend = backend
        self._max_batch_size = max_batch_size
        self._max_wait_s = max_wait_s
        self._max_queue = max_queue
        self._queue: collections.deque[_Pending] = collections.deque()
        self._cond = threading.Condition()
        self._closing = False
        self._engine = threading.Lock()  # one call into the backend at a time
        self._worker = threading.Thread(target=self._run, name="reviewbot-batcher", daemon=True)
        self._worker.start()

    @property
    def queued(self) -> int:
        """Requests waiting for the backend (not counting the batch now running)."""
        with self._cond:
            return len(self._queue)

    @property
    def accepting(self) -> bool:
        """False once ``close`` has been called."""
        with self._cond:
            return not self._closing

    def submit(self, request: Request, *, fit_window: bool = False) -> Future[Completion]:
        """Queue one request; the future gets its Completion, the backend's exception, or
        PromptTooLong when the messages and ``max_new_tokens`` do not fit the context window.

        fit_window: ``max_new_tokens`` is a default the client did not ask for: lower it to what
        the window leaves after the prompt (as vLLM does) instead of refusing. Raises QueueFull
        when ``max_queue`` requests are already waiting, BatcherClosed after ``close``.
        """
        pending = _Pending(request, fit_window)
        with self._cond:
            if self._closing:
                raise BatcherClosed("the server is shutting down; send the request elsewhere")
            if len(self._queue) >= self._max_queue:
                raise QueueFull(
                    f"{len(self._queue)} requests already waiting (limit {self._max_queue})"
                )
            self._queue.append(pending)
            self._cond.notify_all()
        return pending.future

    def count_tokens(self, text: str) -> int:
        """``backend.count_tokens(text)``, waiting for a running batch to finish first."""
        with self._engine:
            return self._backend.count_tokens(text)

    def close(self) -> None:
        """Take no new requests, finish the queued ones, and stop the worker thread."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._worker.join()

    def _run(self) -> None:
        while True:
            batch = self._take_batch()
            if not batch:
                return
            self._complete(batch)

    def _take_batch(self) -> list[_Pending]:
        """Wait for a request, then up to ``max_wait_s`` for more; [] once closed and empty."""
        with self._cond:
            while not self._queue and not self._closing:
                self._cond.wait()
            deadline = time.monotonic() + self._max_wait_s
            while 0 < len(self._queue) < self._max_batch_size and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            size = min(len(self._queue), self._max_batch_size)
            return [self._queue.popleft() for _ in range(size)]

    def _complete(self, batch: list[_Pending]) -> None:
        try:
            with self._engine:
                estimated = [p for p in batch if self._fits(p, self._content_tokens(p.request))]
                answered = self._call(estimated)
                done = [(p, c) for p, c in answered if not self._refused(p, c)]
                # The engine counts the chat template's tokens too, so it can refuse a request
                # the estimate let through; with its exact count, refuse it with PromptTooLong
                # or shrink a default max_new_tokens once more and run it again.
                again = [
                    p for p, c in answered if self._refused(p, c) and self._fits(p, c.prompt_tokens)
                ]
                done += self._call(again)
        except Exception as exc:  # handed to every waiting handler, which answers 500
            log.exception("backend %r failed on a batch of %d", self._backend.name, len(batch))
            for pending in batch:
                if not pending.future.done():  # not one already refused as too long
                    pending.future.set_exception(exc)
            return
        for pending, completion in done:
            pending.future.set_result(completion)

    def _call(self, batch: list[_Pending]) -> list[tuple[_Pending, Completion]]:
        """``backend.complete`` on the batch's requests. Raises BackendError when it does not
        answer each request once."""
        if not batch:
            return []
        completions = self._backend.complete([pending.request for pending in batch])
        if len(completions) != len(batch):
            raise BackendError(
                f"backend {self._backend.name!r} returned {len(completions)} completions "
                f"for {len(batch)} requests"
            )
        return list(zip(batch, completions, strict=True))

    def _content_tokens(self, request: Request) -> int:
        """The messages' tokens without the chat template's: what the protocol lets us count."""
        return sum(self._backend.count_tokens(message.content) for message in request.messages)

    def _refused(self, pending: _Pending, completion: Completion) -> bool:
        """True for the in-process engines' refusal of a prompt that leaves no room for the
        answer: an ERROR that reports the prompt's exact size (engine.too_long_completion)."""
        needed = completion.prompt_tokens + pending.request.max_new_tokens
        return completion.finish_reason is FinishReason.ERROR and needed > self._window

    def _fits(self, pending: _Pending, prompt: int) -> bool:
        """True if ``prompt`` tokens leave room for the answer; otherwise refuse the request with
        PromptTooLong. Called with the engine lock held. A default ``max_new_tokens`` shrinks to
        fit instead.
        """
        request = pending.request
        room = self._window - prompt
        if request.max_new_tokens <= room:
            return True
        if pending.fit_window and room >= 1:
            pending.request = replace(request, max_new_tokens=room)
            return True
        asked = 1 if pending.fit_window else request.max_new_tokens
        pending.future.set_exception(PromptTooLong(prompt, asked, self._window))
        return False

    @property
    def _window(self) -> int:
        return self._backend.context_window
