"""``reviewbot pr --dry-run`` as a user runs it: a real repository, a real event file, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gitrepo
import pytest
from prcase import PullRequest, finding

from reviewbot.cli import main


def test_pr_dry_run_prints_the_review(
    pull_request: PullRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "answers.json"
    leak = finding(6, "The file handle is never closed.", quote="handle = open(path)")
    answers.write_text(json.dumps([json.dumps({"findings": [leak]})]))
    env = {
        "GITHUB_EVENT_PATH": str(pull_request.event()),
        "GITHUB_REPOSITORY": "octo/widgets",
        "PATH": os.environ["PATH"],
        **gitrepo.HERMETIC_ENV,
    }
    argv = [
        "-C",
        str(pull_request.repo),
        "pr",
        "--dry-run",
        "--backend",
        "fake",
        "--model",
        str(answers),
    ]
    code = main(argv, environ=env)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document = json.loads(captured.out)
    [comment] = document["review"]["comments"]
    assert (comment["path"], comment["line"], comment["side"]) == ("app.py", 6, "RIGHT")
    assert document["review"]["commit_id"] == pull_request.head
    assert captured.err == "reviewbot: dry run: nothing posted\n"


def test_pr_as_a_process(pull_request: PullRequest, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    removed = finding(24, "Keep +=.", side="LEFT", quote="result += x")
    answers.write_text(json.dumps([json.dumps({"findings": [removed]})]))
    env = {
        "GITHUB_EVENT_PATH": str(pull_request.event()),
        "GITHUB_REPOSITORY": "octo/widgets",
        "PATH": os.environ["PATH"],
        **gitrepo.HERMETIC_ENV,
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "reviewbot",
            "pr",
            "--dry-run",
            "--backend",
            "fake",
            "--model",
            str(answers),
        ],
        cwd=pull_request.repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    [comment] = json.loads(proc.stdout)["review"]["comments"]
    assert (comment["line"], comment["side"]) == (24, "LEFT")


def test_pr_outside_actions_without_arguments_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["-C", str(tmp_path), "pr"], environ={})
    assert code == 2
    assert capsys.readouterr().err == (
        "reviewbot: error: GITHUB_EVENT_PATH is not set: outside GitHub Actions pass "
        "--repo OWNER/NAME --pr N\n"
    )


def test_a_missing_commit_without_a_token_is_named(
    pull_request: PullRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    absent = "1" * 40
    event = pull_request.event(head=absent)
    env = {"GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "octo/widgets"}
    code = main(["-C", str(pull_request.repo), "pr", "--dry-run", "--backend", "fake"], environ=env)
    assert code == 2
    assert capsys.readouterr().err == (
        f"reviewbot: error: commit {absent[:12]} is not in the checkout and no GitHub token is "
        "set: fetch it (actions/checkout with fetch-depth: 0) or set GITHUB_TOKEN\n"
    )
