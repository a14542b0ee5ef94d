"""Writing a Review where the user asked, in the format asked, and the exit code it implies."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from reviewbot.color import use_color
from reviewbot.config import Config
from reviewbot.error_handler import EXIT_FAIL, EXIT_OK
from reviewbot.errors import ConfigError
from reviewbot.reporters import OriginalLines, create_reporter
from reviewbot.types import FileDiff, LineKind, Review, Severity


def new_side_lines(files: Sequence[FileDiff]) -> OriginalLines:
    """Look up lines start..end (1-based, new-file numbering) that the diff shows, or None."""
    table: dict[str, dict[int, str]] = {}
    for diff in files:
        lines = table.setdefault(diff.path, {})
        for hunk in diff.hunks:
            for line in hunk.lines:
                if line.kind is not LineKind.DEL and line.new_lineno is not None:
                    lines[line.new_lineno] = line.text

    def lookup(path: str, start: int, end: int) -> list[str] | None:
        lines = table.get(path, {})
        found = [lines[n] for n in range(start, end + 1) if n in lines]
        return found if len(found) == end - start + 1 else None

    return lookup


def write_report(
    review: Review,
    config: Config,
    *,
    files: Sequence[FileDiff] = (),
    stdout: TextIO | None = None,
    environ: Mapping[str, str] = os.environ,
) -> None:
    """Report ``review`` in ``config.format`` to ``config.output`` (a file) or stdout.

    files: the reviewed diff, so suggestions can be shown against the lines they replace.
    Raises ConfigError when the output file cannot be written.
    """
    out = stdout if stdout is not None else sys.stdout
    lines = new_side_lines(files)
    color = config.output is None and use_color(config, out, environ)  # files get no colour

    def emit(stream: TextIO) -> None:
        create_reporter(config.format, stream, color=color, original_lines=lines).report(review)

    write_output(config, out, emit)


def write_output(config: Config, stdout: TextIO | None, emit: Callable[[TextIO], object]) -> None:
    """Call ``emit`` with ``config.output`` opened for writing (UTF-8, ``\\n`` line ends), or
    with ``stdout`` (default ``sys.stdout``) when no output file is set.

    Raises ConfigError naming the file when it cannot be written.
    """
    if config.output is None:
        emit(stdout if stdout is not None else sys.stdout)
        return
    try:
        with config.output.open("w", encoding="utf-8", newline="\n") as handle:
            emit(handle)
    except OSError as exc:
        raise ConfigError(f"cannot write the report to {config.output}: {exc.strerror}") from exc


def check_output(path: Path | None) -> None:
    """Before any model call: raise ConfigError naming ``path`` when a report could not be
    written there (its directory missing or not writable, the path a directory or a read-only
    file), so a long review's results are not lost at the end. None (stdout) passes. The write
    itself can still fail (a full disk): ``write_report`` reports that too."""
    if path is None:
        return
    where = f"cannot write the report to {path}"
    parent = path.parent
    if path.is_dir():
        problem = "it is a directory; give a file name in it"
    elif not parent.exists():
        problem = f"the directory {parent} does not exist; create it or choose another file"
    elif not parent.is_dir():
        problem = f"{parent} is not a directory; choose another file"
    elif path.exists() and not os.access(path, os.W_OK):
        problem = "the file is read-only; make it writable or choose another file"
    elif not path.exists() and not os.access(parent, os.W_OK | os.X_OK):
        problem = f"the directory {parent} is not writable; choose another file"
    else:
        return
    raise ConfigError(f"{where}: {problem} (--output / output)")


def exit_code(review: Review, fail_on: Severity | None) -> int:
    """1 when any chunk failed (an incomplete review must not pass as clean) or a finding
    reaches ``fail_on``; else 0."""
    return EXIT_FAIL if review.errors or reaches(review, fail_on) else EXIT_OK


def reaches(review: Review, fail_on: Severity | None) -> bool:
    """Whether a finding of ``review`` is at least as severe as ``fail_on`` (never when None)."""
    return fail_on is not None and any(f.severity.rank >= fail_on.rank for f in review.findings)
