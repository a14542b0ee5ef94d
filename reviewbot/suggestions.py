"""Suggestion safety: replace semantics, indentation, syntax checks, fences.

A suggestion is the replacement text for lines ``start..end`` (1-based, inclusive) of the new
file, exactly as GitHub applies a ```` ```suggestion ```` block: its lines replace the range, and
an empty suggestion deletes it. Suggestion text uses ``\\n`` internally; ``to_file_eol`` converts
it for CRLF files. Only a suggestion that a real parser accepted after applying is "ok".
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from reviewbot.errors import SuggestionError
from reviewbot.languages import language_for
from reviewbot.types import FileDiff, Finding, LineKind, Side

Status = Literal["ok", "unchecked", "unsafe"]
_LEADING = re.compile(r"[ \t]*")
_BACKTICKS = re.compile(r"`+")
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class SuggestionCheck:
    """status: "ok" (applied and parsed), "unchecked" (no parser could say), or "unsafe" (offer
    it as a diff to read, never as a one-click suggestion). reason: one sentence for people."""

    status: Status
    reason: str


def suggestion_lines(suggestion: str) -> list[str]:
    """The lines that replace the range: ``[]`` for ``""`` (delete), else split on newlines."""
    text = suggestion.replace("\r\n", "\n")
    return [] if text == "" else text.split("\n")


def suggestion_file_text(suggestion: str) -> str:
    """The replacement text to write into the file: the lines joined with the suggestion's own
    line ending (CRLF when it has one: the pipeline gives suggestions their file's endings)."""
    newline = "\r\n" if "\r\n" in suggestion else "\n"
    return newline.join(suggestion_lines(suggestion))


def apply_suggestion(file_lines: Sequence[str], start: int, end: int, suggestion: str) -> list[str]:
    """``file_lines`` with lines ``start..end`` (1-based, inclusive) replaced by the suggestion.

    Raises SuggestionError when the range is empty or outside the file.
    """
    if not 1 <= start <= end <= len(file_lines):
        raise SuggestionError(
            f"cannot replace lines {start}-{end} of a file of {len(file_lines)} lines; the "
            "suggestion's range must lie inside the file and start <= end"
        )
    return [*file_lines[: start - 1], *suggestion_lines(suggestion), *file_lines[end:]]


# --- indentation --------------------------------------------------------------------------


def rebase_indentation(suggestion: str, original_lines: Sequence[str]) -> str:
    """The suggestion re-indented so its first non-blank line has the indentation of the first
    non-blank original line, keeping the suggestion's relative indentation.

    Tab files stay tab files: when the original lines are indented with tabs, the suggestion's
    leading spaces become tabs (its own indent unit, usually 4 spaces, per tab; spaces left over
    stay as alignment). In space files, leading tabs become the file's indent unit of spaces.
    Blank lines become empty. Returns the suggestion unchanged when either side has no
    non-blank line.
    """
    lines = suggestion_lines(suggestion)
    original = [line for line in original_lines if line.strip()]
    if not original or not any(line.strip() for line in lines):
        return suggestion
    if any(line.startswith("\t") for line in original):
        char, unit = "\t", _space_unit(lines)
    else:
        char, unit = " ", _space_unit(original)
    depths = [_depth(line, char, unit) for line in lines]
    target = _depth(original[0], char, unit)[0]
    first = next(depth for depth, line in zip(depths, lines, strict=True) if line.strip())[0]
    shift = target - first
    rebased = [
        char * max(0, depth + shift) + rest if line.strip() else ""
        for (depth, rest), line in zip(depths, lines, strict=True)
    ]
    return "\n".join(rebased)


def _depth(line: str, char: str, unit: int) -> tuple[int, str]:
    """(count of indent characters ``char`` the line's indentation amounts to, the rest)."""
    indent = _LEADING.match(line)
    assert indent is not None
    rest = line[indent.end() :]
    tabs, spaces = indent.group().count("\t"), indent.group().count(" ")
    if char == "\t":
        return tabs + spaces // unit, " " * (spaces % unit) + rest
    return spaces + tabs * unit, rest


def _space_unit(lines: Sequence[str]) -> int:
    """Spaces per indent level among space-indented lines: 2 when they step by 2, else 4."""
    widths = set()
    for line in lines:
        indent = _LEADING.match(line)
        if line.strip() and indent is not None and "\t" not in indent.group():
            widths.add(len(indent.group()))
    steps = [abs(a - b) for a in widths for b in widths if a != b] + [w for w in widths if w]
    step = math.gcd(*steps) if steps else 4
    return 2 if step == 2 else 4


# --- checks ---------------------------------------------------------------------------------


def check_suggestion(
    path: str,
    language: str | None,
    new_file_text: str | None,
    start: int,
    end: int,
    suggestion: str,
) -> SuggestionCheck:
    """Apply the suggestion to the new file's text (lines start..end) and judge the result.

    unsafe: range outside the file; no change; the suggestion's last (first) line repeats the
    line after (before) the range, the classic off-by-one that duplicates a line; the result
    does not parse as Python (ast), JSON or TOML when the original did; brackets balanced before
    and not after (other languages). unchecked: no file text, no parser for the language, or
    the original does not parse either. ok: the result parses.
    """
    if new_file_text is None:
        return SuggestionCheck("unchecked", "the file's new content is not available")
    lines = _split_lines(new_file_text)
    if not 1 <= start <= end <= len(lines):
        reason = f"lines {start}-{end} are outside the file ({len(lines)} lines)"
        return SuggestionCheck("unsafe", reason)
    replacement = suggestion_lines(suggestion)
    if replacement == lines[start - 1 : end]:
        return SuggestionCheck("unsafe", f"it is identical to lines {start}-{end}")
    if duplicate := _duplicated_neighbour(lines, start, end, replacement):
        return SuggestionCheck("unsafe", duplicate)
    before = "\n".join(lines) + "\n"
    after = "\n".join(apply_suggestion(lines, start, end, suggestion)) + "\n"
    checker = _checker(path, language)
    if checker is None:
        return _bracket_check(before, after)
    name, error_of = checker
    original_error = error_of(before)
    if original_error is not None:
        return SuggestionCheck(
            "unchecked", f"the original file does not parse as {name} either ({original_error})"
        )
    error = error_of(after)
    if error is not None:
        return SuggestionCheck("unsafe", f"the result does not parse as {name}: {error}")
    return SuggestionCheck("ok", f"the result parses as {name}")


def _split_lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _duplicated_neighbour(
    lines: Sequence[str], start: int, end: int, replacement: Sequence[str]
) -> str | None:
    if not replacement:
        return None
    neighbours = (
        (end, replacement[-1], lines[end - 1], "last", "after"),  # index of the line after
        (start - 2, replacement[0], lines[start - 1], "first", "before"),
    )
    for index, edge, replaced, which, where in neighbours:
        if not 0 <= index < len(lines) or not lines[index].strip():
            continue
        neighbour = lines[index].strip()
        if replaced.strip() != neighbour and _repeats(edge, lines[index]):
            return (
                f"its {which} line repeats line {index + 1} just {where} the range "
                f"({neighbour!r}); applying it would duplicate that line"
            )
    return None


def _repeats(edge: str, neighbour: str) -> bool:
    """Whether a suggestion's edge line repeats its neighbour: exactly, or, for a line with two
    or more words (not a lone ``}`` or ``end``, which blocks legitimately repeat), also at
    another indentation (re-basing the suggestion's indentation moves a repeated line too)."""
    if edge.rstrip() == neighbour.rstrip():
        return True
    return edge.strip() == neighbour.strip() and len(_WORDS.findall(neighbour)) >= 2


# Parsers recurse: text nested too deeply (a model can write it) makes json and tomllib raise
# RecursionError and ast MemoryError (its parser stack overflows); it is reported like any other
# parse failure instead of crashing the run.
_TOO_DEEP = "nested too deeply to parse"


def _python_error(text: str) -> str | None:
    import ast

    try:
        ast.parse(text)
    except SyntaxError as error:
        return f"line {error.lineno}: {error.msg}" if error.lineno else error.msg
    except ValueError as error:  # null bytes in the source
        return str(error)
    except (RecursionError, MemoryError):
        return _TOO_DEEP
    return None


def _json_error(text: str) -> str | None:
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return f"line {error.lineno}: {error.msg}"
    except RecursionError:
        return _TOO_DEEP
    return None


def _toml_error(text: str) -> str | None:
    # imported here, like ast: the hook prints suggestions without checking them
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return str(error)
    except RecursionError:
        return _TOO_DEEP
    return None


# by language name, as ``languages.language_for`` gives it
_CHECKERS: dict[str, tuple[str, Callable[[str], str | None]]] = {
    "python": ("Python", _python_error),
    "json": ("JSON", _json_error),
    "toml": ("TOML", _toml_error),
}


def _checker(path: str, language: str | None) -> tuple[str, Callable[[str], str | None]] | None:
    return _CHECKERS.get((language or language_for(path) or "").lower())


def _bracket_check(before: str, after: str) -> SuggestionCheck:
    # Counted naively (brackets in strings count too): a weak check that can only raise doubt.
    def balance(text: str) -> tuple[int, ...]:
        return tuple(text.count(a) - text.count(b) for a, b in ("()", "[]", "{}"))

    if balance(before) == (0, 0, 0) and balance(after) != (0, 0, 0):
        return SuggestionCheck("unsafe", "brackets balanced before the suggestion and not after")
    return SuggestionCheck("unchecked", "no parser for this language; bracket balance unchanged")


# --- formatting -----------------------------------------------------------------------------


def suggestion_fence(body: str) -> str:
    """A backtick fence longer than any run of backticks in ``body`` (at least 3), so a ``` in
    the body cannot close the block early (GitHub's fenced-code rule)."""
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    return "`" * max(3, longest + 1)


def format_suggestion_block(body: str) -> str:
    """A GitHub ```` ```suggestion ```` block for ``body``; an empty body deletes the range."""
    fence = suggestion_fence(body)
    inner = body.replace("\r\n", "\n")
    return f"{fence}suggestion\n{inner}\n{fence}" if inner else f"{fence}suggestion\n{fence}"


def format_diff_block(original_lines: Sequence[str], suggestion: str) -> str:
    """A ```` ```diff ```` block from the original lines to the suggestion, for suggestions shown
    to read rather than apply (unsafe or unchecked). Unchanged lines are kept as context."""
    new = suggestion_lines(suggestion)
    diff: list[str] = []
    import difflib  # only for suggestions shown as diffs

    matcher = difflib.SequenceMatcher(a=list(original_lines), b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            diff += [f" {line}" for line in original_lines[i1:i2]]
        else:
            diff += [f"-{line}" for line in original_lines[i1:i2]]
            diff += [f"+{line}" for line in new[j1:j2]]
    body = "\n".join(diff)
    fence = suggestion_fence(body)
    return f"{fence}diff\n{body}\n{fence}"


def to_file_eol(text: str, eol: str) -> str:
    """``text`` with the file's line endings: ``eol`` is FileDiff.eol, "lf" or "crlf".

    Raises SuggestionError for any other value.
    """
    lf = text.replace("\r\n", "\n")
    if eol == "lf":
        return lf
    if eol == "crlf":
        return lf.replace("\n", "\r\n")
    raise SuggestionError(f"unknown line ending {eol!r}; expected 'lf' or 'crlf'")


def fit_suggestion(finding: Finding, diff: FileDiff | None) -> Finding:
    """``finding`` with its suggestion re-based onto the indentation of the lines it replaces
    (tabs stay tabs) and given the file's line endings (the model saw none). Unchanged when it
    has no suggestion, is not on RIGHT lines, or its lines are not all in ``diff``."""
    if finding.suggestion is None or finding.line is None or finding.side is not Side.RIGHT:
        return finding
    if diff is None:  # the caller has no FileDiff for its path
        return finding
    right = {
        line.new_lineno: line.text
        for hunk in diff.hunks
        for line in hunk.lines
        if line.kind is not LineKind.DEL and line.new_lineno is not None
    }
    span = range(finding.line, (finding.end_line or finding.line) + 1)
    original = [right[n] for n in span if n in right]
    if len(original) != len(span):
        return finding
    rebased = rebase_indentation(finding.suggestion, original)
    return replace(finding, suggestion=to_file_eol(rebased, diff.eol))
