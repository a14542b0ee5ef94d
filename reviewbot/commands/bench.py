"""``reviewbot bench``: pick the local model that fits your code, measured on your repository.

reviewbot bench cases  --cases 50 --seed 1 --out cases.jsonl     make cases
reviewbot bench run    --cases cases.jsonl --profiles p.toml      review them (resumable)
reviewbot bench report --format terminal|json|html [--output F]   scores, no model calls
reviewbot bench        --cases 50 --profile A --profile B        all three: table + HTML
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from reviewbot.bench.benchdb import BenchDB
from reviewbot.bench.casefile import Case, read_cases, write_cases
from reviewbot.bench.cases import CaseOptions, generate_cases
from reviewbot.bench.oracles import SELF_CHECK
from reviewbot.bench.profiles import Profile, default_profile, load_profiles
from reviewbot.bench.report import coverage_warnings, report_json, report_terminal
from reviewbot.bench.report_html import report_html
from reviewbot.bench.runner import run_profiles
from reviewbot.bench.score import ProfileScore, score_all
from reviewbot.commands.bench_args import (
    DEFAULT_CASES,
    DEFAULT_COUNT,
    DEFAULT_HTML,
    DEFAULT_PROFILES,
    BenchArgs,
)
from reviewbot.commands.setup import load_for
from reviewbot.config import Config
from reviewbot.errors import ConfigError, GitError

_RENDER = {"terminal": report_terminal, "json": report_json, "html": report_html}


def run(
    args: BenchArgs,
    *,
    cwd: Path,
    flags: Mapping[str, object],
    environ: Mapping[str, str],
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run one bench action. Returns 0; 1 when ``--self-check`` finds the harness wrong, or
    when a profile (``all``, ``run``, ``report``) reviewed none of its cases.

    A profile whose every case was "not reviewed" (its context window too small for the cases,
    or filters leaving their files out) has no score at all: its table column is empty rather
    than wrong, a warning says why, and the exit status is 1 so that a script comparing models
    does not take an unmeasured model for a measured one (as a review whose chunks all failed
    never reports "no findings"). Other profiles' results are still written and shown; a
    profile with some cases not reviewed gets the warning only.

    Raises ConfigError (bad options, profiles, cases file), GitError (no repository, or one
    without commits, for new cases), BackendUnavailable (an engine cannot be used; results so
    far are kept).
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    config, repo = load_for(cwd, flags, environ, stderr=err)
    if args.action == "cases":
        _make_cases(args, cwd, repo, err)
        return 0
    if args.action == "report":
        return _report(args, cwd, out, err)
    if args.self_check:
        return _self_check(_cases(args, cwd, repo, err), repo, args.tolerance, out)
    profiles = _profiles(args, cwd, repo, config, flags, environ, err)  # fail before any work
    cases = _cases(args, cwd, repo, err)
    with BenchDB(cwd / args.db) as db:
        run_profiles(cases, profiles, db, repo=repo, progress=lambda line: print(line, file=err))
        scores = score_all(cases, db.results(), [p.name for p in profiles], args.tolerance)
    if args.action == "all":
        out.write(report_terminal(scores, cases, args.tolerance))
        html = cwd / (args.html or DEFAULT_HTML)
        _write(html, report_html(scores, cases, args.tolerance))
        print(f"reviewbot: HTML report written to {html}", file=err)
    return _coverage_status(scores, err)


def _coverage_status(scores: Sequence[ProfileScore], err: TextIO) -> int:
    """Warn about cases not reviewed; 1 when some profile reviewed none of its cases."""
    for warning in coverage_warnings(scores):
        print(f"reviewbot: warning: {warning}", file=err)
    return 1 if any(s.not_reviewed and not s.reviewed for s in scores) else 0


def _make_cases(args: BenchArgs, cwd: Path, repo: Path | None, err: TextIO) -> list[Case]:
    if repo is None:
        raise GitError("reviewbot bench makes its cases from a git repository: run it in one")
    count = _count(args.cases)
    made = generate_cases(
        repo, CaseOptions(count=count, seed=args.seed, rev=args.rev, max_commits=args.max_commits)
    )
    target = cwd / (args.out or DEFAULT_CASES)
    write_cases(target, made)
    for note in made.notes:
        print(f"reviewbot: {note}", file=err)
    print(f"reviewbot: {len(made.cases)} cases written to {target}", file=err)
    return list(made.cases)


def _count(value: str | None) -> int:
    if value is None:
        return DEFAULT_COUNT
    if not value.isdigit():
        raise ConfigError(f"--cases {value!r}: give a number of cases to make, or a cases file")
    return int(value)


def _cases(args: BenchArgs, cwd: Path, repo: Path | None, err: TextIO) -> list[Case]:
    """The cases file named by --cases, or new cases (``all``/``run`` with a number or none)."""
    if args.cases is not None and not args.cases.isdigit():
        return list(read_cases(cwd / args.cases).cases)
    return _make_cases(args, cwd, repo, err)


def _profiles(
    args: BenchArgs,
    cwd: Path,
    repo: Path | None,
    config: Config,
    flags: Mapping[str, object],
    environ: Mapping[str, str],
    err: TextIO,
) -> list[Profile]:
    path = args.profiles_file
    if path is None and (repo or cwd).joinpath(DEFAULT_PROFILES).is_file():
        path = (repo or cwd) / DEFAULT_PROFILES
    if path is None:
        if args.profile_names:
            raise ConfigError(
                "--profile needs a profiles file: pass --profiles FILE or create "
                f"{DEFAULT_PROFILES}"
            )
        return [default_profile(config)]
    warnings: list[str] = []
    profiles = load_profiles(
        cwd / path,
        repo=repo,
        environ=environ,
        flags=flags,
        names=args.profile_names,
        warnings=warnings,
    )
    for warning in dict.fromkeys(warnings):
        print(f"reviewbot: warning: {warning}", file=err)
    return profiles


def _report(args: BenchArgs, cwd: Path, out: TextIO, err: TextIO) -> int:
    db_path = cwd / args.db
    if not db_path.is_file():
        raise ConfigError(f"no benchmark database at {db_path}: run `reviewbot bench run` first")
    with BenchDB(db_path) as db:
        cases, results = db.cases(), db.results()
        names = list(args.profile_names) or [p.name for p in db.profiles()]
    scores = score_all(cases, results, names, args.tolerance)
    text = _RENDER[args.report_format](scores, cases, args.tolerance)
    if args.report_output is None:
        out.write(text)
    else:
        _write(cwd / args.report_output, text)
        print(f"reviewbot: report written to {cwd / args.report_output}", file=err)
    return _coverage_status(scores, err)


def _self_check(cases: list[Case], repo: Path | None, k: int, out: TextIO) -> int:
    """Score the scripted reviewers on ``cases`` (in a throw-away database) and check them."""
    profiles = [Profile(name, Config(backend="fake")) for name in SELF_CHECK]
    with tempfile.TemporaryDirectory() as tmp, BenchDB(Path(tmp) / "self-check.sqlite") as db:
        run_profiles(cases, profiles, db, repo=repo, make_backend=lambda p: SELF_CHECK[p.name]())
        scores = score_all(cases, db.results(), list(SELF_CHECK), k)
    out.write(report_terminal(scores, cases, k))
    problems = self_check_problems({s.profile: s for s in scores})
    for problem in problems:
        out.write(f"self-check FAILED: {problem}\n")
    if not problems:
        out.write("self-check passed: the harness scores known reviewers as expected\n")
    return 1 if problems else 0


def self_check_problems(scores: Mapping[str, ProfileScore]) -> list[str]:
    """What is wrong with the scripted reviewers' scores ([] when the harness is honest)."""
    oracle, silent, flag_all = scores["oracle"], scores["silent"], scores["flag-all"]
    checks = [
        (oracle.detection_line.hits == oracle.detection_line.total, "oracle missed a bug"),
        (oracle.clean_bug_findings == 0, "oracle has false positives"),
        (oracle.precision.hits == oracle.precision.total, "oracle findings missed"),
        (silent.detection_file.hits == 0, "a silent reviewer was credited with a detection"),
        (flag_all.detection_line.hits == flag_all.detection_line.total, "flag-all missed a bug"),
        (flag_all.clean_flagged.hits == flag_all.clean_flagged.total, "flag-all not penalised"),
    ]
    checks += [
        (
            s.not_reviewed == 0,
            f"{s.profile} did not review {s.not_reviewed} of its cases "
            f"(e.g. {s.not_reviewed_reason})",
        )
        for s in (oracle, silent, flag_all)
    ]
    return [message for ok, message in checks if not ok]


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
