"""A small review with one of each kind of thing a reporter must show."""

from __future__ import annotations

import pytest

from reviewbot.types import (
    ChunkError,
    Finding,
    Placement,
    Review,
    Severity,
    Side,
    Skipped,
    Stats,
)

INLINE = Finding(
    path="src/app.py",
    line=12,
    end_line=13,
    side=Side.RIGHT,
    severity=Severity.ERROR,
    category="bug",
    message="Off-by-one: the loop reads past the end.",
    suggestion="for i in range(n):\n    total += xs[i]",
    fingerprint="fp-inline",
    placement=Placement.INLINE,
)
FILE_LEVEL = Finding(
    path="src/app.py",
    line=None,
    end_line=None,
    side=Side.RIGHT,
    severity=Severity.WARNING,
    category="design",
    message="Parsing and I/O are mixed in one function.",
    suggestion=None,
    fingerprint="fp-file",
    placement=Placement.FILE,
)
REMOVED = Finding(
    path="src/app.py",
    line=30,
    end_line=None,
    side=Side.LEFT,
    severity=Severity.INFO,
    category="style",
    message="The removed check guarded against None.",
    suggestion=None,
    fingerprint="fp-left",
    placement=Placement.INLINE,
    note="moved from line 29, which is not in the diff",
)
GENERAL = Finding(
    path="",
    line=None,
    end_line=None,
    side=Side.RIGHT,
    severity=Severity.WARNING,
    category="tests",
    message="The change adds no tests.",
    suggestion=None,
    fingerprint="fp-summary",
    placement=Placement.SUMMARY,
)
FENCED = Finding(
    path="docs/guide ü.md",
    line=3,
    end_line=3,
    side=Side.RIGHT,
    severity=Severity.CRITICAL,
    category="security",
    message="The example prints the token.",
    suggestion="```sh\necho done\n```",
    fingerprint="fp-fenced",
    placement=Placement.INLINE,
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
