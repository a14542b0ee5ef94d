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

Each finding's ``anchoring`` record keeps the lines the model stated and how the finding was
placed; its note is rendered from that record and the unit (``_note``), never read back. In an
audit's records, rule NO_LINE with a stated line means "not shown" and FIRST_LINE means "a range
leaving the shown lines" (anchoring itself never records either: it is called without those
lines). So when a unit only moved (same key, new place), ``move_finding`` shifts the record's
numbers and renders the note again, and a stored finding's note never names an old line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from reviewbot.anchor import anchor_finding, drop_duplicates
from reviewbot.anchor_note import anchor_note
from reviewbot.audit.units import Unit
from reviewbot.fingerprint import number_repeats
from reviewbot.suggestions import fit_suggestion
from reviewbot.types import (
    AnchorRule,
    DiffLine,
    FileDiff,
    FileStatus,
    Finding,
    Hunk,
    LineKind,
    Placement,
    RawFinding,
    Side,
    SuggestionDrop,
)


def place_findings(raws: Iterable[RawFinding], unit: Unit) -> tuple[Finding, ...]:
    """Each of ``raws`` placed against the lines ``unit``'s prompt showed (module docstring),
    in the model's order, repeats merged (``anchor.drop_duplicates``), fingerprints unique
    (``fingerprint.number_repeats``)."""
    shown = shown_diff(unit)
    files = {unit.path: shown}
    runs = {n: i for i, hunk in enumerate(shown.hunks) for n in _numbers(hunk)}
    placed = (_noted(_place(replace(raw, side=Side.RIGHT), files, runs), unit) for raw in raws)
    return tuple(fit_suggestion(f, shown) for f in number_repeats(drop_duplicates(placed)))


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


def _place(raw: RawFinding, files: dict[str, FileDiff], runs: dict[int, int]) -> Finding:
    found = anchor_finding(raw, files)
    if raw.line is None or found.placement is Placement.SUMMARY:
        return found
    last = raw.end_line if raw.end_line is not None and raw.end_line > raw.line else raw.line
    if raw.line not in runs:
        # Not shown: the quote alone may say where it is; the number says nothing.
        found = anchor_finding(replace(raw, line=None, end_line=None), files)
        return _stated(found, raw.line, last)
    if any(runs.get(n) != runs[raw.line] for n in range(raw.line, last + 1)):
        found = anchor_finding(replace(raw, end_line=None, suggestion=None), files)
        dropped = SuggestionDrop.RANGE_CHANGED if raw.suggestion is not None else None
        return _stated(found, raw.line, last, rule=AnchorRule.FIRST_LINE, dropped=dropped)
    return found


def _stated(
    found: Finding,
    line: int,
    last: int,
    *,
    rule: AnchorRule | None = None,
    dropped: SuggestionDrop | None = None,
) -> Finding:
    """``found`` (anchored without some of the stated lines) recording the lines the model
    stated, and ``rule`` and ``dropped`` when given."""
    said = found.anchoring
    assert said is not None  # anchor_finding records every finding it places
    said = replace(said, said_line=line, said_end_line=None if last == line else last)
    if rule is not None:
        said = replace(said, rule=rule, dropped=dropped)
    return replace(found, anchoring=said)


def _noted(finding: Finding, unit: Unit) -> Finding:
    """``finding`` with its note rendered from its record in ``unit``'s terms (kept as it is
    when it has no record: stored before findings had one)."""
    if finding.anchoring is None:
        return finding
    return replace(finding, note=_note(finding, unit))


def _note(finding: Finding, unit: Unit) -> str | None:
    said = finding.anchoring
    assert said is not None
    if said.rule is AnchorRule.NO_FILE:
        # Anchoring's note speaks of "the reviewed diff"; an audit unit has one file.
        return f"path {said.said_path!r} is not the audited file {unit.path!r}"
    if said.rule is AnchorRule.NO_LINE and said.said_line is not None:
        why = "placed where its quoted code is" if said.moved else None
        if not said.moved and said.dropped is not None:
            why = "suggestion dropped: no line to apply it to"
        return _join(_stated_note(said.said_line, said.said_end_line, unit, partly=False), why)
    if said.rule is AnchorRule.FIRST_LINE and said.said_line is not None:
        kept = "kept its first line" + ("; suggestion dropped" if said.dropped else "")
        # What anchoring said of the first line alone, which is what it was given.
        first = replace(said, rule=AnchorRule.STATED, said_end_line=None, dropped=None)
        anchored = anchor_note(replace(finding, anchoring=first))
        stated = _stated_note(said.said_line, said.said_end_line, unit, partly=True)
        return _join(stated, kept, anchored)
    placed = None
    if finding.line is not None and not unit.start <= finding.line <= unit.end:
        placed = _placed_note(finding.line, unit)  # an import line, shown as context
    return _join(placed, anchor_note(finding))


def _placed_note(line: int, unit: Unit) -> str:
    return f"line {line} is outside the audited unit (lines {unit.start}-{unit.end})"


def _stated_note(line: int, end_line: int | None, unit: Unit, *, partly: bool) -> str:
    said = f"line {line}" if end_line is None else f"lines {line}-{end_line}"
    how = "partly outside" if partly else "outside"
    return f"the model gave {said}, {how} the audited unit (lines {unit.start}-{unit.end})"


def _join(*notes: str | None) -> str | None:
    return "; ".join(note for note in notes if note) or None


def move_finding(finding: Finding, start: int, unit: Unit) -> Finding:
    """``finding``, stored when its unit began at line ``start``, for the same unit (same key)
    now at ``unit.start``: lines of the unit shift with it; an import line outside the unit goes
    where that import line is now (found by the text its record keeps); the stated lines in its
    record shift with the unit, and its note is rendered again from the record."""
    shift = unit.start - start
    old_end = start + len(unit.lines) - 1
    if finding.line is not None and not start <= finding.line <= old_end:
        delta = _header_delta(finding, unit, shift)
    else:
        delta = shift if finding.line is not None else 0
    said = finding.anchoring
    if said is not None:
        # Stated numbers name the model's view of the unit, so they move with the unit.
        said = replace(
            said,
            said_line=_plus(said.said_line, shift),
            said_end_line=_plus(said.said_end_line, shift),
        )
    moved = replace(
        finding,
        line=_plus(finding.line, delta),
        end_line=_plus(finding.end_line, delta),
        anchoring=said,
    )
    return _noted(moved, unit)


def _plus(line: int | None, delta: int) -> int | None:
    return None if line is None else line + delta


def _header_delta(finding: Finding, unit: Unit, shift: int) -> int:
    assert finding.line is not None
    guess = finding.line + shift
    text = None if finding.anchoring is None else finding.anchoring.line_text
    now = [n for n, header in unit.header if header == text]
    # Header texts are part of the unit key, so the line is there; nearest if it is repeated.
    best = min(now, key=lambda n: abs(n - guess), default=guess)
    return best - finding.line
