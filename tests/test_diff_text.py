from __future__ import annotations

from dataclasses import replace

from reviewbot.diff_text import (
    file_header,
    format_file_diff,
    format_hunk,
    hunk_header,
    hunk_range,
)
from reviewbot.types import DiffLine, FileDiff, FileStatus, Hunk, LineKind


def ctx(old: int, new: int, text: str) -> DiffLine:
    return DiffLine(LineKind.CTX, old, new, text)


def add(new: int, text: str) -> DiffLine:
    return DiffLine(LineKind.ADD, None, new, text)


def rem(old: int, text: str) -> DiffLine:
    return DiffLine(LineKind.DEL, old, None, text)


LOAD_HUNK = Hunk(
    10,
    3,
    10,
    3,
    "def load():",
    (ctx(10, 10, "import os"), add(11, "import sys"), rem(11, "import re"), ctx(12, 12, "x = 1")),
)


def test_hunk_lines_carry_new_numbers_and_removed_lines_old_numbers_after_l() -> None:
    assert format_hunk(LOAD_HUNK) == (
        "@@ -10,3 +10,3 @@ def load():\n"
        " 10   import os\n"
        " 11 + import sys\n"
        "L11 - import re\n"
        " 12   x = 1"
    )


def test_numbers_are_right_aligned_to_the_widest_number_of_the_hunk() -> None:
    hunk = Hunk(98, 2, 98, 3, "", (ctx(98, 98, "a"), add(99, "b"), rem(99, "c"), add(100, "d")))
    assert format_hunk(hunk) == ("@@ -98,2 +98,3 @@\n  98   a\n  99 + b\n L99 - c\n 100 + d")


def test_blank_source_lines_leave_no_trailing_spaces_but_keep_their_marker() -> None:
    hunk = Hunk(1, 2, 1, 2, "", (ctx(1, 1, ""), add(2, ""), rem(2, "")))
    assert format_hunk(hunk).splitlines()[1:] == [" 1", " 2 +", "L2 -"]


def test_file_diff_shows_header_then_hunks_separated_by_blank_lines() -> None:
    second = Hunk(40, 1, 40, 1, "", (rem(40, "old()"), add(40, "new()")))
    f = FileDiff("src/app.py", None, FileStatus.MODIFIED, (LOAD_HUNK, second), language="python")
    assert format_file_diff(f) == (
        "## File: src/app.py (modified, python)\n"
        "\n"
        "@@ -10,3 +10,3 @@ def load():\n"
        " 10   import os\n"
        " 11 + import sys\n"
        "L11 - import re\n"
        " 12   x = 1\n"
        "\n"
        "@@ -40,1 +40,1 @@\n"
        "L40 - old()\n"
        " 40 + new()"
    )
    assert format_file_diff(replace(f, hunks=(second,))) == (
        "## File: src/app.py (modified, python)\n\n@@ -40,1 +40,1 @@\nL40 - old()\n 40 + new()"
    )


def test_header_names_rename_source_and_notes() -> None:
    renamed = FileDiff(
        "new/name.go",
        "old/name.go",
        FileStatus.RENAMED,
        eol="crlf",
        encoding_note="not valid UTF-8; decoded as latin-1",
    )
    assert file_header(renamed) == (
        "## File: new/name.go (renamed from old/name.go)\n"
        "note: this file uses CRLF line endings (shown here without them)\n"
        "note: not valid UTF-8; decoded as latin-1"
    )


def test_files_without_hunks_say_so() -> None:
    binary = FileDiff("logo.png", None, FileStatus.ADDED, is_binary=True)
    mode = FileDiff("run.sh", None, FileStatus.MODE, language="shell")
    assert format_file_diff(binary) == (
        "## File: logo.png (added)\n\n(binary file; content not shown)"
    )
    assert format_file_diff(mode) == (
        "## File: run.sh (mode change only, shell)\n\n(no changed lines)"
    )


def test_deleted_file_shows_old_numbers_only() -> None:
    hunk = Hunk(1, 2, 0, 0, "", (rem(1, "a = 1"), rem(2, "b = 2")))
    f = FileDiff("gone.py", None, FileStatus.DELETED, (hunk,), language="python")
    assert format_file_diff(f) == (
        "## File: gone.py (deleted, python)\n\n@@ -1,2 +0,0 @@\nL1 - a = 1\nL2 - b = 2"
    )


def test_no_carriage_return_ever_reaches_the_model() -> None:
    hunk = Hunk(1, 1, 1, 1, "class A:\r", (rem(1, "x\r"), add(1, "y")))
    f = FileDiff("a\r.py", None, FileStatus.MODIFIED, (hunk,), eol="crlf")
    text = format_file_diff(f)
    assert "\r" not in text
    assert hunk_header(hunk) == "@@ -1,1 +1,1 @@ class A:"
    assert hunk_range(hunk) == "@@ -1,1 +1,1 @@"
