"""Without a checkout: diff, head files and base config from the (fake) API; and the webhook
worker reviewing a delivery end to end."""

from __future__ import annotations

import io
import json
from pathlib import Path

import gitrepo
from fakegithub import FakeGitHub
from prcase import NUMBER, PullRequest, finding

from reviewbot.backends.fake import FakeBackend
from reviewbot.commands import pr, webhook
from reviewbot.github.client import GitHubClient
from reviewbot.github.event import PullEvent
from reviewbot.github.source import OMITTED


def serve_from_api(pull: PullRequest) -> None:
    """Put the pull request's files, patches and contents on the fake API, as GitHub would."""
    gh = pull.gh
    files = []
    for name in ("Makefile", "app.py"):
        diff = gitrepo.git(pull.repo, "diff", pull.base, pull.head, "--", name).decode()
        patch = diff[diff.index("@@") :]
        files.append({"filename": name, "status": "modified", "changes": 3, "patch": patch})
        for ref in (pull.base, pull.head):
            gh.contents[(ref, name)] = gitrepo.git(pull.repo, "show", f"{ref}:{name}")
    files.append({"filename": "logo.png", "status": "added", "changes": 1})  # no patch: binary
    gh.files[NUMBER] = files
    gh.contents[(pull.base, ".reviewbot.toml")] = b"max_inline_comments = 5\n"


def no_checkout_client(pull: PullRequest):  # type: ignore[no-untyped-def]
    return lambda target: GitHubClient(
        target.token, target.repo, target.api_url, throttle=False, sleep=pull.waits.append
    )


def test_pr_with_repo_and_number_uses_the_api(pull_request: PullRequest, tmp_path: Path) -> None:
    serve_from_api(pull_request)
    answers = tmp_path / "answers.json"
    leak = finding(
        6,
        "Leak.",
        end_line=7,
        quote="handle = open(path)",
        suggestion="with open(path) as handle:\n    return handle.read()",
    )
    answers.write_text(json.dumps([json.dumps({"findings": [leak]})]))
    out, err = io.StringIO(), io.StringIO()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    code = pr.run(
        pr.PrArgs(repo="octo/widgets", number=NUMBER, dry_run=True),
        cwd=outside,
        flags={"backend": "fake", "model": str(answers)},
        environ={"GITHUB_TOKEN": "t0ken", "GITHUB_API_URL": pull_request.gh.api_url},
        client_factory=no_checkout_client(pull_request),
        stdout=out,
        stderr=err,
    )
    assert code == 0, err.getvalue()
    review = json.loads(out.getvalue())["review"]
    assert review["commit_id"] == pull_request.head
    [comment] = review["comments"]
    assert (comment["start_line"], comment["line"], comment["side"]) == (6, 7, "RIGHT")
    assert (
        "```suggestion\n    with open(path) as handle:\n        return handle.read()\n```"
        in (comment["body"])
    )
    assert f"### Not reviewed\n\n- `logo.png`: {OMITTED}" in review["body"]
    gets = [r.path for r in pull_request.gh.requests if r.method == "GET"]
    assert gets[0] == f"/pulls/{NUMBER}"
    assert "/contents/.reviewbot.toml" in gets
    assert pull_request.gh.writes() == []


def test_webhook_worker_posts_a_review(pull_request: PullRequest, fake_github: FakeGitHub) -> None:
    serve_from_api(pull_request)
    answer = json.dumps({"findings": [finding(25, "Use +=.", quote="result = result + x")]})
    log = io.StringIO()
    work = webhook.make_worker(
        environ={"GITHUB_TOKEN": "t0ken", "GITHUB_API_URL": fake_github.api_url},
        flags={},
        backend_factory=lambda config: FakeBackend([answer]),
        client_factory=lambda token, repo, url: GitHubClient(token, repo, url, throttle=False),
        log=log,
    )
    work(
        PullEvent(
            "synchronize", "octo/widgets", NUMBER, pull_request.head, pull_request.base, False
        )
    )
    [review] = fake_github.posted_reviews()
    assert [(c["path"], c["line"], c["side"]) for c in review["comments"]] == [
        ("app.py", 25, "RIGHT")
    ]
    assert "posted a review with 1 inline comment" in log.getvalue()


def test_a_patch_that_does_not_parse_makes_the_review_incomplete(
    pull_request: PullRequest, tmp_path: Path
) -> None:
    serve_from_api(pull_request)
    broken = pull_request.gh.files[NUMBER][0]  # Makefile: its hunk loses its last line
    broken["patch"] = "\n".join(broken["patch"].splitlines()[:-1])
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps([json.dumps({"findings": []})]))
    out, err = io.StringIO(), io.StringIO()
    code = pr.run(
        pr.PrArgs(repo="octo/widgets", number=NUMBER, dry_run=True),
        cwd=tmp_path,
        flags={"backend": "fake", "model": str(answers)},
        environ={"GITHUB_TOKEN": "t0ken", "GITHUB_API_URL": pull_request.gh.api_url},
        client_factory=no_checkout_client(pull_request),
        stdout=out,
        stderr=err,
    )
    assert code == 1, err.getvalue()  # app.py was reviewed, the Makefile could not be
    body = json.loads(out.getvalue())["review"]["body"]
    assert (
        "## reviewbot\n\n> **Review incomplete**: 1 part of the diff could not be reviewed.\n\n"
        f"No findings at `{pull_request.head[:12]}` in 1 file reviewed.\n" in body
    )
    [line] = [x for x in body.splitlines() if x.startswith("- `Makefile`")]
    assert line.startswith("- `Makefile`: could not parse this file's diff: hunk '@@ -")
    assert "has fewer lines than its header counts" in line
