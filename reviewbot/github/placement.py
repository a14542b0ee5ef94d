"""Checking an inline anchor against the parsed diff before GitHub sees it.

Per GitHub's pull-request review API: ``side: RIGHT`` names an added or context line in new-file
numbering, ``side: LEFT`` a removed line in old-file numbering, and a multi-line comment
(``start_line`` < ``line``) must lie inside one hunk on one side. GitHub rejects the whole review
(HTTP 422) for one bad anchor, so every anchor is checked here first.
"""

from __future__ import annotations

from reviewbot.types import FileDiff, LineKind, Side


def _hunk_of(diff: FileDiff, side: Side, line: int) -> int | None:
    for number, hunk in enumerate(diff.hunks):
        for diff_line in hunk.lines:
            removed = diff_line.kind is LineKind.DEL
            lineno = diff_line.old_lineno if removed else diff_line.new_lineno
            if removed == (side is Side.LEFT) and lineno == line:
                return number
    return None


def anchor_problem(
    diff: FileDiff | None, side: Side, line: int | None, end_line: int | None
) -> str | None:
    """Why ``line..end_line`` on ``side`` cannot carry an inline comment, or None when it can."""
    if diff is None:
        return "the file is not part of the pull request's diff"
    if line is None:
        return "the finding has no line"
    last = end_line if end_line is not None else line
    if last < line:
        return f"its range {line}-{last} ends before it starts"
    kind = "an added or unchanged" if side is Side.RIGHT else "a removed"
    hunks = set()
    for number in range(line, last + 1):
        hunk = _hunk_of(diff, side, number)
        if hunk is None:
            return f"line {number} is not {kind} line of the diff ({side.value})"
        hunks.add(hunk)
    if len(hunks) > 1:
        return f"lines {line}-{last} span {len(hunks)} hunks; GitHub needs a range in one hunk"
    return None


def comment_position(side: Side, line: int, end_line: int | None) -> dict[str, object]:
    """The position fields of a review comment: ``line``/``side``, plus ``start_line``/
    ``start_side`` for ranges (``line`` is the range's last line)."""
    if end_line is None or end_line == line:
        return {"line": line, "side": side.value}
    return {"start_line": line, "start_side": side.value, "line": end_line, "side": side.value}
