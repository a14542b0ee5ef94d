"""Repairing one finding as a model wrote it into a RawFinding, or saying why it cannot be.

Models name our fields, severities and categories their own way, give line numbers as strings
or ranges, wrap suggestions in code fences. Every repair and every drop is written to
``problems`` as one line ("finding 3: ..."); nothing is guessed silently.
"""

from __future__ import annotations

import re

from reviewbot.salvage import Unreadable
from reviewbot.types import Category, RawFinding, Severity, Side

MAX_MESSAGE_CHARS = 2000  # longer messages are cut: a review comment, not an essay


# Words models use for our fields, severities and categories (seen in peers' prompts and outputs).
_KEY_ALIASES = {
    "file": "path",
    "filename": "path",
    "file_path": "path",
    "line_number": "line",
    "start_line": "line",
    "comment": "message",
    "description": "message",
    "body": "message",
}
_SEVERITIES = {
    "info": Severity.INFO,
    "low": Severity.INFO,
    "nit": Severity.INFO,
    "trivial": Severity.INFO,
    "note": Severity.INFO,
    "suggestion": Severity.INFO,
    "warning": Severity.WARNING,
    "warn": Severity.WARNING,
    "medium": Severity.WARNING,
    "moderate": Severity.WARNING,
    "minor": Severity.WARNING,
    "error": Severity.ERROR,
    "high": Severity.ERROR,
    "major": Severity.ERROR,
    "severe": Severity.ERROR,
    "critical": Severity.CRITICAL,
    "blocker": Severity.CRITICAL,
    "fatal": Severity.CRITICAL,
}
_CATEGORIES = {
    **{c.value: c for c in Category},
    "bugs": Category.BUG,
    "logic": Category.BUG,
    "correctness": Category.BUG,
    "error-handling": Category.BUG,
    "vulnerability": Category.SECURITY,
    "perf": Category.PERFORMANCE,
    "efficiency": Category.PERFORMANCE,
    "readability": Category.MAINTAINABILITY,
    "design": Category.MAINTAINABILITY,
    "complexity": Category.MAINTAINABILITY,
    "formatting": Category.STYLE,
    "naming": Category.STYLE,
    "docs": Category.DOCUMENTATION,
    "test": Category.TESTING,
    "tests": Category.TESTING,
}
_SIDES = {
    "RIGHT": Side.RIGHT,
    "NEW": Side.RIGHT,
    "+": Side.RIGHT,
    "LEFT": Side.LEFT,
    "OLD": Side.LEFT,
    "-": Side.LEFT,
}
# Unknown categories go to the catch-all that does not count as a defect: benchmarks score any
# "bug" on a clean diff as a false positive, so guessing "bug" would inflate them.
_FALLBACK_CATEGORY = Category.MAINTAINABILITY
_FALLBACK_SEVERITY = Severity.WARNING
_INT = re.compile(r"\s*(?:line\s*|L)?(\d+)\s*", re.IGNORECASE)
_RANGE = re.compile(r"\s*(?:lines?\s*|L)?(\d+)\s*(?:-|\u2013|\.\.|to)\s*L?(\d+)\s*", re.IGNORECASE)
_FENCED = re.compile(r"\s*```[\w+-]*\n(.*?)\n?```\s*", re.DOTALL)


def normalize(number: int, item: object, problems: list[str]) -> RawFinding | None:
    """``item`` as a RawFinding, repairing what can be repaired; None (with a problem) if not."""
    where = f"finding {number}"
    if isinstance(item, Unreadable):
        problems.append(f"{where}: not valid JSON ({item.error}); dropped")
        return None
    if not isinstance(item, dict):
        problems.append(f"{where}: not an object but {type(item).__name__}; dropped")
        return None
    fields = _canonical_keys(item)
    path, message = fields.get("path"), fields.get("message")
    for name, value in (("path", path), ("message", message)):
        if not isinstance(value, str) or not value.strip():
            what = "is missing" if value is None else f"{value!r} is not a non-empty string"
            problems.append(f"{where}: {name} {what}; dropped")
            return None
    assert isinstance(path, str) and isinstance(message, str)
    line, end_line, range_known = _lines(where, fields, problems)
    suggestion = _text(where, "suggestion", fields.get("suggestion"), problems)
    if suggestion is not None and not range_known:
        suggestion = None
        problems.append(f"{where}: suggestion dropped since its line range is unknown")
    if len(message) > MAX_MESSAGE_CHARS:
        problems.append(f"{where}: message cut to {MAX_MESSAGE_CHARS} characters")
        message = message[: MAX_MESSAGE_CHARS - 1] + "…"
    return RawFinding(
        path=path.strip(),
        line=line,
        end_line=end_line,
        side=_side(where, fields.get("side"), problems),
        severity=_severity(where, fields.get("severity"), problems),
        category=_category(where, fields.get("category"), problems).value,
        message=message.strip(),
        suggestion=suggestion,
        quote=_text(where, "quote", fields.get("quote"), problems),
    )


def _canonical_keys(item: dict[str, object]) -> dict[str, object]:
    fields = dict(item)
    if "start_line" in fields and "line" in fields and fields.get("end_line") is None:
        # GitHub's own naming: start_line..line is the range.
        fields["end_line"] = fields["line"]
        fields["line"] = fields.pop("start_line")
    for alias, key in _KEY_ALIASES.items():
        if alias in fields and key not in fields:
            fields[key] = fields.pop(alias)
    return fields


def _line_numbers(value: object) -> tuple[int, int | None] | None:
    """(line, end_line from a "12-15" string or None), or None when ``value`` is no line."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return (value, None) if value >= 1 else None
    if not isinstance(value, str):
        return None
    if single := _INT.fullmatch(value):
        line = int(single.group(1))
        return (line, None) if line >= 1 else None
    if span := _RANGE.fullmatch(value):
        start, end = int(span.group(1)), int(span.group(2))
        return (start, end) if 1 <= start < end else None
    return None


def _lines(
    where: str, fields: dict[str, object], problems: list[str]
) -> tuple[int | None, int | None, bool]:
    """(line or None when there is no usable line number, end_line or None for one line,
    whether the stated range is usable). A finding without a line is still a finding: it is
    placed by its quote or on its file, never dropped."""
    stated = fields.get("line")
    lines = _line_numbers(stated)
    if lines is None:
        what = "is missing" if stated is None else f"{stated!r} is not a line number"
        problems.append(f"{where}: line {what}; placed by its quote or on its file")
        return None, None, False
    line, end_line = lines
    value = fields.get("end_line")
    if end_line is not None or value is None:
        return line, end_line, True
    parsed = _line_numbers(value)
    if parsed is None or parsed[1] is not None:
        problems.append(f"{where}: end_line {value!r} is not a line number; ignored")
        return line, None, False
    if parsed[0] < line:
        # Swapping would guess; a suggestion written for an unknown range must not be applied.
        problems.append(f"{where}: end_line {parsed[0]} is before line {line}; ignored")
        return line, None, False
    return line, (parsed[0] if parsed[0] > line else None), True


def _side(where: str, value: object, problems: list[str]) -> Side:
    if value is None:
        return Side.RIGHT
    # a list or an object is no side either (and must not reach the dict lookup: unhashable)
    word = value.strip().upper() if isinstance(value, str) else None
    if word is not None and word in _SIDES:
        return _SIDES[word]
    problems.append(f"{where}: side {value!r} is not RIGHT or LEFT; RIGHT assumed")
    return Side.RIGHT


def _severity(where: str, value: object, problems: list[str]) -> Severity:
    word = value.strip().lower() if isinstance(value, str) else None
    if word is not None and word in _SEVERITIES:
        return _SEVERITIES[word]
    problems.append(f"{where}: severity {value!r} is unknown; {_FALLBACK_SEVERITY.value} assumed")
    return _FALLBACK_SEVERITY


def _category(where: str, value: object, problems: list[str]) -> Category:
    word = value.strip().lower().replace("_", "-") if isinstance(value, str) else None
    if word is not None and word in _CATEGORIES:
        return _CATEGORIES[word]
    problems.append(f"{where}: category {value!r} is unknown; {_FALLBACK_CATEGORY.value} assumed")
    return _FALLBACK_CATEGORY


def _text(where: str, name: str, value: object, problems: list[str]) -> str | None:
    """A quote or suggestion: None, a string, or a list of lines joined."""
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        value = "\n".join(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        # An empty suggestion would delete lines; models write "" to mean "none".
        return None
    if not isinstance(value, str):
        problems.append(f"{where}: {name} {value!r} is not text; ignored")
        return None
    value = value.replace("\r\n", "\n")
    if fenced := _FENCED.fullmatch(value):
        problems.append(f"{where}: {name} was wrapped in a code fence; fence removed")
        value = fenced.group(1)
    return value.removesuffix("\n")
