from __future__ import annotations

import ast

import pytest
from auditrepo import GO_MAIN, JS_UTIL, PY_APP

from reviewbot.audit.select import SourceFile
from reviewbot.audit.units import Unit, split_file
from reviewbot.errors import ConfigError


def source(path: str, language: str | None, text: str) -> SourceFile:
    return SourceFile(path, language, tuple(text.rstrip("\n").split("\n")))


def spans(units: list[Unit]) -> list[tuple[int, int, str]]:
    return [(u.start, u.end, u.name) for u in units]


def test_python_units_follow_functions_and_classes() -> None:
    units = split_file(source("src/app.py", "python", PY_APP), 2000, max_lines=8)

    assert spans(units) == [
        (1, 8, '"""The app."""'),
        (9, 14, "# Adds numbers."),  # the comment above a function goes with it
        (15, 20, "@staticmethod"),  # and so does a decorator
        (21, 27, "class Store:"),  # a class too long for one unit is cut between methods
        (28, 34, "def put(self, key, value):"),
        (35, 39, "def main():"),
    ]
    assert units[0].header == ()  # the imports are inside the first unit
    assert units[1].header == (
        (3, "import os"),
        (4, "from collections import ("),
        (5, "    OrderedDict,"),
        (6, ")"),
    )
    assert units[1].lines == (
        "# Adds numbers.",
        "def add(a, b):",
        "    total = a + b",
        "    return total",
        "",
        "",
    )


def test_brace_languages_use_the_fallback_scan() -> None:
    js = split_file(source("web/util.js", "javascript", JS_UTIL), 2000, max_lines=8)
    go = split_file(source("cmd/main.go", "go", GO_MAIN), 2000, max_lines=8)

    assert spans(js) == [
        (1, 3, 'import fs from "fs";'),
        (4, 9, "// Reads a file."),
        (10, 17, "function write(name, text) {"),
    ]
    assert js[1].header == ((1, 'import fs from "fs";'), (2, 'const path = require("path");'))
    assert spans(go) == [(1, 4, "package main"), (5, 12, "func double(x int) int {")]
    assert go[1].header == ((1, "package main"), (3, 'import "fmt"'))


def test_small_files_are_one_unit() -> None:
    units = split_file(source("src/app.py", "python", PY_APP), 2000)
    assert spans(units) == [(1, 39, '"""The app."""')]


def test_a_function_larger_than_the_limit_is_cut_at_its_statements() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(10))
    text = f"def big():\n{body}\n    return x9\n"
    units = split_file(source("big.py", "python", text), 2000, max_lines=4)
    assert spans(units) == [
        (1, 4, "def big():"),
        (5, 8, "x3 = 3"),
        (9, 12, "x7 = 7"),
    ]


def test_token_budget_cuts_long_lines() -> None:
    text = "\n".join(f"x{i} = '{'a' * 50}'" for i in range(6))
    units = split_file(source("long.py", "python", text), 50, max_lines=100)
    # 59 characters + 9 for the number each: two lines make 46 tokens, three 68
    assert spans(units) == [(1, 2, units[0].name), (3, 4, units[1].name), (5, 6, units[2].name)]


def test_a_tiny_budget_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="larger context_window"):
        split_file(source("a.py", "python", "x = 1\n"), 10)


def _functions(text: str) -> list[tuple[int, int]]:
    tree = ast.parse(text)
    return [
        (min([n.lineno, *(d.lineno for d in n.decorator_list)]), n.end_lineno or n.lineno)
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    ]


@pytest.mark.parametrize("max_lines", range(1, 42))
def test_every_line_once_and_no_unit_splits_a_function_that_fits(max_lines: int) -> None:
    units = split_file(source("src/app.py", "python", PY_APP), 2000, max_lines=max_lines)
    lines = PY_APP.rstrip("\n").split("\n")

    covered = [n for u in units for n in range(u.start, u.end + 1)]
    assert covered == list(range(1, len(lines) + 1))
    assert all(u.lines == tuple(lines[u.start - 1 : u.end]) for u in units)
    assert all(u.end - u.start + 1 <= max_lines for u in units)
    for first, last in _functions(PY_APP):
        if last - first + 1 <= max_lines:
            holders = [u for u in units if u.start <= first and last <= u.end]
            assert len(holders) == 1, (first, last, spans(units))


@pytest.mark.parametrize("max_lines", range(1, 18))
def test_js_functions_that_fit_stay_whole(max_lines: int) -> None:
    units = split_file(source("web/util.js", "javascript", JS_UTIL), 2000, max_lines=max_lines)
    covered = [n for u in units for n in range(u.start, u.end + 1)]
    assert covered == list(range(1, 18))
    for first, last in ((5, 8), (10, 15)):  # read() and write()
        if last - first + 1 <= max_lines:
            assert any(u.start <= first and last <= u.end for u in units), spans(units)
