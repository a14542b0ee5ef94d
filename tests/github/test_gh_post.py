"""``reviewbot pr`` posting to the fake GitHub API: idempotency, 422, rate limits, permissions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prcase import NUMBER, PullRequest, finding

from reviewbot.github.errors import GitHubRateLimited
from reviewbot.github.markers import fingerprints_in

LEAK = finding(6, "The file handle is never closed.", quote="handle = open(path)")
REMOVED = finding(24, "The in-place add was clearer.", side="LEFT", quote="result += x")
SUM = finding(25, "Use sum().", quote="result = result + x", category="style")
OUTSIDE = finding(15, "Crashes on an empty list.", quote="return items[0]")


def writes(pull_request: PullRequest) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in pull_request.gh.writes()]


def test_first_run_posts_one_review_and_a_summary(pull_request: PullRequest) -> None:
    code, _ = pull_request.run(LEAK, REMOVED, OUTSIDE)
    assert code == 0, pull_request.last_stderr
    assert writes(pull_request) == [
        ("POST", f"/pulls/{NUMBER}/reviews"),
        ("POST", f"/issues/{NUMBER}/comments"),
    ]
    [review] = pull_request.gh.posted_reviews()
    assert review["commit_id"] == pull_request.head
    assert [(c["path"], c["line"], c["side"]) for c in review["comments"]] == [
        ("app.py", 6, "RIGHT"),
        ("app.py", 24, "LEFT"),
    ]
    assert "### Findings not on a changed line" in review["body"]
    assert "Crashes on an empty list." in review["body"]
    [summary] = pull_request.gh.issue_comments
    assert summary["body"].startswith(
        f"<!-- reviewbot:summary bot=reviewbot head={pull_request.head} -->"
    )


def test_rerun_on_the_same_head_posts_nothing(pull_request: PullRequest) -> None:
    pull_request.run(LEAK, REMOVED, OUTSIDE)
    pull_request.gh.requests.clear()
    code, _ = pull_request.run(LEAK, REMOVED, OUTSIDE)
    assert code == 0
    assert writes(pull_request) == []
    assert "nothing new to post" in pull_request.last_stderr


def test_push_that_moves_lines_posts_no_duplicates(pull_request: PullRequest) -> None:
    pull_request.run(LEAK, REMOVED, SUM)
    gh = pull_request.gh
    by_line = {(c["line"], c["side"]): c for c in gh.review_comments}
    leak, removed, total = by_line[6, "RIGHT"], by_line[24, "LEFT"], by_line[25, "RIGHT"]
    gh.add_reply(removed["id"], "Intentional.")
    # Two lines added at the top move every new-file line down by two.
    app = (pull_request.repo / "app.py").read_text()
    pull_request.push('"""Helpers."""\n\n' + app)
    gh.requests.clear()
    leak_moved = finding(8, "The file handle is never closed.", quote="handle = open(path)")
    new = finding(4, "Unused import.", quote="import sys", category="style")
    code, _ = pull_request.run(leak_moved, new)
    assert code == 0, pull_request.last_stderr
    posted = gh.posted_reviews()
    assert len(posted) == 2
    # Only the new finding is posted; the moved leak finding is recognised by its fingerprint.
    assert [(c["path"], c["line"], c["side"]) for c in posted[1]["comments"]] == [
        ("app.py", 4, "RIGHT")
    ]
    assert "never closed" not in posted[1]["body"]
    # Gone from the answer: the sum comment (no replies) is deleted, the answered one stays.
    deletes = [w for w in writes(pull_request) if w[0] == "DELETE"]
    assert deletes == [("DELETE", f"/pulls/comments/{total['id']}")]
    remaining = {c["id"] for c in gh.review_comments}
    assert {leak["id"], removed["id"]} <= remaining
    # The summary comment is edited in place with the new head.
    [summary] = gh.issue_comments
    assert f"head={pull_request.head}" in summary["body"]
    assert ("PATCH", f"/issues/comments/{summary['id']}") in writes(pull_request)


def test_422_on_one_comment_demotes_it_and_posts_the_others(pull_request: PullRequest) -> None:
    gh = pull_request.gh
    gh.reject = lambda comment: comment.get("side") == "LEFT"
    code, _ = pull_request.run(LEAK, REMOVED, SUM)
    assert code == 0, pull_request.last_stderr
    [review] = gh.posted_reviews()
    assert [(c["line"], c["side"]) for c in review["comments"]] == [(6, "RIGHT"), (25, "RIGHT")]
    assert "### Findings not on a changed line" in review["body"]
    assert (
        "- **warning** (bug) `app.py:24` (removed): The in-place add was clearer."
        in (review["body"])
    )
    assert "GitHub rejected this comment's position" in review["body"]
    # Found by probing halves as pending reviews (deleted again), not by posting.
    review_writes = [w for w in writes(pull_request) if "/reviews" in w[1]]
    assert [method for method, _ in review_writes] == [
        "POST",  # the review: 422
        "POST",  # probe [6 RIGHT]: accepted
        "DELETE",
        "POST",  # probe [24 LEFT]: 422 (the right half [24, 25] is known bad)
        "POST",  # probe [25 RIGHT]: accepted
        "DELETE",
        "POST",  # the review without the bad comment
    ]
    assert [r for r in gh.reviews if r["state"] == "PENDING"] == []


def test_secondary_rate_limit_waits_retry_after(pull_request: PullRequest) -> None:
    pull_request.gh.fail_next(
        "POST",
        f"/pulls/{NUMBER}/reviews",
        403,
        {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
            "before you try again."
        },
        {"Retry-After": "3"},
    )
    code, _ = pull_request.run(LEAK)
    assert code == 0, pull_request.last_stderr
    assert pull_request.waits == [3.0]
    assert len(pull_request.gh.posted_reviews()) == 1


def test_primary_rate_limit_waits_until_reset(pull_request: PullRequest) -> None:
    pull_request.gh.fail_next(
        "GET",
        f"/pulls/{NUMBER}/comments",
        403,
        {"message": "API rate limit exceeded for installation ID 1."},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(1_700_000_000 + 42)},
    )
    code, _ = pull_request.run(LEAK)
    assert code == 0, pull_request.last_stderr
    assert pull_request.waits == [43.0]
    assert len(pull_request.gh.posted_reviews()) == 1


def test_rate_limit_longer_than_the_wait_bound_fails_clearly(pull_request: PullRequest) -> None:
    pull_request.gh.fail_next(
        "GET",
        f"/pulls/{NUMBER}/comments",
        429,
        {"message": "Too many requests"},
        {"Retry-After": "3600"},
    )
    with pytest.raises(GitHubRateLimited, match="lifts in 3600 s"):
        pull_request.run(LEAK)
    assert pull_request.gh.writes() == []


def test_server_error_on_post_retries_without_duplicates(pull_request: PullRequest) -> None:
    pull_request.gh.fail_next("POST", f"/pulls/{NUMBER}/reviews", 502, {"message": "Bad Gateway"})
    code, _ = pull_request.run(LEAK)
    assert code == 0, pull_request.last_stderr
    assert len(pull_request.gh.posted_reviews()) == 1


def test_token_without_write_permission_logs_the_review(
    pull_request: PullRequest, tmp_path: Path
) -> None:
    pull_request.gh.fail_next(
        "POST",
        f"/pulls/{NUMBER}/reviews",
        403,
        {"message": "Resource not accessible by integration"},
    )
    sarif = tmp_path / "review.sarif"
    code, _ = pull_request.run(LEAK, sarif=sarif)
    assert code == 2
    err = pull_request.last_stderr
    assert "GitHub answered 403: Resource not accessible by integration" in err
    assert "pull-requests: write" in err
    assert "## reviewbot review" in err  # the Markdown review, in the job log
    assert "The file handle is never closed." in err
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert [r["message"]["text"].startswith("The file handle") for r in results] == [True]
    assert pull_request.gh.posted_reviews() == []


def test_incremental_reviews_only_new_commits_and_skips_a_reviewed_head(
    pull_request: PullRequest,
) -> None:
    pull_request.run(LEAK, incremental=True)
    first_head = pull_request.head
    app = (pull_request.repo / "app.py").read_text()
    pull_request.push(app + "\n\ndef empty():\n    return None\n")
    gh = pull_request.gh
    gh.requests.clear()
    pull_request.run(finding(30, "Pointless.", quote="return None"), incremental=True)
    [summary] = gh.issue_comments
    assert f"(the commits since {first_head[:12]})" in summary["body"]
    assert [(c["line"]) for c in gh.posted_reviews()[1]["comments"]] == [30]
    gh.requests.clear()
    code, _ = pull_request.run(LEAK, incremental=True)
    assert code == 0
    assert writes(pull_request) == []
    assert f"{pull_request.head[:12]} was already reviewed" in pull_request.last_stderr


VALIDATE = finding(6, "`path` is never validated.", quote="handle = open(path)")


def test_two_findings_on_one_line_are_both_posted_and_a_rerun_posts_nothing(
    pull_request: PullRequest,
) -> None:
    code, _ = pull_request.run(LEAK, VALIDATE)
    assert code == 0, pull_request.last_stderr
    comments = pull_request.gh.review_comments
    assert sorted((c["line"], c["body"].splitlines()[0]) for c in comments) == [
        (6, "**warning** (bug): The file handle is never closed."),
        (6, "**warning** (bug): `path` is never validated."),
    ]
    assert len({fingerprints_in(c["body"])[0] for c in comments}) == 2
    pull_request.gh.requests.clear()
    pull_request.run(VALIDATE, LEAK)
    assert writes(pull_request) == []


def test_a_new_finding_on_a_commented_line_is_posted(pull_request: PullRequest) -> None:
    pull_request.run(LEAK)
    pull_request.gh.requests.clear()
    code, _ = pull_request.run(LEAK, VALIDATE)
    assert code == 0, pull_request.last_stderr
    posted = pull_request.gh.posted_reviews()
    assert [(c["line"], c["body"].splitlines()[0]) for c in posted[1]["comments"]] == [
        (6, "**warning** (bug): `path` is never validated.")
    ]
    assert [w for w in writes(pull_request) if w[0] == "DELETE"] == []


# Reworded beyond their key words, still saying the same: 4 of 5 and 3 of 4 key words shared.
LEAK_LIGHT = finding(6, "The file handle opened here is never closed.", quote="handle = open(path)")
VALIDATE_LIGHT = finding(6, "The `path` argument is never validated.", quote="handle = open(path)")


def test_a_lightly_reworded_finding_keeps_its_comment(pull_request: PullRequest) -> None:
    pull_request.run(LEAK)
    gh = pull_request.gh
    ids = [c["id"] for c in gh.review_comments]
    gh.requests.clear()
    code, _ = pull_request.run(LEAK_LIGHT)
    assert code == 0, pull_request.last_stderr
    assert writes(pull_request) == []
    assert [c["id"] for c in gh.review_comments] == ids


def test_sarif_names_a_reworded_finding_by_its_posted_fingerprint(
    pull_request: PullRequest, tmp_path: Path
) -> None:
    pull_request.run(LEAK)
    [posted] = [fingerprints_in(c["body"])[0] for c in pull_request.gh.review_comments]
    sarif = tmp_path / "run2.sarif"
    code, _ = pull_request.run(LEAK_LIGHT, sarif=sarif)
    assert code == 0, pull_request.last_stderr
    [result] = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]
    assert result["partialFingerprints"] == {"reviewbot/v2": posted}


def test_two_reworded_findings_on_one_line_keep_their_comments(pull_request: PullRequest) -> None:
    pull_request.run(LEAK, VALIDATE)
    gh = pull_request.gh
    ids = sorted(c["id"] for c in gh.review_comments)
    gh.requests.clear()
    # One with the same key words, one reworded beyond them; in either order.
    same_words = finding(6, "file handle never closed", quote="handle = open(path)")
    code, _ = pull_request.run(VALIDATE_LIGHT, same_words)
    assert code == 0, pull_request.last_stderr
    assert writes(pull_request) == []
    code, _ = pull_request.run(LEAK_LIGHT, VALIDATE_LIGHT)
    assert code == 0, pull_request.last_stderr
    assert writes(pull_request) == []
    assert sorted(c["id"] for c in gh.review_comments) == ids


def test_a_new_finding_next_to_a_reworded_one_is_posted_alone(pull_request: PullRequest) -> None:
    pull_request.run(LEAK)
    gh = pull_request.gh
    [old] = gh.review_comments
    gh.requests.clear()
    code, _ = pull_request.run(VALIDATE, LEAK_LIGHT)
    assert code == 0, pull_request.last_stderr
    assert [c["body"].splitlines()[0] for c in gh.posted_reviews()[1]["comments"]] == [
        "**warning** (bug): `path` is never validated."
    ]
    assert "never closed" not in gh.posted_reviews()[1]["body"]
    assert [w for w in writes(pull_request) if w[0] == "DELETE"] == []
    assert old["id"] in {c["id"] for c in gh.review_comments}


def test_a_heavily_reworded_finding_replaces_its_comment(pull_request: PullRequest) -> None:
    pull_request.run(LEAK, VALIDATE)
    gh = pull_request.gh
    by_text = {c["body"].splitlines()[0]: c["id"] for c in gh.review_comments}
    gh.requests.clear()
    # "Nothing checks where `path` points." shares one key word of six with VALIDATE: said
    # anew, so posted, and the unanswered old comment deleted.
    rewritten = finding(6, "Nothing checks where `path` points.", quote="handle = open(path)")
    code, _ = pull_request.run(LEAK, rewritten)
    assert code == 0, pull_request.last_stderr
    assert [c["body"].splitlines()[0] for c in gh.posted_reviews()[1]["comments"]] == [
        "**warning** (bug): Nothing checks where `path` points."
    ]
    old = by_text["**warning** (bug): `path` is never validated."]
    assert [w for w in writes(pull_request) if w[0] == "DELETE"] == [
        ("DELETE", f"/pulls/comments/{old}")
    ]


def test_a_reworded_finding_in_the_review_body_is_not_posted_again(
    pull_request: PullRequest,
) -> None:
    pull_request.run(OUTSIDE)
    [review] = pull_request.gh.posted_reviews()
    assert "Crashes on an empty list." in review["body"]
    pull_request.gh.requests.clear()
    code, _ = pull_request.run(
        finding(15, "Crashes on an empty `items` list.", quote="return items[0]")
    )
    assert code == 0, pull_request.last_stderr
    assert writes(pull_request) == []


def test_push_above_two_findings_on_one_line_posts_nothing(pull_request: PullRequest) -> None:
    pull_request.run(LEAK, VALIDATE)
    app = (pull_request.repo / "app.py").read_text()
    pull_request.push('"""Helpers."""\n\n' + app)
    pull_request.gh.requests.clear()
    moved = [dict(f, line=8) for f in (LEAK, VALIDATE)]
    code, _ = pull_request.run(*moved)
    assert code == 0, pull_request.last_stderr
    assert pull_request.gh.posted_reviews()[1:] == []
    assert [w for w in writes(pull_request) if w[0] == "DELETE"] == []


# Heavily reworded: no key word shared with LEAK, so nothing tells it is the same problem.
LEAK_REWORDED = finding(
    6, "Resource leak: open() result is not released.", quote="handle = open(path)"
)


def test_a_new_finding_next_to_a_heavily_reworded_one_is_posted(
    pull_request: PullRequest,
) -> None:
    pull_request.run(LEAK)
    gh = pull_request.gh
    [old] = gh.review_comments
    gh.requests.clear()
    code, _ = pull_request.run(LEAK_REWORDED, VALIDATE)
    assert code == 0, pull_request.last_stderr
    # Neither says what the posted comment said: both are posted, the old comment is deleted.
    posted = gh.posted_reviews()
    assert sorted(c["body"].splitlines()[0] for c in posted[1]["comments"]) == [
        "**warning** (bug): Resource leak: open() result is not released.",
        "**warning** (bug): `path` is never validated.",
    ]
    assert [w for w in writes(pull_request) if w[0] == "DELETE"] == [
        ("DELETE", f"/pulls/comments/{old['id']}")
    ]
    assert sorted(c["body"].splitlines()[0] for c in gh.review_comments) == [
        "**warning** (bug): Resource leak: open() result is not released.",
        "**warning** (bug): `path` is never validated.",
    ]


def test_a_new_finding_where_a_fixed_one_was_is_posted(pull_request: PullRequest) -> None:
    pull_request.run(LEAK)
    gh = pull_request.gh
    [old] = gh.review_comments
    gh.requests.clear()
    # The leak was fixed elsewhere; the line's code is unchanged and has a new problem.
    code, _ = pull_request.run(VALIDATE)
    assert code == 0, pull_request.last_stderr
    assert [c["body"].splitlines()[0] for c in gh.posted_reviews()[1]["comments"]] == [
        "**warning** (bug): `path` is never validated."
    ]
    assert [w for w in writes(pull_request) if w[0] == "DELETE"] == [
        ("DELETE", f"/pulls/comments/{old['id']}")
    ]
