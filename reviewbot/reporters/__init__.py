"""Reporters: the ``Reporter`` protocol and the registry of output formats by name.

Each reporter writes one review to an injected text stream. The ``github`` reporter (pull-request
reviews) needs a client and a pull request, so the ``pr`` command builds it itself.
"""

from __future__ import annotations

from typing import TextIO

from reviewbot.errors import ConfigError
from reviewbot.reporters.base import OriginalLines, Reporter, ReporterFactory
from reviewbot.reporters.json_report import JsonReporter
from reviewbot.reporters.markdown import MarkdownReporter
from reviewbot.reporters.rdjsonl import RdjsonlReporter
from reviewbot.reporters.sarif import SarifReporter
from reviewbot.reporters.terminal import TerminalReporter

REPORTERS: dict[str, ReporterFactory] = {
    "terminal": TerminalReporter,
    "json": JsonReporter,
    "sarif": SarifReporter,
    "rdjsonl": RdjsonlReporter,
    "markdown": MarkdownReporter,
}


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
    try:
        factory = REPORTERS[fmt]
    except KeyError:
        names = ", ".join(sorted(REPORTERS))
        raise ConfigError(f"unknown output format {fmt!r}; choose one of: {names}") from None
    return factory(stream, color=color, original_lines=original_lines)


__all__ = ["REPORTERS", "OriginalLines", "Reporter", "ReporterFactory", "create_reporter"]
