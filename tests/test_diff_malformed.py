"""parse_diff on malformed patches: a file whose hunks do not match their headers is skipped
with the hunk and the reason; a diff of which nothing parses is an input error."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import commit, git, stage, write

from reviewbot.diff import parse_diff
from reviewbot.errors import DiffParseError
from reviewbot.types import DiffLine, LineKind, Skipped

GOOD = b"diff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n@@ -1 +1 @@\n-a\n+b\n"
FIX = "fix the counts in the @@ line or make the patch again"


def x_py(*hunk: str) -> bytes:
    """A section for x.py (its hunk header on line 4) followed by GOOD."""
    head = "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n"
    return (head + "".join(f"{line}\n" for line in hunk)).encode() + GOOD


def reasons(data: bytes) -> list[Skipped]:
    files, skipped = parse_diff(data)
    assert [f.path for f in files] == ["y.py"]
    assert files[0].hunks[0].lines == (
        DiffLine(LineKind.DEL, 1, None, "a"),
        DiffLine(LineKind.ADD, None, 1, "b"),
    )
    return skipped


def unparsed(why: str) -> list[Skipped]:
    return [Skipped("x.py", f"could not parse this file's diff: {why}")]


def test_a_line_past_the_end_of_a_hunk_is_a_problem_not_dropped() -> None:
    # unidiff and the splitter both stopped at the counts and dropped "+c" without a word
    assert reasons(x_py("@@ -1 +1 @@", "-a", "+b", "+c")) == unparsed(
        "hunk '@@ -1 +1 @@' (line 4) has more lines than its header counts (header: 1 old, 1 "
        f"new lines; line 7, '+c', follows its last one); {FIX}"
    )


def test_a_hunk_with_more_removed_lines_than_counted() -> None:
    assert reasons(x_py("@@ -1 +1,2 @@", "-a", "-b", "+c", "+d")) == unparsed(
        "hunk '@@ -1 +1,2 @@' (line 4) has more lines than its header counts (header: 1 old, "
        f"2 new lines; found: 2 old, 2 new); {FIX}"
    )


def test_a_hunk_shorter_than_its_header() -> None:
    assert reasons(x_py("@@ -1,3 +1,3 @@", " a", "-b", "+c")) == unparsed(
        "hunk '@@ -1,3 +1,3 @@' (line 4) has fewer lines than its header counts (header: 3 "
        f"old, 3 new lines; found: 2 old, 2 new; it ends at line 7); {FIX}"
    )


def test_a_malformed_hunk_header_after_a_good_hunk() -> None:
    data = x_py("@@ -1 +1 @@", "-a", "+b", "@@ -a,b +c,d @@", "-e", "+f")
    assert reasons(data) == unparsed(
        "malformed hunk header '@@ -a,b +c,d @@' (line 7); expected '@@ -A,B +C,D @@'"
    )


def test_a_hunk_that_counts_no_lines() -> None:
    assert reasons(x_py("@@ -1,0 +1,0 @@")) == unparsed(
        "hunk '@@ -1,0 +1,0 @@' (line 4) counts no lines; a hunk has at least one"
    )


def test_a_diff_of_which_nothing_parses_is_an_error_naming_each_file_and_hunk() -> None:
    data = (
        b"diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -a,b +c,d @@\n-a\n+b\n"
        b"diff --git a/z.py b/z.py\n--- a/z.py\n+++ b/z.py\n@@ -1,3 +1,3 @@\n-a\n+b\n"
    )
    with pytest.raises(DiffParseError) as caught:
        parse_diff(data)
    assert str(caught.value) == (
        "no file of the diff could be parsed (x.py: malformed hunk header '@@ -a,b +c,d @@'; "
        "expected '@@ -A,B +C,D @@'; z.py: hunk '@@ -1,3 +1,3 @@' (line 10) has fewer lines "
        "than its header counts (header: 3 old, 3 new lines; found: 1 old, 1 new; it ends at "
        f"line 12); {FIX}); nothing in it can be reviewed"
    )


def test_git_log_and_format_patch_text_after_hunks_is_no_problem(git_repo: Path) -> None:
    """Commit messages (indented, after a blank line), mail signatures and blank lines follow
    hunks in real output: only a hunk line right after a hunk's last line is a problem."""
    write(git_repo, "a.py", "a = 1\n")
    base = commit(git_repo)
    write(git_repo, "a.py", "a = 2\n")
    commit(git_repo, "second")
    write(git_repo, "b.py", "b = 1\n")
    commit(git_repo, "third\n\n- a list item\n+ another\n  indented\n@@ is not a hunk\n")
    for data in (
        git(git_repo, "log", "-p", "--reverse", f"{base}..HEAD"),
        git(git_repo, "format-patch", "--stdout", f"{base}..HEAD"),
        git(git_repo, "diff", base, "HEAD") + b"\n\n",
    ):
        files, skipped = parse_diff(data)
        assert (skipped, sorted({f.path for f in files})) == ([], ["a.py", "b.py"])


def test_a_staged_diff_of_a_file_ending_without_newline(git_repo: Path) -> None:
    write(git_repo, "a.txt", "a\nb")
    commit(git_repo)
    write(git_repo, "a.txt", "a\nc")
    stage(git_repo)
    files, skipped = parse_diff(git(git_repo, "diff", "--cached"))
    assert skipped == []
    assert [line.text for line in files[0].hunks[0].lines] == ["a", "b", "c"]
