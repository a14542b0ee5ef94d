"""Which changed files of a commit a benchmark case may use, and their diffs.

A case file is a source file in a language with mutation rules, added or modified (renames,
deletions, binaries, submodules and non-UTF-8 files are left out), and not a test: a review
model is chosen for the code it will mostly see, and test changes are judged differently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from reviewbot import git
from reviewbot.bench.mask import SUPPORTED
from reviewbot.diff import parse_diff
from reviewbot.types import FileDiff, FileStatus, LineKind

MAX_COMMIT_DIFF_BYTES = 512 * 1024  # larger commits (vendoring, generated code) are skipped
# Test files by the conventions of pytest, Go, Jest/Vitest, JUnit, Rust and C test folders.
_TEST_PATH = re.compile(
    r"(^|/)(tests?|__tests__|spec|testing|testdata)/"
    r"|(^|/)test_[^/]*\.py$|_test\.(py|go)$|\.(test|spec)\.[jt]sx?$|Tests?\.java$|_tests?\.rs$"
)


def is_test_path(path: str) -> bool:
    return _TEST_PATH.search(path) is not None


def is_case_source(file: FileDiff) -> bool:
    """A file a case may be made from (see the module docstring)."""
    return (
        file.status in (FileStatus.ADDED, FileStatus.MODIFIED)
        and not file.is_binary
        and not file.is_submodule
        and file.encoding_note is None
        and file.language in SUPPORTED
        and not is_test_path(file.path)
    )


def commit_files(repo: Path, sha: str) -> list[FileDiff]:
    """The files a commit changed (against its first parent); [] for an oversized commit.

    Raises GitError for an unknown commit.
    """
    data = git.range_diff(repo, sha)
    if len(data) > MAX_COMMIT_DIFF_BYTES:
        return []
    files, _skipped = parse_diff(data)
    return files


class CaseSources:
    """The files of each commit of ``repo`` a case may use (``is_case_source``), diffed and
    parsed once: making cases looks at a commit up to three times (fix, seeded, clean).

    Calling it raises GitError for an unknown commit.
    """

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self._files: dict[str, list[FileDiff]] = {}

    def __call__(self, sha: str) -> list[FileDiff]:
        if sha not in self._files:
            self._files[sha] = [f for f in commit_files(self.repo, sha) if is_case_source(f)]
        return self._files[sha]


def changed_lines(files: Sequence[FileDiff]) -> int:
    """Added plus removed lines."""
    return sum(
        1 for f in files for h in f.hunks for line in h.lines if line.kind is not LineKind.CTX
    )


def diff_lines(files: Sequence[FileDiff]) -> int:
    """Every hunk line, context included: roughly what the reviewer has to read."""
    return sum(len(h.lines) for f in files for h in f.hunks)


def diff_text(repo: Path, spec: str, paths: Sequence[str]) -> str | None:
    """``git.range_diff(repo, spec, paths)`` as text, or None when it is not UTF-8."""
    try:
        return git.range_diff(repo, spec, paths).decode("utf-8")
    except UnicodeDecodeError:
        return None
