"""Suggestion safety: indentation, replace semantics, syntax checks, fences, line endings."""

from __future__ import annotations

import pytest

from reviewbot.errors import SuggestionError
from reviewbot.suggestions import (
    SuggestionCheck,
    apply_suggestion,
    check_suggestion,
    format_diff_block,
    format_suggestion_block,
    rebase_indentation,
    suggestion_fence,
    to_file_eol,
)

PY = "def f(x):\n    if x:\n        return 1\n    return 2\n"


@pytest.mark.parametrize(
    ("suggestion", "original", "expected"),
    [
        # the model dropped the indentation
        ("return y", ["        return x"], "        return y"),
        # relative indentation inside the suggestion is kept
        (
            "if a is not None:\n    b()",
            ["    if a:", "        b()"],
            "    if a is not None:\n        b()",
        ),
        # already right: unchanged
        ("    b", ["    a"], "    b"),
        # too deep: shifted back
        ("        b\n            c", ["    a"], "    b\n        c"),
        # tab file: 4-space levels become tabs
        ("    foo(1)\n        bar()", ["\t\tfoo()"], "\t\tfoo(1)\n\t\t\tbar()"),
        # tab file: 2-space levels become tabs
        ("  a\n    b", ["\tx"], "\ta\n\t\tb"),
        # space file: tabs become the file's unit
        ("\tx = 2\n\t\ty", ["    x = 1"], "    x = 2\n        y"),
        # space file with 2-space indentation
        ("\tx\n\t\ty", ["  a", "    b"], "  x\n    y"),
        # blank lines become empty, and are not used to find the first line
        ("\n  a\n   \n  b", ["    x"], "\n    a\n\n    b"),
        # deletion and blank originals are left alone
        ("", ["    x"], ""),
        ("a", ["", "  "], "a"),
    ],
)
def test_rebase_indentation(suggestion: str, original: list[str], expected: str) -> None:
    assert rebase_indentation(suggestion, original) == expected


def test_apply_suggestion_replaces_the_inclusive_range() -> None:
    lines = ["a", "b", "c", "d"]
    assert apply_suggestion(lines, 2, 3, "X\nY\nZ") == ["a", "X", "Y", "Z", "d"]
    assert apply_suggestion(lines, 1, 1, "A") == ["A", "b", "c", "d"]
    assert apply_suggestion(lines, 4, 4, "D\r\nE") == ["a", "b", "c", "D", "E"]


def test_empty_suggestion_deletes_the_lines() -> None:
    assert apply_suggestion(["a", "b", "c"], 2, 3, "") == ["a"]


@pytest.mark.parametrize(("start", "end"), [(0, 1), (3, 2), (4, 5)])
def test_apply_suggestion_outside_the_file_raises(start: int, end: int) -> None:
    with pytest.raises(SuggestionError, match=f"cannot replace lines {start}-{end} of a file of 3"):
        apply_suggestion(["a", "b", "c"], start, end, "x")


@pytest.mark.parametrize(
    ("path", "language", "text", "start", "end", "suggestion", "expected"),
    [
        ("f.py", None, PY, 3, 3, "        return 0", ("ok", "the result parses as Python")),
        (
            "f.py",
            None,
            PY,
            2,
            2,
            "    if x",
            ("unsafe", "the result does not parse as Python: line 2: expected ':'"),
        ),
        (
            "f.py",
            None,
            "def f(:\n    return 1\n",
            2,
            2,
            "    return 0",
            (
                "unchecked",
                "the original file does not parse as Python either (line 1: invalid syntax)",
            ),
        ),
        (
            "tool",
            "python",
            PY,
            4,
            4,
            "    return (2",
            ("unsafe", "the result does not parse as Python: line 4: '(' was never closed"),
        ),
        ("f.py", None, None, 1, 1, "x", ("unchecked", "the file's new content is not available")),
        ("f.py", None, PY, 4, 5, "x", ("unsafe", "lines 4-5 are outside the file (4 lines)")),
        ("f.py", None, PY, 3, 3, "        return 1", ("unsafe", "it is identical to lines 3-3")),
        (
            "f.py",
            None,
            PY,
            2,
            3,
            "    if x:\n        return 3\n    return 2",
            (
                "unsafe",
                "its last line repeats line 4 just after the range ('return 2'); "
                "applying it would duplicate that line",
            ),
        ),
        (
            "f.py",
            None,
            PY,
            2,
            2,
            "def f(x):\n    if not x:",
            (
                "unsafe",
                "its first line repeats line 1 just before the range ('def f(x):'); "
                "applying it would duplicate that line",
            ),
        ),
        ("a.json", None, '{\n  "a": 1\n}\n', 2, 2, '  "a": 2', ("ok", "the result parses as JSON")),
        (
            "a.json",
            None,
            '{\n  "a": 1,\n  "b": 2\n}\n',
            3,
            3,
            '  "b": 2,',
            (
                "unsafe",
                "the result does not parse as JSON: line 4: "
                "Expecting property name enclosed in double quotes",
            ),
        ),
        ("p.toml", None, 'a = 1\nb = "x"\n', 2, 2, 'b = "y"', ("ok", "the result parses as TOML")),
        (
            "p.toml",
            None,
            'a = 1\nb = "x"\n',
            2,
            2,
            "b = ",
            ("unsafe", "the result does not parse as TOML: Invalid value (at line 2, column 5)"),
        ),
        (
            "m.go",
            "go",
            "func f() {\n\tx := g(1)\n}\n",
            2,
            2,
            "\tx := g(1",
            ("unsafe", "brackets balanced before the suggestion and not after"),
        ),
        (
            "m.go",
            "go",
            "func f() {\n\tx := g(1)\n}\n",
            2,
            2,
            "\tx := g(2)",
            ("unchecked", "no parser for this language; bracket balance unchanged"),
        ),
        # A nested closing brace at another indentation is not a duplicate of the next line.
        (
            "m.c",
            None,
            "int f() {\n  x = 1;\n}\n",
            2,
            2,
            "  if (y) {\n    x = 1;\n  }",
            ("unchecked", "no parser for this language; bracket balance unchanged"),
        ),
        # CRLF files: the text is split on CRLF; the suggestion may use either ending.
        (
            "w.py",
            None,
            "a = 1\r\nb = 2\r\n",
            2,
            2,
            "b = 3\r\n",
            ("ok", "the result parses as Python"),
        ),
        (
            "w.py",
            None,
            "a = 1\r\nb = 2\r\n",
            1,
            1,
            "a = (",
            ("unsafe", "the result does not parse as Python: line 1: '(' was never closed"),
        ),
    ],
)
def test_check_suggestion(
    path: str,
    language: str | None,
    text: str | None,
    start: int,
    end: int,
    suggestion: str,
    expected: tuple[str, str],
) -> None:
    assert check_suggestion(path, language, text, start, end, suggestion) == SuggestionCheck(
        *expected  # type: ignore[arg-type]
    )


def test_fence_is_longer_than_any_backtick_run() -> None:
    assert suggestion_fence("x = 1") == "```"
    assert suggestion_fence("see ```python``` and `a`") == "````"
    assert suggestion_fence("`````") == "``````"


def test_suggestion_block_with_a_fence_inside() -> None:
    body = 'doc = """\n```\nexample\n```\n"""'
    assert format_suggestion_block(body) == f"````suggestion\n{body}\n````"


def test_empty_suggestion_block_deletes() -> None:
    assert format_suggestion_block("") == "```suggestion\n```"


def test_suggestion_block_uses_lf_inside() -> None:
    assert format_suggestion_block("a\r\nb") == "```suggestion\na\nb\n```"


def test_diff_block_keeps_unchanged_lines_as_context() -> None:
    assert format_diff_block(["a", "b", "c"], "a\nB\nc\nd") == "```diff\n a\n-b\n+B\n c\n+d\n```"
    assert format_diff_block(["x = ```"], "") == "````diff\n-x = ```\n````"


def test_to_file_eol() -> None:
    assert to_file_eol("a\nb\r\nc", "crlf") == "a\r\nb\r\nc"
    assert to_file_eol("a\r\nb", "lf") == "a\nb"
    with pytest.raises(SuggestionError, match="unknown line ending 'cr'"):
        to_file_eol("a", "cr")


def test_repeated_line_before_the_range_is_caught_after_reindenting() -> None:
    text = "def add(a, b):\n    return a - b\n"
    rebased = rebase_indentation("def add(a, b):\n    return a + b", ["    return a - b"])
    check = check_suggestion("calc.py", "python", text, 2, 2, rebased)
    assert check == SuggestionCheck(
        "unsafe",
        "its first line repeats line 1 just before the range ('def add(a, b):'); applying it "
        "would duplicate that line",
    )


@pytest.mark.parametrize(
    ("path", "text", "suggestion", "name"),
    [
        ("a.json", "[1]\n", "[" * 100_000 + "]" * 100_000, "JSON"),
        ("a.toml", "a = 1\n", "a = " + "[" * 100_000 + "]" * 100_000, "TOML"),
        ("a.py", "x = 1\n", "x = " + "-" * 100_000 + "1", "Python"),
    ],
)
def test_a_suggestion_nested_too_deeply_to_parse_is_unsafe(
    path: str, text: str, suggestion: str, name: str
) -> None:
    assert check_suggestion(path, None, text, 1, 1, suggestion) == SuggestionCheck(
        "unsafe", f"the result does not parse as {name}: nested too deeply to parse"
    )


def test_null_bytes_in_python_are_unsafe_with_the_parsers_reason() -> None:
    assert check_suggestion("a.py", None, "x = 1\n", 1, 1, "x = 1\0") == SuggestionCheck(
        "unsafe",
        "the result does not parse as Python: source code string cannot contain null bytes",
    )


def test_the_parser_is_chosen_by_the_files_name_when_no_language_is_given() -> None:
    assert check_suggestion("conf/A.JSON", None, "[1]\n", 1, 1, "[2]") == SuggestionCheck(
        "ok", "the result parses as JSON"
    )
