"""What an audit's JSON report says about the audit itself, and the checks ``report merge`` makes.

A JSON report written by ``reviewbot audit`` carries, next to the review, ::

    "audit": {"shard": "2/3" | null, "settings": "<sha256 hex>"}

shard: which share of the units it holds (null: all of them). settings: a digest of everything
that decides the units and their answers (``plan_digest``). Merging needs exactly one report per
shard of one audit: a repeated shard would double nothing but hides a mistake, shards of
different settings or counts do not add up to one audit, and a missing shard leaves units out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewbot.audit.plan import Shard
from reviewbot.errors import ConfigError, SerializeError
from reviewbot.types import ChunkError

KEY = "audit"


@dataclass(frozen=True)
class AuditRecord:
    """settings: ``plan_digest``. shard: None for a whole audit."""

    settings: str
    shard: Shard | None = None

    def to_dict(self) -> dict[str, Any]:
        share = None if self.shard is None else f"{self.shard.index}/{self.shard.count}"
        return {"shard": share, "settings": self.settings}

    @classmethod
    def from_dict(cls, data: object, *, source: str) -> AuditRecord:
        """Raises SerializeError naming ``source`` when ``data`` is not a record."""
        settings = data.get("settings") if isinstance(data, dict) else None
        share = data.get("shard") if isinstance(data, dict) else None
        if not isinstance(settings, str) or not (share is None or isinstance(share, str)):
            raise SerializeError(
                f'{source}: "{KEY}" is not {{"shard": "I/N" or null, "settings": "..."}}; '
                "re-run the audit with --format json to rewrite it"
            )
        try:
            return cls(settings, None if share is None else Shard.parse(share))
        except ConfigError as exc:
            raise SerializeError(f'{source}: "{KEY}": {exc}') from None


def plan_digest(settings: str, context_window: int, max_unit_lines: int) -> str:
    """sha256 hex of the unit-key settings (``plan.audit_settings``) plus what decides where
    files are cut: shards cut differently would split the units differently."""
    parts = [settings, context_window, max_unit_lines]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def check_shards(
    records: Sequence[tuple[Path, AuditRecord]],
) -> tuple[AuditRecord, list[str], list[ChunkError]]:
    """(the merged report's record, warnings, an error per missing shard) for ``records`` (each
    report's path and record; ``merge.read_report`` refuses a report without one).

    Raises ConfigError naming the files when two hold the same shard, or when reports of
    different settings or shard counts are merged, or when ``records`` is empty.
    """
    if not records:
        raise ConfigError("no reports to merge; name the JSON reports of the audit's shards")
    first_path, first = records[0]
    for path, record in records[1:]:
        if record.settings != first.settings:
            raise ConfigError(
                f"{first_path} and {path} were audited with different settings (model, prompts, "
                "sampling, context window or --max-unit-lines); merge the shards of one audit"
            )
    count = _count(records)
    holders = _by_index(records, count)
    missing = [f"{i}/{count}" for i in range(1, count + 1) if i not in holders]
    errors = [ChunkError((), f"shard {share}: no report merged; not audited") for share in missing]
    warnings = []
    if missing:
        warnings.append(
            f"shard {', '.join(missing)} missing: its units are not in the merged report"
        )
    return AuditRecord(first.settings), warnings, errors


def _count(known: Sequence[tuple[Path, AuditRecord]]) -> int:
    """The shared shard count (a whole audit counts as 1/1). Raises ConfigError if they differ."""
    counts: dict[int, Path] = {}
    for path, record in known:
        counts.setdefault(record.shard.count if record.shard else 1, path)
    if len(counts) > 1:
        shown = " and ".join(
            f"{path} ({'a whole audit' if n == 1 else f'a shard of {n}'})"
            for n, path in counts.items()
        )
        raise ConfigError(f"cannot merge {shown}: every shard must come from one --shard I/N split")
    return next(iter(counts))


def _by_index(known: Sequence[tuple[Path, AuditRecord]], count: int) -> Mapping[int, Path]:
    holders: dict[int, Path] = {}
    for path, record in known:
        index = record.shard.index if record.shard else 1
        if index in holders:
            raise ConfigError(
                f"{holders[index]} and {path} hold the same shard ({index}/{count}); "
                "pass each shard's report once"
            )
        holders[index] = path
    return holders
