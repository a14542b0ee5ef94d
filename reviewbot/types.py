"""Frozen records passed between the pipeline's steps.

Line numbers are 1-based. ``Side.RIGHT`` uses new-file numbering, ``Side.LEFT`` old-file
numbering, with GitHub's meaning (per GitHub's pull-request review API).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

# Re-exported: it lives apart so that reviewbot.config stays light.
from reviewbot.severity import Severity as Severity


class LineKind(str, enum.Enum):
    ADD = "add"
    DEL = "del"
    CTX = "ctx"


class FileStatus(str, enum.Enum):
    ADDED = "added"
    MODIFIED = "modified"
    DELETED = "deleted"
    RENAMED = "renamed"
    COPIED = "copied"
    MODE = "mode"


class Side(str, enum.Enum):
    LEFT = "LEFT"
    RIGHT = "RIGHT"


class Category(str, enum.Enum):
    """What kind of problem a finding is (the findings schema's enum; SARIF rule ids)."""

    BUG = "bug"
    SECURITY = "security"
    PERFORMANCE = "performance"
    MAINTAINABILITY = "maintainability"
    STYLE = "style"
    DOCUMENTATION = "documentation"
    TESTING = "testing"


class Placement(str, enum.Enum):
    INLINE = "inline"  # on a diff line (or a range inside one hunk)
    FILE = "file"  # on a file of the diff, no line
    SUMMARY = "summary"  # not tied to any file of the diff


class FinishReason(str, enum.Enum):
    STOP = "stop"
    LENGTH = "length"
    ERROR = "error"


@dataclass(frozen=True)
class DiffLine:
    """One line of a hunk. ``text`` has no line terminator and no ``\\r``."""

    kind: LineKind
    old_lineno: int | None
    new_lineno: int | None
    text: str


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    section: str
    lines: tuple[DiffLine, ...]


@dataclass(frozen=True)
class FileDiff:
    """One file of a diff.

    path: the new path (the old path for deletions), repository-relative, ``/``-separated,
    never C-quoted. eol: ``"lf"`` or ``"crlf"``, the file's line endings as seen in the diff.
    encoding_note: set when the content was not valid UTF-8 and was decoded with a fallback.
    """

    path: str
    old_path: str | None
    status: FileStatus
    hunks: tuple[Hunk, ...] = ()
    is_binary: bool = False
    language: str | None = None
    eol: str = "lf"
    encoding_note: str | None = None
    is_submodule: bool = False


@dataclass(frozen=True)
class Skipped:
    """A file (or part of one) that was not reviewed, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Chunk:
    """One model call's worth of diff. token_count: tokens of the rendered diff text."""

    files: tuple[FileDiff, ...]
    token_count: int


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class Request:
    """One completion request. max_new_tokens: tokens reserved for the answer.

    json_schema: a JSON Schema (draft 2020-12 dict) the answer must follow, or None.
    """

    messages: tuple[Message, ...]
    max_new_tokens: int
    json_schema: Mapping[str, object] | None = None
    stop: tuple[str, ...] = ()
    seed: int = 0
    temperature: float = 0.0


@dataclass(frozen=True)
class Completion:
    """What an engine answered. seconds: wall time of this request (shared time for batches)."""

    text: str
    finish_reason: FinishReason
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class RawFinding:
    """A finding as the model stated it, before it is checked against the diff.

    line: 1-based, numbering of ``side``; None when the model gave no usable line number (the
    finding is then placed by its quote, or on its file).
    """

    path: str
    line: int | None
    end_line: int | None
    side: Side
    severity: Severity
    category: str
    message: str
    suggestion: str | None = None
    quote: str | None = None


class AnchorRule(str, enum.Enum):
    """Which rule of ``anchor.anchor_finding`` chose a finding's place (``Anchoring.rule``)."""

    STATED = "stated"  # the stated lines, or where the quoted code is when that is elsewhere
    # a stated range not in one hunk (in an audit: not in the shown lines): its first line only
    FIRST_LINE = "first_line"
    NOT_A_LINE = "not_a_line"  # FILE: the stated line is not placeable and the quote did not help
    NO_LINE = "no_line"  # no usable stated line: where the quoted code is, else FILE
    NO_FILE = "no_file"  # SUMMARY: the path is not a file of the reviewed diff


class PathMatch(str, enum.Enum):
    """How the model's path was matched to a file (``Anchoring.path_match``)."""

    EXACT = "exact"  # the path itself, or without git's ``a/``, ``b/``, ``./`` prefixes
    OLD_NAME = "old_name"  # the old path of a renamed file
    SUFFIX = "suffix"  # the one file whose path ends with it at a ``/``


class SuggestionDrop(str, enum.Enum):
    """Why the model's suggestion was not kept (``Anchoring.dropped``)."""

    REMOVED_LINES = "removed_lines"  # placed on LEFT lines, which suggestions cannot replace
    RANGE_CHANGED = "range_changed"  # placed on a range of another length than it was written for
    NO_LINE = "no_line"  # not placed on any line


@dataclass(frozen=True)
class Anchoring:
    """How a finding was placed, as data: what the model stated and what placing did with it.

    ``Finding.note`` says the same in words for people and is rendered from this record
    (``anchor_note.anchor_note``); code reads this record, never the note.

    said_path / said_side / quote: as the model stated them.
    said_line / said_end_line: the stated first and last line (1-based, numbering of
        ``said_side``); said_line None when no usable number was given (or, for NO_LINE with a
        number, when the number could not be used: an audit unit did not show that line);
        said_end_line None for one line.
    path_match: how ``said_path`` was matched to ``Finding.path``.
    moved: placed where its quoted code is, not on the stated line.
    quote_lines / quote_side: for NOT_A_LINE, the lines where the quoted code appears when it
        appears in several places (so it was not moved), else empty / None.
    dropped: why the model's suggestion was not kept, or None.
    line_text: the text of the placed first line (INLINE), else None; lets a stored finding
        follow its line when the code around it moved.
    """

    rule: AnchorRule
    said_path: str
    said_line: int | None
    said_end_line: int | None
    said_side: Side
    quote: str | None = None
    path_match: PathMatch = PathMatch.EXACT
    moved: bool = False
    quote_lines: tuple[int, ...] = ()
    quote_side: Side | None = None
    dropped: SuggestionDrop | None = None
    line_text: str | None = None


@dataclass(frozen=True)
class Finding:
    """A finding placed against the diff.

    line / end_line: 1-based, numbering of ``side``; None unless placement is INLINE.
    suggestion: replacement text for lines ``line..end_line`` (RIGHT only), or None.
    fingerprint: stable across rebases and re-runs, distinct for distinct findings of one review
        (``reviewbot.fingerprint``).
    note: why the finding was moved or demoted, if it was (words for people).
    anchoring: how it was placed, as data (None for findings not placed by ``anchor``).
    """

    path: str
    line: int | None
    end_line: int | None
    side: Side
    severity: Severity
    category: str
    message: str
    suggestion: str | None
    fingerprint: str
    placement: Placement
    note: str | None = None
    # Provenance, not content: findings saying the same at the same place are equal however
    # they were placed (and however a store that keeps no record returned them).
    anchoring: Anchoring | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ChunkError:
    """A part of the diff that was not reviewed: a chunk whose model answer could not be used,
    or a file whose diff could not be parsed (``unparsed.with_unparsed``); reason says which.
    raw: the model's text, kept for debugging ("" when there is none)."""

    paths: tuple[str, ...]
    reason: str
    raw: str = ""


@dataclass(frozen=True)
class Stats:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    seconds: float = 0.0
    truncated_outputs: int = 0


@dataclass(frozen=True)
class Review:
    findings: tuple[Finding, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    errors: tuple[ChunkError, ...] = ()
    stats: Stats = field(default_factory=Stats)
    reviewed_files: tuple[str, ...] = ()
    # findings in model answers that could not be used at all (no path, no message, not an
    # object), each with where and why: never dropped without a word
    discarded: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        """True when chunks were attempted and every one of them failed."""
        return bool(self.errors) and self.stats.calls <= len(self.errors)
