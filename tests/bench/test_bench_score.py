"""The harness is honest: scripted reviewers with known answers get exactly the expected scores."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

import pytest

from reviewbot.backends.base import Backend
from reviewbot.bench.benchdb import BenchDB, CaseResult
from reviewbot.bench.casefile import AnswerLine, Case, CaseKind, CaseSet
from reviewbot.bench.cases import CaseOptions, generate_cases
from reviewbot.bench.oracles import SELF_CHECK, SilentBackend
from reviewbot.bench.profiles import Profile
from reviewbot.bench.report import report_json, report_terminal
from reviewbot.bench.report_html import report_html
from reviewbot.bench.runner import run_profiles
from reviewbot.bench.score import Rate, judge, score_all, score_profile, wilson_interval
from reviewbot.commands.bench import self_check_problems
from reviewbot.config import Config
from reviewbot.errors import BackendTimeout, ConfigError
from reviewbot.types import Completion, Finding, Placement, Request, Severity, Side

PROFILES = [Profile(name, Config(backend="fake")) for name in SELF_CHECK]


def _scripted(profile: Profile) -> Backend:
    return SELF_CHECK[profile.name]()


@pytest.fixture
def cases(history_repo: Path) -> CaseSet:
    return generate_cases(history_repo, CaseOptions(count=10, seed=1))


@pytest.fixture
def db(tmp_path: Path) -> BenchDB:
    with BenchDB(tmp_path / "bench.sqlite") as opened:
        yield opened  # type: ignore[misc]


def test_scripted_reviewers_get_the_expected_scores(
    cases: CaseSet, db: BenchDB, history_repo: Path
) -> None:
    made = run_profiles(cases.cases, PROFILES, db, repo=history_repo, make_backend=_scripted)
    assert made == 30
    oracle, silent, flag_all = score_all(cases.cases, db.results(), list(SELF_CHECK))
    buggy = 6
    assert (oracle.reviewed, oracle.missing, oracle.failed) == (10, 0, 0)
    for rate in (oracle.detection_file, oracle.detection_hunk, oracle.detection_line):
        assert rate == Rate(buggy, buggy)
    assert oracle.precision == Rate(8, 8)  # 4 seeded lines + 2 + 2 lines of the two fixes
    assert oracle.clean_flagged == Rate(0, 4)
    assert oracle.fp_per_clean == 0.0
    assert oracle.parse == Rate(10, 10)
    assert oracle.by_kind == {
        "fix": Rate(1, 1),
        "fix (deletion only)": Rate(1, 1),
        "seeded": Rate(4, 4),
    }
    assert sum(r.total for r in oracle.per_class.values()) == 4

    for rate in (silent.detection_file, silent.detection_hunk, silent.detection_line):
        assert rate == Rate(0, buggy)
    assert silent.precision == Rate(0, 0)
    assert silent.precision.value is None
    assert silent.clean_flagged == Rate(0, 4)

    assert flag_all.detection_line == Rate(buggy, buggy)
    assert flag_all.precision == Rate(31, 56)
    assert flag_all.clean_flagged == Rate(4, 4)
    assert flag_all.clean_bug_findings == 52
    assert flag_all.fp_per_clean == 13.0
    assert self_check_problems({s.profile: s for s in (oracle, silent, flag_all)}) == []


def test_flag_everything_precision_is_answer_lines_over_changed_lines(
    cases: CaseSet, db: BenchDB, history_repo: Path
) -> None:
    flag_all = [PROFILES[2]]
    run_profiles(cases.cases, flag_all, db, repo=history_repo, make_backend=_scripted)
    exact = score_profile("flag-all", cases.cases, db.results(), k=0)
    buggy = {c.id for c in cases.cases if c.kind is not CaseKind.CLEAN}
    # flagged lines with the same text merge into one finding, as they would for users
    findings = sum(len(r.findings) for r in db.results() if r.case_id in buggy)
    answer_lines = sum(len(c.answer) for c in cases.cases if c.id in buggy)
    assert exact.precision == Rate(answer_lines, findings)
    assert exact.precision == Rate(8, 56)


def test_a_run_resumes_without_loading_models(
    cases: CaseSet, db: BenchDB, history_repo: Path
) -> None:
    run_profiles(cases.cases, PROFILES[:1], db, repo=history_repo, make_backend=_scripted)

    def no_model(profile: Profile) -> Backend:
        raise AssertionError("a finished profile must not load its model")

    assert (
        run_profiles(cases.cases, PROFILES[:1], db, repo=history_repo, make_backend=no_model) == 0
    )
    assert len(db.results()) == 10
    changed = Profile("oracle", Config(backend="fake", max_new_tokens=7))
    with pytest.raises(ConfigError, match=r"profile 'oracle' in .* was run with other settings"):
        run_profiles(cases.cases, [changed], db, repo=history_repo, make_backend=_scripted)


class _TimesOut(SilentBackend):
    def complete(self, requests: Sequence[Request]) -> list[Completion]:
        raise BackendTimeout("no answer within 1 s")


def test_a_timeout_is_a_failed_case_that_found_nothing(
    cases: CaseSet, db: BenchDB, history_repo: Path
) -> None:
    profile = Profile("slow", Config(backend="fake"))
    run_profiles(cases.cases, [profile], db, repo=history_repo, make_backend=lambda p: _TimesOut())
    score = score_profile("slow", cases.cases, db.results())
    assert (score.reviewed, score.failed) == (10, 10)
    assert score.detection_line == Rate(0, 6)
    assert score.parse == Rate(0, 0)
    assert db.done("slow") == set()  # failed cases are retried on the next run
    assert db.results()[0].errors == ("no answer within 1 s",)


def test_wilson_interval_known_values() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(0, 10)
    assert (low, round(high, 4)) == (0.0, 0.2775)
    low, high = wilson_interval(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = wilson_interval(10, 10)
    assert (round(low, 4), round(high, 4)) == (0.7225, 1.0)


def _finding(line: int | None, side: Side = Side.RIGHT, path: str = "a.py") -> Finding:
    placement = Placement.INLINE if line is not None else Placement.FILE
    return Finding(path, line, None, side, Severity.WARNING, "style", "m", None, "f", placement)


def test_judge_levels_and_tolerance() -> None:
    diff = "--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,3 @@\n x\n+y\n z\n@@ -20 +21 @@\n-p\n+q\n"
    case = Case("c", CaseKind.SEEDED, "0" * 40, diff, (AnswerLine("a.py", Side.RIGHT, 2, 2),))
    assert judge(case, [_finding(5)], k=3).line
    assert not judge(case, [_finding(6)], k=3).line
    assert not judge(case, [_finding(3)], k=0).line
    outcome = judge(case, [_finding(3)], k=0)
    assert (outcome.file, outcome.hunk, outcome.line) == (True, True, False)
    outcome = judge(case, [_finding(21)], k=3)
    assert (outcome.file, outcome.hunk, outcome.line) == (True, False, False)
    outcome = judge(case, [_finding(None)], k=3)
    assert (outcome.file, outcome.hunk, outcome.line) == (True, False, False)
    assert not judge(case, [_finding(2, path="b.py")], k=3).file
    assert not judge(case, [_finding(2, side=Side.LEFT)], k=3).line


def test_reports(cases: CaseSet, db: BenchDB, history_repo: Path) -> None:
    named = [Profile('<b>"x"&', Config(backend="fake")), PROFILES[0]]
    by_name = {'<b>"x"&': SilentBackend, "oracle": SELF_CHECK["oracle"]}
    run_profiles(
        cases.cases, named, db, repo=history_repo, make_backend=lambda p: by_name[p.name]()
    )
    scores = score_all(cases.cases, db.results(), [p.name for p in named])
    table = report_terminal(scores, cases.cases, 3).splitlines()
    assert table[0].split() == ['<b>"x"&', "oracle"]
    assert table[2] == (
        "cases reviewed                            10 (0 missing, 0 failed, 0 not reviewed)  "
        "10 (0 missing, 0 failed, 0 not reviewed)"
    )
    assert table[3] == (
        "detection, line ±3                        0% [0-39] 0/6                             "
        "100% [61-100] 6/6"
    )
    assert table[6] == (
        "precision, line ±3                        -                                         "
        "100% [68-100] 8/8"
    )
    assert table[-1] == (
        "cases: 4 seeded, 2 fix, 4 clean; rates with Wilson 95% intervals [low-high] and counts"
    )
    data = json.loads(report_json(scores, cases.cases, 3))
    assert data["cases"] == {"seeded": 4, "fix": 2, "clean": 4}
    oracle = data["profiles"][1]
    assert oracle["detection"]["line"] == {
        "hits": 6, "total": 6, "value": 1.0, "low": 0.6097, "high": 1.0
    }  # fmt: skip
    page = report_html(scores, cases.cases, 3)
    assert '<b>"x"&' not in page
    assert "&lt;b&gt;&#34;x&#34;&amp;" in page
    assert page.count("<circle") == 2
    assert "<script" not in page
    svgs = re.findall(r"<svg .*?</svg>", page, flags=re.DOTALL)
    assert len(svgs) == 2
    for svg in svgs:
        ElementTree.fromstring(svg)  # well-formed: the page draws without any script


def test_results_round_trip_through_the_database(db: BenchDB) -> None:
    result = CaseResult("p", "c", "ok", (_finding(3),), ("raw",), ("bad json",), 2, 1, 1.5, 100, 20)
    db.put_result(result)
    assert db.results() == [result]
