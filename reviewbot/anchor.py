"""Place what the model said (RawFinding) against the reviewed diff (Finding).

Rules, per GitHub's pull-request review API: a RIGHT line is an added or context line (new-file
numbering), a LEFT line a removed line (old-file numbering), a range lies in one hunk on one side,
and suggestions exist on RIGHT lines only. A finding that cannot be placed inline is demoted to
its file (placement FILE) or to the review summary (SUMMARY), with a note; nothing is dropped.
Findings are moved only by an exact (whitespace-normalized) match of the code the model quoted,
never by fuzzy text search.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from reviewbot.fingerprint import fingerprint, normalize_code
from reviewbot.types import FileDiff, Finding, LineKind, Placement, RawFinding, Side

_NOT_FOUND = "the quoted code is not in the diff"


@dataclass(frozen=True)
class _Spot:
    side: Side
    line: int
    end_line: int | None  # None for one line
    hunk: int

    @property
    def last(self) -> int:
        return self.end_line or self.line

    def describe(self) -> str:
        return (
            f"line {self.line}" if self.end_line is None else f"lines {self.line}-{self.end_line}"
        )


class _Index:
    """The placeable lines of one FileDiff, by side."""

    def __init__(self, diff: FileDiff) -> None:
        self.lines: dict[Side, dict[int, tuple[int, str]]] = {Side.RIGHT: {}, Side.LEFT: {}}
        # Runs of consecutive placeable lines, where a multi-line quote may match: (side, hunk,
        # line numbers, whitespace-normalized texts), normalized once for every quote searched.
        self.runs: list[tuple[Side, int, list[int], list[str]]] = []
        for number, hunk in enumerate(diff.hunks):
            right: list[tuple[int, str]] = []
            left: list[tuple[int, str]] = []
            for line in hunk.lines:
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
    (see ``drop_duplicates``)."""
    indexes: dict[str, _Index] = {}  # built once per file, not once per finding
    return drop_duplicates(_anchor(raw, files, indexes) for raw in raws)


def merge_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Without repeats (``drop_duplicates``), ordered by path, line, most severe first: every
    report of findings (fresh, cached, audited, merged) uses this order."""
    return tuple(sorted(drop_duplicates(findings), key=_report_order))


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
    length matches the stated range.
    """
    return _anchor(raw, files, {})


def _anchor(raw: RawFinding, files: Mapping[str, FileDiff], indexes: dict[str, _Index]) -> Finding:
    diff, path_note = _resolve_path(raw.path, files)
    if diff is None:
        summary = _unplaced(raw, raw.path, Placement.SUMMARY)
        return replace(summary, note=path_note)
    index = indexes.get(diff.path)
    if index is None:
        index = indexes[diff.path] = _Index(diff)
    finding = _place(raw, diff.path, index)
    return replace(finding, note=_join(path_note, finding.note))


def _resolve_path(said: str, files: Mapping[str, FileDiff]) -> tuple[FileDiff | None, str | None]:
    if said in files:
        return files[said], None
    path = said.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    path = path.lstrip("/")
    tries = [path, path[2:]] if path.startswith(("a/", "b/")) else [path]
    for name in tries:
        if name in files:
            return files[name], None
    for name in tries:
        renamed = [diff for diff in files.values() if diff.old_path == name]
        if len(renamed) == 1:
            return renamed[0], f"path {said!r} is the old name of {renamed[0].path!r}"
    for name in tries:
        ending = [diff for diff in files.values() if diff.path.endswith("/" + name)]
        if len(ending) == 1:
            [only] = ending
            return only, f"path {said!r} matched the only file ending in it, {only.path!r}"
    return None, f"path {said!r} is not a file of the reviewed diff"


def _place(raw: RawFinding, path: str, index: _Index) -> Finding:
    if raw.line is None:
        return _place_by_quote_alone(raw, path, index)
    end_line = raw.end_line if raw.end_line is not None and raw.end_line > raw.line else None
    stated = index.spot(raw.side, raw.line, end_line)
    moved, why = None, None
    for quote in _quote_variants(raw.quote):
        moved, why = _follow_quote(raw, raw.line, stated, quote, index)
        if why != _NOT_FOUND:
            break
    if moved is not None and moved.side is raw.side and moved.line == raw.line:
        moved = None  # the quote confirms the stated first line: not a move
    if moved is not None:
        note = f"moved from line {raw.line}: quoted code found at {moved.describe()}"
        if moved.side is not raw.side:
            note += f" on the {moved.side.value} side"
        same_length = moved.last - moved.line == (end_line or raw.line) - raw.line
        return _inline(raw, path, index, moved, note, keep_suggestion=same_length)
    if stated is not None:
        return _inline(raw, path, index, stated, None, keep_suggestion=True)
    first = index.spot(raw.side, raw.line, None) if end_line is not None else None
    if first is not None:
        note = f"lines {raw.line}-{end_line} do not lie in one hunk; kept line {raw.line} only"
        return _inline(raw, path, index, first, note, keep_suggestion=False)
    kind = "an added or context" if raw.side is Side.RIGHT else "a removed"
    note = f"line {raw.line} ({raw.side.value}) is not {kind} line of any hunk of {path}"
    if raw.suggestion is not None:
        why = _join(why, "suggestion dropped: no line to apply it to")
    return replace(_unplaced(raw, path, Placement.FILE), note=_join(note, why))


def _place_by_quote_alone(raw: RawFinding, path: str, index: _Index) -> Finding:
    """A finding without a line number: where its quote is, if that is one place; else FILE."""
    for quote in _quote_variants(raw.quote):
        found = index.find(quote, raw.side) or index.find(quote, _other(raw.side))
        if len(found) == 1:
            note = f"no line number given: quoted code found at {found[0].describe()}"
            return _inline(raw, path, index, found[0], note, keep_suggestion=False)
    note = "the model gave no usable line number"
    if raw.suggestion is not None:
        note += "; suggestion dropped: no line to apply it to"
    return replace(_unplaced(raw, path, Placement.FILE), note=note)


def _other(side: Side) -> Side:
    return Side.LEFT if side is Side.RIGHT else Side.RIGHT


def _follow_quote(
    raw: RawFinding, line: int, stated: _Spot | None, quote: list[str], index: _Index
) -> tuple[_Spot | None, str | None]:
    """Where the quote says the finding is, if that differs from the stated spot and is certain;
    else (None, why not)."""
    found = index.find(quote, raw.side)
    if stated is not None and any(_overlap(spot, stated) for spot in found):
        return None, None
    if not found and stated is None:
        # e.g. LEFT said of an added line. A valid stated spot never changes side: models quote
        # the removed code when they comment on its replacement.
        found = index.find(quote, _other(raw.side))
    if not found:
        return None, _NOT_FOUND
    if len(found) == 1:
        return found[0], None
    hunk = index.hunk_at(found[0].side, line)
    near = [spot for spot in found if spot.hunk == hunk]
    if len(near) == 1:
        return near[0], None
    places = ", ".join(str(spot.line) for spot in found)
    return None, f"the quoted code appears at lines {places} ({found[0].side.value}); not moved"


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
    raw: RawFinding, path: str, index: _Index, spot: _Spot, note: str | None, keep_suggestion: bool
) -> Finding:
    suggestion = raw.suggestion
    if suggestion is not None and spot.side is Side.LEFT:
        suggestion, note = None, _join(note, "suggestion dropped: it cannot apply to removed lines")
    elif suggestion is not None and not keep_suggestion:
        suggestion, note = None, _join(note, "suggestion dropped: its line range changed")
    line_text = index.lines[spot.side][spot.line][1]
    return Finding(
        path=path,
        line=spot.line,
        end_line=spot.end_line,
        side=spot.side,
        severity=raw.severity,
        category=raw.category,
        message=raw.message,
        suggestion=suggestion,
        fingerprint=fingerprint(path, line_text, raw.category),
        placement=Placement.INLINE,
        note=note,
    )


def _unplaced(raw: RawFinding, path: str, placement: Placement) -> Finding:
    return Finding(
        path=path,
        line=None,
        end_line=None,
        side=raw.side,
        severity=raw.severity,
        category=raw.category,
        message=raw.message,
        suggestion=None,
        fingerprint=fingerprint(path, raw.quote or raw.message, raw.category),
        placement=placement,
    )


def _join(*notes: str | None) -> str | None:
    return "; ".join(note for note in notes if note) or None
