"""Finding the comments behind a 422 without posting anything visible.

GitHub answers 422 for a whole review when one comment's position is wrong, and does not say
which one. Each probe creates a PENDING review (no ``event``; seen by no one else) with a subset
of the comments and deletes it at once; halving finds k bad comments of n in about
2·k·log2(n) probes instead of n.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reviewbot.github.client import GitHubClient
from reviewbot.github.errors import GitHubRejected


def probe(
    client: GitHubClient, number: int, commit_id: str, comments: Sequence[Mapping[str, Any]]
) -> bool:
    """True when GitHub accepts ``comments`` as a pending review (which is deleted again)."""
    try:
        review_id = client.create_review(
            number, {"commit_id": commit_id, "body": "", "comments": list(comments)}
        )
    except GitHubRejected:
        return False
    client.delete_pending_review(number, review_id)
    return True


def rejected_indices(
    client: GitHubClient, number: int, commit_id: str, comments: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Indices of the comments GitHub rejects, given that the whole list was rejected."""

    def search(indices: list[int], known_bad: bool) -> list[int]:
        if not indices:
            return []
        if not known_bad and probe(client, number, commit_id, [comments[i] for i in indices]):
            return []
        if len(indices) == 1:
            return indices
        half = len(indices) // 2
        left = search(indices[:half], known_bad=False)
        # When the left half is clean, the fault must be in the right half: skip its probe.
        right = search(indices[half:], known_bad=not left)
        return left + right

    return search(list(range(len(comments))), known_bad=True)
