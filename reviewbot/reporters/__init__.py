"""Reporters: the ``Reporter`` protocol and the registry of output formats by name.

Each reporter writes one review to an injected text stream. The ``github`` reporter (pull-request
reviews) needs a client and a pull request, so the ``pr`` command builds it itself.
Reporters are imported only when chosen: the JSON one pulls in pydantic, which the pre-commit
hook's terminal output must not pay for.
"""

from __future__ import annotations

import importlib
from typing import TextIO

from reviewbot.errors import ConfigError
from reviewbot.reporters.base import OriginalLines, Reporter, ReporterFactory

# format -> "module:class"; the class is a ReporterFactory.
REPORTERS: dict[str, str] = {
    "terminal": "reviewbot.reporters.terminal:TerminalReporter",
    "json": "reviewbot.reporters.json_report:JsonReporter",
    "sarif": "reviewbot.reporters.sarif:SarifReporter",
    "rdjsonl": "reviewbot.reporters.rdjsonl:RdjsonlReporter",
    "markdown": "reviewbot.reporters.markdown:MarkdownReporter",
}


def reporter_factory(fmt: str) -> ReporterFactory:
    """The reporter class for ``fmt``. Raises ConfigError for an unknown format."""
    try:
        target = REPORTERS[fmt]
    except KeyError:
        names = ", ".join(sorted(REPORTERS))
        raise ConfigError(f"unknown output format {fmt!r}; choose one of: {names}") from None
    module, _, name = target.partition(":")
    factory: ReporterFactory = getattr(importlib.import_module(module), name)
    return factory


def create_reporter(
    fmt: str,
    stream: TextIO,
    *,
    color: bool = False,
    original_lines: OriginalLines | None = None,
) -> Reporter:
    """The reporter for format ``fmt`` writing to ``stream``.

    color: ANSI colour (terminal only; the caller decides: a TTY and NO_COLOR unset).
    original_lines: the current lines of a file, to show suggestions as diffs (terminal only).
    Raises ConfigError for an unknown format, listing the known ones.
    """
    factory = reporter_factory(fmt)
    return factory(stream, color=color, original_lines=original_lines)


__all__ = [
    "REPORTERS",
    "OriginalLines",
    "Reporter",
    "ReporterFactory",
    "create_reporter",
    "reporter_factory",
]
