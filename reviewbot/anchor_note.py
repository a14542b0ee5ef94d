"""Findings' notes: why a finding was moved or demoted, in words for people, rendered from its
placement record (``Finding.anchoring``, written by ``anchor``). Code reads the record; only
people read these words, so they may be reworded freely."""

from __future__ import annotations

from reviewbot.types import Anchoring, AnchorRule, Finding, PathMatch, Side, SuggestionDrop

_DROPPED = {
    SuggestionDrop.REMOVED_LINES: "suggestion dropped: it cannot apply to removed lines",
    SuggestionDrop.RANGE_CHANGED: "suggestion dropped: its line range changed",
    SuggestionDrop.NO_LINE: "suggestion dropped: no line to apply it to",
}


def anchor_note(finding: Finding) -> str | None:
    """Why ``finding`` was moved or demoted, in words, from its ``anchoring`` (the record's
    line numbers, ``finding``'s place); None when it has no record or nothing to say."""
    said = finding.anchoring
    if said is None:
        return None
    dropped = None if said.dropped is None else _DROPPED[said.dropped]
    if said.rule is AnchorRule.NO_FILE:
        dropped = None  # the summary shows no code, so there is nothing to drop it from
    return _join(_path_note(said, finding.path), _spot_note(said, finding), dropped)


def _path_note(said: Anchoring, path: str) -> str | None:
    if said.rule is AnchorRule.NO_FILE:
        return f"path {said.said_path!r} is not a file of the reviewed diff"
    if said.path_match is PathMatch.OLD_NAME:
        return f"path {said.said_path!r} is the old name of {path!r}"
    if said.path_match is PathMatch.SUFFIX:
        return f"path {said.said_path!r} matched the only file ending in it, {path!r}"
    return None


def _spot_note(said: Anchoring, finding: Finding) -> str | None:
    where = "" if finding.line is None else _lines(finding.line, finding.end_line)
    if said.rule is AnchorRule.STATED:
        if not said.moved:
            return None
        note = f"moved from line {said.said_line}: quoted code found at {where}"
        if finding.side is not said.said_side:
            note += f" on the {finding.side.value} side"
        return note
    if said.rule is AnchorRule.FIRST_LINE:
        return (
            f"lines {said.said_line}-{said.said_end_line} do not lie in one hunk; "
            f"kept line {said.said_line} only"
        )
    if said.rule is AnchorRule.NOT_A_LINE:
        kind = "an added or context" if said.said_side is Side.RIGHT else "a removed"
        note = f"line {said.said_line} ({said.said_side.value}) is not {kind} line of any hunk"
        return _join(f"{note} of {finding.path}", _quote_note(said))
    if said.rule is AnchorRule.NO_LINE:
        if not said.moved:
            return "the model gave no usable line number"
        return f"no line number given: quoted code found at {where}"
    return None


def _quote_note(said: Anchoring) -> str | None:
    """Why the quote did not place a finding whose stated line is not placeable."""
    if said.quote_lines and said.quote_side is not None:
        places = ", ".join(str(line) for line in said.quote_lines)
        return f"the quoted code appears at lines {places} ({said.quote_side.value}); not moved"
    return "the quoted code is not in the diff" if (said.quote or "").strip() else None


def _lines(line: int, end_line: int | None) -> str:
    return f"line {line}" if end_line is None else f"lines {line}-{end_line}"


def _join(*notes: str | None) -> str | None:
    return "; ".join(note for note in notes if note) or None
