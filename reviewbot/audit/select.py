"""Which files of a repository an audit reads, and why the others are skipped.

Files come from ``git ls-files`` inside a repository (tracked files only: build outputs and
local junk stay out), else from a directory walk. Each file then goes through the same filters as
a review (``reviewbot.filters``): the path rules first, so vendored trees are never read, then
the content rules on the whole file seen as a newly added file (``whole_file_diff``), which is
exactly what ``git diff`` shows for a new file. Nothing is dropped silently: every file left out
is listed with a reason.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from reviewbot import git
from reviewbot.config import Config
from reviewbot.encoding import decode_source
from reviewbot.errors import ConfigError
from reviewbot.filters import filter_files
from reviewbot.languages import language_for
from reviewbot.path_filter import skip_reason_for_path
from reviewbot.types import DiffLine, FileDiff, FileStatus, Hunk, LineKind, Skipped

# Languages that are documentation or data rather than code a reviewer audits.
NOT_CODE = frozenset({"markdown", "restructuredtext", "json", "jupyter"})
# git's own test for binary content: a NUL byte in the first 8000 bytes (xdiff's buffer_is_binary).
BINARY_PROBE_BYTES = 8000
_WALK_SKIP_DIRS = frozenset({".git", ".hg", ".svn"})


@dataclass(frozen=True)
class SourceFile:
    """One file to audit. lines: its text split into lines, without terminators or ``\\r``.

    eol: ``"lf"`` or ``"crlf"``. encoding_note: set when the bytes were not valid UTF-8.
    """

    path: str
    language: str | None
    lines: tuple[str, ...]
    eol: str = "lf"
    encoding_note: str | None = None


@dataclass(frozen=True)
class Selection:
    """files: in path order. skipped: every other listed file with the reason, in path order."""

    files: tuple[SourceFile, ...]
    skipped: tuple[Skipped, ...]


def whole_file_diff(source: SourceFile, first: int = 1, last: int | None = None) -> FileDiff:
    """Lines ``first..last`` (1-based, inclusive; default the whole file) as an added file's diff:
    one hunk of ADD lines with their real line numbers, so filters, anchoring, fingerprints and
    reporters treat an audited file exactly like a new file in a review."""
    end = len(source.lines) if last is None else last
    diff = added_file_diff(source.path, source.language, first, source.lines[first - 1 : end])
    return replace(diff, eol=source.eol, encoding_note=source.encoding_note)


def added_file_diff(
    path: str, language: str | None, first: int, texts: Sequence[str], section: str = ""
) -> FileDiff:
    """``texts`` as lines ``first``.. of a newly added file (see ``whole_file_diff``)."""
    lines = tuple(DiffLine(LineKind.ADD, None, first + i, t) for i, t in enumerate(texts))
    hunk = Hunk(0, 0, first, len(lines), section, lines)
    return FileDiff(
        path=path,
        old_path=None,
        status=FileStatus.ADDED,
        hunks=(hunk,) if lines else (),
        language=language,
    )


def list_paths(root: Path, repo: Path | None, paths: Sequence[str] = ()) -> list[str]:
    """Candidate files, ``/``-separated and relative to ``repo`` (or to ``root`` outside git),
    sorted. paths: relative names limiting the listing (files or directories).

    Raises GitError when ``git ls-files`` fails; ConfigError for a path that matches no file
    (a typo must not read as a clean audit).
    """
    found = sorted(git.ls_files(repo, paths)) if repo is not None else _walk(root, paths)
    for path in paths:
        if not any(_under(name, path) for name in found):
            what = "tracked file (git ls-files)" if repo is not None else "file"
            hint = "; check the spelling, or `git add` it first" if repo is not None else ""
            raise ConfigError(f"cannot audit {path}: no {what} matches it{hint}")
    return found


def _under(name: str, path: str) -> bool:
    """Whether ``name`` is the file ``path`` or lies in the directory ``path``."""
    prefix = path.rstrip("/")
    return prefix in ("", ".") or name == prefix or name.startswith(prefix + "/")


def _walk(root: Path, paths: Sequence[str]) -> list[str]:
    found: list[str] = []
    for start in [root / p for p in paths] or [root]:
        if start.is_file():
            found.append(start.relative_to(root).as_posix())
            continue
        if not start.is_dir():
            raise ConfigError(f"cannot audit {start}: no such file or directory")
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = sorted(d for d in dirnames if d not in _WALK_SKIP_DIRS)
            base = Path(dirpath)
            found += [(base / name).relative_to(root).as_posix() for name in filenames]
    return sorted(set(found))


def select_files(root: Path, names: Sequence[str], config: Config) -> Selection:
    """Read and filter ``names`` (relative to ``root``) into files to audit and skipped ones."""
    files: list[SourceFile] = []
    skipped: list[Skipped] = []
    for name in names:
        outcome = _examine(root, name, config)
        if isinstance(outcome, SourceFile):
            files.append(outcome)
        else:
            skipped.append(Skipped(name, outcome))
    return Selection(tuple(files), tuple(skipped))


def _examine(root: Path, name: str, config: Config) -> SourceFile | str:
    """The file ready to audit, or the reason it is skipped."""
    reason = skip_reason_for_path(name, config)
    if reason is not None:
        return reason
    language = language_for(name)
    if language is None or language in NOT_CODE:
        # Only the head is read: enough to tell binary content from text, as git does.
        head = _read(root / name, config, limit=BINARY_PROBE_BYTES)
        if isinstance(head, str):
            return head
        if b"\0" in head:
            return "binary file"
        return f"not code ({language or 'unknown language'})"
    data = _read(root / name, config)
    if isinstance(data, str):
        return data
    if b"\0" in data[:BINARY_PROBE_BYTES]:
        return "binary file"
    text, note = decode_source(data, strip_bom=True)
    if not text.strip():
        return "empty file"
    eol = "crlf" if "\r\n" in text else "lf"
    lines = tuple(text.replace("\r\n", "\n").replace("\r", "\n").removesuffix("\n").split("\n"))
    source = SourceFile(name, language, lines, eol, note)
    _, skipped = filter_files([whole_file_diff(source)], config)
    return skipped[0].reason if skipped else source


def _read(path: Path, config: Config, *, limit: int | None = None) -> bytes | str:
    """The file's bytes (only the first ``limit`` when given, whatever the file's size), or why
    it cannot be audited (link, submodule, missing, too large)."""
    if path.is_symlink():
        return "symbolic link"
    if path.is_dir():
        return "submodule"
    try:
        if limit is not None:
            with path.open("rb") as handle:
                return handle.read(limit)
        size = path.stat().st_size
        if size > config.max_file_bytes:
            return f"too large ({size} bytes > {config.max_file_bytes})"
        return path.read_bytes()
    except FileNotFoundError:
        return "missing from the work tree"
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
