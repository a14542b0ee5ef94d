"""Salvage: find the findings list inside a model answer, whatever surrounds it.

A small structural scanner (strings and escapes respected, brackets counted) finds where the
findings JSON starts and, for an answer cut off at the token limit or broken part-way, the complete
finding objects inside the findings array; ``json.loads`` reads each one. Nothing is repaired by
string surgery.
"""

from __future__ import annotations

import json
import re

_LIST_KEYS = ("findings", "issues", "comments")
# Where a findings root can start: an object with a key, a list of objects, or "[]".
_CANDIDATE = re.compile(r'\{\s*"|\[\s*[{\]]')
# A scan of a broken candidate may run to the end of the answer; this cap (and the depth cap)
# keeps an echoed diff full of brackets from taking quadratic time in Python.
_MAX_SCANS = 200
_MAX_DEPTH = 32
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_STRUCTURAL = re.compile(r'["{}\[\]]')
_SCALAR = re.compile(r"[^,\]}\s]*")  # a number, true, false or null: up to what ends it
_WHITESPACE = " \t\r\n"
Located = tuple[list[object], bool, list[str]]


class Unreadable:
    """A finding whose text is not valid JSON; the parser reports and drops it."""

    def __init__(self, error: str) -> None:
        self.error = error


def locate_findings(answer: str) -> Located | None:
    """The findings list from the first place in ``answer`` where one starts, or None.

    Returns (items, truncated, problems): items are decoded JSON values (or ``Unreadable``),
    truncated is True when the array did not close, problems are notes on what was salvaged.
    Accepted: ``{"findings": [...]}`` (also "issues"/"comments"), a bare list holding a finding,
    a lone finding object, and a bare ``[]`` only when it is the whole answer.
    """
    decoder = json.JSONDecoder()
    scans = 0
    for match in _CANDIDATE.finditer(answer):
        start = match.start()
        try:
            value, end = decoder.raw_decode(answer, start)
        except (json.JSONDecodeError, RecursionError):
            scans += 1
            located = _scan_root(answer, start) if scans <= _MAX_SCANS else None
        else:
            located = _accept(value, _is_whole(answer, start, end))
        if located is not None:
            return located
    return None


def _is_whole(answer: str, start: int, end: int) -> bool:
    before = re.fullmatch(r"\s*(```[\w-]*)?\s*", answer[:start])
    return before is not None and re.fullmatch(r"\s*(```)?\s*", answer[end:]) is not None


def _looks_like_finding(value: object) -> bool:
    return isinstance(value, dict) and "message" in value and ("path" in value or "line" in value)


def _accept(value: object, whole: bool) -> Located | None:
    if isinstance(value, dict):
        for key in _LIST_KEYS:
            items = value.get(key)
            if isinstance(items, list):
                note = [] if key == "findings" else [f'answer used key "{key}" for "findings"']
                return items, False, note
        if _looks_like_finding(value):
            return [value], False, ['answer was one finding object, not {"findings": [...]}']
        return None
    # A bare "[]" counts only as the whole answer: code in an echoed diff has empty lists too.
    if isinstance(value, list) and (
        (not value and whole) or any(_looks_like_finding(item) for item in value)
    ):
        return value, False, []
    return None


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def _value_end(text: str, pos: int) -> int | None:
    """Index just past the JSON value starting at ``pos``, found by structure only (strings and
    escapes respected, brackets counted); None when the text ends first or nests absurdly deep
    (a findings list is three levels deep)."""
    if text[pos] == '"':
        string = _STRING.match(text, pos)
        return string.end() if string else None
    if text[pos] not in "{[":
        scalar = _SCALAR.match(text, pos)
        assert scalar is not None
        return scalar.end() if scalar.end() < len(text) else None
    depth = 0
    while (found := _STRUCTURAL.search(text, pos)) is not None:
        char = found.group()
        if char == '"':
            string = _STRING.match(text, found.start())
            if string is None:
                return None
            pos = string.end()
            continue
        depth += 1 if char in "{[" else -1
        pos = found.end()
        if depth == 0:
            return pos
        if depth > _MAX_DEPTH:
            return None
    return None


def _scan_root(text: str, pos: int) -> Located | None:
    """The findings array of a root that ``json`` could not read (cut off or malformed)."""
    if text[pos] == "[":
        located = _scan_array(text, pos)
        items = located[0]
        return located if any(_looks_like_finding(item) for item in items) else None
    pos = _skip(text, pos + 1)
    while pos < len(text) and text[pos] == '"':
        key_end = _value_end(text, pos)
        if key_end is None:
            return None
        key = json.loads(text[pos:key_end])
        pos = _skip(text, key_end)
        if pos >= len(text) or text[pos] != ":":
            return None
        pos = _skip(text, pos + 1)
        if pos < len(text) and key in _LIST_KEYS and text[pos] == "[":
            return _scan_array(text, pos)
        value_end = _value_end(text, pos) if pos < len(text) else None
        if value_end is None:
            return None
        pos = _skip(text, value_end)
        if pos >= len(text) or text[pos] != ",":
            return None
        pos = _skip(text, pos + 1)
    return None


def _scan_array(text: str, pos: int) -> Located:
    """Every complete element of the array at ``pos``; truncated when it does not close."""
    items: list[object] = []
    pos = _skip(text, pos + 1)
    while pos < len(text):
        if text[pos] == "]":
            return items, False, []
        end = _value_end(text, pos)
        if end is None:
            break
        try:
            items.append(json.loads(text[pos:end]))
        except (json.JSONDecodeError, RecursionError) as error:
            items.append(Unreadable(str(error)))
        pos = _skip(text, end)
        if pos < len(text) and text[pos] not in ",]":
            problem = f"invalid JSON at character {pos} after finding {len(items)}; rest ignored"
            return items, True, [problem]
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
    return items, True, []
