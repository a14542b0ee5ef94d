from __future__ import annotations

import io

import factories
import pytest

from reviewbot.reporters.terminal import TerminalReporter
from reviewbot.types import Review, Severity, Stats


def render(review: Review, **options: object) -> str:
    out = io.StringIO()
    TerminalReporter(out, **options).report(review)  # type: ignore[arg-type]
    return out.getvalue()


def test_full_review(review: Review) -> None:
    assert render(review) == (
        "docs/guide ü.md:3: critical: [security] The example prints the token.\n"
        "  suggested replacement for line 3:\n"
        "  + ```sh\n"
        "  + echo done\n"
        "  + ```\n"
        "\n"
        "src/app.py: warning: [design] Parsing and I/O are mixed in one function.\n"
        "src/app.py:12: error: [bug] Off-by-one: the loop reads past the end. (lines 12-13)\n"
        "  suggested replacement for lines 12-13:\n"
        "  + for i in range(n):\n"
        "  +     total += xs[i]\n"
        "src/app.py: info: [style] The removed check guarded against None. (on removed line 30)\n"
        "  note: moved from line 29, which is not in the diff\n"
        "\n"
        "general:\n"
        "  warning: [tests] The change adds no tests.\n"
        "\n"
        "skipped 1 file:\n"
        "  assets/logo.png: binary file\n"
        "chunk errors:\n"
        "  src/db.py, src/api.py: model output was not valid JSON\n"
        "note: 1 model output cut off at the token limit; findings may be missing"
        " (raise max_new_tokens)\n"
        "review incomplete: 1 of 3 chunks failed; their files were not reviewed\n"
        "5 findings (1 critical, 1 error, 2 warnings, 1 info) in 2 files reviewed\n"
    )


def test_colour_only_when_asked(single_review: Review) -> None:
    review = single_review
    plain = render(review, color=False)
    assert "\x1b[" not in plain
    assert render(review, color=True) == (
        "\x1b[1msrc/app.py:12:\x1b[0m \x1b[31merror\x1b[0m: [bug] Off-by-one: the loop reads"
        " past the end. (lines 12-13)\n"
        "  suggested replacement for lines 12-13:\n"
        "\x1b[32m  + for i in range(n):\x1b[0m\n"
        "\x1b[32m  +     total += xs[i]\x1b[0m\n"
        "\n"
        "1 finding (1 error) in 1 file reviewed\n"
    )


def test_all_chunks_failed_says_failed_never_no_findings(failed_review: Review) -> None:
    text = render(failed_review)
    assert text == (
        "chunk errors:\n"
        "  a.py: backend timed out after 120 s\n"
        "  b.py: backend timed out after 120 s\n"
        "review failed: all 2 chunks failed; nothing was reviewed\n"
    )
    assert "no findings" not in text
    assert render(failed_review, color=True).endswith(
        "\x1b[1;31mreview failed: all 2 chunks failed; nothing was reviewed\x1b[0m\n"
    )


def test_clean_review() -> None:
    review = Review(stats=Stats(calls=2), reviewed_files=("a.py", "b.py"))
    assert render(review) == "no findings in 2 files reviewed\n"


def test_suggestion_as_diff_when_original_lines_are_known(single_review: Review) -> None:
    calls: list[tuple[str, int, int]] = []

    def original_lines(path: str, start: int, end: int) -> list[str] | None:
        calls.append((path, start, end))
        return ["for i in range(n + 1):", "    total += xs[i]"]

    assert render(single_review, original_lines=original_lines).splitlines()[1:6] == [
        "  suggested change to lines 12-13:",
        "  - for i in range(n + 1):",
        "  -     total += xs[i]",
        "  + for i in range(n):",
        "  +     total += xs[i]",
    ]
    assert calls == [("src/app.py", 12, 13)]


def test_original_lines_unknown_falls_back_to_replacement(single_review: Review) -> None:
    lines = render(single_review, original_lines=lambda path, start, end: None).splitlines()
    assert lines[1] == "  suggested replacement for lines 12-13:"


@pytest.mark.parametrize(
    ("originals", "expected"),
    [
        (None, ["  suggested: delete line 7"]),
        (["print(x)"], ["  suggested change to line 7:", "  - print(x)"]),
    ],
)
def test_deletion_suggestion(originals: list[str] | None, expected: list[str]) -> None:
    finding = factories.finding(
        line=7,
        end_line=7,
        severity=Severity.WARNING,
        category="debug",
        message="Leftover print.",
        suggestion="",
    )
    review = Review(findings=(finding,), stats=Stats(calls=1), reviewed_files=("a.py",))
    lines = render(review, original_lines=lambda p, s, e: originals).splitlines()
    assert lines[0] == "a.py:7: warning: [debug] Leftover print."
    assert lines[1 : 1 + len(expected)] == expected


def test_writes_to_stdout_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    TerminalReporter().report(Review(stats=Stats(calls=1)))
    assert capsys.readouterr().out == "no findings in 0 files reviewed\n"


def test_control_characters_from_the_model_are_neutralised() -> None:
    finding = factories.finding(
        path="a\x1b.py",
        line=2,
        end_line=2,
        severity=Severity.ERROR,
        category="bug",
        message="Clears \x1b[2Jthe screen\r\nsecond line\x07\nthird line\x9b",
        suggestion="x = 1\r\nbell\x07",
        note="n\x1b]0;title\x07",
    )
    review = Review(findings=(finding,), stats=Stats(calls=1), reviewed_files=("a.py",))
    assert render(review) == (
        "a?.py:2: error: [bug] Clears ?[2Jthe screen\n"
        "  second line?\n"
        "  third line?\n"
        "  suggested replacement for line 2:\n"
        "  + x = 1\n"
        "  + bell?\n"
        "  note: n?]0;title?\n"
        "\n"
        "1 finding (1 error) in 1 file reviewed\n"
    )
