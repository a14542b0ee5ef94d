"""The commits cases are made from: ``git log`` of the repository, newest first.

Through ``reviewbot.git.log``; failures raise GitError naming the command.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reviewbot import git
from reviewbot.errors import GitError

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
    try:
        out = git.log(repo, "--no-merges", f"--max-count={limit}", f"--format={fmt}", rev)
    except GitError:
        # git says only "ambiguous argument 'HEAD'" on an unborn branch: say what is wrong
        if not git.log(repo, "--all", "--max-count=1", "--format=%H").strip():
            raise GitError(
                f"the repository {repo} has no commits yet; bench builds cases from its "
                "history: commit some work first, or run bench in a repository with history"
            ) from None
        raise
    commits = []
    for record in out.split(_RECORD):
        fields = record.strip("\n").split(_FIELD)
        if len(fields) == 4:
            sha, parents, subject, body = fields
            commits.append(Commit(sha, tuple(parents.split()), subject, body.strip()))
    return commits
