"""Review -> the body of ``POST /repos/{owner}/{repo}/pulls/{n}/reviews``.

Shape (GitHub REST, "Create a review for a pull request")::

    {"commit_id": HEAD_SHA, "event": "COMMENT", "body": MARKDOWN,
     "comments": [{"path", "body", "line", "side", "start_line"?, "start_side"?}, ...]}

Inline comments are the most severe anchorable findings, at most ``max_inline``; every other
finding goes to the body: under "Findings not on a changed line" (file-level, outside the
diff, or an anchor GitHub would reject) or "More findings" (over the limit). Nothing is dropped.
The body ends with what was not reviewed and why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reviewbot.github.comment import body_item, code_span, inline_body, suggestion_part
from reviewbot.github.markers import DEFAULT_BOT_ID, review_marker
from reviewbot.github.placement import anchor_problem, comment_position
from reviewbot.types import FileDiff, Finding, Placement, Review

HeadText = Callable[[str], "str | None"]
NOT_INLINE = "### Findings not on a changed line"
NOT_REVIEWED = "### Not reviewed"


@dataclass(frozen=True)
class ReviewPayload:
    """What one run would post. fingerprints: of every finding in it (comments and body);
    inline_fingerprints: of ``comments``, in the same order."""

    commit_id: str
    body: str
    comments: tuple[dict[str, Any], ...]
    fingerprints: tuple[str, ...]
    inline_fingerprints: tuple[str, ...]
    event: str = "COMMENT"

    def to_json(self) -> dict[str, Any]:
        return {
            "commit_id": self.commit_id,
            "event": self.event,
            "body": self.body,
            "comments": list(self.comments),
        }


@dataclass(frozen=True)
class PayloadOptions:
    """skip: fingerprints already posted. demote: fingerprint -> why it must not be inline
    (e.g. GitHub answered 422 for it)."""

    max_inline: int = 30
    skip: frozenset[str] = frozenset()
    demote: Mapping[str, str] = field(default_factory=dict)
    bot: str = DEFAULT_BOT_ID


def build_payload(
    review: Review,
    diffs: Mapping[str, FileDiff],
    head_sha: str,
    head_text: HeadText,
    options: PayloadOptions | None = None,
) -> ReviewPayload:
    """The payload for ``review`` at ``head_sha``; ``diffs``: the pull request's parsed diff by
    path, against which every anchor is checked; ``head_text(path)``: the head file or None."""
    opts = options or PayloadOptions()
    todo = [f for f in review.findings if f.fingerprint not in opts.skip]
    inline, not_inline, overflow = _split(todo, diffs, opts)
    inline.sort(key=_position)
    comments = [_comment(f, diffs, head_text, opts.bot) for f in inline]
    body = _body(review, head_sha, len(comments), not_inline, overflow, opts, diffs, head_text)
    return ReviewPayload(
        commit_id=head_sha,
        body=body,
        comments=tuple(comments),
        fingerprints=tuple(dict.fromkeys(f.fingerprint for f in todo)),
        inline_fingerprints=tuple(f.fingerprint for f in inline),
    )


def _comment(
    finding: Finding, diffs: Mapping[str, FileDiff], head_text: HeadText, bot: str
) -> dict[str, Any]:
    suggestion = suggestion_part(finding, head_text(finding.path), _language(diffs, finding))
    assert finding.line is not None  # checked by anchor_problem
    return {
        "path": finding.path,
        **comment_position(finding.side, finding.line, finding.end_line),
        "body": inline_body(finding, suggestion, bot),
    }


def _split(
    findings: list[Finding], diffs: Mapping[str, FileDiff], opts: PayloadOptions
) -> tuple[list[Finding], list[tuple[Finding, str | None]], list[Finding]]:
    inline: list[Finding] = []
    not_inline: list[tuple[Finding, str | None]] = []
    overflow: list[Finding] = []
    # The most severe findings get the inline slots.
    for finding in sorted(findings, key=lambda f: (-f.severity.rank, *_position(f))):
        why = _why_not_inline(finding, diffs, opts)
        if why is not None or finding.placement is not Placement.INLINE:
            not_inline.append((finding, why))
        elif len(inline) >= opts.max_inline:
            overflow.append(finding)
        else:
            inline.append(finding)
    not_inline.sort(key=lambda item: _position(item[0]))
    # overflow keeps the most-severe-first order: the reader's time goes to what matters most
    return inline, not_inline, overflow


def _why_not_inline(
    finding: Finding, diffs: Mapping[str, FileDiff], opts: PayloadOptions
) -> str | None:
    if finding.fingerprint in opts.demote:
        return opts.demote[finding.fingerprint]
    if finding.placement is not Placement.INLINE:
        return None  # the anchor step's note already says why
    problem = anchor_problem(diffs.get(finding.path), finding.side, finding.line, finding.end_line)
    return f"not placed inline: {problem}" if problem else None


def _position(finding: Finding) -> tuple[str, int, int]:
    return (finding.path, finding.line or 0, finding.end_line or 0)


def _language(diffs: Mapping[str, FileDiff], finding: Finding) -> str | None:
    diff = diffs.get(finding.path)
    return diff.language if diff is not None else None


def _body(
    review: Review,
    head_sha: str,
    inline_count: int,
    not_inline: list[tuple[Finding, str | None]],
    overflow: list[Finding],
    opts: PayloadOptions,
    diffs: Mapping[str, FileDiff],
    head_text: HeadText,
) -> str:
    blocks = [review_marker(opts.bot) + "\n## reviewbot", _verdict(review, head_sha, inline_count)]
    if not_inline:
        items = [
            body_item(f, why, _body_suggestion(f, diffs, head_text), opts.bot)
            for f, why in not_inline
        ]
        blocks.append(NOT_INLINE + "\n\n" + "\n".join(items))
    if overflow:
        items = [
            body_item(f, None, _body_suggestion(f, diffs, head_text), opts.bot) for f in overflow
        ]
        heading = f"### More findings (over the limit of {opts.max_inline} inline comments)"
        blocks.append(heading + "\n\n" + "\n".join(items))
    not_reviewed = not_reviewed_lines(review)
    if not_reviewed:
        blocks.append(NOT_REVIEWED + "\n\n" + "\n".join(not_reviewed))
    return "\n\n".join(blocks)


def _body_suggestion(
    finding: Finding, diffs: Mapping[str, FileDiff], head_text: HeadText
) -> str | None:
    language = _language(diffs, finding)
    return suggestion_part(finding, head_text(finding.path), language, committable=False)


def _verdict(review: Review, head_sha: str, inline_count: int) -> str:
    at = f"at {code_span(head_sha[:12])}"
    if review.failed:
        return f"> **Review failed** {at}: every part of the diff failed; nothing was reviewed."
    total = len(review.findings)
    if total == 0:
        verdict = f"No findings {at} in {_count(len(review.reviewed_files), 'file')} reviewed."
    else:
        verdict = f"{_count(total, 'finding')} {at}; {_count(inline_count, 'new inline comment')}."
    if not review.errors:
        return verdict
    # Never read as clean: parts of the diff were not reviewed (listed under "Not reviewed").
    parts = _count(len(review.errors), "part")
    return f"> **Review incomplete**: {parts} of the diff could not be reviewed.\n\n{verdict}"


def not_reviewed_lines(review: Review) -> list[str]:
    """Markdown list items: skipped files and failed chunks, each with the reason."""
    lines = [f"- {code_span(s.path)}: {s.reason}" for s in review.skipped]
    for error in review.errors:
        paths = ", ".join(code_span(p) for p in error.paths) or "(no files)"
        lines.append(f"- {paths}: {error.reason}")  # reasons say what failed
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
