"""The Markdown of one finding: an inline review comment, or an item of the review body.

A suggestion becomes a committable ```` ```suggestion ```` block only when, re-indented to the
file and applied to the head file, it is judged "ok" or "unchecked" by
``suggestions.check_suggestion`` (unchecked ones say so); an "unsafe" one, or one whose head file
is unknown, is shown as a plain ```` ```diff ```` block to read (FIELD-NOTES: suggestions that
break code when applied).
"""

from __future__ import annotations

import re

from reviewbot.github.markers import fingerprint_marker
from reviewbot.mdtext import neutralize
from reviewbot.suggestions import (
    check_suggestion,
    format_diff_block,
    format_suggestion_block,
    rebase_indentation,
)
from reviewbot.types import Finding, Side

_BACKTICKS = re.compile(r"`+")


def head_lines(head_text: str) -> list[str]:
    """The file's lines without terminators (CR LF or LF)."""
    lines = head_text.replace("\r\n", "\n").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def suggestion_part(
    finding: Finding, head_text: str | None, language: str | None, *, committable: bool = True
) -> str | None:
    """The suggestion block (or a diff block with the reason it is not committable), or None
    when the finding has no suggestion or no RIGHT-side line range. committable=False always
    gives the diff block (for the review body, where GitHub offers no "Commit suggestion")."""
    if finding.suggestion is None or finding.line is None or finding.side is not Side.RIGHT:
        return None
    start, end = finding.line, finding.end_line or finding.line
    if head_text is None:
        return (
            "Suggested replacement (not committable: the head file's content was not "
            f"available to check it):\n\n{format_diff_block([], finding.suggestion)}"
        )
    original = head_lines(head_text)[start - 1 : end]
    rebased = rebase_indentation(finding.suggestion, original)
    check = check_suggestion(finding.path, language, head_text, start, end, rebased)
    if not committable:
        return f"Suggested change ({check.reason}):\n\n{format_diff_block(original, rebased)}"
    if check.status == "ok":
        return format_suggestion_block(rebased)
    if check.status == "unchecked":
        note = f"_Suggestion not syntax-checked: {check.reason}._"
        return f"{format_suggestion_block(rebased)}\n\n{note}"
    return (
        f"Suggested change (not offered as a one-click suggestion: {check.reason}):\n\n"
        f"{format_diff_block(original, rebased)}"
    )


def inline_body(finding: Finding, suggestion: str | None, bot: str) -> str:
    """The body of an inline review comment; ends with the fingerprint marker."""
    parts = [f"**{finding.severity.value}** ({finding.category}): {neutralize(finding.message)}"]
    if finding.note:
        parts.append(f"_Note: {neutralize(finding.note)}._")
    if suggestion is not None:
        parts.append(suggestion)
    parts.append(fingerprint_marker(finding.fingerprint, bot))
    return "\n\n".join(parts)


def body_item(finding: Finding, why: str | None, suggestion: str | None, bot: str) -> str:
    """One Markdown list item of the review body; continuation lines indented by two spaces."""
    where = _where(finding)
    message = neutralize(finding.message).replace("\n", "\n  ")
    lines = [f"- **{finding.severity.value}** ({finding.category}) {where}: {message}"]
    reasons = "; ".join(r for r in (why, finding.note) if r)
    if reasons:
        lines.append(f"  _{neutralize(reasons)}_")
    if suggestion is not None:
        lines.append("\n".join(f"  {line}" if line else "" for line in suggestion.split("\n")))
    lines.append(f"  {fingerprint_marker(finding.fingerprint, bot)}")
    return "\n".join(lines)


def _where(finding: Finding) -> str:
    if finding.line is None:
        return code_span(finding.path)
    span = str(finding.line)
    if finding.end_line not in (None, finding.line):
        span += f"-{finding.end_line}"
    removed = " (removed)" if finding.side is Side.LEFT else ""
    return code_span(f"{finding.path}:{span}") + removed


def code_span(text: str) -> str:
    """``text`` as an inline code span whatever backticks it holds (CommonMark: a span closes at
    the first backtick run as long as its opening one)."""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
