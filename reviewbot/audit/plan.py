"""Selected files -> audit jobs: units, their keys, their requests, and a shard's share of them.

Units are sized against the backend's context window with its own tokenizer, the way reviews
are (``budget.available_tokens``: the window less ``max_new_tokens``, the prompt and a safety
margin), so every request fits before it is sent (``sizing.fit_file``).

Jobs keep the files' order and, within a file, the units' order. All units of a file share the
prompt up to their own lines (system text, framing, path, imports), so running them together lets
engines with prefix caching (vLLM, llama.cpp, exllama's dynamic generator) reuse that prefix.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reviewbot.audit.progress import unit_key
from reviewbot.audit.select import Selection
from reviewbot.audit.sizing import fit_file
from reviewbot.audit.units import MAX_UNIT_LINES, Unit
from reviewbot.budget import available_tokens
from reviewbot.config import Config, answer_settings
from reviewbot.errors import ConfigError
from reviewbot.findings import findings_json_schema
from reviewbot.render import CATEGORIES, PromptRenderer
from reviewbot.types import Message, Request, Severity, Skipped

SYSTEM_TEMPLATE = "audit_system.j2"
USER_TEMPLATE = "audit_user.j2"
KEY_FORMAT = 1  # bump when the unit key's meaning changes


@dataclass(frozen=True)
class Job:
    unit: Unit
    key: str
    request: Request


@dataclass(frozen=True)
class Plan:
    """jobs: in file and line order. skipped: lines that cannot fit the context even alone."""

    jobs: tuple[Job, ...]
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True)
class Shard:
    """Share ``index`` (1-based) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"I/N"`` with 1 <= I <= N. Raises ConfigError for anything else."""
        left, _, right = text.partition("/")
        try:
            index, count = int(left), int(right)
        except ValueError:
            index, count = 0, 0
        if not 1 <= index <= count:
            raise ConfigError(f"--shard {text!r} is not I/N with 1 <= I <= N, e.g. --shard 2/4")
        return cls(index, count)

    def holds(self, key: str) -> bool:
        """Whether the unit with this key belongs to this share (by the key's hash, so every
        machine with the same files and settings agrees without talking to the others)."""
        return int(key[:16], 16) % self.count == self.index - 1


def audit_settings(config: Config, templates: str) -> str:
    """sha256 hex of what decides a unit's findings besides its code: model, prompts and
    sampling. The server URL is left out on purpose: shards on different endpoints of one
    cluster must compute the same keys."""
    parts = {"format": KEY_FORMAT, **answer_settings(config), "templates": templates}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class Planner:
    """Builds the jobs of a selection with one renderer, configuration and tokenizer.

    count_tokens: the backend's tokenizer. context_window: tokens for prompt + answer.
    Raises ConfigError when the window leaves no room for code once ``max_new_tokens``, the
    prompt and the safety margin are taken (``budget.available_tokens``).
    """

    def __init__(
        self,
        renderer: PromptRenderer,
        config: Config,
        count_tokens: Callable[[str], int],
        context_window: int,
        *,
        max_unit_lines: int = MAX_UNIT_LINES,
    ) -> None:
        self._renderer = renderer
        self._config = config
        self._count = count_tokens
        self._max_lines = max_unit_lines
        self.system = renderer.render(
            SYSTEM_TEMPLATE,
            instructions=config.instructions.strip(),
            schema_hint=None,
            severities=[s.value for s in Severity],
            categories=list(CATEGORIES),
        )
        self.settings = audit_settings(config, renderer.template_digest())
        self._framing = count_tokens(self._user("", None, (), 1, 1, "", ()))
        self.unit_tokens = available_tokens(
            context_window=context_window,
            reserve_output=config.max_new_tokens,
            prompt_overhead=count_tokens(self.system) + self._framing,
        )
        self._schema = findings_json_schema()

    def plan(self, selection: Selection) -> Plan:
        """One job per unit of every selected file, in file and line order."""
        jobs: list[Job] = []
        skipped: list[Skipped] = []
        for source in selection.files:
            units, left = fit_file(
                source, self.measure, self.unit_tokens, max_lines=self._max_lines
            )
            jobs += [Job(unit, unit_key(unit, self.settings), self.request(unit)) for unit in units]
            skipped += left
        return Plan(tuple(jobs), tuple(skipped))

    def measure(self, unit: Unit) -> int:
        """Tokens ``unit`` adds to the prompt's fixed part (system message, framing)."""
        return self._count(self._user_message(unit)) - self._framing

    def request(self, unit: Unit) -> Request:
        return Request(
            messages=(Message("system", self.system), Message("user", self._user_message(unit))),
            max_new_tokens=self._config.max_new_tokens,
            json_schema=self._schema,
            seed=self._config.seed,
            temperature=self._config.temperature,
        )

    def _user_message(self, unit: Unit) -> str:
        return self._user(
            unit.path, unit.language, unit.header, unit.start, unit.end, unit.name, unit.lines
        )

    def _user(
        self,
        path: str,
        language: str | None,
        header: Sequence[tuple[int, str]],
        start: int,
        end: int,
        name: str,
        lines: Sequence[str],
    ) -> str:
        width = len(str(max([end, *(n for n, _ in header)])))
        return self._renderer.render(
            USER_TEMPLATE,
            path=path,
            language=language,
            header=numbered(header, width),
            start=start,
            end=end,
            heading=name,
            code=numbered([(start + i, t) for i, t in enumerate(lines)], width),
        )


def numbered(lines: Sequence[tuple[int, str]], width: int) -> str:
    """``"  12 | code"`` lines: numbers right-aligned to ``width``; no trailing spaces."""
    return "\n".join(f"{n:>{width}} | {t}".rstrip() for n, t in lines)
