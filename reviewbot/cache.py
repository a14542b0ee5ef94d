"""The result cache: a file's findings, keyed by exactly what decided them.

A key is the SHA-256 of the settings that shape a review (``cache_settings``: backend, model,
server, generation settings, instructions, every file of the prompt folders, the running reviewbot
code's ``build_id``) and of the file's reviewed content, its line-numbered diff text with context
(``reviewbot.diff_text.format_file_diff``). Re-running on an unchanged staged diff (an aborted
commit, an amend, a rebase) finds every file and makes no model call; a change to a file, the
templates or the model misses for what changed.

This module sits on the hook's fast path: it imports no HTTP client, template engine or pydantic
(``reviewbot.prompt_files`` hashes the templates, the findings codec is written out by hand).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from reviewbot.anchor import merge_findings
from reviewbot.config import Config
from reviewbot.diff_text import format_file_diff
from reviewbot.filters import filter_files
from reviewbot.store import DEFAULT_CACHE_BYTES, Store, StoreError
from reviewbot.types import FileDiff, Finding, Placement, Review, Severity, Side, Skipped, Stats


def file_key(settings: str, file: FileDiff) -> str:
    """sha256 hex of ``settings`` (a ``settings_digest``) and the file's reviewed diff text."""
    digest = hashlib.sha256(settings.encode("ascii") + b"\0")
    digest.update(format_file_diff(file).encode("utf-8"))
    return digest.hexdigest()


def encode_findings(findings: Iterable[Finding]) -> str:
    """JSON of ``{"findings": [...]}``, each finding shaped as ``serialize.finding_to_dict``
    less ``anchoring`` (placement provenance, which only audits read)."""
    rows = [
        {
            "path": f.path,
            "line": f.line,
            "end_line": f.end_line,
            "side": f.side.value,
            "severity": f.severity.value,
            "category": f.category,
            "message": f.message,
            "suggestion": f.suggestion,
            "fingerprint": f.fingerprint,
            "placement": f.placement.value,
            "note": f.note,
        }
        for f in findings
    ]
    return json.dumps({"findings": rows}, ensure_ascii=False, sort_keys=True)


def decode_findings(text: str) -> tuple[Finding, ...]:
    """Inverse of ``encode_findings``. Raises ValueError, KeyError or TypeError on bad data."""
    rows: list[dict[str, Any]] = json.loads(text)["findings"]
    return tuple(
        Finding(
            path=_typed(row["path"], str),
            line=_optional_int(row["line"]),
            end_line=_optional_int(row["end_line"]),
            side=Side(row["side"]),
            severity=Severity(row["severity"]),
            category=_typed(row["category"], str),
            message=_typed(row["message"], str),
            suggestion=None if row["suggestion"] is None else _typed(row["suggestion"], str),
            fingerprint=_typed(row["fingerprint"], str),
            placement=Placement(row["placement"]),
            note=None if row["note"] is None else _typed(row["note"], str),
        )
        for row in rows
    )


def _typed(value: object, kind: type[str]) -> str:
    if not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__}, got {value!r}")
    return value


def _optional_int(value: object) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"expected an int or null, got {value!r}")


@dataclass
class ResultCache:
    """Findings per file in a ``Store``; implements ``reviewbot.pipeline.ResultCache``.

    A database failure never fails a review: the cache turns itself off and keeps the reason in
    ``problem`` for the caller to show once.
    """

    store: Store
    settings: str  # settings_digest(...)
    max_bytes: int = DEFAULT_CACHE_BYTES
    problem: str | None = None
    hits: int = 0

    def get(self, file: FileDiff) -> tuple[Finding, ...] | None:
        """The cached findings of ``file``, or None on a miss (or a row this version can't read)."""
        if self.problem is not None:
            return None
        try:
            text = self.store.get_result(file_key(self.settings, file))
        except StoreError as exc:
            self.problem = str(exc)
            return None
        if text is None:
            return None
        try:
            found = decode_findings(text)
        except (ValueError, KeyError, TypeError):
            return None  # unreadable row: review again; the fresh result replaces it
        self.hits += 1
        return found

    def put(self, file: FileDiff, findings: Sequence[Finding]) -> None:
        if self.problem is not None:
            return
        try:
            self.store.put_result(
                file_key(self.settings, file), encode_findings(findings), max_bytes=self.max_bytes
            )
        except StoreError as exc:
            self.problem = str(exc)


def review_from_cache(
    files: Sequence[FileDiff],
    config: Config,
    cache: ResultCache,
    *,
    skipped: Sequence[Skipped] = (),
) -> Review | None:
    """The Review of ``files`` when every reviewable file is cached, else None (no model needed
    only if all hit). Findings are merged as ``pipeline.review`` merges them."""
    kept, not_kept = filter_files(files, config)
    found: list[Finding] = []
    for file in kept:
        cached = cache.get(file)
        if cached is None:
            return None
        found.extend(cached)
    return Review(
        findings=merge_findings(found),
        skipped=(*skipped, *not_kept),
        stats=Stats(),
        reviewed_files=tuple(dict.fromkeys(f.path for f in kept)),
    )
