from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from reviewbot import git
from reviewbot.bench.casefile import (
    AnswerLine,
    CaseKind,
    read_cases,
    write_cases,
)
from reviewbot.bench.cases import CaseOptions, generate_cases, quotas, replace_added_line
from reviewbot.bench.fixes import answer_key, find_fix_cases, fix_reason
from reviewbot.bench.history import Commit, recent_commits
from reviewbot.bench.sources import is_test_path
from reviewbot.diff import parse_diff
from reviewbot.errors import ConfigError, DiffParseError, SerializeError
from reviewbot.types import LineKind, Side


def test_same_seed_gives_the_same_cases_and_another_seed_others(history_repo: Path) -> None:
    first = generate_cases(history_repo, CaseOptions(count=10, seed=1))
    again = generate_cases(history_repo, CaseOptions(count=10, seed=1))
    other = generate_cases(history_repo, CaseOptions(count=10, seed=2))
    assert first == again
    assert [c.id for c in first.cases] != [c.id for c in other.cases]
    assert first.head == git.rev_parse(history_repo, "HEAD")


def test_case_mix_for_ten_cases(history_repo: Path) -> None:
    made = generate_cases(history_repo, CaseOptions(count=10, seed=1))
    kinds = [c.kind for c in made.cases]
    assert quotas(10) == (5, 2, 3)
    # the history has only four commits a seeded bug can come from besides the two fixes
    assert kinds.count(CaseKind.SEEDED) == 4
    assert kinds.count(CaseKind.FIX) == 2
    assert kinds.count(CaseKind.CLEAN) == 4
    assert made.notes == (
        "4 seeded, 2 reversed fixes (2 fix commits found), 4 clean, from the last 300 commits"
        " of HEAD with seed 1",
    )
    languages = {c.language for c in made.cases if c.kind is CaseKind.SEEDED}
    assert languages == {"python", "javascript", "typescript", "go"}
    # each seeded case uses another operator: they are drawn least-used first
    operators = [c.operator for c in made.cases if c.kind is CaseKind.SEEDED]
    assert len(set(operators)) == 4


def test_seeded_case_changes_one_added_line_of_the_real_commit(history_repo: Path) -> None:
    made = generate_cases(history_repo, CaseOptions(count=10, seed=1))
    twins = {c.commit: c for c in made.cases if c.kind is CaseKind.CLEAN}
    for case in (c for c in made.cases if c.kind is CaseKind.SEEDED):
        [answer] = case.answer
        assert answer.side is Side.RIGHT and answer.anchor == answer.line
        mutated = _added_lines(case.diff)
        original = _added_lines(twins[case.commit].diff)
        assert (
            twins[case.commit].diff
            == git.range_diff(history_repo, case.commit, [answer.path]).decode()
        )
        changed = {n for n in mutated if mutated[n] != original[n]}
        assert changed == {answer.line}
        assert set(mutated) == set(original)


def test_python_mutants_parse(history_repo: Path) -> None:
    python_cases = 0
    for seed in range(8):
        made = generate_cases(history_repo, CaseOptions(count=10, seed=seed))
        for case in made.cases:
            if case.kind is not CaseKind.SEEDED or case.language != "python":
                continue
            python_cases += 1
            [answer] = case.answer
            text = git.show_blob(history_repo, case.commit, answer.path).decode()
            lines = text.split("\n")
            lines[answer.line - 1] = _added_lines(case.diff)[answer.line]
            tree = ast.parse("\n".join(lines))
            assert ast.dump(tree) != ast.dump(ast.parse(text))
    assert python_cases >= 4


def test_cases_file_round_trip(history_repo: Path, tmp_path: Path) -> None:
    made = generate_cases(history_repo, CaseOptions(count=10, seed=3))
    target = tmp_path / "cases.jsonl"
    write_cases(target, made)
    assert read_cases(target) == made
    lines = target.read_text().splitlines()
    assert len(lines) == 11
    assert json.loads(lines[0])["format"] == "reviewbot-bench-cases"


def test_bad_cases_files_are_refused(tmp_path: Path) -> None:
    plain = tmp_path / "plain.jsonl"
    plain.write_text('{"id": 1}\n')
    with pytest.raises(SerializeError, match="is not a reviewbot bench cases file"):
        read_cases(plain)
    broken = tmp_path / "broken.jsonl"
    broken.write_text(
        '{"format": "reviewbot-bench-cases", "version": 1, "seed": 0, "head": ""}\n{"id": "x"}\n'
    )
    with pytest.raises(SerializeError, match=r"broken.jsonl:2 is not a benchmark case"):
        read_cases(broken)
    with pytest.raises(ConfigError, match="cannot read the cases file"):
        read_cases(tmp_path / "missing.jsonl")


def test_replace_added_line_keeps_everything_else() -> None:
    diff = "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n+c\r\n d\n@@ -9 +9,2 @@\n e\n+f\n"
    assert replace_added_line(diff, 2, "C") == diff.replace("+c\r", "+C\r")
    assert replace_added_line(diff, 10, "F") == diff.replace("+f", "+F")
    with pytest.raises(DiffParseError, match="no added line 3"):
        replace_added_line(diff, 3, "x")


def test_count_below_one_is_refused(history_repo: Path) -> None:
    with pytest.raises(ConfigError, match="case count 0 is below 1"):
        generate_cases(history_repo, CaseOptions(count=0))


# --- reversed fixes


def test_reversed_fixes_from_a_crafted_history(history_repo: Path) -> None:
    commits = recent_commits(history_repo, 50)
    assert [c.subject for c in commits][:4] == [
        "fix off-by-one in paginate",
        "Fix typo in README",
        "Add regression test for the crash",
        "Fix crash in average on empty input",
    ]
    cases = find_fix_cases(history_repo, commits)
    assert [c.note for c in cases] == [
        "reversed fix (message): fix off-by-one in paginate",
        "reversed fix (message): Fix crash in average on empty input",
    ]
    js, py = cases
    assert js.answer == (
        AnswerLine("web/app.js", Side.LEFT, 3, 3),
        AnswerLine("web/app.js", Side.RIGHT, 3, 3),
    )
    assert not js.deletion_only
    assert "+  for (let i = 0; i <= items.length; i += size) {" in js.diff
    # the fix added a guard: reversed, it only deletes, and the test file is left out
    assert py.deletion_only
    assert py.answer == (
        AnswerLine("calc.py", Side.LEFT, 14, 14),
        AnswerLine("calc.py", Side.LEFT, 15, 14),
    )
    assert "tests/" not in py.diff
    assert "-    if not count:\n-        return 0\n" in py.diff


def test_fix_reason_reads_message_then_content() -> None:
    def commit(message: str) -> Commit:
        return Commit("0" * 40, ("1" * 40,), message, "")

    guard = (
        b"--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,4 @@\n def f(x):\n"
        b"+    if x is None:\n+        return 0\n     return x.y\n"
    )
    files, _ = parse_diff(guard)
    assert fix_reason(commit("Handle crash on start"), []) == "message"
    assert fix_reason(commit("Fix typo in docs"), []) is None
    assert fix_reason(commit("Fix tests"), []) is None
    assert fix_reason(commit("Tidy up"), files) == "content"
    assert fix_reason(commit("Tidy up"), []) is None


def test_answer_key_anchors_removed_lines_where_they_were() -> None:
    diff = b"--- a/x.py\n+++ b/x.py\n@@ -4,5 +4,3 @@\n a\n-b\n-c\n+C\n d\n-e\n"
    files, _ = parse_diff(diff)
    assert answer_key(files) == (
        AnswerLine("x.py", Side.LEFT, 5, 5),
        AnswerLine("x.py", Side.LEFT, 6, 5),
        AnswerLine("x.py", Side.RIGHT, 5, 5),
        AnswerLine("x.py", Side.LEFT, 8, 7),
    )


def test_test_paths() -> None:
    assert is_test_path("tests/test_calc.py")
    assert is_test_path("pkg/calc_test.go")
    assert is_test_path("web/app.test.ts")
    assert is_test_path("src/test/java/FooTest.java")
    assert not is_test_path("calc.py")
    assert not is_test_path("src/contest.py")


def _added_lines(diff: str) -> dict[int, str]:
    files, _ = parse_diff(diff.encode())
    return {
        line.new_lineno: line.text
        for f in files
        for h in f.hunks
        for line in h.lines
        if line.kind is LineKind.ADD and line.new_lineno is not None
    }
