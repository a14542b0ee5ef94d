"""The ``fake`` backend: scripted answers, for tests and CLI demos without a model."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from reviewbot.config import Config
from reviewbot.errors import ConfigError
from reviewbot.types import Completion, FinishReason, Request

EMPTY_ANSWER = '{"findings": []}'


class FakeBackend:
    """Answers requests from a queue and records them.

    responses: answered in order; a str becomes ``Completion(text, STOP)``. Once the queue is
    empty every request gets ``EMPTY_ANSWER``. requests: every Request received, in order.
    """

    def __init__(
        self,
        responses: Sequence[str | Completion] = (),
        context_window: int = 8192,
        name: str = "fake",
    ) -> None:
        self.name = name
        self.context_window = context_window
        self.requests: list[Request] = []
        self._queue: deque[Completion] = deque(
            r if isinstance(r, Completion) else Completion(r, FinishReason.STOP) for r in responses
        )

    @classmethod
    def from_config(cls, config: Config) -> FakeBackend:
        """Load scripted answers from the file ``config.model`` names (a JSON list of answer
        texts); with no model set, start with an empty queue (every answer: no findings).

        Raises ConfigError when that file is missing or does not hold a list of strings.
        """
        window = config.context_window or 8192
        if config.model is None:
            return cls(context_window=window)
        return cls(_load_responses(Path(config.model)), context_window=window)

    def count_tokens(self, text: str) -> int:
        """A rough estimate, ``len(text) // 4 + 1``: about four characters per token."""
        return len(text) // 4 + 1

    def complete(self, requests: Sequence[Request]) -> list[Completion]:
        self.requests.extend(requests)
        return [self._next() for _ in requests]

    def _next(self) -> Completion:
        return self._queue.popleft() if self._queue else Completion(EMPTY_ANSWER, FinishReason.STOP)


def _load_responses(path: Path) -> list[str]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"fake backend: cannot read responses file {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"fake backend: {path} is not valid JSON: {exc}") from exc
    if not isinstance(loaded, list) or not all(isinstance(item, str) for item in loaded):
        raise ConfigError(
            f"fake backend: {path} must hold a JSON list of answer strings, "
            'e.g. ["{\\"findings\\": []}"]'
        )
    return loaded
