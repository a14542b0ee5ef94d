"""Unified diff bytes -> FileDiff records (pure).

The byte stream is cut into one section per file (at ``diff --git`` lines, or at ``---``/``+++``
pairs for plain ``diff -u`` output), counting hunk lines so that a removed line reading
``-- x`` is never taken for a header. Each section is decoded on its own, so one file that is not
UTF-8 changes nothing for the others, and a section that cannot be parsed becomes a ``Skipped``.
File headers (paths, status, modes, binary) are read here, because unidiff guesses them wrongly
for paths with spaces, header-only sections and binary files; hunks are parsed by unidiff.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk as UnidiffHunk
from unidiff.patch import PatchSet

from reviewbot.diff_header import Header, git_header_paths, parse_header
from reviewbot.encoding import decode_source
from reviewbot.errors import DiffParseError
from reviewbot.languages import language_for
from reviewbot.types import DiffLine, FileDiff, FileStatus, Hunk, LineKind, Skipped

_HUNK_HEADER = re.compile(rb"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_SUBPROJECT = re.compile(r"Subproject commit [0-9a-f]{7,64}(?:-dirty)?")
_SUBMODULE_MODE = "160000"
# unidiff's line types that are lines of the file ("\ No newline", blank lines are not)
_KINDS = {"+": LineKind.ADD, "-": LineKind.DEL, " ": LineKind.CTX}


@dataclass
class _Section:
    """Line indices into the whole diff: [start, end) is the file; hunks lie in [body, body_end).
    problem: the first thing found wrong with its hunks (it makes the file a Skipped)."""

    start: int
    git: bool
    end: int = 0
    body: int | None = None
    body_end: int = 0
    problem: str | None = None

    def fault(self, problem: str) -> None:
        self.problem = self.problem or problem


@dataclass(frozen=True)
class _Head:
    """The current hunk's header: its line index, text and line counts (old, new)."""

    index: int
    text: str
    old: int
    new: int

    def where(self) -> str:
        return f"hunk {self.text!r} (line {self.index + 1})"


@dataclass
class _Splitter:
    lines: list[bytes]
    sections: list[_Section] = field(default_factory=list)
    old_left: int = 0
    new_left: int = 0
    head: _Head | None = None

    def run(self) -> list[_Section]:
        for i, line in enumerate(self.lines):
            if self._open() and self._hunk_line(line):
                self.sections[-1].body_end = i + 1
                if not self._open():
                    self._closed()
            else:
                if self._open():
                    self._short(i)
                self.old_left = self.new_left = 0
                self._header_line(i, line)
        if self._open():
            self._short(len(self.lines))
        for section, following in zip(self.sections, self.sections[1:], strict=False):
            section.end = following.start
        if self.sections:
            self.sections[-1].end = len(self.lines)
        return self.sections

    def _open(self) -> bool:
        return self.old_left > 0 or self.new_left > 0

    def _hunk_line(self, line: bytes) -> bool:
        kind = line[:1]
        if kind in (b" ", b"", b"\r"):  # an empty context line may have lost its space
            self.old_left -= 1
            self.new_left -= 1
        elif kind == b"-":
            self.old_left -= 1
        elif kind == b"+":
            self.new_left -= 1
        elif kind != b"\\":
            return False
        return True

    def _found(self) -> str:
        head = self.head
        assert head is not None  # counts are only set with a head
        found = f"{head.old - self.old_left} old, {head.new - self.new_left} new"
        return f"header: {head.old} old, {head.new} new lines; found: {found}"

    def _short(self, i: int) -> None:
        """The hunk ended (at line index ``i``) before its header's counts were reached."""
        assert self.head is not None
        self.sections[-1].fault(
            f"{self.head.where()} has fewer lines than its header counts ({self._found()}; it "
            f"ends at line {i}); fix the counts in the @@ line or make the patch again"
        )

    def _closed(self) -> None:
        """Both counts reached: one side may have overshot (more ``-`` lines than counted)."""
        if self.old_left < 0 or self.new_left < 0:
            assert self.head is not None
            self.sections[-1].fault(
                f"{self.head.where()} has more lines than its header counts ({self._found()}); "
                "fix the counts in the @@ line or make the patch again"
            )

    def _header_line(self, i: int, line: bytes) -> None:
        current = self.sections[-1] if self.sections else None
        if line.startswith(b"diff --git "):
            self.sections.append(_Section(start=i, git=True))
        elif line.startswith(b"--- ") and self._plus_follows(i) and not _awaits_paths(current):
            self.sections.append(_Section(start=i, git=False))
        elif current is None:
            return  # preamble, e.g. the mail headers of `git format-patch`
        elif match := _HUNK_HEADER.match(line):
            self.old_left = int(match[1]) if match[1] is not None else 1
            self.new_left = int(match[2]) if match[2] is not None else 1
            self.head = _Head(i, _shown(line), self.old_left, self.new_left)
            current.body = i if current.body is None else current.body
            current.body_end = i + 1
            if not self._open():
                current.fault(f"{self.head.where()} counts no lines; a hunk has at least one")
        elif line.startswith(b"\\") and current.body_end == i:
            current.body_end = i + 1  # "\ No newline at end of file" after a hunk's last line
        elif current.body is not None:
            self._after_hunks(current, i, line)

    def _after_hunks(self, current: _Section, i: int, line: bytes) -> None:
        """A line after a complete hunk that is not a header: a malformed hunk header, or a
        hunk line right after the hunk's last one (its header counts too few), would otherwise
        be dropped unseen. Other lines (blank lines, a mail signature, the next commit's
        message in ``git log -p`` or ``git format-patch``) are not diff content."""
        if line.startswith(b"@@ -") or (current.body_end == i and line.startswith(b"@@")):
            current.fault(
                f"malformed hunk header {_shown(line)!r} (line {i + 1}); expected '@@ -A,B +C,D @@'"
            )
        elif current.body_end == i and line[:1] in (b"+", b"-", b" ") and not _signature(line):
            assert self.head is not None
            current.fault(
                f"{self.head.where()} has more lines than its header counts (header: "
                f"{self.head.old} old, {self.head.new} new lines; line {i + 1}, "
                f"{_shown(line)!r}, follows its last one); fix the counts in the @@ line or "
                "make the patch again"
            )

    def _plus_follows(self, i: int) -> bool:
        return i + 1 < len(self.lines) and self.lines[i + 1].startswith(b"+++ ")


def _signature(line: bytes) -> bool:
    """``-- ``: the signature separator ``git format-patch`` puts after the last hunk."""
    return line.rstrip(b"\r") == b"-- "


def _shown(line: bytes) -> str:
    """A line of the diff as messages quote it: decoded, at most 80 characters."""
    return line.rstrip(b"\r")[:80].decode("utf-8", "replace")


def _awaits_paths(section: _Section | None) -> bool:
    """A ``diff --git`` section before its hunks: its ``---``/``+++`` lines belong to it."""
    return section is not None and section.git and section.body is None


def parse_diff(data: bytes) -> tuple[list[FileDiff], list[Skipped]]:
    """Parse ``git diff`` / ``git format-patch`` / ``diff -u`` output.

    Returns the files in diff order and the sections that could not be parsed, each as
    ``Skipped(path, reason)``: a malformed hunk header, a hunk shorter or longer than its
    header counts (git's own rule, git-apply(1): the counts say where a hunk ends), bad path
    quoting. Empty input gives ``([], [])``.
    Raises DiffParseError when non-blank input has no file header at all, or when no file's
    section could be parsed (naming each file and why): nothing of it could be reviewed.
    """
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    sections = _Splitter(lines).run()
    if not sections:
        if data.strip():
            first = next(line for line in lines if line.strip())[:80].decode("utf-8", "replace")
            raise DiffParseError(
                f"input is not a unified diff: no 'diff --git' or '---'/'+++' file header in"
                f" {len(data)} bytes starting {first!r}; pass the output of `git diff` or"
                " `diff -u`"
            )
        return [], []
    files: list[FileDiff] = []
    problems: list[tuple[str, str]] = []
    for section in sections:
        text, note = decode_source(b"\n".join(lines[section.start : section.end]))
        try:
            if section.problem is not None:
                raise DiffParseError(section.problem)
            files.append(_file(text.split("\n"), section, note))
        except (DiffParseError, UnidiffParseError) as exc:
            problems.append((_guess_path(text), str(exc)))
    if not files:
        listed = "; ".join(f"{path}: {why}" for path, why in problems)
        raise DiffParseError(
            f"no file of the diff could be parsed ({listed}); nothing in it can be reviewed"
        )
    return files, [Skipped(path, f"{_UNPARSED}{why}") for path, why in problems]


_UNPARSED = "could not parse this file's diff: "


def _guess_path(text: str) -> str:
    """A name for a section that could not be parsed: its paths, else its first line."""
    first = text.split("\n", 1)[0].rstrip("\r")
    try:
        if first.startswith("diff --git "):
            return git_header_paths(first[len("diff --git ") :])[1]
    except DiffParseError:
        pass  # the raw line still tells the user which section it was
    return first.removeprefix("--- ").split("\t", 1)[0]


def _file(lines: list[str], section: _Section, note: str | None) -> FileDiff:
    """One file's section (lines relative to its start) -> FileDiff."""
    head_end = (section.body if section.body is not None else section.end) - section.start
    header = parse_header(lines[:head_end], section.git)
    body: list[str] = []
    if section.body is not None:
        body = lines[section.body - section.start : section.body_end - section.start]
    hunks = _hunks(body)
    status = _status(header, hunks)
    path = header.old_path if status is FileStatus.DELETED else header.new_path
    if path is None:
        raise DiffParseError("no file path in the section's header")
    renamed = status in (FileStatus.RENAMED, FileStatus.COPIED)
    return FileDiff(
        path=path,
        old_path=header.old_path if renamed else None,
        status=status,
        hunks=hunks,
        is_binary=header.binary,
        language=language_for(path),
        eol=_eol(body, deleted=status is FileStatus.DELETED),
        encoding_note=note,
        is_submodule=_is_submodule(header, hunks),
    )


def _status(header: Header, hunks: tuple[Hunk, ...]) -> FileStatus:
    if header.deleted:
        return FileStatus.DELETED
    if header.added:
        return FileStatus.ADDED
    if header.renamed:
        return FileStatus.RENAMED
    if header.copied:
        return FileStatus.COPIED
    modes = (header.old_mode, header.new_mode)
    if None not in modes and modes[0] != modes[1] and not hunks and not header.binary:
        return FileStatus.MODE
    return FileStatus.MODIFIED


def _is_submodule(header: Header, hunks: tuple[Hunk, ...]) -> bool:
    modes = {header.old_mode, header.new_mode} - {None}
    if modes:
        return _SUBMODULE_MODE in modes
    # a patch without mode lines: recognise git's gitlink text
    changed = [line.text for hunk in hunks for line in hunk.lines if line.kind != LineKind.CTX]
    return bool(changed) and all(_SUBPROJECT.fullmatch(text) for text in changed)


def _hunks(body: list[str]) -> tuple[Hunk, ...]:
    if not body:
        return ()
    # unidiff only sees the hunks, under fixed headers: the real header was read above
    patch = PatchSet(io.StringIO("--- a/f\n+++ b/f\n" + "\n".join(body) + "\n"))
    if len(patch) != 1:
        raise DiffParseError(f"expected the hunks of one file, found {len(patch)} files")
    return tuple(_hunk(hunk) for hunk in patch[0])


def _hunk(hunk: UnidiffHunk) -> Hunk:
    lines = [
        DiffLine(
            _KINDS[line.line_type],
            line.source_line_no,
            line.target_line_no,
            line.value.rstrip("\r\n"),
        )
        for line in hunk
        if line.line_type in _KINDS
    ]
    return Hunk(
        old_start=hunk.source_start,
        old_len=hunk.source_length,
        new_start=hunk.target_start,
        new_len=hunk.target_length,
        section=hunk.section_header.rstrip("\r"),
        lines=tuple(lines),
    )


def _eol(body: list[str], deleted: bool) -> str:
    """``crlf`` when most lines of the new side end in CR LF (of the old side for deletions)."""
    side = "-" if deleted else "+"
    crlf = total = 0
    for line in body:
        if line[:1] in (" ", side):
            total += 1
            crlf += line.endswith("\r")
    return "crlf" if total and crlf * 2 > total else "lf"
