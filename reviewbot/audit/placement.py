"""Where an audit unit's findings go, and where they go when the unit moves.

A unit's prompt shows the model two kinds of lines with their real numbers: the unit's own and,
as read-only context, the file's import lines outside it (``Unit.header``). Findings are placed
against exactly those lines (``anchor.anchor_finding``, as a review places them against a diff),
so nothing is ever reported in a diff's terms, and each finding of an answer is placed once:

- The stated side is ignored: an audited file has one version (RIGHT numbering).
- Stated lines all shown, in one run of consecutive lines: placed there, or where the quoted code
  is (anchoring's rules). On an import line outside the unit, the note says so.
- A stated range that leaves the shown lines keeps its first line (its suggestion is dropped).
- A stated line the model was not shown: placed where the quoted code is, when it is in exactly
  one place, else on the file (FILE). It is never placed on the unseen line itself: the model
  did not read it (its number is a miscount or a guess), and that line's text is not part of the
  unit key, so a stored placement there could not follow later edits.
- A path that is not the audited file: placement SUMMARY, noted.

Notes state line numbers in one of the forms below, so ``move_finding`` can restate them when a
unit only moved (same key, new place) and a stored finding's note never names an old line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from reviewbot.anchor import anchor_finding, drop_duplicates
from reviewbot.audit.units import Unit
from reviewbot.fingerprint import fingerprint
from reviewbot.suggestions import fit_suggestion
from reviewbot.types import (
    DiffLine,
    FileDiff,
    FileStatus,
    Finding,
    Hunk,
    LineKind,
    Placement,
    RawFinding,
    Side,
)

# "line 3 is outside the audited unit (lines 9-14)": the finding's own (placed) line.
_PLACED = re.compile(r"^line (\d+) is outside the audited unit \(lines \d+-\d+\)")
# "the model gave line 40, outside the audited unit (lines 9-14)": the stated line(s).
_STATED = re.compile(
    r"^the model gave lines? (\d+)(?:-(\d+))?, (partly )?outside the audited unit \(lines \d+-\d+\)"
)


def place_findings(raws: Iterable[RawFinding], unit: Unit) -> tuple[Finding, ...]:
    """Each of ``raws`` placed against the lines ``unit``'s prompt showed (module docstring),
    in the model's order, repeats merged (``anchor.drop_duplicates``)."""
    shown = shown_diff(unit)
    files = {unit.path: shown}
    runs = {n: i for i, hunk in enumerate(shown.hunks) for n in _numbers(hunk)}
    placed = (_place(replace(raw, side=Side.RIGHT), unit, files, runs) for raw in raws)
    return tuple(fit_suggestion(f, shown) for f in drop_duplicates(placed))


def shown_diff(unit: Unit) -> FileDiff:
    """The lines ``unit``'s prompt shows (its own and its imports outside it) as an added file:
    one hunk per run of consecutive line numbers, ADD lines with their real numbers."""
    lines = dict(unit.header)
    lines.update((unit.start + i, text) for i, text in enumerate(unit.lines))
    hunks: list[Hunk] = []
    run: list[DiffLine] = []
    for number in sorted(lines):
        if run and run[-1].new_lineno != number - 1:
            hunks.append(_hunk(run, unit.name))
            run = []
        run.append(DiffLine(LineKind.ADD, None, number, lines[number]))
    if run:
        hunks.append(_hunk(run, unit.name))
    return FileDiff(unit.path, None, FileStatus.ADDED, tuple(hunks), language=unit.language)


def _hunk(run: Sequence[DiffLine], section: str) -> Hunk:
    first = run[0].new_lineno or 0
    return Hunk(0, 0, first, len(run), section, tuple(run))


def _numbers(hunk: Hunk) -> range:
    return range(hunk.new_start, hunk.new_start + hunk.new_len)


def _place(
    raw: RawFinding, unit: Unit, files: dict[str, FileDiff], runs: dict[int, int]
) -> Finding:
    found = anchor_finding(raw, files)
    if found.placement is Placement.SUMMARY:
        # Anchoring's note speaks of "the reviewed diff"; an audit unit has one file.
        return replace(found, note=f"path {raw.path!r} is not the audited file {unit.path!r}")
    if raw.line is None:
        return _outside(found, unit)
    last = raw.end_line if raw.end_line is not None and raw.end_line > raw.line else raw.line
    if raw.line not in runs:
        # Not shown: the quote alone may say where it is; the number says nothing.
        found = anchor_finding(replace(raw, line=None, end_line=None), files)
        why = "placed where its quoted code is" if found.line is not None else None
        if found.line is None and raw.suggestion is not None:
            why = "suggestion dropped: no line to apply it to"
        return replace(found, note=_join(_stated_note(raw.line, last, unit, partly=False), why))
    if any(runs.get(n) != runs[raw.line] for n in range(raw.line, last + 1)):
        found = anchor_finding(replace(raw, end_line=None, suggestion=None), files)
        why = "kept its first line" + ("; suggestion dropped" if raw.suggestion else "")
        stated = _stated_note(raw.line, last, unit, partly=True)
        return replace(found, note=_join(stated, why, found.note))
    return _outside(found, unit)


def _outside(finding: Finding, unit: Unit) -> Finding:
    """``finding``, noted when it sits on a shown line outside the unit (an import line)."""
    if finding.line is None or unit.start <= finding.line <= unit.end:
        return finding
    return replace(finding, note=_join(_placed_note(finding.line, unit), finding.note))


def _placed_note(line: int, unit: Unit) -> str:
    return f"line {line} is outside the audited unit (lines {unit.start}-{unit.end})"


def _stated_note(line: int, last: int, unit: Unit, *, partly: bool) -> str:
    said = f"line {line}" if last == line else f"lines {line}-{last}"
    how = "partly outside" if partly else "outside"
    return f"the model gave {said}, {how} the audited unit (lines {unit.start}-{unit.end})"


def _join(*notes: str | None) -> str | None:
    return "; ".join(note for note in notes if note) or None


def move_finding(finding: Finding, start: int, unit: Unit) -> Finding:
    """``finding``, stored when its unit began at line ``start``, for the same unit (same key)
    now at ``unit.start``: lines of the unit shift with it; an import line outside the unit goes
    where that import line is now (found by the finding's fingerprint, which hashes the line's
    text); numbers in the notes (module docstring) are restated."""
    shift = unit.start - start
    old_end = start + len(unit.lines) - 1
    if finding.line is not None and not start <= finding.line <= old_end:
        delta = _header_delta(finding, unit, shift)
    else:
        delta = shift if finding.line is not None else 0
    moved = replace(
        finding,
        path=unit.path,
        line=None if finding.line is None else finding.line + delta,
        end_line=None if finding.end_line is None else finding.end_line + delta,
    )
    return replace(moved, note=_restate(moved, shift, unit))


def _header_delta(finding: Finding, unit: Unit, shift: int) -> int:
    assert finding.line is not None
    guess = finding.line + shift
    now = [
        n
        for n, text in unit.header
        if fingerprint(unit.path, text, finding.category) == finding.fingerprint
    ]
    # Header texts are part of the unit key, so the line is there; nearest if it is repeated.
    best = min(now, key=lambda n: abs(n - guess), default=guess)
    return best - finding.line


def _restate(finding: Finding, shift: int, unit: Unit) -> str | None:
    note = finding.note
    if note is None:
        return None
    placed = _PLACED.match(note)
    if placed is not None and finding.line is not None:
        return _placed_note(finding.line, unit) + note[placed.end() :]
    stated = _STATED.match(note)
    if stated is not None:
        line = int(stated[1]) + shift
        last = int(stated[2]) + shift if stated[2] else line
        head = _stated_note(line, last, unit, partly=bool(stated[3]))
        return head + note[stated.end() :]
    return note
