"""reviewbot.git against real repositories in temporary directories."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import commit, git, head, init_repo, stage, write

from reviewbot import git as gitlib
from reviewbot.diff import parse_diff
from reviewbot.errors import GitError
from reviewbot.git import (
    ls_files,
    merge_base,
    range_diff,
    repo_root,
    rev_parse,
    show_blob,
    staged_diff,
)
from reviewbot.types import FileStatus


def changed(diff: bytes) -> list[tuple[str, FileStatus]]:
    files, skipped = parse_diff(diff)
    assert skipped == []
    return [(file.path, file.status) for file in files]


@pytest.fixture
def branched(git_repo: Path) -> Path:
    """main: base, main1 (main.txt). feature from base: feat1 (feat.txt), feat2 (feat2.txt)."""
    write(git_repo, "base.txt", "base\n")
    commit(git_repo, "base")
    git(git_repo, "branch", "feature")
    write(git_repo, "main.txt", "main\n")
    commit(git_repo, "main1")
    git(git_repo, "switch", "-q", "feature")
    write(git_repo, "feat.txt", "feat\n")
    commit(git_repo, "feat1")
    write(git_repo, "feat2.txt", "feat2\n")
    commit(git_repo, "feat2")
    return git_repo


def test_repo_root_from_a_subdirectory(git_repo: Path) -> None:
    sub = git_repo / "a" / "b"
    sub.mkdir(parents=True)
    assert repo_root(sub).resolve() == git_repo.resolve()


def test_repo_root_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(GitError, match=r"`git rev-parse --show-toplevel` failed in .*not a git"):
        repo_root(tmp_path)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(GitError, match=r"nowhere: not a directory"):
        staged_diff(tmp_path / "nowhere")


def test_staged_diff_before_the_first_commit(git_repo: Path) -> None:
    write(git_repo, "a.py", "x = 1\n")
    write(git_repo, "b.py", "y = 1\n")
    stage(git_repo)
    assert changed(staged_diff(git_repo)) == [
        ("a.py", FileStatus.ADDED),
        ("b.py", FileStatus.ADDED),
    ]


def test_staged_diff_ignores_unstaged_changes_and_limits_to_literal_paths(git_repo: Path) -> None:
    write(git_repo, "a.py", "1\n")
    write(git_repo, "*.py", "1\n")
    commit(git_repo)
    write(git_repo, "a.py", "2\n")
    write(git_repo, "*.py", "2\n")
    stage(git_repo)
    write(git_repo, "a.py", "3\n")  # unstaged

    assert changed(staged_diff(git_repo, ["*.py"])) == [("*.py", FileStatus.MODIFIED)]
    files, _ = parse_diff(staged_diff(git_repo, ["a.py"]))
    assert [line.text for line in files[0].hunks[0].lines] == ["1", "2"]


def test_two_dot_range_diffs_the_two_commits(branched: Path) -> None:
    assert changed(range_diff(branched, "main..feature")) == [
        ("feat.txt", FileStatus.ADDED),
        ("feat2.txt", FileStatus.ADDED),
        ("main.txt", FileStatus.DELETED),
    ]


def test_three_dot_range_diffs_from_the_merge_base(branched: Path) -> None:
    assert changed(range_diff(branched, "main...feature")) == [
        ("feat.txt", FileStatus.ADDED),
        ("feat2.txt", FileStatus.ADDED),
    ]
    assert changed(range_diff(branched, "main...")) == changed(
        range_diff(branched, "main...feature")
    )


def test_single_commit_and_root_commit(branched: Path) -> None:
    assert changed(range_diff(branched, "feature")) == [("feat2.txt", FileStatus.ADDED)]
    assert changed(range_diff(branched, "HEAD~1")) == [("feat.txt", FileStatus.ADDED)]
    assert changed(range_diff(branched, "HEAD~2")) == [("base.txt", FileStatus.ADDED)]


def test_range_diff_paths(branched: Path) -> None:
    assert changed(range_diff(branched, "main..feature", ["feat2.txt"])) == [
        ("feat2.txt", FileStatus.ADDED)
    ]


def test_unknown_revision(branched: Path) -> None:
    with pytest.raises(GitError, match=r"unknown revision 'nope' in .*: check the branch"):
        range_diff(branched, "main..nope")
    with pytest.raises(GitError, match=r"unknown revision '--output=x'"):
        rev_parse(branched, "--output=x")


def test_rev_parse_and_merge_base(branched: Path) -> None:
    base = git(branched, "rev-parse", "main~1").decode().strip()
    assert rev_parse(branched, "main~1") == base
    assert merge_base(branched, "main", "feature") == base


def test_merge_base_of_unrelated_histories(git_repo: Path) -> None:
    commit(git_repo, "one")
    git(git_repo, "switch", "-q", "--orphan", "other")
    commit(git_repo, "two")
    with pytest.raises(GitError, match=r"'main' and 'other' have no common ancestor"):
        merge_base(git_repo, "main", "other")


def test_show_blob_at_a_revision_and_in_the_index(git_repo: Path) -> None:
    write(git_repo, "dir/é.txt", b"one\r\n")
    first = commit(git_repo)
    write(git_repo, "dir/é.txt", b"two\n")
    stage(git_repo)

    assert show_blob(git_repo, first, "dir/é.txt") == b"one\r\n"
    assert show_blob(git_repo, "", "dir/é.txt") == b"two\n"
    with pytest.raises(GitError, match=r"no file 'missing.txt' at revision 'HEAD'"):
        show_blob(git_repo, "HEAD", "missing.txt")


def test_ls_files(git_repo: Path) -> None:
    write(git_repo, "b.py", "")
    write(git_repo, "a dir/é.py", "")
    write(git_repo, "untracked.py", "")
    git(git_repo, "add", "b.py", "a dir/é.py")

    assert ls_files(git_repo) == ["a dir/é.py", "b.py"]
    assert ls_files(git_repo, ["a dir"]) == ["a dir/é.py"]


def test_git_helpers_are_hermetic(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit(repo, "first")
    assert git(repo, "log", "-1", "--format=%an <%ae>").decode().strip() == (
        "Test Author <author@example.invalid>"
    )
    assert len(head(repo)) == 40


def test_git_path_common_dir_ls_tree_and_log(git_repo: Path) -> None:
    write(git_repo, "src/a.py", "a = 1\n")
    write(git_repo, "src/sub/b.py", "b = 1\n")
    commit(git_repo, "first commit")
    assert gitlib.git_path(git_repo, "hooks").resolve() == (git_repo / ".git" / "hooks").resolve()
    assert gitlib.common_dir(git_repo).resolve() == (git_repo / ".git").resolve()
    assert gitlib.ls_tree(git_repo, "HEAD", "src") == ["src/a.py", "src/sub"]
    assert gitlib.ls_tree(git_repo, "HEAD", "nope") is None
    assert gitlib.log(git_repo, "--format=%s").splitlines() == ["first commit"]
