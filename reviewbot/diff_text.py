"""FileDiff -> the line-numbered text the model reads.

Every diff line carries the number the model must answer with, so it never counts lines itself:

    @@ -10,4 +10,5 @@ def load():
      10   import os
      11 + import sys
     L11 - import re
      12   x = 1

Context and added lines show their NEW-file number (comment with side RIGHT and that number);
removed lines show their OLD-file number after an ``L`` (comment with side LEFT and the number
after ``L``). The convention is explained to the model in ``prompts/review_system.j2``; change
both together. Output never contains ``\\r``.
"""

from __future__ import annotations

from reviewbot.types import DiffLine, FileDiff, FileStatus, Hunk, LineKind

_SIGNS = {LineKind.ADD: "+", LineKind.DEL: "-", LineKind.CTX: " "}


def hunk_range(h: Hunk) -> str:
    """``@@ -a,b +c,d @@``; the counts are always written, unlike git's short form."""
    return f"@@ -{h.old_start},{h.old_len} +{h.new_start},{h.new_len} @@"


def hunk_header(h: Hunk) -> str:
    """``hunk_range`` then the section heading git found (``@@ -a,b +c,d @@ def f():``)."""
    head = hunk_range(h)
    section = _clean(h.section).strip()
    return f"{head} {section}" if section else head


def file_header(f: FileDiff) -> str:
    """One line naming the file, its status and language, e.g. ``## File: a.py (modified, python)``.

    Notes (CRLF line endings, a decoding fallback, binary content) follow on their own lines.
    """
    if f.status in (FileStatus.RENAMED, FileStatus.COPIED) and f.old_path:
        status = f"{f.status.value} from {_clean(f.old_path)}"
    elif f.status is FileStatus.MODE:
        status = "mode change only"
    else:
        status = f.status.value
    facts = [status] + ([f.language] if f.language else [])
    lines = [f"## File: {_clean(f.path)} ({', '.join(facts)})"]
    if f.eol == "crlf":
        lines.append("note: this file uses CRLF line endings (shown here without them)")
    if f.encoding_note:
        lines.append(f"note: {_clean(f.encoding_note)}")
    return "\n".join(lines)


def format_hunk(h: Hunk) -> str:
    """The hunk header and its numbered lines, joined by ``\\n`` (no trailing newline).

    Numbers are right-aligned to the widest number of this hunk (plus one column for ``L``), so
    one hunk's text does not depend on its neighbours and can be counted on its own.
    """
    numbers = [n for line in h.lines for n in (line.old_lineno, line.new_lineno) if n is not None]
    width = len(str(max(numbers, default=0))) + 1
    return "\n".join([hunk_header(h), *(_format_line(line, width) for line in h.lines)])


def format_file_diff(f: FileDiff) -> str:
    """What the model sees for one file: ``file_header`` then each hunk, blank-line separated.

    A chunk that carries part of a file carries a FileDiff with that subset of hunks.
    A file without hunks (binary, empty, mode-only) gets one line saying there is no text to review.
    """
    parts = [file_header(f)]
    if f.hunks:
        parts.extend(format_hunk(h) for h in f.hunks)
    elif f.is_binary:
        parts.append("(binary file; content not shown)")
    else:
        parts.append("(no changed lines)")
    return "\n\n".join(parts)


def _format_line(line: DiffLine, width: int) -> str:
    number = f"L{line.old_lineno}" if line.kind is LineKind.DEL else str(line.new_lineno)
    text = f"{number:>{width}} {_SIGNS[line.kind]} {_clean(line.text)}"
    # An empty source line would leave trailing spaces; those carry no meaning here.
    return text.rstrip() if not line.text else text


def _clean(text: str) -> str:
    # DiffLine promises no "\r", but paths and section headings come from raw diff text.
    return text.replace("\r", "")
