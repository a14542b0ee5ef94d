"""A small review with one of each kind of thing a reporter must show."""

from __future__ import annotations

import pytest
from factories import finding

from reviewbot.types import (
    ChunkError,
    Placement,
    Review,
    Severity,
    Side,
    Skipped,
    Stats,
)

INLINE = finding(
    path="src/app.py",
    line=12,
    end_line=13,
    severity=Severity.ERROR,
    category="bug",
    message="Off-by-one: the loop reads past the end.",
    suggestion="for i in range(n):\n    total += xs[i]",
    fingerprint="fp-inline",
)
FILE_LEVEL = finding(
    path="src/app.py",
    line=None,
    severity=Severity.WARNING,
    category="design",
    message="Parsing and I/O are mixed in one function.",
    fingerprint="fp-file",
    placement=Placement.FILE,
)
REMOVED = finding(
    path="src/app.py",
    line=30,
    side=Side.LEFT,
    category="style",
    message="The removed check guarded against None.",
    fingerprint="fp-left",
    note="moved from line 29, which is not in the diff",
)
GENERAL = finding(
    path="",
    line=None,
    severity=Severity.WARNING,
    category="tests",
    message="The change adds no tests.",
    fingerprint="fp-summary",
    placement=Placement.SUMMARY,
)
FENCED = finding(
    path="docs/guide ü.md",
    line=3,
    end_line=3,
    severity=Severity.CRITICAL,
    category="security",
    message="The example prints the token.",
    suggestion="```sh\necho done\n```",
    fingerprint="fp-fenced",
)


@pytest.fixture
def review() -> Review:
    return Review(
        findings=(INLINE, FILE_LEVEL, REMOVED, GENERAL, FENCED),
        skipped=(Skipped("assets/logo.png", "binary file"),),
        errors=(
            ChunkError(("src/db.py", "src/api.py"), "model output was not valid JSON", "oops"),
        ),
        stats=Stats(
            prompt_tokens=900, completion_tokens=120, calls=3, seconds=12.5, truncated_outputs=1
        ),
        reviewed_files=("src/app.py", "docs/guide ü.md"),
    )


@pytest.fixture
def failed_review() -> Review:
    return Review(
        errors=(
            ChunkError(("a.py",), "backend timed out after 120 s"),
            ChunkError(("b.py",), "backend timed out after 120 s"),
        ),
        stats=Stats(calls=2),
        reviewed_files=(),
    )


@pytest.fixture
def single_review() -> Review:
    """One inline finding with a two-line suggestion, one chunk, one file."""
    return Review(findings=(INLINE,), stats=Stats(calls=1), reviewed_files=("src/app.py",))
