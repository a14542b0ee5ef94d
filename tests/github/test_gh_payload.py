"""``reviewbot pr --dry-run`` on a real repository: the exact review payload it would post."""

from __future__ import annotations

import json
from typing import Any

from prcase import PullRequest, finding

from reviewbot.github.markers import fingerprint_marker
from reviewbot.github.payload import PayloadOptions, build_payload
from reviewbot.types import FileDiff, Finding, Placement, Review, Severity, Side, Skipped


def dry_run(pull_request: PullRequest, *findings: dict[str, Any]) -> dict[str, Any]:
    code, out = pull_request.run(*findings, dry_run=True, token=None)
    assert code == 0, pull_request.last_stderr
    assert pull_request.gh.requests == []  # a local dry run needs no GitHub at all
    document: dict[str, Any] = json.loads(out)
    return document


def marker_of(body: str) -> str:
    return body.rsplit("\n\n", 1)[1]


def test_range_in_one_hunk_with_a_safe_suggestion_is_committable(pull_request: PullRequest) -> None:
    doc = dry_run(
        pull_request,
        finding(
            6,
            "The file handle is never closed.",
            end_line=7,
            quote="handle = open(path)",
            suggestion="with open(path) as handle:\n    return handle.read()",
        ),
    )
    review = doc["review"]
    assert review["commit_id"] == pull_request.head
    assert review["event"] == "COMMENT"
    [comment] = review["comments"]
    assert {k: v for k, v in comment.items() if k != "body"} == {
        "path": "app.py",
        "start_line": 6,
        "start_side": "RIGHT",
        "line": 7,
        "side": "RIGHT",
    }
    # Re-indented to the file's 4 spaces; the result parses, so it is a committable block.
    assert comment["body"] == (
        "**warning** (bug): The file handle is never closed.\n\n"
        "```suggestion\n"
        "    with open(path) as handle:\n"
        "        return handle.read()\n"
        "```\n\n" + marker_of(comment["body"])
    )
    assert marker_of(comment["body"]).startswith("<!-- reviewbot:fp=")


def test_comment_on_a_removed_line_uses_left_and_old_numbering(pull_request: PullRequest) -> None:
    doc = dry_run(
        pull_request, finding(24, "The in-place add was faster.", side="LEFT", quote="result += x")
    )
    [comment] = doc["review"]["comments"]
    assert (comment["path"], comment["line"], comment["side"]) == ("app.py", 24, "LEFT")
    assert "start_line" not in comment


def test_finding_outside_the_diff_goes_to_the_body(pull_request: PullRequest) -> None:
    doc = dry_run(pull_request, finding(15, "Crashes on an empty list.", quote="return items[0]"))
    review = doc["review"]
    assert review["comments"] == []
    fp = review["body"].split("reviewbot:fp=")[1].split(" ")[0]
    assert review["body"] == (
        "<!-- reviewbot:review bot=reviewbot -->\n## reviewbot\n\n"
        f"1 finding at `{pull_request.head[:12]}`; 0 new inline comments.\n\n"
        "### Findings not on a changed line\n\n"
        "- **warning** (bug) `app.py`: Crashes on an empty list.\n"
        "  _line 15 (RIGHT) is not an added or context line of any hunk of app.py; the quoted "
        "code is not in the diff_\n"
        f"  {fingerprint_marker(fp)}"
    )


def test_range_spanning_two_hunks_keeps_its_first_line(pull_request: PullRequest) -> None:
    doc = dry_run(pull_request, finding(2, "Unused import.", end_line=23, category="style"))
    [comment] = doc["review"]["comments"]
    assert {k: v for k, v in comment.items() if k != "body"} == {
        "path": "app.py",
        "line": 2,
        "side": "RIGHT",
    }
    assert comment["body"].startswith(
        "**warning** (style): Unused import.\n\n"
        "_Note: lines 2-23 do not lie in one hunk; kept line 2 only._\n\n<!-- reviewbot:fp="
    )


def test_suggestion_in_a_tab_indented_file_keeps_tabs(pull_request: PullRequest) -> None:
    doc = dry_run(
        pull_request,
        finding(2, "Say what is built.", path="Makefile", suggestion="    echo built"),
    )
    [comment] = doc["review"]["comments"]
    assert (comment["path"], comment["line"], comment["side"]) == ("Makefile", 2, "RIGHT")
    assert comment["body"].startswith(
        "**warning** (bug): Say what is built.\n\n"
        "```suggestion\n\techo built\n```\n\n"
        "_Suggestion not syntax-checked: no parser for this language; bracket balance "
        "unchanged._\n\n<!-- reviewbot:fp="
    )


def test_suggestion_containing_backticks_gets_a_longer_fence(pull_request: PullRequest) -> None:
    doc = dry_run(
        pull_request,
        finding(2, "Quote it.", path="Makefile", suggestion='\techo "```"'),
    )
    [comment] = doc["review"]["comments"]
    assert '\n\n````suggestion\n\techo "```"\n````\n\n' in comment["body"]


def test_suggestion_that_would_not_parse_is_a_plain_diff(pull_request: PullRequest) -> None:
    doc = dry_run(pull_request, finding(25, "Use +=.", suggestion="result = result + x)"))
    [comment] = doc["review"]["comments"]
    assert "```suggestion" not in comment["body"]
    assert comment["body"].startswith(
        "**warning** (bug): Use +=.\n\n"
        "Suggested change (not offered as a one-click suggestion: the result does not parse as "
        "Python: line 25: unmatched ')'):\n\n"
        "```diff\n-        result = result + x\n+        result = result + x)\n```\n\n"
        "<!-- reviewbot:fp="
    )


def test_summary_comment_carries_the_reviewed_head(pull_request: PullRequest) -> None:
    doc = dry_run(pull_request, finding(6, "Leak.", quote="handle = open(path)"))
    assert doc["summary_comment"] == (
        f"<!-- reviewbot:summary bot=reviewbot head={pull_request.head} -->\n### reviewbot\n\n"
        f"Last reviewed commit: `{pull_request.head[:12]}` (the whole pull request).\n"
        "Findings: 1 (1 warning)."
    )


def _finding(line: int, severity: Severity, fp: str) -> Finding:
    return Finding(
        "a.py", line, None, Side.RIGHT, severity, "bug", f"m{line}", None, fp, Placement.INLINE
    )


def test_inline_limit_keeps_the_most_severe_and_lists_the_rest() -> None:
    from reviewbot.diff import parse_diff

    diff = b"diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -0,0 +1,3 @@\n+x\n+y\n+z\n"
    files, _ = parse_diff(diff)
    diffs: dict[str, FileDiff] = {f.path: f for f in files}
    review = Review(
        findings=(
            _finding(1, Severity.INFO, "aa"),
            _finding(2, Severity.ERROR, "bb"),
            _finding(3, Severity.WARNING, "cc"),
        ),
        skipped=(Skipped("logo.png", "binary file"),),
        reviewed_files=("a.py",),
    )
    payload = build_payload(review, diffs, "f" * 40, lambda _: None, PayloadOptions(max_inline=1))
    assert [(c["line"], c["side"]) for c in payload.comments] == [(2, "RIGHT")]
    assert payload.inline_fingerprints == ("bb",)
    # the rest are listed most severe first
    assert payload.body == (
        "<!-- reviewbot:review bot=reviewbot -->\n## reviewbot\n\n"
        "3 findings at `ffffffffffff`; 1 new inline comment.\n\n"
        "### More findings (over the limit of 1 inline comments)\n\n"
        "- **warning** (bug) `a.py:3`: m3\n  <!-- reviewbot:fp=cc bot=reviewbot -->\n"
        "- **info** (bug) `a.py:1`: m1\n  <!-- reviewbot:fp=aa bot=reviewbot -->\n\n"
        "### Not reviewed\n\n- `logo.png`: binary file"
    )


def test_already_posted_fingerprints_are_left_out() -> None:
    from reviewbot.diff import parse_diff

    files, _ = parse_diff(
        b"diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -0,0 +1,2 @@\n+x\n+y\n"
    )
    review = Review(findings=(_finding(1, Severity.INFO, "aa"), _finding(2, Severity.INFO, "bb")))
    payload = build_payload(
        review,
        {f.path: f for f in files},
        "f" * 40,
        lambda _: None,
        PayloadOptions(skip=frozenset({"aa"})),
    )
    assert payload.fingerprints == ("bb",)
    assert [c["line"] for c in payload.comments] == [2]
