"""Place what the model said (RawFinding) against the reviewed diff (Finding).

Rules, per GitHub's pull-request review API: a RIGHT line is an added or context line (new-file
numbering), a LEFT line a removed line (old-file numbering), a range lies in one hunk on one side,
and suggestions exist on RIGHT lines only. A finding that cannot be placed inline is demoted to
its file (placement FILE) or to the review summary (SUMMARY), with a note; nothing is dropped.
Findings are moved only by an exact (whitespace-normalized) match of the code the model quoted,
never by fuzzy text search.

Every placed finding records how it was placed as data (``Finding.anchoring``); its note is
rendered from that record (``anchor_note``), so later steps read the record, never the words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from reviewbot.anchor_note import anchor_note
from reviewbot.fingerprint import CONTEXT_LINES, fingerprint, normalize_code, number_repeats
from reviewbot.types import (
    Anchoring,
    AnchorRule,
    FileDiff,
    Finding,
    LineKind,
    PathMatch,
    Placement,
    RawFinding,
    Side,
    SuggestionDrop,
)


@dataclass(frozen=True)
class _Spot:
    side: Side
    line: int
    end_line: int | None  # None for one line
    hunk: int

    @property
    def last(self) -> int:
        return self.end_line or self.line


class _Index:
    """The placeable lines of one FileDiff, by side."""

    def __init__(self, diff: FileDiff) -> None:
        self.lines: dict[Side, dict[int, tuple[int, str]]] = {Side.RIGHT: {}, Side.LEFT: {}}
        # Runs of consecutive placeable lines, where a multi-line quote may match: (side, hunk,
        # line numbers, whitespace-normalized texts), normalized once for every quote searched.
        self.runs: list[tuple[Side, int, list[int], list[str]]] = []
        # Each version's lines the diff shows (context lines in both): fingerprint windows.
        self.texts: dict[Side, dict[int, str]] = {Side.RIGHT: {}, Side.LEFT: {}}
        for number, hunk in enumerate(diff.hunks):
            right: list[tuple[int, str]] = []
            left: list[tuple[int, str]] = []
            for line in hunk.lines:
                if line.kind is not LineKind.ADD and line.old_lineno is not None:
                    self.texts[Side.LEFT][line.old_lineno] = line.text
                if line.kind is not LineKind.DEL and line.new_lineno is not None:
                    self.texts[Side.RIGHT][line.new_lineno] = line.text
                if line.kind is LineKind.DEL and line.old_lineno is not None:
                    if left and left[-1][0] + 1 != line.old_lineno:
                        self._add_run(Side.LEFT, number, left)
                        left = []
                    left.append((line.old_lineno, line.text))
                    self.lines[Side.LEFT][line.old_lineno] = (number, line.text)
                elif line.kind is not LineKind.DEL and line.new_lineno is not None:
                    right.append((line.new_lineno, line.text))
                    self.lines[Side.RIGHT][line.new_lineno] = (number, line.text)
            self._add_run(Side.RIGHT, number, right)
            self._add_run(Side.LEFT, number, left)
        self.spans = {
            Side.RIGHT: [(h.new_start, h.new_start + max(h.new_len, 1) - 1) for h in diff.hunks],
            Side.LEFT: [(h.old_start, h.old_start + max(h.old_len, 1) - 1) for h in diff.hunks],
        }

    def _add_run(self, side: Side, hunk: int, run: list[tuple[int, str]]) -> None:
        numbers = [number for number, _ in run]
        self.runs.append((side, hunk, numbers, [normalize_code(text) for _, text in run]))

    def spot(self, side: Side, line: int, end_line: int | None) -> _Spot | None:
        """The spot if every line of line..end_line is placeable on ``side`` in one hunk."""
        table = self.lines[side]
        if line not in table:
            return None
        hunk = table[line][0]
        for number in range(line + 1, (end_line or line) + 1):
            if number not in table or table[number][0] != hunk:
                return None
        return _Spot(side, line, end_line, hunk)

    def window(self, side: Side, line: int) -> list[str]:
        """The texts of ``line`` and CONTEXT_LINES either side ("" where the diff shows none)."""
        table = self.texts[side]
        return [table.get(n, "") for n in range(line - CONTEXT_LINES, line + CONTEXT_LINES + 1)]

    def hunk_at(self, side: Side, line: int) -> int | None:
        for number, (first, last) in enumerate(self.spans[side]):
            if first <= line <= last:
                return number
        return None

    def find(self, quote: list[str], side: Side) -> list[_Spot]:
        """Every place on ``side`` where the normalized quote lines appear consecutively."""
        found = []
        for run_side, hunk, numbers, texts in self.runs:
            if run_side is not side:
                continue
            for start in range(len(texts) - len(quote) + 1):
                if texts[start : start + len(quote)] == quote:
                    end = numbers[start + len(quote) - 1] if len(quote) > 1 else None
                    found.append(_Spot(side, numbers[start], end, hunk))
        return found


def anchor_findings(raws: Iterable[RawFinding], files: Mapping[str, FileDiff]) -> list[Finding]:
    """Anchor each finding (see ``anchor_finding``) in the model's order, without repeats
    (see ``drop_duplicates``), each with its own fingerprint (``fingerprint.number_repeats``)."""
    indexes: dict[str, _Index] = {}  # built once per file, not once per finding
    return number_repeats(drop_duplicates(_anchor(raw, files, indexes) for raw in raws))


def merge_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Without repeats (``drop_duplicates``), fingerprints unique (``number_repeats``), ordered
    by path, line, most severe first: every report of findings (fresh, cached, audited, merged)
    uses this order."""
    return tuple(sorted(number_repeats(drop_duplicates(findings)), key=_report_order))


def _report_order(f: Finding) -> tuple[str, int, int]:
    return (f.path, f.line or 0, -f.severity.rank)


def drop_duplicates(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` in order, each said once: repeats of the same message on the same spot
    (fingerprint, side, lines) are merged into the most severe of them. Different messages on
    one line are different findings and all stay."""
    kept: dict[tuple[object, ...], Finding] = {}
    for finding in findings:
        key = (
            finding.fingerprint,
            finding.side,
            finding.line,
            finding.end_line,
            normalize_code(finding.message).lower(),
        )
        first = kept.setdefault(key, finding)
        if finding.severity.rank > first.severity.rank:
            kept[key] = finding
    return list(kept.values())


def anchor_finding(raw: RawFinding, files: Mapping[str, FileDiff]) -> Finding:
    """Place ``raw`` against ``files`` (the reviewed chunk's FileDiffs, keyed by path).

    Paths: the exact path; else the path without a leading ``./``, ``/``, ``a/`` or ``b/`` (git's
    prefixes); else a renamed file's old path; else the one file whose path ends with the stated
    one at a ``/`` boundary (e.g. a bare basename). No file: placement SUMMARY.
    Lines: the stated spot if placeable; moved to where the quoted code is, when it is found in
    exactly one place (or in one place within the stated line's hunk) and not at the stated
    spot, also onto the other side; a range leaving its hunk keeps its first line only and loses
    its suggestion; otherwise placement FILE. Suggestions are kept only on RIGHT spots whose
    length matches the stated range. ``Finding.anchoring`` records which of these happened;
    ``Finding.note`` says it in words (``anchor_note``).
    """
    return _anchor(raw, files, {})


def _anchor(raw: RawFinding, files: Mapping[str, FileDiff], indexes: dict[str, _Index]) -> Finding:
    diff, match = _resolve_path(raw.path, files)
    if diff is None:
        said = _said(raw, AnchorRule.NO_FILE, PathMatch.EXACT)
        finding = _unplaced(raw, raw.path, Placement.SUMMARY, _without_suggestion(raw, said))
    else:
        index = indexes.get(diff.path)
        if index is None:
            index = indexes[diff.path] = _Index(diff)
        finding = _place(raw, diff.path, index, match)
    return replace(finding, note=anchor_note(finding))


def _resolve_path(said: str, files: Mapping[str, FileDiff]) -> tuple[FileDiff | None, PathMatch]:
    if said in files:
        return files[said], PathMatch.EXACT
    path = said.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    path = path.lstrip("/")
    tries = [path, path[2:]] if path.startswith(("a/", "b/")) else [path]
    for name in tries:
        if name in files:
            return files[name], PathMatch.EXACT
    for name in tries:
        renamed = [diff for diff in files.values() if diff.old_path == name]
        if len(renamed) == 1:
            return renamed[0], PathMatch.OLD_NAME
    for name in tries:
        ending = [diff for diff in files.values() if diff.path.endswith("/" + name)]
        if len(ending) == 1:
            return ending[0], PathMatch.SUFFIX
    return None, PathMatch.EXACT


def _said(raw: RawFinding, rule: AnchorRule, match: PathMatch) -> Anchoring:
    """What the model stated, with ``rule``; the end line only when it ends a real range."""
    end = raw.end_line
    if raw.line is None or end is None or end <= raw.line:
        end = None
    return Anchoring(rule, raw.path, raw.line, end, raw.side, raw.quote, match)


def _place(raw: RawFinding, path: str, index: _Index, match: PathMatch) -> Finding:
    if raw.line is None:
        return _place_by_quote_alone(raw, path, index, _said(raw, AnchorRule.NO_LINE, match))
    said = _said(raw, AnchorRule.STATED, match)
    end_line = said.said_end_line
    stated = index.spot(raw.side, raw.line, end_line)
    moved: _Spot | None = None
    places: tuple[_Spot, ...] | None = None
    for quote in _quote_variants(raw.quote):
        moved, places = _follow_quote(raw, raw.line, stated, quote, index)
        if places != ():
            break
    if moved is not None and moved.side is raw.side and moved.line == raw.line:
        moved = None  # the quote confirms the stated first line: not a move
    if moved is not None:
        same_length = moved.last - moved.line == (end_line or raw.line) - raw.line
        said = replace(said, moved=True)
        return _inline(raw, path, index, moved, said, keep_suggestion=same_length)
    if stated is not None:
        return _inline(raw, path, index, stated, said, keep_suggestion=True)
    first = index.spot(raw.side, raw.line, None) if end_line is not None else None
    if first is not None:
        said = replace(said, rule=AnchorRule.FIRST_LINE)
        return _inline(raw, path, index, first, said, keep_suggestion=False)
    said = replace(
        said,
        rule=AnchorRule.NOT_A_LINE,
        quote_lines=tuple(spot.line for spot in places or ()),
        quote_side=places[0].side if places else None,
    )
    return _unplaced(raw, path, Placement.FILE, _without_suggestion(raw, said))


def _place_by_quote_alone(raw: RawFinding, path: str, index: _Index, said: Anchoring) -> Finding:
    """A finding without a line number: where its quote is, if that is one place; else FILE."""
    for quote in _quote_variants(raw.quote):
        found = index.find(quote, raw.side) or index.find(quote, _other(raw.side))
        if len(found) == 1:
            said = replace(said, moved=True)
            return _inline(raw, path, index, found[0], said, keep_suggestion=False)
    return _unplaced(raw, path, Placement.FILE, _without_suggestion(raw, said))


def _other(side: Side) -> Side:
    return Side.LEFT if side is Side.RIGHT else Side.RIGHT


def _follow_quote(
    raw: RawFinding, line: int, stated: _Spot | None, quote: list[str], index: _Index
) -> tuple[_Spot | None, tuple[_Spot, ...] | None]:
    """(where the quote says the finding is, if that differs from the stated spot and is
    certain, else None; None when the quote settled it, else the places where it was found:
    () when nowhere, several when it is not certain which)."""
    found = index.find(quote, raw.side)
    if stated is not None and any(_overlap(spot, stated) for spot in found):
        return None, None
    if not found and stated is None:
        # e.g. LEFT said of an added line. A valid stated spot never changes side: models quote
        # the removed code when they comment on its replacement.
        found = index.find(quote, _other(raw.side))
    if not found:
        return None, ()
    if len(found) == 1:
        return found[0], None
    hunk = index.hunk_at(found[0].side, line)
    near = [spot for spot in found if spot.hunk == hunk]
    if len(near) == 1:
        return near[0], None
    return None, tuple(found)


def _overlap(a: _Spot, b: _Spot) -> bool:
    return a.side is b.side and a.line <= b.last and b.line <= a.last


def _quote_variants(quote: str | None) -> list[list[str]]:
    """The quote's normalized lines (no blank lines at either end), and the same without
    leading diff markers when every line has one (models copy ``+``/``-`` from the diff)."""
    lines = (quote or "").splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return []
    variants = [[normalize_code(line) for line in lines]]
    if all(line.lstrip()[:1] in ("+", "-") for line in lines):
        variants.append([normalize_code(line.lstrip()[1:]) for line in lines])
    return variants


def _inline(
    raw: RawFinding, path: str, index: _Index, spot: _Spot, said: Anchoring, keep_suggestion: bool
) -> Finding:
    suggestion, dropped = raw.suggestion, None
    window = index.window(spot.side, spot.line)
    if suggestion is not None and spot.side is Side.LEFT:
        suggestion, dropped = None, SuggestionDrop.REMOVED_LINES
    elif suggestion is not None and not keep_suggestion:
        suggestion, dropped = None, SuggestionDrop.RANGE_CHANGED
    return Finding(
        path=path,
        line=spot.line,
        end_line=spot.end_line,
        side=spot.side,
        severity=raw.severity,
        category=raw.category,
        message=raw.message,
        suggestion=suggestion,
        fingerprint=fingerprint(path, raw.category, spot.side, window, raw.message),
        placement=Placement.INLINE,
        anchoring=replace(said, dropped=dropped, line_text=index.lines[spot.side][spot.line][1]),
    )


def _without_suggestion(raw: RawFinding, said: Anchoring) -> Anchoring:
    return replace(said, dropped=SuggestionDrop.NO_LINE if raw.suggestion is not None else None)


def _unplaced(raw: RawFinding, path: str, placement: Placement, said: Anchoring) -> Finding:
    quoted = [raw.quote] if raw.quote else []
    return Finding(
        path=path,
        line=None,
        end_line=None,
        side=raw.side,
        severity=raw.severity,
        category=raw.category,
        message=raw.message,
        suggestion=None,
        fingerprint=fingerprint(path, raw.category, raw.side, quoted, raw.message),
        placement=placement,
        anchoring=said,
    )
