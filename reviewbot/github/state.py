"""What the bot has already posted on a pull request, read back from its markers.

Besides the fingerprints, what each posted finding said (``fingerprint.Posted``) is read back
from the text around its marker, as ``github.comment`` lays it out: an inline comment is
``**SEVERITY** (CATEGORY): MESSAGE``, then paragraphs for a note and a suggestion, then the
marker; a review-body item is ``- **SEVERITY** (CATEGORY) `WHERE`: MESSAGE`` with continuation
lines indented by two spaces, then a ``_reasons_`` line and the suggestion, then the marker.
Text that does not have that shape reads back as an empty message, which matches no new finding
(``fingerprint.carry_over``): such a finding is posted again rather than hidden.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass

from reviewbot.fingerprint import Posted
from reviewbot.github.client import GitHubClient, IssueComment, PostedComment
from reviewbot.github.comment import code_span
from reviewbot.github.markers import (
    fingerprint_marker,
    fingerprints_in,
    is_bot_review,
    summary_in,
    summary_marker,
)
from reviewbot.github.payload import not_reviewed_lines
from reviewbot.mdtext import ZERO_WIDTH_SPACE
from reviewbot.types import Review

_INLINE_HEAD = re.compile(r"\*\*[a-z]+\*\* \([^)\n]*\): ")
_ITEM_HEAD = re.compile(r"- \*\*[a-z]+\*\* \([^)\n]*\) (`+).*?\1(?: \(removed\))?: ")
# What follows a message in comment.inline_body / body_item: a note or reasons line, a
# suggestion block, or a suggestion shown as a diff with its reason.
_AFTER_MESSAGE = r"(?:_|`{3,}|Suggested (?:change|replacement) \()"
_INLINE_END = re.compile(r"\n\n" + _AFTER_MESSAGE)
_ITEM_END = re.compile(r"\n" + _AFTER_MESSAGE)
_BLOCK = re.compile(r"^(`{3,})(suggestion|diff)\n(.*?)\n\1$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class PostedState:
    """fingerprints: in the bot's review comments and review bodies. said: what the finding
    of each of them said (see the module docstring). own_comments: the bot's review comments.
    replied_to: ids of comments someone answered. last_head: the head SHA in the summary
    marker (the last reviewed commit)."""

    fingerprints: frozenset[str]
    said: Mapping[str, Posted]
    own_comments: tuple[tuple[str, PostedComment], ...]  # (fingerprint, comment)
    replied_to: frozenset[int]
    summary: IssueComment | None
    last_head: str | None


def read_state(client: GitHubClient, number: int, bot: str) -> PostedState:
    """Read the pull request's review comments, reviews and issue comments (3+ GET requests)."""
    comments = client.review_comments(number)
    own = tuple((fp, c) for c in comments for fp in fingerprints_in(c.body, bot)[:1])
    bodies = [r.body for r in client.reviews(number) if is_bot_review(r.body, bot)]
    in_bodies = {fp for body in bodies for fp in fingerprints_in(body, bot)}
    summary, head = None, None
    for issue_comment in client.issue_comments(number):
        marker = summary_in(issue_comment.body, bot)
        if marker is not None:
            summary, head = issue_comment, marker.head
            break
    return PostedState(
        fingerprints=frozenset({fp for fp, _ in own} | in_bodies),
        said=_said(own, bodies, bot),
        own_comments=own,
        replied_to=frozenset(c.in_reply_to for c in comments if c.in_reply_to is not None),
        summary=summary,
        last_head=head,
    )


def inline_said(body: str, fingerprint: str, bot: str) -> Posted:
    """What the inline comment ``body`` (``comment.inline_body``) said, from its text before
    the marker of ``fingerprint``; an empty message when it has another shape."""
    end = body.find(fingerprint_marker(fingerprint, bot))
    head = _INLINE_HEAD.match(body)
    if end < 0 or head is None:
        return Posted("")
    return _split(body[head.end() : end].rstrip("\n"), _INLINE_END)


def item_said(body: str, fingerprint: str, bot: str) -> Posted:
    """What the review-body item (``comment.body_item``) of ``fingerprint`` in the review body
    ``body`` said; an empty message when there is none or it has another shape."""
    end = body.find("\n  " + fingerprint_marker(fingerprint, bot))
    start = body.rfind("\n- **", 0, end) + 1
    head = _ITEM_HEAD.match(body, start) if end >= 0 and start > 0 else None
    if head is None:
        return Posted("")
    return _split(body[head.end() : end].replace("\n  ", "\n"), _ITEM_END)


def _said(
    own: Iterable[tuple[str, PostedComment]], review_bodies: Iterable[str], bot: str
) -> dict[str, Posted]:
    said = {fp: inline_said(comment.body, fp, bot) for fp, comment in own}
    for body in review_bodies:
        for fp in fingerprints_in(body, bot):
            if not said.get(fp, Posted("")).message:
                said[fp] = item_said(body, fp, bot)
    return said


def _split(text: str, end: re.Pattern[str]) -> Posted:
    """The message and suggestion of a comment's text after its head line's prefix."""
    cut = end.search(text)
    message, rest = (text[: cut.start()], text[cut.start() :]) if cut else (text, "")
    # Undo mdtext.neutralize, which escaped "<" and put a zero-width space after "@".
    message = message.replace("&lt;", "<").replace(ZERO_WIDTH_SPACE, "")
    return Posted(message.strip(), _suggestion(rest))


def _suggestion(text: str) -> str | None:
    block = _BLOCK.search(text)
    if block is None:
        return None
    if block.group(2) == "suggestion":
        return block.group(3)
    # A diff block (comment.suggestion_part): its new side is the suggestion.
    lines = block.group(3).split("\n")
    return "\n".join(line[1:] for line in lines if line[:1] in (" ", "+"))


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
