"""Opening reviewbot's SQLite files: the result cache (``store``), the audit state
(``audit.progress``) and the benchmark database (``bench.benchdb``) all open the same way.

Each file may be opened by several processes at once (hooks in two repositories, a PR run next to
an audit, N shards): WAL journal so readers never block the writer, synchronous NORMAL (no
committed row is lost when a process is killed; on a power cut only the last commits may be), a
busy timeout so writers queue instead of failing with "database is locked".

SQLite does not call its busy handler everywhere: switching a new file to WAL, or reading it
while another connection runs WAL recovery, can fail at once with SQLITE_BUSY. Opening therefore
retries the whole set-up on BUSY/LOCKED until the busy timeout has passed (``open_database``).

Schema versions follow SQLite's ``PRAGMA user_version``: ``migrations[i]`` takes the schema from
version ``i`` to ``i + 1``, in one ``BEGIN IMMEDIATE`` transaction with the version bump (DDL is
transactional in SQLite, so a crash mid-migration leaves the previous version intact, and two
processes never both migrate). Append new migrations; never edit a released one.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 10.0
_RETRY_PAUSE_SECONDS = 0.02
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6

Migrations = Sequence[Sequence[str]]


class NewerSchemaError(sqlite3.DatabaseError):
    """The file's ``user_version`` is beyond the migrations known here: a newer reviewbot wrote
    it. A subclass of ``sqlite3.DatabaseError`` so callers wrap it with their other errors."""


def open_database(
    path: Path,
    migrations: Migrations,
    *,
    timeout: float = BUSY_TIMEOUT_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    pause: Callable[[float], None] = time.sleep,
) -> sqlite3.Connection:
    """A connection to ``path`` (created, with its parent directories, when missing), migrated
    to ``len(migrations)``.

    The connection is in autocommit mode (``isolation_level=None``: callers open their own
    transactions) and may be used from a thread other than the opener's, one thread at a time.
    timeout: seconds to wait for another process's lock, while opening and on every later
    statement. clock and pause are injected by tests.

    Raises OSError when the directory cannot be made, NewerSchemaError when a newer reviewbot
    wrote the file, sqlite3.Error when the file cannot be opened, is not a database, fails a
    migration or stays locked for ``timeout`` seconds. Callers turn these into their own
    ReviewbotError naming the file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    deadline = clock() + timeout
    while True:
        try:
            _prepare(conn, migrations, timeout)
            return conn
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or clock() >= deadline:
                conn.close()
                raise
        except sqlite3.Error:
            conn.close()
            raise
        pause(_RETRY_PAUSE_SECONDS)


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` is SQLITE_BUSY or SQLITE_LOCKED (extended codes included): another
    connection holds a lock, and trying again later may succeed."""
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _prepare(conn: sqlite3.Connection, migrations: Migrations, timeout: float) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    # WAL is a property of the file: set it only when it is not already, since the switch takes
    # an exclusive lock that the busy handler does not wait for.
    if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    if _check_version(conn, migrations) == len(migrations):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have migrated meanwhile.
        current = _check_version(conn, migrations)
        for version in range(current, len(migrations)):
            for statement in migrations[version]:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {len(migrations)}")
    except BaseException:
        if conn.in_transaction:  # some errors (disk full) have rolled it back already
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _check_version(conn: sqlite3.Connection, migrations: Migrations) -> int:
    """The file's schema version. Raises NewerSchemaError when it is beyond ``migrations``."""
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > len(migrations):
        raise NewerSchemaError(
            f"schema version {current} is newer than this reviewbot's {len(migrations)}; "
            "it was written by a newer reviewbot"
        )
    return current
