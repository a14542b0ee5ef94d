"""The public API is what ``reviewbot.__all__`` says, and importing reviewbot stays light."""

from __future__ import annotations

import subprocess
import sys

import reviewbot


def test_every_exported_name_resolves() -> None:
    assert reviewbot.__all__ == [
        "__version__",
        "Config",
        "load_config",
        "parse_diff",
        "PromptRenderer",
        "review",
        "create_backend",
        "Backend",
        "create_reporter",
        "findings_json_schema",
        "parse_output",
        "ReviewbotError",
        "Review",
        "Finding",
        "FileDiff",
        "Severity",
        "Side",
    ]
    for name in reviewbot.__all__:
        assert getattr(reviewbot, name) is not None


def test_import_reviewbot_loads_no_heavy_module() -> None:
    code = (
        "import sys, reviewbot\n"
        "heavy = {'jinja2', 'pydantic', 'httpx', 'unidiff', 'github', 'llama_cpp', 'torch'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
