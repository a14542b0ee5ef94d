"""Findings for tests: as the model writes them (JSON-ready dicts) and as reviewbot places them.

Each builder starts from one plain default and takes the fields a test cares about, so a test
states only what matters to it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from reviewbot.types import Finding, Placement, Severity, Side


def raw_finding(**fields: Any) -> dict[str, Any]:
    """One finding in the model's answer schema (reviewbot.findings): by default an error on
    line 1 of app.py without quote or suggestion; ``fields`` replace the defaults."""
    base: dict[str, Any] = {
        "path": "app.py",
        "line": 1,
        "end_line": None,
        "side": "RIGHT",
        "severity": "error",
        "category": "bug",
        "quote": None,
        "message": "Division by zero.",
        "suggestion": None,
    }
    return {**base, **fields}


# app.py: "def f(x):\n    if x = None:\n        return 0\n    return x\n" (line 2 is the bug)
ASSIGNMENT_BUG = raw_finding(
    line=2,
    quote="if x = None:",
    message="Assignment instead of comparison.",
    suggestion="    if x is None:",
)
# app.py: "x = 1 / 0\n"
DIVISION_BUG = raw_finding()


def answer(*findings: dict[str, Any]) -> str:
    """The model's whole answer text: ``{"findings": [...]}``."""
    return json.dumps({"findings": list(findings)})


_FINDING = Finding(
    path="a.py",
    line=1,
    end_line=None,
    side=Side.RIGHT,
    severity=Severity.INFO,
    category="c",
    message="m",
    suggestion=None,
    fingerprint="f",
    placement=Placement.INLINE,
)


def finding(**fields: Any) -> Finding:
    """A placed Finding: by default an inline info finding on line 1 (RIGHT) of a.py, category
    "c", message "m", fingerprint "f", no suggestion or note; ``fields`` replace the defaults."""
    return replace(_FINDING, **fields)
