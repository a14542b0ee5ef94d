"""A review queue that runs at most ``concurrency`` reviews at once and never two for one pull
request, coalescing pushes: while a review of a pull request waits (or runs), a newer event for
it replaces the waiting one, so a burst of pushes gives one review of the newest head."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from reviewbot.github.event import PullEvent

Key = tuple[str, int]  # (owner/name, number)


class ReviewQueue:
    """worker(event) runs in one of ``concurrency`` threads; on_error gets what it raised."""

    def __init__(
        self,
        worker: Callable[[PullEvent], None],
        *,
        concurrency: int = 1,
        on_error: Callable[[PullEvent, BaseException], None] = lambda event, exc: None,
    ) -> None:
        self._worker, self._on_error = worker, on_error
        self._pending: OrderedDict[Key, PullEvent] = OrderedDict()
        self._running: set[Key] = set()
        self._changed = threading.Condition()
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._loop, name=f"reviewbot-review-{n}", daemon=True)
            for n in range(max(1, concurrency))
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, event: PullEvent) -> str:
        """Queue a review; "queued", or "coalesced" when it replaced a waiting one."""
        key = (event.repo, event.number)
        with self._changed:
            replaced = key in self._pending
            self._pending[key] = event
            self._changed.notify_all()
        return "coalesced" if replaced else "queued"

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing waits or runs; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._pending and not self._running, timeout)

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def _next(self) -> tuple[Key, PullEvent] | None:
        with self._changed:
            while True:
                if self._stopping:
                    return None
                for key in self._pending:
                    if key not in self._running:
                        self._running.add(key)
                        return key, self._pending.pop(key)
                self._changed.wait()

    def _loop(self) -> None:
        while (item := self._next()) is not None:
            key, event = item
            try:
                self._worker(event)
            except Exception as exc:  # a failed review must not stop the server; reported
                self._on_error(event, exc)
            finally:
                with self._changed:
                    self._running.discard(key)
                    self._changed.notify_all()
