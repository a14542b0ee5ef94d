"""One audit at a time per state file: an exclusive ``flock`` held for the whole run.

A second run on the same state file waits, saying who holds it, and then finds the first run's
answers done, so no unit is sent twice. A lock rather than per-unit claims: runs that share a
state file share its endpoints and units too, so a second run has no work of its own to add
(parallel work is ``--concurrency``, ``--also-base-url`` and ``--shard``), and the operating
system drops a lock the moment its process dies, where a claim needs a lease, renewals during
long model calls, and a wait for expiry after a crash.

The lock (``reviewbot.filelock``) lives in ``<state file>.lock`` beside the state file (never the
SQLite file itself, whose own locks must not be disturbed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from reviewbot.audit.progress import ProgressError
from reviewbot.filelock import exclusive


def lock_path(state: Path) -> Path:
    """``<state>.lock``, beside the state file."""
    return state.with_name(state.name + ".lock")


@contextlib.contextmanager
def state_lock(state: Path, stderr: TextIO) -> Iterator[None]:
    """Hold the audit lock of ``state`` while the block runs; wait for it, saying so on
    ``stderr``, while another run holds it.

    Raises ProgressError naming the lock file when it cannot be created.
    """
    path = lock_path(state)

    def waiting(holder: str) -> None:
        print(
            f"reviewbot: audit: another audit is running on the state file {state} "
            f"({holder}); waiting for it to finish",
            file=stderr,
        )

    with contextlib.ExitStack() as held:
        try:
            held.enter_context(exclusive(path, on_wait=waiting))
        except OSError as exc:
            raise ProgressError(
                f"cannot create the audit lock file {path}: {exc.strerror}; pass --state FILE "
                "in a writable directory"
            ) from exc
        yield
