from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewbot.store import FILE_NAME, MIGRATIONS, USED_RESOLUTION_SECONDS, Store, StoreError


class Clock:
    """A clock that advances one ``USED_RESOLUTION_SECONDS`` per reading."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += USED_RESOLUTION_SECONDS
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "db.sqlite3", clock=Clock()) as opened:
        yield opened


def test_a_new_database_is_migrated_to_the_last_version(store: Store) -> None:
    assert store.version == len(MIGRATIONS) == 1
    with sqlite3.connect(store.path) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"result_cache", "result_cache_used"} <= names


def test_the_database_uses_wal_and_a_busy_timeout(store: Store) -> None:
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with store.transaction() as conn:
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000


def test_reopening_keeps_rows_and_runs_no_migration_again(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with Store(path) as first:
        first.put_result("k", "v")
    with Store(path) as second:
        assert second.version == len(MIGRATIONS)
        assert second.get_result("k") == "v"


def test_a_database_from_before_the_cache_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:  # version 0: a file some other step created empty
        conn.execute("CREATE TABLE unrelated (x)")
    with Store(path) as store:
        assert store.version == 1
        store.put_result("k", "v")
        assert store.get_result("k") == "v"


def test_in_dir_names_the_file(tmp_path: Path) -> None:
    with Store.in_dir(tmp_path / "cache") as store:
        assert store.path == tmp_path / "cache" / FILE_NAME
        assert store.path.is_file()


def test_put_get_and_replace(store: Store) -> None:
    assert store.get_result("missing") is None
    store.put_result("k", "first")
    store.put_result("k", "second é")
    assert store.get_result("k") == "second é"
    assert store.result_stats() == (1, len("second é".encode()))


def test_eviction_drops_the_least_recently_used_rows(store: Store) -> None:
    store.put_result("a", "x" * 10, max_bytes=25)
    store.put_result("b", "x" * 10, max_bytes=25)
    assert store.get_result("a") == "x" * 10  # a is now used more recently than b
    store.put_result("c", "x" * 10, max_bytes=25)
    assert store.get_result("b") is None
    assert store.get_result("a") == "x" * 10
    assert store.get_result("c") == "x" * 10
    assert store.result_stats() == (2, 20)


def test_a_hit_refreshes_its_used_stamp_only_when_it_is_old(tmp_path: Path) -> None:
    times = iter([100.0, 100.0 + USED_RESOLUTION_SECONDS - 1, 100.0 + USED_RESOLUTION_SECONDS])
    with Store(tmp_path / "db.sqlite3", clock=lambda: next(times)) as store:
        store.put_result("k", "v")  # used = 100
        assert store.get_result("k") == "v"  # younger than the resolution: no write
        with sqlite3.connect(store.path) as conn:
            assert conn.execute("SELECT used FROM result_cache").fetchone() == (100.0,)
        assert store.get_result("k") == "v"
        with sqlite3.connect(store.path) as conn:
            stamp = conn.execute("SELECT used FROM result_cache").fetchone()
        assert stamp == (100.0 + USED_RESOLUTION_SECONDS,)


def test_a_value_larger_than_the_bound_is_not_kept(store: Store) -> None:
    store.put_result("small", "x" * 5, max_bytes=8)
    store.put_result("huge", "x" * 9, max_bytes=8)
    assert store.get_result("huge") is None
    assert store.get_result("small") == "x" * 5


def test_an_unusable_directory_raises_store_error_naming_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match=r"cannot open the reviewbot database .*file/db"):
        Store(blocker / "db")


def test_a_corrupt_file_raises_store_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="delete the file to start afresh"):
        Store(path)


_WORKER = """
import sys
from pathlib import Path
from reviewbot.store import Store
store = Store(Path(sys.argv[1]))
for i in range(150):
    key = f"{sys.argv[2]}-{i}"
    store.put_result(key, "v" * 50, max_bytes=1_000_000)
    assert store.get_result(key) == "v" * 50
    store.get_result(f"other-{i}")
store.close()
"""


def test_two_processes_use_one_database_at_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    root = str(Path(__file__).resolve().parents[1])
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(path), name],
            cwd=root,
            stderr=subprocess.PIPE,
        )
        for name in ("one", "two")
    ]
    errors = [proc.communicate(timeout=120)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], errors
    with Store(path) as store:
        assert store.result_stats() == (300, 300 * 50)
