"""parse_diff against real git output, case by case, with exact expectations."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from gitrepo import add_gitlink, commit, git, stage, write

from reviewbot.diff import parse_diff
from reviewbot.errors import DiffParseError
from reviewbot.git import staged_diff
from reviewbot.types import DiffLine, FileDiff, FileStatus, Hunk, LineKind, Skipped

ADD, DEL, CTX = LineKind.ADD, LineKind.DEL, LineKind.CTX


def staged(repo: Path) -> dict[str, FileDiff]:
    stage(repo)
    files, skipped = parse_diff(staged_diff(repo))
    assert skipped == []
    return {file.path: file for file in files}


def test_modified_file_hunks_line_numbers_and_section(git_repo: Path) -> None:
    lines = ["def main():", *(f"    x = {i}" for i in range(2, 21))]
    write(git_repo, "m.py", "\n".join(lines) + "\n")
    commit(git_repo)
    lines[9] = "    x = 100"
    lines.insert(18, "    y = 0")
    write(git_repo, "m.py", "\n".join(lines) + "\n")

    file = staged(git_repo)["m.py"]

    assert (file.status, file.old_path, file.language, file.eol) == (
        FileStatus.MODIFIED,
        None,
        "python",
        "lf",
    )
    assert file.hunks == (
        Hunk(
            7,
            7,
            7,
            7,
            "def main():",
            (
                DiffLine(CTX, 7, 7, "    x = 7"),
                DiffLine(CTX, 8, 8, "    x = 8"),
                DiffLine(CTX, 9, 9, "    x = 9"),
                DiffLine(DEL, 10, None, "    x = 10"),
                DiffLine(ADD, None, 10, "    x = 100"),
                DiffLine(CTX, 11, 11, "    x = 11"),
                DiffLine(CTX, 12, 12, "    x = 12"),
                DiffLine(CTX, 13, 13, "    x = 13"),
            ),
        ),
        Hunk(
            16,
            5,
            16,
            6,
            "def main():",
            (
                DiffLine(CTX, 16, 16, "    x = 16"),
                DiffLine(CTX, 17, 17, "    x = 17"),
                DiffLine(CTX, 18, 18, "    x = 18"),
                DiffLine(ADD, None, 19, "    y = 0"),
                DiffLine(CTX, 19, 20, "    x = 19"),
                DiffLine(CTX, 20, 21, "    x = 20"),
            ),
        ),
    )


def test_added_and_deleted_files(git_repo: Path) -> None:
    write(git_repo, "gone.js", "a\nb\n")
    commit(git_repo)
    (git_repo / "gone.js").unlink()
    write(git_repo, "src/new.go", "package x\n\nfunc F() {}\n")

    files = staged(git_repo)

    assert files["src/new.go"] == FileDiff(
        path="src/new.go",
        old_path=None,
        status=FileStatus.ADDED,
        hunks=(
            Hunk(
                0,
                0,
                1,
                3,
                "",
                (
                    DiffLine(ADD, None, 1, "package x"),
                    DiffLine(ADD, None, 2, ""),
                    DiffLine(ADD, None, 3, "func F() {}"),
                ),
            ),
        ),
        language="go",
    )
    assert files["gone.js"] == FileDiff(
        path="gone.js",
        old_path=None,
        status=FileStatus.DELETED,
        hunks=(Hunk(1, 2, 0, 0, "", (DiffLine(DEL, 1, None, "a"), DiffLine(DEL, 2, None, "b"))),),
        language="javascript",
    )


def test_pure_rename_has_no_hunks_and_rename_with_edits_keeps_them(git_repo: Path) -> None:
    body = "".join(f"line {i}\n" for i in range(1, 11))
    write(git_repo, "same.txt", "unchanged\ncontent\n")
    write(git_repo, "edit.txt", body)
    commit(git_repo)
    (git_repo / "same.txt").rename(git_repo / "moved.txt")
    (git_repo / "edit.txt").unlink()
    write(git_repo, "lib/edited.txt", body.replace("line 10\n", "line ten\n"))

    files = staged(git_repo)

    assert files["moved.txt"] == FileDiff("moved.txt", "same.txt", FileStatus.RENAMED)
    edited = files["lib/edited.txt"]
    assert (edited.status, edited.old_path) == (FileStatus.RENAMED, "edit.txt")
    assert edited.hunks[0].lines[-2:] == (
        DiffLine(DEL, 10, None, "line 10"),
        DiffLine(ADD, None, 10, "line ten"),
    )
    assert set(files) == {"moved.txt", "lib/edited.txt"}


def test_copies_from_git_copy_detection(git_repo: Path) -> None:
    body = "".join(f"row {i}\n" for i in range(1, 11))
    write(git_repo, "orig.txt", body)
    commit(git_repo)
    write(git_repo, "exact.txt", body)
    write(git_repo, "near.txt", body.replace("row 1\n", "row one\n"))
    stage(git_repo)

    files, _ = parse_diff(git(git_repo, "diff", "--cached", "-C", "--find-copies-harder"))

    assert files[0] == FileDiff("exact.txt", "orig.txt", FileStatus.COPIED)
    assert (files[1].path, files[1].old_path, files[1].status) == (
        "near.txt",
        "orig.txt",
        FileStatus.COPIED,
    )
    assert files[1].hunks[0].lines[:2] == (
        DiffLine(DEL, 1, None, "row 1"),
        DiffLine(ADD, None, 1, "row one"),
    )


def test_mode_only_change_and_mode_with_content(git_repo: Path) -> None:
    write(git_repo, "run.sh", "echo hi\n")
    write(git_repo, "tool.sh", "echo a\n")
    commit(git_repo)
    write(git_repo, "tool.sh", "echo b\n")
    stage(git_repo)
    git(git_repo, "update-index", "--chmod=+x", "run.sh", "tool.sh")

    files, _ = parse_diff(staged_diff(git_repo))

    assert files[0] == FileDiff("run.sh", None, FileStatus.MODE, language="shell")
    assert (files[1].path, files[1].status, len(files[1].hunks)) == (
        "tool.sh",
        FileStatus.MODIFIED,
        1,
    )


def test_binary_files(git_repo: Path) -> None:
    write(git_repo, "img.png", b"\x89PNG\0\0\x01")
    commit(git_repo)
    write(git_repo, "img.png", b"\x89PNG\0\0\x02")
    write(git_repo, "new.bin", b"\0\1\2")

    files = staged(git_repo)

    assert files["img.png"] == FileDiff("img.png", None, FileStatus.MODIFIED, is_binary=True)
    assert files["new.bin"] == FileDiff("new.bin", None, FileStatus.ADDED, is_binary=True)


def test_git_binary_patch_data_is_not_parsed_as_text(git_repo: Path) -> None:
    write(git_repo, "img.png", bytes(range(256)) * 4)
    base = commit(git_repo)
    write(git_repo, "img.png", bytes(range(255, -1, -1)) * 4)
    write(git_repo, "z.py", "z = 1\n")
    commit(git_repo)

    files, skipped = parse_diff(git(git_repo, "format-patch", "--binary", "--stdout", base))

    assert skipped == []
    assert files[0] == FileDiff("img.png", None, FileStatus.MODIFIED, is_binary=True)
    assert (files[1].path, files[1].status) == ("z.py", FileStatus.ADDED)


def test_new_and_deleted_empty_files(git_repo: Path) -> None:
    write(git_repo, "was_empty.py", "")
    commit(git_repo)
    write(git_repo, "pkg/__init__.py", "")
    assert staged(git_repo)["pkg/__init__.py"] == FileDiff(
        "pkg/__init__.py", None, FileStatus.ADDED, language="python"
    )
    commit(git_repo)
    (git_repo / "was_empty.py").unlink()
    assert staged(git_repo)["was_empty.py"] == FileDiff(
        "was_empty.py", None, FileStatus.DELETED, language="python"
    )


def test_git_pairs_a_deleted_and_an_added_empty_file_as_a_rename(git_repo: Path) -> None:
    write(git_repo, "was_empty.py", "")
    commit(git_repo)
    (git_repo / "was_empty.py").unlink()
    write(git_repo, "pkg/__init__.py", "")

    assert staged(git_repo) == {
        "pkg/__init__.py": FileDiff(
            "pkg/__init__.py", "was_empty.py", FileStatus.RENAMED, language="python"
        )
    }


def test_no_newline_at_end_of_file_is_not_a_line(git_repo: Path) -> None:
    write(git_repo, "a.txt", "one\ntwo")
    write(git_repo, "b.txt", "one\n")
    commit(git_repo)
    write(git_repo, "a.txt", "one\ntwo\nthree\n")
    write(git_repo, "b.txt", "one\ntwo")

    files = staged(git_repo)

    assert files["a.txt"].hunks == (
        Hunk(
            1,
            2,
            1,
            3,
            "",
            (
                DiffLine(CTX, 1, 1, "one"),
                DiffLine(DEL, 2, None, "two"),
                DiffLine(ADD, None, 2, "two"),
                DiffLine(ADD, None, 3, "three"),
            ),
        ),
    )
    assert files["b.txt"].hunks == (
        Hunk(1, 1, 1, 2, "", (DiffLine(CTX, 1, 1, "one"), DiffLine(ADD, None, 2, "two"))),
    )


def test_crlf_file_text_has_no_cr_and_eol_is_crlf(git_repo: Path) -> None:
    write(git_repo, "win.txt", "a\r\nb\r\n\r\nc\r\n")
    write(git_repo, "unix.txt", "a\n")
    commit(git_repo)
    write(git_repo, "win.txt", "a\r\nB\r\n\r\nc\r\n")
    write(git_repo, "unix.txt", "a\nb\n")

    files = staged(git_repo)

    assert files["win.txt"].eol == "crlf"
    assert files["win.txt"].hunks[0].lines == (
        DiffLine(CTX, 1, 1, "a"),
        DiffLine(DEL, 2, None, "b"),
        DiffLine(ADD, None, 2, "B"),
        DiffLine(CTX, 3, 3, ""),
        DiffLine(CTX, 4, 4, "c"),
    )
    assert files["unix.txt"].eol == "lf"


def test_non_ascii_paths_and_spaces(git_repo: Path) -> None:
    write(git_repo, "my dir/é.py", "x = 1\n")
    commit(git_repo)
    (git_repo / "my dir/é.py").rename(git_repo / "my dir/ü ü.py")
    write(git_repo, "日本/new file.rs", "fn main() {}\n")

    files = staged(git_repo)

    assert files["my dir/ü ü.py"] == FileDiff(
        "my dir/ü ü.py", "my dir/é.py", FileStatus.RENAMED, language="python"
    )
    assert files["日本/new file.rs"].status == FileStatus.ADDED
    assert files["日本/new file.rs"].hunks[0].lines == (DiffLine(ADD, None, 1, "fn main() {}"),)


def test_c_quoted_paths_from_a_patch_made_elsewhere(git_repo: Path) -> None:
    write(git_repo, "dir/é.py", "a = 1\n")
    write(git_repo, "old é.txt", "same\n")
    commit(git_repo)
    write(git_repo, "dir/é.py", "a = 2\n")
    write(git_repo, "empty é.txt", "")
    (git_repo / "old é.txt").rename(git_repo / 'say "hi"\there.txt')
    stage(git_repo)

    patch = git(git_repo, "-c", "core.quotePath=true", "diff", "--cached", "-M")
    assert b'"a/dir/\\303\\251.py"' in patch  # the case under test: git quoted the names
    files = {file.path: file for file in parse_diff(patch)[0]}

    assert files["dir/é.py"].hunks[0].lines == (
        DiffLine(DEL, 1, None, "a = 1"),
        DiffLine(ADD, None, 1, "a = 2"),
    )
    assert files["empty é.txt"] == FileDiff("empty é.txt", None, FileStatus.ADDED)
    assert files['say "hi"\there.txt'] == FileDiff(
        'say "hi"\there.txt', "old é.txt", FileStatus.RENAMED
    )


def test_submodule_changes(git_repo: Path) -> None:
    first = commit(git_repo, "one")
    second = commit(git_repo, "two")
    add_gitlink(git_repo, "libs/sub", first)
    git(git_repo, "commit", "-q", "-m", "add submodule")
    add_gitlink(git_repo, "libs/sub", second)
    add_gitlink(git_repo, "other", second)

    files, _ = parse_diff(staged_diff(git_repo))

    assert files[0] == FileDiff(
        "libs/sub",
        None,
        FileStatus.MODIFIED,
        hunks=(
            Hunk(
                1,
                1,
                1,
                1,
                "",
                (
                    DiffLine(DEL, 1, None, f"Subproject commit {first}"),
                    DiffLine(ADD, None, 1, f"Subproject commit {second}"),
                ),
            ),
        ),
        is_submodule=True,
    )
    assert (files[1].path, files[1].status, files[1].is_submodule) == (
        "other",
        FileStatus.ADDED,
        True,
    )


def test_submodule_recognised_without_mode_lines() -> None:
    patch = (
        b"--- a/sub\n+++ b/sub\n@@ -1 +1 @@\n"
        b"-Subproject commit " + b"1" * 40 + b"\n+Subproject commit " + b"2" * 40 + b"\n"
    )
    assert parse_diff(patch)[0][0].is_submodule


def test_large_added_file_parses_every_line(git_repo: Path) -> None:
    write(git_repo, "big.txt", "".join(f"{i}\n" for i in range(1, 100_001)))

    file = staged(git_repo)["big.txt"]

    (hunk,) = file.hunks
    assert (hunk.new_start, hunk.new_len, len(hunk.lines)) == (1, 100_000, 100_000)
    assert hunk.lines[-1] == DiffLine(ADD, None, 100_000, "100000")


def test_one_non_utf8_file_does_not_affect_the_others(git_repo: Path) -> None:
    write(git_repo, "latin.txt", b"old\n")
    write(git_repo, "odd.txt", b"old\n")
    write(git_repo, "utf8.txt", "old\n")
    commit(git_repo)
    write(git_repo, "latin.txt", b"caf\xe9\n")
    write(git_repo, "odd.txt", b"\x81\xe9\n")  # 0x81 is undefined in cp1252
    write(git_repo, "utf8.txt", "naïve\n")

    files = staged(git_repo)

    assert files["latin.txt"].encoding_note == "not valid UTF-8; decoded as cp1252"
    assert files["latin.txt"].hunks[0].lines[1] == DiffLine(ADD, None, 1, "café")
    assert files["odd.txt"].encoding_note == "not valid UTF-8; decoded as latin-1"
    assert files["odd.txt"].hunks[0].lines[1] == DiffLine(ADD, None, 1, "\x81é")
    assert files["utf8.txt"].encoding_note is None
    assert files["utf8.txt"].hunks[0].lines[1] == DiffLine(ADD, None, 1, "naïve")


def test_garbage_section_is_skipped_and_others_parse(git_repo: Path) -> None:
    write(git_repo, "a.txt", "1\n")
    write(git_repo, "c.txt", "1\n")
    commit(git_repo)
    write(git_repo, "a.txt", "2\n")
    write(git_repo, "c.txt", "2\n")
    stage(git_repo)
    good = staged_diff(git_repo)
    cut = good.index(b"diff --git a/c.txt")
    garbage = b"diff --git a/b.txt b/b.txt\n--- a/b.txt\n+++ b/b.txt\n@@ -1,3 +1,3 @@\n-x\n"

    files, skipped = parse_diff(good[:cut] + garbage + good[cut:])

    assert [file.path for file in files] == ["a.txt", "c.txt"]
    assert skipped == [
        Skipped(
            "b.txt",
            "could not parse this file's diff: hunk '@@ -1,3 +1,3 @@' (line 11) has fewer lines "
            "than its header counts (header: 3 old, 3 new lines; found: 1 old, 0 new; it ends at "
            "line 12); fix the counts in the @@ line or make the patch again",
        )
    ]


def test_bad_quoting_is_skipped_not_raised() -> None:
    patch = b'diff --git "a/x b/x\nnew file mode 100644\n'
    good = b"diff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n@@ -1 +1 @@\n-a\n+b\n"
    files, skipped = parse_diff(patch + good)
    assert [f.path for f in files] == ["y.py"]
    assert skipped == [
        Skipped(
            'diff --git "a/x b/x',
            "could not parse this file's diff: quoted path without a closing quote: '\"a/x b/x'",
        )
    ]


def test_malformed_hunk_header_is_skipped_not_read_as_no_changes() -> None:
    patch = b"diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1 +1\n-a\n+b\n"
    good = b"diff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n@@ -1 +1 @@\n-a\n+b\n"
    files, skipped = parse_diff(patch + good)
    assert [f.path for f in files] == ["y.py"]
    assert skipped == [
        Skipped(
            "x.py",
            "could not parse this file's diff: malformed hunk header '@@ -1 +1'; "
            "expected '@@ -A,B +C,D @@'",
        )
    ]


def test_not_a_diff_raises_and_empty_input_is_empty() -> None:
    with pytest.raises(DiffParseError, match=r"not a unified diff.*'hello world'"):
        parse_diff(b"\n\nhello world\nbye\n")
    assert parse_diff(b"") == ([], [])
    assert parse_diff(b"\n  \n") == ([], [])


def test_format_patch_mail_with_two_commits(git_repo: Path) -> None:
    write(git_repo, "a.py", "a = 1\n")
    base = commit(git_repo)
    write(git_repo, "a.py", "a = 2\n")
    commit(git_repo, "second\n\n--- not a header\n")
    write(git_repo, "b.py", "b = 1\n")
    commit(git_repo, "third")

    files, skipped = parse_diff(git(git_repo, "format-patch", "--stdout", f"{base}..HEAD"))

    assert skipped == []
    assert [(f.path, f.status, f.hunks[0].lines[-1]) for f in files] == [
        ("a.py", FileStatus.MODIFIED, DiffLine(ADD, None, 1, "a = 2")),
        ("b.py", FileStatus.ADDED, DiffLine(ADD, None, 1, "b = 1")),
    ]


def test_plain_unified_diff_with_header_lookalikes_inside_hunks() -> None:
    old = ["select 1;", "-- old comment", "x"]
    new = ["select 1;", "++ new", "x"]
    text = "".join(
        [
            *difflib.unified_diff(
                [f"{line}\n" for line in old],
                [f"{line}\n" for line in new],
                "a/q.sql\t2024-01-01",
                "b/q.sql\t2024-01-02",
            ),
            *difflib.unified_diff(["1\n"], ["2\n"], "old/r.txt", "new/r.txt"),
        ]
    )
    assert "\n--- old comment\n+++ new\n" in text  # the case under test

    files, skipped = parse_diff(text.encode())

    assert skipped == []
    assert files[0] == FileDiff(
        "q.sql",
        None,
        FileStatus.MODIFIED,
        hunks=(
            Hunk(
                1,
                3,
                1,
                3,
                "",
                (
                    DiffLine(CTX, 1, 1, "select 1;"),
                    DiffLine(DEL, 2, None, "-- old comment"),
                    DiffLine(ADD, None, 2, "++ new"),
                    DiffLine(CTX, 3, 3, "x"),
                ),
            ),
        ),
        language="sql",
    )
    assert (files[1].path, len(files)) == ("new/r.txt", 2)


def test_patch_saved_with_crlf_line_ends(git_repo: Path) -> None:
    write(git_repo, "a b.py", "x = 1\n")
    commit(git_repo)
    write(git_repo, "a b.py", "x = 2\n")
    stage(git_repo)

    files, _ = parse_diff(staged_diff(git_repo).replace(b"\n", b"\r\n"))

    assert (files[0].path, files[0].eol) == ("a b.py", "crlf")
    assert files[0].hunks[0].lines[1] == DiffLine(ADD, None, 1, "x = 2")


def test_user_git_config_does_not_change_the_diff_shape(git_repo: Path) -> None:
    write(git_repo, "é.txt", "1\n")
    write(git_repo, "r.txt", "a\nb\nc\n")
    commit(git_repo)
    write(git_repo, "é.txt", "2\n")
    (git_repo / "r.txt").rename(git_repo / "s.txt")
    for key, value in [
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("color.ui", "always"),
        ("diff.external", "/nonexistent/difftool"),
        ("diff.renames", "false"),
        ("core.quotePath", "true"),
        ("diff.submodule", "log"),
    ]:
        git(git_repo, "config", key, value)

    files = staged(git_repo)

    assert files["é.txt"].hunks[0].lines == (
        DiffLine(DEL, 1, None, "1"),
        DiffLine(ADD, None, 1, "2"),
    )
    assert files["s.txt"] == FileDiff("s.txt", "r.txt", FileStatus.RENAMED)
