from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot.sqlite_open import NewerSchemaError, is_busy, open_database

MIGRATIONS = [
    ("CREATE TABLE a (x INTEGER)",),
    ("CREATE TABLE b (y TEXT)", "CREATE INDEX b_y ON b (y)"),
]


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {str(row[0]) for row in conn.execute("SELECT name FROM sqlite_master")}


def _version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def test_a_new_file_and_its_directories_are_created_in_wal_and_migrated(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "db.sqlite3"
    conn = open_database(path, MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    assert conn.isolation_level is None
    conn.close()
    assert _tables(path) == {"a", "b", "b_y"}
    assert _version(path) == 2


def test_an_older_file_runs_only_the_missing_migrations(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    open_database(path, MIGRATIONS[:1]).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO a VALUES (7)")
    conn = open_database(path, MIGRATIONS)
    assert conn.execute("SELECT x FROM a").fetchall() == [(7,)]
    conn.close()
    assert _tables(path) == {"a", "b", "b_y"}
    assert _version(path) == 2


def test_a_file_from_a_newer_reviewbot_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 5")
    with pytest.raises(NewerSchemaError, match="schema version 5 is newer than this reviewbot's 2"):
        open_database(path, MIGRATIONS)
    assert _version(path) == 5
    assert _tables(path) == set()


def test_a_failing_migration_leaves_the_previous_version_intact(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    broken = [MIGRATIONS[0], ("CREATE TABLE c (z)", "CREATE TABLE a (again)")]
    with pytest.raises(sqlite3.OperationalError, match="table a already exists"):
        open_database(path, broken)
    # The first migration ran in the same transaction as the broken second one: all undone.
    assert _version(path) == 0
    assert _tables(path) == set()


def test_a_file_that_is_not_a_database_raises(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"not a database at all" * 50)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        open_database(path, MIGRATIONS)


class _Holder:
    """Another connection holding an exclusive lock on a rollback-journal file, released when
    the opener pauses ``release_after`` times."""

    def __init__(self, path: Path, release_after: int | None) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("CREATE TABLE t (x)")
        self.conn.execute("BEGIN EXCLUSIVE")
        self.release_after = release_after
        self.pauses: list[float] = []
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds
        if len(self.pauses) == self.release_after:
            self.conn.execute("COMMIT")


def test_a_lock_released_while_opening_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    holder = _Holder(path, release_after=3)
    conn = open_database(path, MIGRATIONS, timeout=1.0, clock=holder.clock, pause=holder.pause)
    assert len(holder.pauses) == 3
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert _version(path) == 2


def test_a_lock_held_past_the_timeout_raises_busy(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    holder = _Holder(path, release_after=None)
    with pytest.raises(sqlite3.OperationalError, match="locked") as caught:
        open_database(path, MIGRATIONS, timeout=0.1, clock=holder.clock, pause=holder.pause)
    assert is_busy(caught.value)
    assert holder.now == pytest.approx(0.1)  # paused 20 ms at a time until the deadline
    holder.conn.execute("ROLLBACK")
    assert _version(path) == 0


def test_is_busy_tells_lock_errors_from_others() -> None:
    assert not is_busy(sqlite3.OperationalError("no such table: x"))
    assert not is_busy(sqlite3.DatabaseError("file is not a database"))
    assert is_busy(sqlite3.OperationalError("database is locked"))


_WORKER = """
import sys
from pathlib import Path
from reviewbot.sqlite_open import open_database
migrations = [("CREATE TABLE a (x INTEGER)",), ("CREATE TABLE b (y TEXT)",)]
for i in range(int(sys.argv[2])):
    conn = open_database(Path(sys.argv[1]) / f"db{i}.sqlite3", migrations)
    conn.execute("INSERT INTO a VALUES (?)", (i,))
    conn.close()
"""


def test_processes_opening_fresh_files_together_all_succeed(tmp_path: Path) -> None:
    """Four processes create the same 40 fresh files at once: the race in which SQLite answers
    "database is locked" without waiting (switching a new file to WAL). Each file must end
    migrated once, with one row from each process."""
    files = 40
    root = str(Path(__file__).resolve().parents[1])
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(tmp_path), str(files)],
            cwd=root,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    errors = [proc.communicate(timeout=120)[1].decode() for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 4, errors
    for i in range(files):
        with sqlite3.connect(tmp_path / f"db{i}.sqlite3") as conn:
            assert conn.execute("SELECT COUNT(*) FROM a").fetchone()[0] == 4
            assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
