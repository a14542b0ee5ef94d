"""Real git repositories in temporary directories, for tests.

Every command runs with a fixed identity and without the user's or the system's git
configuration, so results do not depend on the machine. Use the ``git_repo`` fixture
(tests/conftest.py) or call ``init_repo`` yourself.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

HERMETIC_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00+00:00",
}


def git(repo: Path, *args: str) -> bytes:
    """Run ``git ARGS`` in ``repo`` hermetically; stdout. Raises CalledProcessError on failure."""
    env = {**os.environ, **HERMETIC_ENV}
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, check=False)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(
            proc.returncode, ["git", *args], proc.stdout, proc.stderr
        )
    return proc.stdout


def init_repo(path: Path) -> Path:
    """A new repository at ``path`` on branch ``main``, LF line ends kept as written."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "core.autocrlf", "false")
    git(path, "config", "core.fileMode", "true")
    return path


def write(repo: Path, rel: str, content: str | bytes) -> Path:
    """Write ``content`` (str is written as UTF-8 with no newline translation) to ``repo/rel``."""
    target = repo / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return target


def stage(repo: Path) -> None:
    """Stage every change in the work tree (``git add -A``)."""
    git(repo, "add", "-A")


def commit(repo: Path, message: str = "change") -> str:
    """Stage everything, commit (empty commits allowed) and return the new commit id."""
    stage(repo)
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return head(repo)


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").decode().strip()


def add_gitlink(repo: Path, path: str, commit_id: str) -> None:
    """Stage a submodule entry (mode 160000) pointing at ``commit_id``, without cloning anything."""
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{commit_id},{path}")
