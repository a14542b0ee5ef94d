"""What the bot has already posted on a pull request, read back from its markers."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from reviewbot.github.client import GitHubClient, IssueComment, PostedComment
from reviewbot.github.comment import code_span
from reviewbot.github.markers import (
    fingerprints_in,
    is_bot_review,
    summary_in,
    summary_marker,
)
from reviewbot.github.payload import not_reviewed_lines
from reviewbot.types import Review


@dataclass(frozen=True)
class PostedState:
    """fingerprints: in the bot's review comments and review bodies. own_comments: the bot's
    review comments. replied_to: ids of comments someone answered. last_head: the head SHA in
    the summary marker (the last reviewed commit)."""

    fingerprints: frozenset[str]
    own_comments: tuple[tuple[str, PostedComment], ...]  # (fingerprint, comment)
    replied_to: frozenset[int]
    summary: IssueComment | None
    last_head: str | None


def read_state(client: GitHubClient, number: int, bot: str) -> PostedState:
    """Read the pull request's review comments, reviews and issue comments (3+ GET requests)."""
    comments = client.review_comments(number)
    own = tuple((fp, c) for c in comments for fp in fingerprints_in(c.body, bot)[:1])
    in_bodies = {
        fp
        for r in client.reviews(number)
        if is_bot_review(r.body, bot)
        for fp in fingerprints_in(r.body, bot)
    }
    summary, head = None, None
    for issue_comment in client.issue_comments(number):
        marker = summary_in(issue_comment.body, bot)
        if marker is not None:
            summary, head = issue_comment, marker.head
            break
    return PostedState(
        fingerprints=frozenset({fp for fp, _ in own} | in_bodies),
        own_comments=own,
        replied_to=frozenset(c.in_reply_to for c in comments if c.in_reply_to is not None),
        summary=summary,
        last_head=head,
    )


def stale_comments(state: PostedState, review: Review, *, incremental: bool) -> list[PostedComment]:
    """The bot's comments to delete: fingerprint no longer found, on a file this run reviewed
    (a failed chunk proves nothing), nobody replied, and, for an incremental run (which sees
    only some lines), GitHub marks the comment outdated."""
    current: Set[str] = {f.fingerprint for f in review.findings}
    failed = {p for e in review.errors for p in e.paths}
    reviewed = set(review.reviewed_files) - failed
    return [
        comment
        for fp, comment in state.own_comments
        if fp not in current
        and comment.path in reviewed
        and comment.in_reply_to is None
        and comment.id not in state.replied_to
        and (not incremental or comment.line is None)
    ]


def summary_body(review: Review, head_sha: str, bot: str, scope: str) -> str:
    """The summary comment, edited in place on every run; identical for identical runs.

    scope: what was reviewed, e.g. "the whole pull request".
    """
    lines = [summary_marker(head_sha, bot), "### reviewbot", ""]
    lines.append(f"Last reviewed commit: {code_span(head_sha[:12])} ({scope}).")
    if review.failed:
        lines.append("**The review failed:** no part of the diff could be reviewed.")
    else:
        counts = _severity_counts(review)
        lines.append(f"Findings: {len(review.findings)}{counts}.")
    not_reviewed = not_reviewed_lines(review)
    if not_reviewed:
        lines += ["", "Not reviewed:", "", *not_reviewed]
    return "\n".join(lines)


def _severity_counts(review: Review) -> str:
    counts: dict[str, int] = {}
    for finding in sorted(review.findings, key=lambda f: -f.severity.rank):
        counts[finding.severity.value] = counts.get(finding.severity.value, 0) + 1
    return f" ({', '.join(f'{n} {name}' for name, n in counts.items())})" if counts else ""
