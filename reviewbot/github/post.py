"""Posting one review idempotently.

Inside a per-PR lock: read the bot's markers back (the re-check right before posting), let each
finding the model reworded keep the fingerprint posted for its spot when it still says the same
(``fingerprint.carry_over``, matched on the posted comments' text read back by ``state``),
build the payload without what is already there, post it (on a 422, find the rejected comments,
move them to the body, post again: the others are not lost), delete the bot's stale comments
nobody replied to, and create or edit the summary comment. A re-run on the same head posts
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from reviewbot.fingerprint import carry_over
from reviewbot.github.client import GitHubClient, IssueComment
from reviewbot.github.errors import GitHubRejected, GitHubServerError
from reviewbot.github.lock import default_lock_dir, pull_lock
from reviewbot.github.markers import DEFAULT_BOT_ID
from reviewbot.github.payload import HeadText, PayloadOptions, ReviewPayload, build_payload
from reviewbot.github.reject import rejected_indices
from reviewbot.github.state import read_state, stale_comments, summary_body
from reviewbot.types import FileDiff, Review

Build = Callable[[Mapping[str, str]], ReviewPayload]


@dataclass(frozen=True)
class PostOptions:
    max_inline: int = 30
    bot: str = DEFAULT_BOT_ID
    incremental: bool = False
    scope: str = "the whole pull request"
    lock_dir: Path = field(default_factory=default_lock_dir)


@dataclass(frozen=True)
class PostResult:
    """review_id: None when nothing new was posted. demoted: fingerprint -> why (422).
    review: the review as posted, its findings carrying the fingerprints they were matched to
    (``carry_over``), so a SARIF file of the run names them as the comments do."""

    review_id: int | None
    payload: ReviewPayload | None
    demoted: Mapping[str, str]
    deleted: tuple[int, ...]
    summary_id: int | None
    review: Review


def post_review(
    client: GitHubClient,
    number: int,
    review: Review,
    diffs: Mapping[str, FileDiff],
    head_sha: str,
    head_text: HeadText,
    options: PostOptions | None = None,
) -> PostResult:
    """Post ``review`` of ``head_sha`` on pull request ``number`` (see the module docstring).

    Raises GitHubPermissionError (token may not write), GitHubRateLimited, GitHubError.
    """
    opts = options or PostOptions()
    with pull_lock(opts.lock_dir, client.repo, number):
        state = read_state(client, number, opts.bot)
        review = replace(review, findings=tuple(carry_over(review.findings, state.said)))

        def build(demote: Mapping[str, str]) -> ReviewPayload:
            payload_options = PayloadOptions(
                max_inline=opts.max_inline, skip=state.fingerprints, demote=demote, bot=opts.bot
            )
            return build_payload(review, diffs, head_sha, head_text, payload_options)

        first = build({})
        review_id: int | None = None
        payload: ReviewPayload | None = None
        demoted: dict[str, str] = {}
        if first.fingerprints:
            review_id, payload, demoted = _create(client, number, first, build, opts.bot)
        stale = stale_comments(state, review, incremental=opts.incremental)
        for comment in stale:
            client.delete_review_comment(comment.id)
        summary = summary_body(review, head_sha, opts.bot, opts.scope)
        summary_id = _upsert_summary(client, number, state.summary, summary)
    stale_ids = tuple(c.id for c in stale)
    return PostResult(review_id, payload, demoted, stale_ids, summary_id, review)


def _create(
    client: GitHubClient, number: int, payload: ReviewPayload, build: Build, bot: str
) -> tuple[int | None, ReviewPayload, dict[str, str]]:
    """Post ``payload`` (built with nothing demoted); rebuild with ``build`` after a 422."""
    demoted: dict[str, str] = {}
    for _round in range(2):
        try:
            return _post_once(client, number, payload, bot), payload, demoted
        except GitHubRejected as exc:
            bad = rejected_indices(client, number, payload.commit_id, payload.comments)
            if not bad:
                break
            for index in bad:
                demoted[payload.inline_fingerprints[index]] = (
                    f"GitHub rejected this comment's position ({exc})"
                )
            payload = build(demoted)
    # Not the comments' fault (or still rejected): keep every finding, in the body.
    reason = "GitHub rejected the review's inline comments; listed here instead"
    demoted.update(dict.fromkeys(payload.inline_fingerprints, reason))
    payload = build(demoted)
    return _post_once(client, number, payload, bot), payload, demoted


def _post_once(client: GitHubClient, number: int, payload: ReviewPayload, bot: str) -> int | None:
    """POST the review; after a 5xx (which may or may not have created it), check first."""
    attempts = 3
    for attempt in range(1, attempts + 1):
        try:
            return client.create_review(number, payload.to_json())
        except GitHubServerError:
            if attempt == attempts:
                raise
            if set(payload.fingerprints) <= read_state(client, number, bot).fingerprints:
                return None  # it was created after all
    raise AssertionError("unreachable: the loop returns or raises")


def _upsert_summary(
    client: GitHubClient, number: int, existing: IssueComment | None, body: str
) -> int:
    if existing is None:
        return client.create_issue_comment(number, body)
    if existing.body != body:
        client.edit_issue_comment(existing.id, body)
    return existing.id
