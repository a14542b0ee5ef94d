"""Where a pull request's diff and head files come from: the local checkout or the API.

Local (both commits present): ``git diff merge-base(base, head) head``, as GitHub shows a pull
request. Otherwise the pull-request files API, whose per-file ``patch`` is a unified diff without
headers; GitHub omits it for binary and very large files, which are then listed as not reviewed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from reviewbot import git
from reviewbot.errors import GitError
from reviewbot.github.client import PullFile
from reviewbot.types import Skipped

OMITTED = "GitHub omitted this file's patch (binary or too large); not reviewed"


def has_commits(repo: Path | None, *revs: str) -> bool:
    """True when ``repo`` is a repository holding every commit in ``revs``."""
    if repo is None:
        return False
    try:
        for rev in revs:
            git.rev_parse(repo, f"{rev}^{{commit}}")
    except GitError:
        return False
    return True


def local_diff(repo: Path, base: str, head: str) -> bytes:
    """The pull request's diff: merge-base(base, head) against head. Raises GitError."""
    return git.range_diff(repo, f"{base}...{head}")


def is_ancestor(repo: Path, older: str, newer: str) -> bool:
    """True when ``older`` is an ancestor of ``newer`` (False for a force-push)."""
    try:
        return git.merge_base(repo, older, newer) == git.rev_parse(repo, f"{older}^{{commit}}")
    except GitError:
        return False


def api_diff(files: Sequence[PullFile]) -> tuple[bytes, list[Skipped]]:
    """A ``git diff``-shaped text of the API's files, and the files whose patch was omitted."""
    sections: list[str] = []
    omitted: list[Skipped] = []
    for item in files:
        if item.patch is None and item.changes > 0:
            omitted.append(Skipped(item.path, OMITTED))
            continue
        sections.append(_section(item))
    return "".join(sections).encode("utf-8"), omitted


def _section(item: PullFile) -> str:
    old = item.previous_path or item.path
    lines = [f"diff --git a/{old} b/{item.path}"]
    if item.status == "added":
        lines.append("new file mode 100644")
    elif item.status == "removed":
        lines.append("deleted file mode 100644")
    elif item.status == "renamed" and old != item.path:
        lines += ["similarity index 90%", f"rename from {old}", f"rename to {item.path}"]
    if item.patch:
        lines.append("--- /dev/null" if item.status == "added" else f"--- a/{old}")
        lines.append("+++ /dev/null" if item.status == "removed" else f"+++ b/{item.path}")
        lines.append(item.patch.rstrip("\n"))
    return "\n".join(lines) + "\n"


class HeadFiles:
    """The head commit's files as text, read once each; None for missing or non-UTF-8 files."""

    def __init__(self, read: Callable[[str], bytes | None]) -> None:
        self._read = read
        self._cache: dict[str, str | None] = {}

    @classmethod
    def local(cls, repo: Path, head: str) -> HeadFiles:
        def read(path: str) -> bytes | None:
            try:
                return git.show_blob(repo, head, path)
            except GitError:
                return None

        return cls(read)

    def __call__(self, path: str) -> str | None:
        if path not in self._cache:
            data = self._read(path)
            try:
                self._cache[path] = None if data is None else data.decode("utf-8")
            except UnicodeDecodeError:
                self._cache[path] = None
        return self._cache[path]
