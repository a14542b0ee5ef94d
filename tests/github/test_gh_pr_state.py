"""``reviewbot pr`` on a closed, merged or draft pull request: one line, exit 0, no review."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any

import gitrepo
import pytest
from prcase import NUMBER, PullRequest, finding

from reviewbot.cli import main
from reviewbot.commands import pr
from reviewbot.github.event import PullTarget, not_reviewed, parse_pull_event

DRAFT = (
    f"reviewbot: pull request #{NUMBER} is a draft; nothing to review (it is reviewed when "
    "marked ready for review; --review-drafts reviews drafts)\n"
)


def dry_run(pull: PullRequest, event: Path, answers: Path) -> tuple[int, str, str, list[str]]:
    """(exit code, stdout, stderr, GitHub requests) of ``reviewbot pr --dry-run`` in Actions."""
    env = {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo/widgets",
        "PATH": os.environ["PATH"],
        **gitrepo.HERMETIC_ENV,
    }
    out, err = io.StringIO(), io.StringIO()
    argv = ["-C", str(pull.repo), "pr", "--dry-run", "--backend", "fake", "--model", str(answers)]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv, environ=env)
    return code, out.getvalue(), err.getvalue(), [r.path for r in pull.gh.requests]


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.json"
    leak = finding(6, "The file handle is never closed.", quote="handle = open(path)")
    path.write_text(json.dumps([json.dumps({"findings": [leak]})]))
    return path


@pytest.mark.parametrize(
    ("pull", "said"),
    [
        ({"state": "closed", "merged": False}, f"pull request #{NUMBER} is closed"),
        ({"state": "closed", "merged": True}, f"pull request #{NUMBER} is closed (merged)"),
    ],
)
def test_a_closed_pull_request_is_not_reviewed(
    pull_request: PullRequest, answers: Path, pull: dict[str, Any], said: str
) -> None:
    event = pull_request.event(action="closed", **pull)
    code, out, err, requests = dry_run(pull_request, event, answers)
    assert (code, out, err, requests) == (0, "", f"reviewbot: {said}; nothing to review\n", [])


def test_a_draft_is_not_reviewed_as_the_webhook_does(
    pull_request: PullRequest, answers: Path
) -> None:
    event = pull_request.event(action="opened", draft=True, state="open")
    assert dry_run(pull_request, event, answers) == (0, "", DRAFT, [])


def test_a_draft_is_reviewed_with_review_drafts(pull_request: PullRequest, answers: Path) -> None:
    pull_request.event(draft=True)  # what environ() below points at
    out, err = io.StringIO(), io.StringIO()
    code = pr.run(
        pr.PrArgs(dry_run=True, review_drafts=True),
        cwd=pull_request.repo,
        flags={"backend": "fake", "model": str(answers)},
        environ={"GITHUB_EVENT_PATH": str(pull_request.tmp / "event.json")},
        stdout=out,
        stderr=err,
    )
    assert (code, err.getvalue()) == (0, "reviewbot: dry run: nothing posted\n")
    [comment] = json.loads(out.getvalue())["review"]["comments"]
    assert comment["line"] == 6


def test_an_open_pull_request_event_is_reviewed(pull_request: PullRequest, answers: Path) -> None:
    event = pull_request.event(state="open", merged=False)
    code, out, err, _ = dry_run(pull_request, event, answers)
    assert (code, err) == (0, "reviewbot: dry run: nothing posted\n")
    assert len(json.loads(out)["review"]["comments"]) == 1


@pytest.mark.parametrize(
    ("state", "draft", "said"),
    [
        ("closed", False, f"reviewbot: pull request #{NUMBER} is closed; nothing to review\n"),
        ("open", True, DRAFT),
    ],
)
def test_with_repo_and_number_the_state_comes_from_github(
    pull_request: PullRequest, answers: Path, state: str, draft: bool, said: str
) -> None:
    pull_request.gh.pulls[NUMBER] |= {"state": state, "draft": draft}
    out, err = io.StringIO(), io.StringIO()
    code = pr.run(
        pr.PrArgs(repo="octo/widgets", number=NUMBER),  # not a dry run: it would post
        cwd=pull_request.repo,
        flags={"backend": "fake", "model": str(answers)},
        environ={"GITHUB_TOKEN": "t0ken", "GITHUB_API_URL": pull_request.gh.api_url},
        client_factory=pull_request.client,
        stdout=out,
        stderr=err,
    )
    assert (code, out.getvalue(), err.getvalue()) == (0, "", said)
    assert [(r.method, r.path) for r in pull_request.gh.requests] == [("GET", f"/pulls/{NUMBER}")]


def test_event_state_and_merged_are_read_with_open_as_the_default() -> None:
    base = {
        "action": "opened",
        "repository": {"full_name": "octo/widgets"},
        "pull_request": {"number": 3, "head": {"sha": "h"}, "base": {"sha": "b"}},
    }
    plain = parse_pull_event(base)
    merged = parse_pull_event(
        {**base, "pull_request": {**base["pull_request"], "state": "closed", "merged": True}}
    )
    assert (plain.state, plain.merged, merged.state, merged.merged) == (
        "open",
        False,
        "closed",
        True,
    )
    target = PullTarget("octo/widgets", 3, "u", "", state="open", draft=True)
    assert not_reviewed(target, review_drafts=True) is None


def test_the_command_line_takes_review_drafts(
    pull_request: PullRequest, answers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = pull_request.event(draft=True)
    env = {"GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "octo/widgets"}
    words = ["-C", str(pull_request.repo), "pr", "--dry-run", "--backend", "fake"]
    words += ["--model", str(answers)]
    assert main(words, environ=env) == 0
    assert capsys.readouterr().err == DRAFT
    assert main([*words, "--review-drafts"], environ=env) == 0
    captured = capsys.readouterr()
    assert captured.err == "reviewbot: dry run: nothing posted\n"
    assert json.loads(captured.out)["review"]["comments"][0]["line"] == 6
