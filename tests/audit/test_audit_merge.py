"""``reviewbot report merge`` takes only audit reports: a review report is refused by name."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from gitrepo import stage, write

from reviewbot.audit.merge import read_report
from reviewbot.audit.record import AuditRecord, check_shards
from reviewbot.cli import main
from reviewbot.errors import ConfigError


def cli(repo: Path, *args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["-C", str(repo), *args], environ={})
    return code, err.getvalue()


@pytest.fixture
def reports(polyglot: Path) -> tuple[Path, Path]:
    """(a whole audit's JSON report, a `reviewbot review` JSON report) of one repository."""
    audit, review = polyglot.parent / "audit.json", polyglot.parent / "review.json"
    state = str(polyglot.parent / "audit.sqlite")
    assert (
        cli(
            polyglot,
            "audit",
            "--backend",
            "fake",
            "--state",
            state,
            "--format",
            "json",
            "--output",
            str(audit),
            "src",
        )[0]
        == 0
    )
    write(polyglot, "src/app.py", "import os\n")
    stage(polyglot)
    assert (
        cli(polyglot, "review", "--backend", "fake", "--format", "json", "--output", str(review))[0]
        == 0
    )
    return audit, review


def test_a_review_report_is_refused_naming_the_file(
    polyglot: Path, reports: tuple[Path, Path]
) -> None:
    audit, review = reports
    merged = polyglot.parent / "merged.json"

    code, err = cli(
        polyglot,
        "report",
        "merge",
        str(audit),
        str(review),
        "--format",
        "json",
        "--output",
        str(merged),
    )

    assert code == 2
    assert err == (
        f'reviewbot: error: {review} is not a report of `reviewbot audit` (it has no "audit" '
        "record): merge only the JSON reports of audit shards (`reviewbot audit --format json`); "
        "a report of an audit by an older reviewbot is rewritten by running that audit again "
        "(its state file keeps the answers)\n"
    )
    assert not merged.exists()


def test_an_audit_report_alone_merges_to_itself(polyglot: Path, reports: tuple[Path, Path]) -> None:
    audit, _ = reports
    merged = polyglot.parent / "merged.json"

    code, err = cli(
        polyglot, "report", "merge", str(audit), "--format", "json", "--output", str(merged)
    )

    assert (code, err) == (0, "")
    whole, out = json.loads(audit.read_text()), json.loads(merged.read_text())
    for report in (whole, out):
        report["stats"].pop("seconds")
    assert out == whole
    _, record = read_report(audit)
    assert record == AuditRecord(whole["audit"]["settings"])


def test_no_reports_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no reports to merge"):
        check_shards([])
