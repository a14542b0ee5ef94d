"""The one seam between reviewbot and a model engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from reviewbot.types import Completion, Request


class Backend(Protocol):
    """A local model engine or server.

    context_window: tokens the engine accepts for prompt + answer, as the engine or server reports
    it (or as configured when it does not say).
    complete: batch-first; returns one Completion per request, in order. A request that fails on
    its own returns a Completion with ``finish_reason=ERROR``; a failure of the whole engine
    (unreachable, not installed) raises BackendUnavailable / BackendTimeout.
    """

    name: str
    context_window: int

    def count_tokens(self, text: str) -> int: ...

    def complete(self, requests: Sequence[Request]) -> list[Completion]: ...
