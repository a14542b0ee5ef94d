"""The commits cases are made from: ``git log`` of the repository, newest first.

Uses the same conventions as ``reviewbot.git`` (no shell, literal pathspecs, unquoted paths);
failures raise GitError naming the command.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from reviewbot.errors import GitError

_GIT = ("git", "--no-pager", "--literal-pathspecs", "-c", "core.quotePath=false")
_RECORD, _FIELD = "\x1e", "\x1f"


@dataclass(frozen=True)
class Commit:
    """sha: full id. parents: full ids (empty for a root commit). message: subject + body."""

    sha: str
    parents: tuple[str, ...]
    subject: str
    body: str

    @property
    def message(self) -> str:
        return f"{self.subject}\n\n{self.body}".strip()


def recent_commits(repo: Path, limit: int, rev: str = "HEAD") -> list[Commit]:
    """Up to ``limit`` non-merge commits reachable from ``rev``, newest first.

    Raises GitError outside a repository, for an unknown ``rev``, or for a repository with no
    commits yet.
    """
    fmt = _FIELD.join(("%H", "%P", "%s", "%b")) + _RECORD
    out = _git(repo, "log", "--no-merges", f"--max-count={limit}", f"--format={fmt}", rev)
    commits = []
    for record in out.split(_RECORD):
        fields = record.strip("\n").split(_FIELD)
        if len(fields) == 4:
            sha, parents, subject, body = fields
            commits.append(Commit(sha, tuple(parents.split()), subject, body.strip()))
    return commits


def _git(repo: Path, *args: str) -> str:
    try:
        proc = subprocess.run([*_GIT, *args], cwd=repo, capture_output=True, check=False)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise GitError(
            f"cannot run git in {repo}: {exc}; install git or pass a repository"
        ) from exc
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", "replace").strip()
        raise GitError(
            f"`git {' '.join(args)}` failed in {repo} (exit {proc.returncode}): {stderr}"
        )
    return proc.stdout.decode("utf-8", "replace")
