"""The hook's deadline: the model phase runs on a worker thread that the hook stops waiting for
when ``config.deadline`` passes, so a server that accepts a connection and never answers cannot
hang a commit."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from reviewbot.errors import BackendTimeout

if TYPE_CHECKING:
    from reviewbot.types import Review


class DeadlineExceeded(BackendTimeout):
    """The model phase was still running when the hook's deadline passed."""


def within_deadline(work: Callable[[], Review], seconds: float) -> Review:
    """``work()`` run on a daemon thread; its result or its exception.

    Raises DeadlineExceeded when it has not finished after ``seconds``; the thread is left
    behind (a blocked socket read cannot be interrupted), so the caller should end the process.
    """
    results: list[Review] = []
    failures: list[BaseException] = []

    def target() -> None:
        try:
            results.append(work())
        except BaseException as exc:  # carried over to the calling thread and raised there
            failures.append(exc)

    thread = threading.Thread(target=target, name="reviewbot-model", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise DeadlineExceeded(
            f"the model did not finish within the hook's deadline of {seconds:g} s; raise "
            "deadline (or REVIEWBOT_DEADLINE) if the model needs longer"
        )
    if failures:
        raise failures[0]
    return results[0]


def hard_exit(code: int) -> None:
    """End the process now with ``code``: worker threads blocked on a socket would otherwise
    keep it alive after the deadline (``concurrent.futures`` joins its threads at exit)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
