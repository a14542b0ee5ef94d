"""Placing a unit's findings against the lines its prompt showed, and moving them with the unit."""

from __future__ import annotations

from dataclasses import replace

from reviewbot.audit.placement import move_finding, place_findings
from reviewbot.audit.progress import UnitResult
from reviewbot.audit.units import Unit
from reviewbot.types import Finding, Placement, RawFinding, Severity, Side

HEADER = ((3, "import os"), (4, "import sys"))
LINES = ("def f(a):", "    total = a + 1", "    return total", "", "", "x = f(1)")


def unit(start: int = 9, header: tuple[tuple[int, str], ...] = HEADER) -> Unit:
    return Unit("app.py", "python", start, start + len(LINES) - 1, LINES, header, LINES[0])


def raw(line: int | None, end: int | None = None, **fields: object) -> RawFinding:
    base = RawFinding(
        path="app.py",
        line=line,
        end_line=end,
        side=Side.RIGHT,
        severity=Severity.ERROR,
        category="bug",
        message=f"problem at {line}",
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def where(findings: tuple[Finding, ...]) -> list[tuple[object, ...]]:
    return [(f.placement.value, f.line, f.end_line, f.note) for f in findings]


def test_findings_are_placed_on_shown_lines_once_and_in_audit_terms() -> None:
    findings = place_findings(
        [
            raw(10),  # inside the unit
            raw(3),  # an import line shown as context
            raw(40),  # never shown to the model
            raw(41, quote="    return total", message="q"),  # never shown, but quoted
            raw(13, 16, suggestion="pass\n", message="r"),  # leaves the shown lines at 15
            raw(12, side=Side.LEFT, message="s"),  # an audited file has no old side
            raw(40),  # the same finding again
        ],
        unit(),
    )

    assert where(findings) == [
        ("inline", 10, None, None),
        ("inline", 3, None, "line 3 is outside the audited unit (lines 9-14)"),
        ("file", None, None, "the model gave line 40, outside the audited unit (lines 9-14)"),
        (
            "inline",
            11,
            None,
            "the model gave line 41, outside the audited unit (lines 9-14); "
            "placed where its quoted code is",
        ),
        (
            "inline",
            13,
            None,
            "the model gave lines 13-16, partly outside the audited unit (lines 9-14); "
            "kept its first line; suggestion dropped",
        ),
        ("inline", 12, None, None),
    ]
    assert findings[5].side is Side.RIGHT
    assert all("hunk" not in (f.note or "") and "diff" not in (f.note or "") for f in findings)


def test_a_finding_on_another_file_is_general_with_an_audit_note() -> None:
    (finding,) = place_findings([raw(10, path="other.py")], unit())
    assert (finding.placement, finding.note) == (
        Placement.SUMMARY,
        "path 'other.py' is not the audited file 'app.py'",
    )


def test_a_moved_unit_moves_its_import_line_findings_to_where_the_imports_are() -> None:
    stored = place_findings([raw(10), raw(3), raw(40), raw(4, 10, message="r")], unit(9))
    result = UnitResult("k", "app.py", 9, 14, stored)

    # Three lines inserted above the unit, one of them above the second import.
    moved = result.moved_to(unit(12, ((3, "import os"), (5, "import sys"))))

    assert where(moved.findings) == [
        ("inline", 13, None, None),
        ("inline", 3, None, "line 3 is outside the audited unit (lines 12-17)"),
        ("file", None, None, "the model gave line 43, outside the audited unit (lines 12-17)"),
        (
            "inline",
            5,
            None,
            "the model gave lines 7-13, partly outside the audited unit (lines 12-17); "
            "kept its first line",
        ),
    ]
    assert (moved.start, moved.end) == (12, 17)
    assert result.moved_to(unit(9)) is result


def test_moving_keeps_a_finding_of_a_unit_that_did_not_move_but_whose_import_did() -> None:
    stored = place_findings([raw(4)], unit(9))
    moved = move_finding(stored[0], 9, unit(9, ((3, "import os"), (7, "import sys"))))
    assert (moved.line, moved.note) == (7, "line 7 is outside the audited unit (lines 9-14)")


def test_moving_reads_the_record_not_the_note() -> None:
    stored = place_findings([raw(3), raw(40), raw(12, quote="x = f(1)", message="q")], unit(9))
    assert stored[2].note == "moved from line 12: quoted code found at line 14"
    # Reworded notes (as a later version might word them) do not change what moving does.
    reworded = tuple(replace(f, note="(old wording)") for f in stored)
    moved = tuple(
        move_finding(f, 9, unit(12, ((3, "import os"), (5, "import sys")))) for f in reworded
    )
    assert where(moved) == [
        ("inline", 3, None, "line 3 is outside the audited unit (lines 12-17)"),
        ("file", None, None, "the model gave line 43, outside the audited unit (lines 12-17)"),
        ("inline", 17, None, "moved from line 15: quoted code found at line 17"),
    ]
    # Stated numbers move with the unit; the import line finding follows its import.
    assert [f.anchoring.said_line for f in moved if f.anchoring] == [6, 43, 15]
    assert [f.fingerprint for f in moved] == [f.fingerprint for f in stored]


def test_a_finding_stored_without_a_record_moves_and_keeps_its_note() -> None:
    (stored,) = place_findings([raw(10)], unit(9))
    old = replace(stored, anchoring=None, note="as stored")
    assert where((move_finding(old, 9, unit(12)),)) == [("inline", 13, None, "as stored")]
