"""The audit's own SQLite file: one row per audited unit, committed as soon as its answer arrives.

A row is keyed by the unit key (``unit_key``: the unit's content and everything else that decides
its findings), so a re-run finds the units already done, an interrupted run loses at most the
answers in flight, and a changed unit gets a new key (the old row stays, unused). Rows store the
unit's first line at the time, so findings of a unit that only moved are shifted to its new place.

Opened with ``sqlite_open.open_database`` (WAL: the runner writes while a second process may
read; no committed row is lost when the process is killed).

The default file has one place per repository, whatever ``--output`` says (``default_path``):
inside git's own directory (never tracked, shared by linked worktrees, gone with the clone), or,
outside git, in the user's cache directory under a name derived from the directory's path.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

from reviewbot import git
from reviewbot.audit.placement import move_finding
from reviewbot.audit.units import Unit
from reviewbot.errors import ReviewbotError, SerializeError
from reviewbot.serialize import finding_from_dict, finding_to_dict
from reviewbot.sqlite_open import open_database
from reviewbot.types import Finding

FILE_NAME = "reviewbot-audit.sqlite"
_COLUMNS = (
    "key, path, start, end_line, findings, error, raw, truncated, prompt_tokens, "
    "completion_tokens, seconds"
)
_KEYS_PER_QUERY = 500  # below SQLite's smallest limit on bound parameters (999)
_SCHEMA = """CREATE TABLE results (
    key TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    start INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    findings TEXT NOT NULL,
    error TEXT,
    raw TEXT NOT NULL DEFAULT '',
    truncated INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    seconds REAL NOT NULL
)"""
MIGRATIONS = [(_SCHEMA,)]  # sqlite_open: MIGRATIONS[i] takes user_version i to i + 1


class ProgressError(ReviewbotError):
    """The audit state file cannot be opened, read or written."""


def default_path(root: Path, repo: Path | None) -> Path:
    """Where an audit of ``repo`` (or of the directory ``root`` outside git) keeps its state:
    ``<git common dir>/reviewbot-audit.sqlite``, else
    ``<user cache dir>/audit/<sha256 of root's absolute path, 16 hex>.sqlite``.

    Raises GitError when git cannot name the repository's directory.
    """
    if repo is not None:
        return git.common_dir(repo) / FILE_NAME
    from platformdirs import user_cache_dir

    digest = hashlib.sha256(os.fsencode(root.resolve())).hexdigest()[:16]
    return Path(user_cache_dir("reviewbot")) / "audit" / f"{digest}.sqlite"


@dataclass(frozen=True)
class UnitResult:
    """What one unit's model call gave. findings: placed against the unit's lines at ``start``.

    error: why the answer could not be used (the unit is retried on the next run), else None.
    """

    key: str
    path: str
    start: int
    end: int
    findings: tuple[Finding, ...]
    error: str | None = None
    raw: str = ""
    truncated: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    def moved_to(self, unit: Unit) -> UnitResult:
        """This result for ``unit`` (same key), its line numbers (notes included) moved to where
        the unit and its import lines are now (``placement.move_finding``)."""
        findings = tuple(move_finding(f, self.start, unit) for f in self.findings)
        if (unit.path, unit.start, findings) == (self.path, self.start, self.findings):
            return self
        return replace(self, path=unit.path, start=unit.start, end=unit.end, findings=findings)


def unit_key(unit: Unit, settings: str) -> str:
    """sha256 hex of ``settings`` (model, prompts and options; ``plan.audit_settings``) and the
    unit's path, language, header text and lines. Line numbers are left out, so a unit that only
    moved keeps its key (its findings are shifted instead)."""
    parts = [settings, unit.path, unit.language or "", *(t for _, t in unit.header), "\0"]
    digest = hashlib.sha256("\0".join([*parts, *unit.lines]).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class ProgressStore:
    """The results table in ``path``; safe to use from several threads (one lock).

    Raises ProgressError naming the path when the file cannot be opened or is not a state file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self._conn = open_database(path, MIGRATIONS)
            # Another program's SQLite file may have a results table of its own: fail here,
            # naming the file, rather than on the first read.
            self._conn.execute(f"SELECT {_COLUMNS} FROM results LIMIT 0")
        except (OSError, sqlite3.Error) as exc:
            raise ProgressError(
                f"cannot open the audit state file {path}: {exc}; delete it to start over, or "
                "pass --state FILE"
            ) from exc

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def done_keys(self) -> set[str]:
        """Keys of units with a usable answer (errors are retried)."""
        rows = self._read("SELECT key FROM results WHERE error IS NULL")
        return {str(row[0]) for row in rows}

    def put(self, result: UnitResult) -> None:
        """Store (or replace) one unit's result and commit it at once."""
        findings = json.dumps([finding_to_dict(f) for f in result.findings], ensure_ascii=False)
        row = (
            result.key,
            result.path,
            result.start,
            result.end,
            findings,
            result.error,
            result.raw,
            int(result.truncated),
            result.prompt_tokens,
            result.completion_tokens,
            result.seconds,
        )
        with self._lock:
            try:
                self._conn.execute(
                    f"INSERT OR REPLACE INTO results ({_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
            except sqlite3.Error as exc:
                raise ProgressError(
                    f"cannot write to the audit state file {self.path}: {exc}"
                ) from exc

    def results(self, keys: Iterable[str]) -> dict[str, UnitResult]:
        """The stored results among ``keys``, by key. Raises ProgressError, SerializeError."""
        wanted = sorted(set(keys))
        rows: list[tuple[object, ...]] = []
        # Only the rows asked for: the file keeps the rows of units that have since changed.
        for first in range(0, len(wanted), _KEYS_PER_QUERY):
            batch = wanted[first : first + _KEYS_PER_QUERY]
            marks = ", ".join("?" * len(batch))
            rows += self._read(f"SELECT {_COLUMNS} FROM results WHERE key IN ({marks})", batch)
        return {str(row[0]): self._decode(row) for row in rows}

    def _read(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, args).fetchall())
            except sqlite3.Error as exc:
                raise ProgressError(
                    f"cannot read the audit state file {self.path}: {exc}; delete it to start "
                    "over, or pass --state FILE"
                ) from exc

    def _decode(self, row: tuple[object, ...]) -> UnitResult:
        key, path, start, end, findings, error, raw, truncated, ptok, ctok, seconds = row
        source = f"audit state file {self.path}, unit {key}"
        try:
            items = json.loads(str(findings))
            decoded = tuple(finding_from_dict(_mapping(i), source=source) for i in items)
        except (ValueError, TypeError) as exc:
            raise SerializeError(
                f"{source}: unreadable findings ({exc}); delete the file"
            ) from None
        return UnitResult(
            key=str(key),
            path=str(path),
            start=int(str(start)),
            end=int(str(end)),
            findings=decoded,
            error=None if error is None else str(error),
            raw=str(raw),
            truncated=bool(truncated),
            prompt_tokens=int(str(ptok)),
            completion_tokens=int(str(ctok)),
            seconds=float(str(seconds)),
        )


def _mapping(item: object) -> Mapping[str, object]:
    if not isinstance(item, dict):
        raise TypeError(f"a finding is {type(item).__name__}, not an object")
    return item
