"""The benchmark's own SQLite file: cases, profiles and each profile's result per case.

A run writes one row per (profile, case) as soon as that case is reviewed, so an interrupted
run resumes where it stopped, and reports are re-made from the file without any model call.
Tables (schema version 1, in ``PRAGMA user_version``; opened with ``sqlite_open``)::

    cases(id PK, data JSON)                                  the case as in the cases file
    profiles(name PK, fingerprint, settings JSON)            what each profile ran with
    results(profile, case_id, status, findings JSON, raw_outputs JSON, errors JSON, calls,
            failed_calls, seconds, prompt_tokens, completion_tokens, PK(profile, case_id))
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from reviewbot.bench.casefile import Case, case_from_json, case_to_json
from reviewbot.errors import ConfigError, ReviewbotError
from reviewbot.serialize import finding_from_dict, finding_to_dict
from reviewbot.sqlite_open import is_busy, open_database
from reviewbot.types import Finding

MIGRATIONS = [  # sqlite_open: MIGRATIONS[i] takes user_version i to i + 1
    (
        "CREATE TABLE cases (id TEXT PRIMARY KEY, data TEXT NOT NULL)",
        "CREATE TABLE profiles (name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, settings TEXT)",
        """CREATE TABLE results (
           profile TEXT NOT NULL, case_id TEXT NOT NULL, status TEXT NOT NULL,
           findings TEXT NOT NULL, raw_outputs TEXT NOT NULL, errors TEXT NOT NULL,
           calls INTEGER NOT NULL, failed_calls INTEGER NOT NULL, seconds REAL NOT NULL,
           prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
           PRIMARY KEY (profile, case_id))""",
    ),
]


NOT_REVIEWED = "not_reviewed"  # CaseResult.status of a case the review did not cover


class BenchDBError(ReviewbotError):
    """The benchmark database cannot be opened, read or written, or holds something else."""


@dataclass(frozen=True)
class CaseResult:
    """One profile's review of one case.

    status: "ok" (reviewed; chunk failures are counted in failed_calls), "not_reviewed" (the
    review left out lines the case is scored on, e.g. a hunk too big for the context window;
    errors starts with ``"PATH: why"`` for each) or "failed" (the engine gave up on the whole
    case, e.g. a timeout; errors says why). calls: model calls made;
    failed_calls: those whose answer could not be used (unparsable, cut off with nothing
    usable, engine error). seconds: wall time of the review. raw_outputs: the model's texts.
    """

    profile: str
    case_id: str
    status: str
    findings: tuple[Finding, ...] = ()
    raw_outputs: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    calls: int = 0
    failed_calls: int = 0
    seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class ProfileRow:
    name: str
    fingerprint: str
    settings: Mapping[str, object]


class BenchDB:
    """The database at ``path`` (created when missing). Raises BenchDBError naming the path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._conn = open_database(path, MIGRATIONS)
        except (OSError, sqlite3.Error) as exc:
            raise BenchDBError(
                f"cannot open the benchmark database {path}: {_advice(exc)}"
            ) from exc

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> BenchDB:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def add_cases(self, cases: Sequence[Case]) -> None:
        """Store ``cases``; a case already stored must be identical (ConfigError otherwise)."""
        stored = {case.id: case for case in self.cases()}
        for case in cases:
            if case.id in stored and stored[case.id] != case:
                raise ConfigError(
                    f"case {case.id} in {self.path} differs from the one given; use a new --db "
                    "file for a changed cases file"
                )
        rows = [(c.id, case_to_json(c)) for c in cases if c.id not in stored]
        self._write("INSERT INTO cases (id, data) VALUES (?, ?)", rows)

    def cases(self) -> list[Case]:
        rows = self._read("SELECT id, data FROM cases ORDER BY rowid")
        return [case_from_json(data, source=f"{self.path} case {cid}") for cid, data in rows]

    def add_profile(self, name: str, fingerprint: str, settings: Mapping[str, object]) -> None:
        """Record a profile. Raises ConfigError when ``name`` was run with other settings."""
        rows = self._read("SELECT fingerprint FROM profiles WHERE name = ?", (name,))
        if rows and rows[0][0] != fingerprint:
            raise ConfigError(
                f"profile {name!r} in {self.path} was run with other settings; give the changed "
                "profile a new name, or use a new --db file"
            )
        if not rows:
            self._write(
                "INSERT INTO profiles (name, fingerprint, settings) VALUES (?, ?, ?)",
                [(name, fingerprint, json.dumps(dict(settings), sort_keys=True, default=str))],
            )

    def profiles(self) -> list[ProfileRow]:
        rows = self._read("SELECT name, fingerprint, settings FROM profiles ORDER BY rowid")
        return [ProfileRow(n, f, json.loads(s or "{}")) for n, f, s in rows]

    def done(self, profile: str) -> set[str]:
        """Ids of the cases ``profile`` is done with: status "ok" or "not_reviewed".

        A case not reviewed under a profile's settings stays so under the same settings (the
        profile's fingerprint pins them), so it is not retried; a "failed" one (a timeout) is.
        """
        rows = self._read(
            "SELECT case_id FROM results WHERE profile = ? AND status IN ('ok', ?)",
            (profile, NOT_REVIEWED),
        )
        return {row[0] for row in rows}

    def put_result(self, r: CaseResult) -> None:
        """Insert or replace the result of ``r.profile`` on ``r.case_id``."""
        findings = json.dumps([finding_to_dict(f) for f in r.findings])
        row = (
            r.profile, r.case_id, r.status, findings, json.dumps(list(r.raw_outputs)),
            json.dumps(list(r.errors)), r.calls, r.failed_calls, r.seconds, r.prompt_tokens,
            r.completion_tokens,
        )  # fmt: skip
        self._write("INSERT OR REPLACE INTO results VALUES (?,?,?,?,?,?,?,?,?,?,?)", [row])

    def results(self) -> list[CaseResult]:
        rows = self._read("SELECT * FROM results ORDER BY rowid")
        return [self._result(row) for row in rows]

    def _result(self, row: tuple[Any, ...]) -> CaseResult:
        profile, case_id, status, findings, raw, errors, *numbers = row
        source = f"{self.path} result of {profile} on {case_id}"
        calls, failed, seconds, prompt, completion = numbers
        try:
            decoded = [json.loads(findings), json.loads(raw), json.loads(errors)]
            found = tuple(finding_from_dict(d, source=source) for d in decoded[0])
            return CaseResult(
                profile=str(profile),
                case_id=str(case_id),
                status=str(status),
                findings=found,
                raw_outputs=tuple(decoded[1]),
                errors=tuple(decoded[2]),
                calls=int(calls),
                failed_calls=int(failed),
                seconds=float(seconds),
                prompt_tokens=int(prompt),
                completion_tokens=int(completion),
            )
        except (ValueError, TypeError) as exc:  # not JSON, not a list, not a number
            raise BenchDBError(f"{source} is unreadable ({exc}); use a new --db file") from None

    def _read(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return list(self._conn.execute(sql, args).fetchall())
        except sqlite3.Error as exc:
            raise BenchDBError(
                f"cannot read the benchmark database {self.path}: {_advice(exc)}"
            ) from exc

    def _write(self, sql: str, rows: Sequence[tuple[object, ...]]) -> None:
        try:
            with self._conn:
                self._conn.execute("BEGIN")
                self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise BenchDBError(f"cannot write {self.path}: {_advice(exc)}") from exc


def _advice(exc: BaseException) -> str:
    """The error and what to do: wait for the other run when another process holds the file,
    else start a new file."""
    if isinstance(exc, sqlite3.Error) and is_busy(exc):
        return f"{exc}; another reviewbot bench is using it: wait for it to finish"
    return f"{exc}; use a new --db file"
