"""Writing a Review where the user asked, in the format asked, and the exit code it implies."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TextIO

from reviewbot.config import Config
from reviewbot.error_handler import EXIT_FAIL, EXIT_OK
from reviewbot.errors import ConfigError
from reviewbot.reporters import create_reporter
from reviewbot.types import Review, Severity


def use_color(config: Config, stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Colour on a TTY unless NO_COLOR is set (https://no-color.org); config.color overrides."""
    if config.color is not None:
        return config.color
    return stream.isatty() and "NO_COLOR" not in environ


def write_report(
    review: Review,
    config: Config,
    *,
    stdout: TextIO | None = None,
    environ: Mapping[str, str] = os.environ,
) -> None:
    """Report ``review`` in ``config.format`` to ``config.output`` (a file) or stdout.

    Raises ConfigError when the output file cannot be written.
    """
    out = stdout if stdout is not None else sys.stdout
    if config.output is None:
        create_reporter(config.format, out, color=use_color(config, out, environ)).report(review)
        return
    try:
        with config.output.open("w", encoding="utf-8", newline="\n") as handle:
            create_reporter(config.format, handle, color=False).report(review)
    except OSError as exc:
        raise ConfigError(f"cannot write the report to {config.output}: {exc.strerror}") from exc


def exit_code(review: Review, fail_on: Severity | None) -> int:
    """1 when every chunk failed or a finding reaches ``fail_on``; else 0."""
    if review.failed:
        return EXIT_FAIL
    if fail_on is not None and any(f.severity.rank >= fail_on.rank for f in review.findings):
        return EXIT_FAIL
    return EXIT_OK
