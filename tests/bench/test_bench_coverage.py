"""Cases the model never saw are "not reviewed", never scored as reviews that found nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewbot.bench.benchdb import BenchDB, CaseResult
from reviewbot.bench.casefile import AnswerLine, Case, CaseKind
from reviewbot.bench.cases import CaseOptions, generate_cases
from reviewbot.bench.coverage import not_reviewed
from reviewbot.bench.oracles import SELF_CHECK, OracleBackend
from reviewbot.bench.profiles import Profile
from reviewbot.bench.report import coverage_warnings, report_terminal
from reviewbot.bench.runner import run_profiles
from reviewbot.bench.score import Rate, score_profile
from reviewbot.cli import main
from reviewbot.commands.bench import self_check_problems
from reviewbot.config import Config
from reviewbot.diff import parse_diff
from reviewbot.types import Side, Skipped

# Two hunks of a.py: lines 1-3 (new 1-3) and old 20 / new 21.
DIFF = "--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,3 @@\n x\n+y\n z\n@@ -20 +21 @@\n-p\n+q\n"
SECOND_HUNK_TOO_BIG = Skipped(
    "a.py",
    "hunk @@ -20,1 +21,1 @@ does not fit the context window (90 tokens > 76 available); "
    "not reviewed",
)


def _case(kind: CaseKind, *answer: AnswerLine) -> Case:
    return Case("c", kind, "0" * 40, DIFF, answer)


def test_an_answer_line_in_a_skipped_hunk_is_not_reviewed() -> None:
    files, _ = parse_diff(DIFF.encode())
    first = _case(CaseKind.SEEDED, AnswerLine("a.py", Side.RIGHT, 2, 2))
    second = _case(CaseKind.SEEDED, AnswerLine("a.py", Side.RIGHT, 21, 21))
    removed = _case(CaseKind.FIX, AnswerLine("a.py", Side.LEFT, 20, 21))
    reason = (
        "a.py: hunk @@ -20,1 +21,1 @@ does not fit the context window (90 tokens > 76 "
        "available); not reviewed"
    )
    assert not_reviewed(first, files, [SECOND_HUNK_TOO_BIG]) == ()  # its hunk was shown
    assert not_reviewed(second, files, [SECOND_HUNK_TOO_BIG]) == (reason,)
    assert not_reviewed(removed, files, [SECOND_HUNK_TOO_BIG]) == (reason,)
    # a clean case is scored on everything it changes
    assert not_reviewed(_case(CaseKind.CLEAN), files, [SECOND_HUNK_TOO_BIG]) == (reason,)


def test_a_skipped_file_leaves_its_answers_not_reviewed() -> None:
    files, _ = parse_diff(DIFF.encode())
    case = _case(CaseKind.SEEDED, AnswerLine("a.py", Side.RIGHT, 2, 2))
    excluded = Skipped("a.py", "excluded by pattern *.py")
    assert not_reviewed(case, files, [excluded]) == ("a.py: excluded by pattern *.py",)
    assert not_reviewed(case, files, [Skipped("b.py", "lockfile")]) == ()
    assert not_reviewed(_case(CaseKind.CLEAN), files, [Skipped("b.py", "lockfile")]) == (
        "b.py: lockfile",
    )
    elsewhere = _case(CaseKind.SEEDED, AnswerLine("c.py", Side.RIGHT, 1, 1))
    assert not_reviewed(elsewhere, files, []) == ("c.py: not in the case's diff",)


def _run(repo: Path, tmp_path: Path, config: Config) -> tuple[list[Case], BenchDB]:
    cases = list(generate_cases(repo, CaseOptions(count=10, seed=1)).cases)
    db = BenchDB(tmp_path / "bench.sqlite")
    run_profiles(
        cases, [Profile("p", config)], db, repo=repo, make_backend=lambda p: OracleBackend()
    )
    return cases, db


def test_hunks_too_big_for_the_context_are_left_out_of_every_rate(
    history_repo: Path, tmp_path: Path
) -> None:
    config = Config(backend="fake", context_window=900, max_new_tokens=100)
    cases, db = _run(history_repo, tmp_path, config)
    results = {r.case_id: r for r in db.results()}
    assert [results[c.id].status for c in cases] == ["not_reviewed"] * 5 + ["ok"] + [
        "not_reviewed"
    ] * 4
    seeded = results[cases[0].id]
    assert (seeded.calls, seeded.findings, seeded.errors) == (
        0,
        (),
        (
            "srv/server.go: hunk @@ -0,0 +1,19 @@ does not fit the context window (113 tokens > "
            "76 available); not reviewed",
        ),
    )
    score = score_profile("p", cases, db.results())
    assert (score.reviewed, score.missing, score.failed, score.not_reviewed) == (1, 0, 0, 9)
    # only the one reversed fix that fitted is scored; no clean case was seen at all
    assert score.detection_line == Rate(1, 1)
    assert score.precision == Rate(2, 2)
    assert score.clean_flagged == Rate(0, 0)
    assert score.parse == Rate(1, 1)
    assert score.not_reviewed_reason == seeded.errors[0]
    assert db.done("p") == {c.id for c in cases}  # the same settings would skip them again
    assert report_terminal([score], cases, 3).splitlines()[2] == (
        "cases reviewed                            1 (0 missing, 0 failed, 9 not reviewed)"
    )
    assert coverage_warnings([score]) == [
        "profile 'p': 9 of 10 cases were not reviewed, so its scores leave them out (e.g. "
        "srv/server.go: hunk @@ -0,0 +1,19 @@ does not fit the context window (113 tokens > 76 "
        "available); not reviewed); give it a larger context_window or lower its max_new_tokens"
    ]
    db.close()


def test_files_left_out_by_the_filters_are_not_reviewed(history_repo: Path, tmp_path: Path) -> None:
    cases, db = _run(history_repo, tmp_path, Config(backend="fake", exclude=("*.py",)))
    statuses = {r.case_id: (r.status, r.errors) for r in db.results()}
    python = {c.id for c in cases if "calc.py" in c.diff}
    assert len(python) == 3
    for case in cases:
        if case.id in python:
            assert statuses[case.id] == ("not_reviewed", ("calc.py: excluded by pattern *.py",))
        else:
            assert statuses[case.id] == ("ok", ())
    score = score_profile("p", cases, db.results())
    assert (score.reviewed, score.not_reviewed) == (7, 3)
    assert score.detection_line == Rate(4, 4)
    assert score.clean_flagged == Rate(0, 3)
    assert coverage_warnings([score]) == [
        "profile 'p': 3 of 10 cases were not reviewed, so its scores leave them out (e.g. "
        "calc.py: excluded by pattern *.py); check its include, exclude and max_file_bytes "
        "settings"
    ]
    db.close()


def test_a_profile_that_reviewed_nothing_fails_loudly(
    history_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (history_repo / "p.toml").write_text(
        '[[profile]]\nname = "small"\nbackend = "fake"\n'
        "settings = { context_window = 850, max_new_tokens = 100 }\n"
        '[[profile]]\nname = "big"\nbackend = "fake"\n'
    )
    args = (
        "-C",
        str(history_repo),
        "bench",
        "--cases",
        "10",
        "--seed",
        "1",
        "--profiles",
        "p.toml",
    )
    assert main(list(args), environ={}) == 1
    captured = capsys.readouterr()
    table = captured.out.splitlines()
    assert table[0].split() == ["small", "big"]
    assert table[2] == (
        "cases reviewed                            0 (0 missing, 0 failed, 10 not reviewed)  "
        "10 (0 missing, 0 failed, 0 not reviewed)"
    )
    assert table[3].split()[3:] == ["-", "0%", "[0-39]", "0/6"]
    warnings = [line for line in captured.err.splitlines() if "warning" in line]
    assert warnings == [
        "reviewbot: warning: profile 'small' reviewed none of its 10 cases, so its scores leave "
        "them out (e.g. srv/server.go: hunk @@ -0,0 +1,19 @@ does not fit the context window "
        "(113 tokens > 27 available); not reviewed); give it a larger context_window or lower "
        "its max_new_tokens"
    ]
    assert (history_repo / "reviewbot-bench.html").is_file()  # the other profile's results
    assert main(["-C", str(history_repo), "bench", "report", "--format", "json"], environ={}) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(p["reviewed"], p["not_reviewed"]) for p in report["profiles"]] == [(0, 10), (10, 0)]


def test_self_check_fails_when_the_scripted_reviewers_did_not_see_a_case() -> None:
    case = _case(CaseKind.CLEAN)
    results = [
        CaseResult(name, "c", "not_reviewed", errors=("a.py: lockfile",)) for name in SELF_CHECK
    ]
    scores = {name: score_profile(name, [case], results) for name in SELF_CHECK}
    assert self_check_problems(scores) == [
        "oracle did not review 1 of its cases (e.g. a.py: lockfile)",
        "silent did not review 1 of its cases (e.g. a.py: lockfile)",
        "flag-all did not review 1 of its cases (e.g. a.py: lockfile)",
    ]
