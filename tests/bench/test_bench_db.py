"""What the bench database's errors advise: a busy file is waited for, a broken one replaced."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reviewbot.bench.benchdb import BenchDB, BenchDBError, _advice


def test_a_locked_file_is_not_called_broken() -> None:
    assert _advice(sqlite3.OperationalError("database is locked")) == (
        "database is locked; another reviewbot bench is using it: wait for it to finish"
    )
    assert _advice(sqlite3.DatabaseError("file is not a database")) == (
        "file is not a database; use a new --db file"
    )


def test_a_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bench.sqlite"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(BenchDBError, match=r"bench\.sqlite: file is not a database; use a new"):
        BenchDB(path)
