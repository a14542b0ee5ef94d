"""An advisory lock per pull request, so two runs on one machine do not both post.

Runs on different machines are kept apart by the other half of the scheme: the poster re-reads
the bot's markers inside the lock, right before posting, and skips what is already there.
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from reviewbot.errors import ConfigError
from reviewbot.filelock import exclusive


def default_lock_dir() -> Path:
    return Path(tempfile.gettempdir()) / "reviewbot-locks"


@contextlib.contextmanager
def pull_lock(lock_dir: Path, repo: str, number: int) -> Iterator[Path]:
    """Hold an exclusive lock (``reviewbot.filelock``) on ``lock_dir/<hash of repo#number>.lock``;
    waits for it.

    Raises ConfigError when the lock file cannot be created. Where ``fcntl`` does not exist
    (Windows) no lock is taken and only the marker re-check protects against duplicates.
    """
    key = hashlib.sha256(f"{repo}#{number}".encode()).hexdigest()[:16]
    path = lock_dir / f"{key}.lock"
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(exclusive(path))
        except OSError as exc:
            raise ConfigError(f"cannot create the lock file {path}: {exc.strerror}") from exc
        yield path
