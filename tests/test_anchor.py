"""Anchoring findings against FileDiffs built directly from reviewbot.types."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reviewbot.anchor import anchor_finding, anchor_findings
from reviewbot.anchor_note import anchor_note
from reviewbot.fingerprint import fingerprint, next_fingerprint, spot_of
from reviewbot.types import (
    Anchoring,
    AnchorRule,
    DiffLine,
    FileDiff,
    FileStatus,
    Finding,
    Hunk,
    LineKind,
    PathMatch,
    Placement,
    RawFinding,
    Severity,
    Side,
    SuggestionDrop,
)

KINDS = {" ": LineKind.CTX, "+": LineKind.ADD, "-": LineKind.DEL}


def hunk(old_start: int, new_start: int, *lines: str) -> Hunk:
    """A hunk from diff-style lines (" ctx", "+add", "-del"), numbered like git numbers them."""
    old, new, out = old_start, new_start, []
    for line in lines:
        kind = KINDS[line[0]]
        out.append(
            DiffLine(
                kind,
                old if kind is not LineKind.ADD else None,
                new if kind is not LineKind.DEL else None,
                line[1:],
            )
        )
        old += kind is not LineKind.ADD
        new += kind is not LineKind.DEL
    old_len = sum(line.kind is not LineKind.ADD for line in out)
    new_len = sum(line.kind is not LineKind.DEL for line in out)
    return Hunk(old_start, old_len, new_start, new_len, "", tuple(out))


APP = FileDiff(
    path="src/app.py",
    old_path=None,
    status=FileStatus.MODIFIED,
    hunks=(
        hunk(
            10,
            10,
            " def total(items):",  # old 10, new 10
            "-    s = 0",  # old 11
            "-    for i in items:",  # old 12
            "+    s = sum(items)",  # new 11
            "     return s",  # old 13, new 12
        ),
        hunk(
            40,
            39,
            " def helper():",  # old 40, new 39
            "+    return None",  # new 40
            "+    return None",  # new 41
            " ",  # old 41, new 42
        ),
        hunk(
            60,
            61,
            "     return None",  # old 60, new 61
            "+    log(x)",  # new 62
        ),
    ),
    language="python",
)
RENAMED = FileDiff(
    path="pkg/new_name.py",
    old_path="pkg/old_name.py",
    status=FileStatus.RENAMED,
    hunks=(hunk(1, 1, " import os", "+import sys"),),
)
GONE = FileDiff(
    path="lib/gone.py",
    old_path="lib/gone.py",
    status=FileStatus.DELETED,
    hunks=(hunk(1, 0, "-x = 1", "-y = 2"),),
)
FILES = {diff.path: diff for diff in (APP, RENAMED, GONE)}


def raw(line: int | None, **changes: object) -> RawFinding:
    base = RawFinding(
        path="src/app.py",
        line=line,
        end_line=None,
        side=Side.RIGHT,
        severity=Severity.WARNING,
        category="bug",
        message="Something is wrong here.",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def bare(finding: Finding) -> Finding:
    """``finding`` without its anchoring record (checked on its own below)."""
    return replace(finding, anchoring=None)


def inline(line: int, window: tuple[str, str, str], **changes: object) -> Finding:
    """An INLINE finding on ``line`` whose fingerprint hashes ``window`` (the line before, the
    line, the line after) on its side."""
    side = changes.get("side", Side.RIGHT)
    assert isinstance(side, Side)
    base = Finding(
        path="src/app.py",
        line=line,
        end_line=None,
        side=Side.RIGHT,
        severity=Severity.WARNING,
        category="bug",
        message="Something is wrong here.",
        suggestion=None,
        fingerprint=fingerprint("src/app.py", "bug", side, window, "Something is wrong here."),
        placement=Placement.INLINE,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_added_line_is_placed_as_stated() -> None:
    got = anchor_finding(raw(11, suggestion="    s = sum(items, 0)"), FILES)
    window = ("def total(items):", "    s = sum(items)", "    return s")
    assert bare(got) == inline(11, window, suggestion="    s = sum(items, 0)")
    assert got.anchoring == Anchoring(
        AnchorRule.STATED, "src/app.py", 11, None, Side.RIGHT, line_text="    s = sum(items)"
    )
    # Pinned: a changed algorithm would repost every comment on re-runs.
    assert got.fingerprint == "68bdc4c6711a9be9e3fea775"


def test_context_line_and_range_inside_one_hunk() -> None:
    got = anchor_finding(raw(10, end_line=12, suggestion="a\nb\nc"), FILES)
    window = ("", "def total(items):", "    s = sum(items)")
    assert bare(got) == inline(10, window, end_line=12, suggestion="a\nb\nc")


def test_line_outside_every_hunk_is_demoted_to_file() -> None:
    got = anchor_finding(raw(25, suggestion="x"), FILES)
    assert bare(got) == Finding(
        path="src/app.py",
        line=None,
        end_line=None,
        side=Side.RIGHT,
        severity=Severity.WARNING,
        category="bug",
        message="Something is wrong here.",
        suggestion=None,
        fingerprint=fingerprint("src/app.py", "bug", Side.RIGHT, [], "Something is wrong here."),
        placement=Placement.FILE,
        note="line 25 (RIGHT) is not an added or context line of any hunk of src/app.py; "
        "suggestion dropped: no line to apply it to",
    )
    assert got.anchoring == Anchoring(
        AnchorRule.NOT_A_LINE, "src/app.py", 25, None, Side.RIGHT, dropped=SuggestionDrop.NO_LINE
    )


def test_range_spanning_two_hunks_keeps_its_first_line_and_drops_the_suggestion() -> None:
    got = anchor_finding(raw(12, end_line=40, suggestion="x\ny"), FILES)
    assert bare(got) == inline(
        12,
        ("    s = sum(items)", "    return s", ""),
        note="lines 12-40 do not lie in one hunk; kept line 12 only; "
        "suggestion dropped: its line range changed",
    )


def test_left_on_a_removed_line() -> None:
    got = anchor_finding(raw(12, side=Side.LEFT, suggestion="for x in items:"), FILES)
    assert bare(got) == inline(
        12,
        ("    s = 0", "    for i in items:", "    return s"),
        side=Side.LEFT,
        note="suggestion dropped: it cannot apply to removed lines",
    )


def test_left_range_of_removed_lines() -> None:
    got = anchor_finding(raw(11, end_line=12, side=Side.LEFT), FILES)
    window = ("def total(items):", "    s = 0", "    for i in items:")
    assert bare(got) == inline(11, window, side=Side.LEFT, end_line=12)


def test_left_on_a_context_line_is_demoted() -> None:
    got = anchor_finding(raw(13, side=Side.LEFT), FILES)
    assert got.placement is Placement.FILE
    assert got.note == "line 13 (LEFT) is not a removed line of any hunk of src/app.py"


def test_left_on_an_added_line_moves_right_when_the_quote_matches() -> None:
    got = anchor_finding(raw(62, side=Side.LEFT, quote="log(x)"), FILES)
    assert bare(got) == inline(
        62,
        ("    return None", "    log(x)", ""),
        note="moved from line 62: quoted code found at line 62 on the RIGHT side",
    )


def test_left_on_an_added_line_without_quote_is_demoted() -> None:
    got = anchor_finding(raw(62, side=Side.LEFT), FILES)
    assert (got.placement, got.line) == (Placement.FILE, None)


def test_quote_re_anchors_a_wrong_line_number() -> None:
    got = anchor_finding(raw(13, quote="  s  =  sum(items)  "), FILES)
    assert bare(got) == inline(
        11,
        ("def total(items):", "    s = sum(items)", "    return s"),
        note="moved from line 13: quoted code found at line 11",
    )


def test_quote_moves_a_valid_line_that_does_not_hold_it() -> None:
    got = anchor_finding(raw(10, quote="return s"), FILES)
    assert got.line == 12
    assert got.note == "moved from line 10: quoted code found at line 12"


def test_multi_line_quote_moves_the_range_with_its_suggestion() -> None:
    got = anchor_finding(
        raw(30, end_line=31, quote="+    s = sum(items)\n+    return s\n", suggestion="a\nb"),
        FILES,
    )
    assert bare(got) == inline(
        11,
        ("def total(items):", "    s = sum(items)", "    return s"),
        end_line=12,
        suggestion="a\nb",
        note="moved from line 30: quoted code found at lines 11-12",
    )


def test_moved_to_a_range_of_another_length_drops_the_suggestion() -> None:
    got = anchor_finding(raw(30, quote="s = sum(items)\nreturn s", suggestion="a"), FILES)
    assert (got.line, got.end_line, got.suggestion) == (11, 12, None)
    assert got.note == (
        "moved from line 30: quoted code found at lines 11-12; "
        "suggestion dropped: its line range changed"
    )


def test_quote_matching_the_stated_line_keeps_it() -> None:
    got = anchor_finding(raw(40, quote="return None"), FILES)
    assert (got.line, got.note) == (40, None)


def test_ambiguous_quote_is_not_moved() -> None:
    got = anchor_finding(raw(50, quote="return None"), FILES)
    assert got.placement is Placement.FILE
    assert got.note == (
        "line 50 (RIGHT) is not an added or context line of any hunk of src/app.py; "
        "the quoted code appears at lines 40, 41, 61 (RIGHT); not moved"
    )
    assert got.fingerprint == fingerprint(
        "src/app.py", "bug", Side.RIGHT, ["return None"], "Something is wrong here."
    )
    assert got.anchoring == Anchoring(
        AnchorRule.NOT_A_LINE,
        "src/app.py",
        50,
        None,
        Side.RIGHT,
        "return None",
        quote_lines=(40, 41, 61),
        quote_side=Side.RIGHT,
    )


def test_ambiguous_quote_within_the_stated_hunk_keeps_the_stated_line() -> None:
    got = anchor_finding(raw(39, quote="return None"), FILES)
    assert (got.line, got.note) == (39, None)


def test_quote_unique_within_the_stated_hunk_is_followed() -> None:
    got = anchor_finding(raw(62, quote="return None"), FILES)
    assert (got.line, got.note) == (61, "moved from line 62: quoted code found at line 61")


def test_quote_of_removed_code_never_moves_a_valid_right_line() -> None:
    got = anchor_finding(raw(11, quote="s = 0"), FILES)
    assert (got.side, got.line, got.note) == (Side.RIGHT, 11, None)


def test_unknown_path_goes_to_the_summary() -> None:
    got = anchor_finding(raw(3, path="docs/README.md", quote="Install"), FILES)
    assert bare(got) == Finding(
        path="docs/README.md",
        line=None,
        end_line=None,
        side=Side.RIGHT,
        severity=Severity.WARNING,
        category="bug",
        message="Something is wrong here.",
        suggestion=None,
        fingerprint=fingerprint(
            "docs/README.md", "bug", Side.RIGHT, ["Install"], "Something is wrong here."
        ),
        placement=Placement.SUMMARY,
        note="path 'docs/README.md' is not a file of the reviewed diff",
    )


@pytest.mark.parametrize(
    ("said", "note"),
    [
        ("./src/app.py", None),
        ("b/src/app.py", None),
        ("a/src/app.py", None),
        ("/src/app.py", None),
        ("src\\app.py", None),
        ("app.py", "path 'app.py' matched the only file ending in it, 'src/app.py'"),
    ],
)
def test_path_variants(said: str, note: str | None) -> None:
    got = anchor_finding(raw(11, path=said), FILES)
    assert (got.path, got.line, got.note) == ("src/app.py", 11, note)


def test_old_path_of_a_renamed_file() -> None:
    got = anchor_finding(raw(2, path="a/pkg/old_name.py"), FILES)
    assert (got.path, got.line, got.placement) == ("pkg/new_name.py", 2, Placement.INLINE)
    assert got.note == "path 'a/pkg/old_name.py' is the old name of 'pkg/new_name.py'"
    assert got.anchoring is not None
    assert (got.anchoring.said_path, got.anchoring.path_match) == (
        "a/pkg/old_name.py",
        PathMatch.OLD_NAME,
    )


def test_ambiguous_basename_goes_to_the_summary() -> None:
    twins = {
        "a/x.py": FileDiff("a/x.py", None, FileStatus.ADDED, (hunk(0, 1, "+x"),)),
        "b/x.py": FileDiff("b/x.py", None, FileStatus.ADDED, (hunk(0, 1, "+x"),)),
    }
    got = anchor_finding(raw(1, path="x.py"), twins)
    assert got.placement is Placement.SUMMARY


def test_right_finding_on_a_deleted_file_is_demoted_to_file() -> None:
    got = anchor_finding(raw(1, path="lib/gone.py"), FILES)
    assert (got.path, got.placement) == ("lib/gone.py", Placement.FILE)
    got = anchor_finding(raw(2, path="lib/gone.py", side=Side.LEFT), FILES)
    assert (got.placement, got.line, got.side) == (Placement.INLINE, 2, Side.LEFT)


def test_exact_duplicates_are_kept_once() -> None:
    first = raw(11)
    found = anchor_findings([first, first, raw(11, category="style"), raw(12)], FILES)
    assert [(f.line, f.category) for f in found] == [(11, "bug"), (11, "style"), (12, "bug")]


def test_fingerprint_ignores_whitespace_and_line_numbers() -> None:
    moved = anchor_finding(raw(13, quote="s = sum(items)"), FILES)
    stated = anchor_finding(raw(11), FILES)
    assert moved.fingerprint == stated.fingerprint
    shifted = replace(
        APP,
        hunks=tuple(
            replace(h, lines=_shift(h.lines, 5), new_start=h.new_start + 5) for h in APP.hunks
        ),
    )
    assert anchor_finding(raw(16), {APP.path: shifted}).fingerprint == stated.fingerprint


def _shift(lines: tuple[DiffLine, ...], by: int) -> tuple[DiffLine, ...]:
    return tuple(
        replace(line, new_lineno=None if line.new_lineno is None else line.new_lineno + by)
        for line in lines
    )


def test_the_same_text_at_two_places_has_two_fingerprints() -> None:
    # Lines 40 and 41 are both "return None"; their neighbours tell them apart.
    first, second = anchor_findings([raw(40), raw(41)], FILES)
    window = ["def helper():", "return None", "return None"]
    assert first.fingerprint == fingerprint(
        "src/app.py", "bug", Side.RIGHT, window, "Something is wrong here."
    )
    assert spot_of(second.fingerprint) != spot_of(first.fingerprint)


def test_two_findings_on_one_spot_get_a_fingerprint_each() -> None:
    crash = raw(11, message="Crashes on an empty list.", severity=Severity.ERROR)
    name = raw(11, message="`s` is a poor name.")
    found = anchor_findings([name, crash], FILES)
    assert [f.message for f in found] == ["`s` is a poor name.", "Crashes on an empty list."]
    assert found[0].fingerprint != found[1].fingerprint
    assert spot_of(found[0].fingerprint) == spot_of(found[1].fingerprint)
    # A light rewording is the same finding.
    reworded = anchor_finding(replace(crash, message="crashes on empty lists"), FILES)
    assert reworded.fingerprint == found[1].fingerprint


def test_findings_sharing_a_fingerprint_are_numbered() -> None:
    loud = raw(11, message="Crashes on empty input!", severity=Severity.ERROR)
    quiet = raw(11, message="crashes on empty input.")
    found = anchor_findings([quiet, loud], FILES)
    base = anchor_finding(loud, FILES).fingerprint
    # The more severe one keeps the shared fingerprint whatever the model's order.
    assert [f.fingerprint for f in found] == [next_fingerprint(base), base]


def test_different_messages_on_one_line_are_all_kept() -> None:
    info = raw(11, severity=Severity.INFO, message="Style nit.")
    critical = raw(11, severity=Severity.CRITICAL, message="Crashes on empty input.")
    placed = anchor_findings([info, critical], FILES)
    assert [(f.line, f.severity) for f in placed] == [
        (11, Severity.INFO),
        (11, Severity.CRITICAL),
    ]


def test_repeated_message_keeps_its_most_severe_copy() -> None:
    low = raw(11, severity=Severity.INFO, message="Crashes on  empty input.")
    high = raw(11, severity=Severity.ERROR, message="crashes on empty input.")
    [placed] = anchor_findings([low, high], FILES)
    assert placed.severity is Severity.ERROR


def test_no_line_number_is_placed_by_a_unique_quote() -> None:
    placed = anchor_finding(raw(None, quote="s = sum(items)"), FILES)
    assert (placed.placement, placed.line) == (Placement.INLINE, 11)
    assert placed.note == "no line number given: quoted code found at line 11"


def test_no_line_number_and_no_quote_goes_on_the_file() -> None:
    placed = anchor_finding(raw(None, suggestion="x"), FILES)
    assert (placed.placement, placed.line, placed.suggestion) == (Placement.FILE, None, None)
    assert placed.note == (
        "the model gave no usable line number; suggestion dropped: no line to apply it to"
    )


def test_range_across_hunks_whose_quote_confirms_its_first_line_is_not_called_a_move() -> None:
    placed = anchor_finding(raw(11, end_line=40, quote="s = sum(items)"), FILES)
    assert (placed.line, placed.end_line) == (11, None)
    assert placed.note == "lines 11-40 do not lie in one hunk; kept line 11 only"


def test_the_note_is_rendered_from_the_anchoring_record() -> None:
    got = anchor_finding(raw(30, quote="s = sum(items)\nreturn s", suggestion="a"), FILES)
    assert got.anchoring == Anchoring(
        AnchorRule.STATED,
        "src/app.py",
        30,
        None,
        Side.RIGHT,
        "s = sum(items)\nreturn s",
        moved=True,
        dropped=SuggestionDrop.RANGE_CHANGED,
        line_text="    s = sum(items)",
    )
    assert anchor_note(got) == got.note
    # Numbers come from the record and the finding, never from the note's words.
    shifted = replace(got, line=14, end_line=15, anchoring=replace(got.anchoring, said_line=33))
    assert anchor_note(replace(shifted, note="stale words")) == (
        "moved from line 33: quoted code found at lines 14-15; "
        "suggestion dropped: its line range changed"
    )
    assert anchor_note(replace(got, anchoring=None)) is None


def test_no_line_number_records_a_move_by_quote() -> None:
    placed = anchor_finding(raw(None, quote="s = sum(items)", suggestion="x"), FILES)
    assert placed.anchoring == Anchoring(
        AnchorRule.NO_LINE,
        "src/app.py",
        None,
        None,
        Side.RIGHT,
        "s = sum(items)",
        moved=True,
        dropped=SuggestionDrop.RANGE_CHANGED,
        line_text="    s = sum(items)",
    )
