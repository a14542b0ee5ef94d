"""``reviewbot bench`` options (kept light: the CLI imports this module when building its parser).

The model options (``--backend``, ``--model``, ``--base-url``, ...) are added by the CLI, the
same as for every other command; the report format and file use their own destinations so they
never reach the review Config (whose ``format`` has no ``html``).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

ACTIONS = ("all", "cases", "run", "report")
REPORT_FORMATS = ("terminal", "json", "html")
DEFAULT_COUNT = 50
DEFAULT_DB = Path("reviewbot-bench.sqlite")
DEFAULT_CASES = Path("reviewbot-bench-cases.jsonl")
DEFAULT_HTML = Path("reviewbot-bench.html")
DEFAULT_PROFILES = Path(".reviewbot-bench.toml")


@dataclass(frozen=True)
class BenchArgs:
    """action: all (cases + run + table + HTML), cases, run or report.
    cases: a number of cases to make, or a cases file to use."""

    action: str = "all"
    cases: str | None = None
    out: Path | None = None
    seed: int = 0
    rev: str = "HEAD"
    max_commits: int = 300
    profiles_file: Path | None = None
    profile_names: tuple[str, ...] = ()
    db: Path = DEFAULT_DB
    report_format: str = "terminal"
    report_output: Path | None = None
    html: Path | None = None
    tolerance: int = 3
    self_check: bool = False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=ACTIONS, default="all")
    parser.add_argument(
        "--cases", metavar="N|FILE", help=f"make N cases (default {DEFAULT_COUNT}) or use FILE"
    )
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help=f"cases file to write ({DEFAULT_CASES})"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the case generator")
    parser.add_argument("--rev", default="HEAD", help="history to take cases from")
    parser.add_argument("--max-commits", dest="max_commits", type=int, default=300)
    parser.add_argument(
        "--profiles", dest="profiles_file", type=Path, metavar="FILE",
        help=f"TOML file of [[profile]] tables (default {DEFAULT_PROFILES} when present)",
    )  # fmt: skip
    parser.add_argument(
        "--profile", dest="profile_names", action="append", metavar="NAME",
        help="run only this profile of the profiles file (repeatable)",
    )  # fmt: skip
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="results database (SQLite)")
    parser.add_argument("--format", dest="bench_format", choices=REPORT_FORMATS, default="terminal")
    parser.add_argument("--output", dest="bench_output", type=Path, metavar="FILE")
    parser.add_argument(
        "--html", type=Path, metavar="FILE", help=f"HTML report of 'all' ({DEFAULT_HTML})"
    )
    parser.add_argument(
        "--tolerance", type=int, default=3, metavar="K", help="lines either side that count"
    )
    parser.add_argument(
        "--self-check", dest="self_check", action="store_true",
        help="score scripted reviewers with known answers to check the harness",
    )  # fmt: skip


def from_namespace(ns: argparse.Namespace) -> BenchArgs:
    return BenchArgs(
        action=ns.action,
        cases=ns.cases,
        out=ns.out,
        seed=ns.seed,
        rev=ns.rev,
        max_commits=ns.max_commits,
        profiles_file=ns.profiles_file,
        profile_names=tuple(ns.profile_names or ()),
        db=ns.db,
        report_format=ns.bench_format,
        report_output=ns.bench_output,
        html=ns.html,
        tolerance=ns.tolerance,
        self_check=ns.self_check,
    )
