"""reviewbot: code review with a local language model. No code leaves your network.

The public API, for programs that embed reviewbot (the command line is ``reviewbot.cli``)::

    from reviewbot import Config, create_backend, parse_diff, PromptRenderer, review

    files, skipped = parse_diff(diff_bytes)
    result = review(files, create_backend(config), config, PromptRenderer.for_repo(repo, config),
                    skipped=skipped)

Names are imported on first use, so ``import reviewbot`` stays cheap for the pre-commit hook.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> module that defines it
_EXPORTS = {
    "Config": "reviewbot.config",
    "load_config": "reviewbot.config_load",
    "parse_diff": "reviewbot.diff",
    "PromptRenderer": "reviewbot.render",
    "review": "reviewbot.pipeline",
    "create_backend": "reviewbot.backends",
    "Backend": "reviewbot.backends.base",
    "create_reporter": "reviewbot.reporters",
    "findings_json_schema": "reviewbot.findings",
    "parse_output": "reviewbot.findings",
    "ReviewbotError": "reviewbot.errors",
    "Review": "reviewbot.types",
    "Finding": "reviewbot.types",
    "FileDiff": "reviewbot.types",
    "Severity": "reviewbot.types",
    "Side": "reviewbot.types",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'reviewbot' has no attribute {name!r}") from None
    return getattr(importlib.import_module(module), name)
