"""The result cache's SQLite database (``cache`` decides keys and values; this module keeps them).

One database file per user (``default_dir``), opened by many processes at once (a hook
running in two repositories, a PR bot); how it is opened, locked and migrated is
``sqlite_open.open_database``'s business. ``MIGRATIONS[i]`` takes the schema from version ``i``
to ``i + 1``: append new migrations, never edit a released one.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from reviewbot.errors import ReviewbotError
from reviewbot.sqlite_open import open_database

FILE_NAME = "reviewbot.sqlite3"
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024  # bytes of cached values kept; least recently used go
USED_RESOLUTION_SECONDS = 3600.0  # a row's "used" stamp is refreshed at most this often

# Each entry: the statements of one migration, run in one transaction (sqlite_open).
MIGRATIONS: list[tuple[str, ...]] = [
    (
        """CREATE TABLE result_cache (
               key TEXT PRIMARY KEY,
               value TEXT NOT NULL,
               size INTEGER NOT NULL,
               created REAL NOT NULL,
               used REAL NOT NULL
           )""",
        "CREATE INDEX result_cache_used ON result_cache (used)",
    ),
]


class StoreError(ReviewbotError):
    """The database cannot be opened, read or written (permissions, disk full, corruption)."""


def default_dir() -> Path:
    """``user_cache_dir("reviewbot")`` from platformdirs (e.g. ``~/.cache/reviewbot`` on Linux)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("reviewbot"))


class Store:
    """A connection to the database at ``path``, migrated to ``len(MIGRATIONS)`` on open.

    clock: seconds since the epoch, for ``created`` / ``used`` stamps (injected by tests).
    The connection may be used from a thread other than the opener's, one thread at a time.
    Raises StoreError when the file cannot be opened or migrated; the message names the path.
    """

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        try:
            self._conn = open_database(path, MIGRATIONS)
        except (OSError, sqlite3.Error) as exc:
            raise self._error("open", exc) from exc

    @classmethod
    def in_dir(cls, directory: Path | None, *, clock: Callable[[], float] = time.time) -> Store:
        """The store ``FILE_NAME`` in ``directory`` (default: ``default_dir()``)."""
        return cls((directory or default_dir()) / FILE_NAME, clock=clock)

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def version(self) -> int:
        """The schema version (``PRAGMA user_version``)."""
        row = self._conn.execute("PRAGMA user_version").fetchone()
        return int(row[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error): takes the write lock up
        front, so two processes never both read and then fail to upgrade to writing."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._error("lock", exc) from exc
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        try:
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._error("write", exc) from exc

    def _error(self, action: str, exc: BaseException) -> StoreError:
        return StoreError(
            f"cannot {action} the reviewbot database {self.path}: {exc}; check the directory's "
            "permissions and free space, or delete the file to start afresh (set cache_dir to "
            "use another directory)"
        )

    # -- the result cache ---------------------------------------------------------------------

    def get_result(self, key: str) -> str | None:
        """The value stored under ``key``, marking it used now; None when absent.

        The mark is written only when the last one is ``USED_RESOLUTION_SECONDS`` old: a hit
        then only reads (no write lock, no journal write), and eviction's least-recently-used
        order is exact to within that time. Raises StoreError when the database cannot be read
        or written.
        """
        try:
            row = self._conn.execute(
                "SELECT value, used FROM result_cache WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                return None
            now = self._clock()
            if now - float(row[1]) >= USED_RESOLUTION_SECONDS:
                self._conn.execute("UPDATE result_cache SET used = ? WHERE key = ?", (now, key))
        except sqlite3.Error as exc:
            raise self._error("read", exc) from exc
        return str(row[0])

    def put_result(self, key: str, value: str, *, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        """Store ``value`` under ``key`` (replacing it), then evict least-recently-used rows until
        the values total at most ``max_bytes`` UTF-8 bytes; a value larger than that alone is
        not stored. Raises StoreError."""
        size = len(value.encode("utf-8"))
        if size > max_bytes:
            return  # it would evict everything, itself included
        now = self._clock()
        try:
            with self.transaction() as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO result_cache (key, value, size, created, used) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (key, value, size, now, now),
                )
                # Keep the most recently used rows whose running total fits; ties broken by key
                # so every process evicts the same rows.
                conn.execute(
                    "DELETE FROM result_cache WHERE key IN ("
                    " SELECT key FROM ("
                    "  SELECT key, SUM(size) OVER (ORDER BY used DESC, key) AS total"
                    "  FROM result_cache)"
                    " WHERE total > ?)",
                    (max_bytes,),
                )
        except sqlite3.Error as exc:
            raise self._error("write", exc) from exc

    def result_stats(self) -> tuple[int, int]:
        """(rows, total bytes) of the result cache."""
        row = self._conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM result_cache"
        ).fetchone()
        return int(row[0]), int(row[1])
