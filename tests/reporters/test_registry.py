from __future__ import annotations

import io

import pytest

from reviewbot.errors import ConfigError
from reviewbot.reporters import REPORTERS, create_reporter, reporter_factory
from reviewbot.reporters.json_report import JsonReporter
from reviewbot.reporters.markdown import MarkdownReporter
from reviewbot.reporters.rdjsonl import RdjsonlReporter
from reviewbot.reporters.sarif import SarifReporter
from reviewbot.reporters.terminal import TerminalReporter
from reviewbot.types import Review


def test_registry() -> None:
    registry = {fmt: reporter_factory(fmt) for fmt in REPORTERS}
    assert registry == {
        "terminal": TerminalReporter,
        "json": JsonReporter,
        "sarif": SarifReporter,
        "rdjsonl": RdjsonlReporter,
        "markdown": MarkdownReporter,
    }


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_every_format_writes_to_the_given_stream(fmt: str, review: Review) -> None:
    out = io.StringIO()
    create_reporter(fmt, out, color=True).report(review)
    assert out.getvalue().endswith("\n")


@pytest.mark.parametrize("color", [True, False])
def test_color_reaches_the_terminal_reporter(color: bool, review: Review) -> None:
    out = io.StringIO()
    create_reporter("terminal", out, color=color).report(review)
    assert ("\x1b[" in out.getvalue()) is color


def test_original_lines_reach_the_terminal_reporter(single_review: Review) -> None:
    out = io.StringIO()
    create_reporter("terminal", out, original_lines=lambda p, s, e: ["old 1", "old 2"]).report(
        single_review
    )
    assert "\n  - old 1\n  - old 2\n" in out.getvalue()


def test_unknown_format() -> None:
    with pytest.raises(ConfigError) as info:
        create_reporter("html", io.StringIO())
    assert str(info.value) == (
        "unknown output format 'html'; choose one of: json, markdown, rdjsonl, sarif, terminal"
    )
