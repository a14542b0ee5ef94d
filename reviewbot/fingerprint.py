"""Stable fingerprints of findings, for skipping what was already posted on re-runs."""

from __future__ import annotations

import hashlib


def normalize_code(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) made one space, ends stripped."""
    return " ".join(text.split())


def fingerprint(path: str, line_text: str, category: str) -> str:
    """16 lowercase hex characters (a truncated SHA-256) of path, line text and category.

    Line numbers and commit SHAs are left out because they move on every rebase; the line text
    is whitespace-normalized so re-indenting does not change it (GitHub re-run practice).
    """
    key = "\0".join((path, normalize_code(line_text), category))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
