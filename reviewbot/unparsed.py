"""Files of a diff that could not be parsed make the review incomplete, in every command.

``diff.parse_diff`` lists such files (a hunk shorter or longer than its header, a malformed
``@@`` line) as skipped with the reason; the review then cannot vouch for them, so it must not
pass as clean: each becomes a ChunkError (exit 1, SARIF ``executionSuccessful`` false; the hook's
``on_unavailable`` decides, as for any review it could not complete).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from reviewbot.types import ChunkError, Review, Skipped


def with_unparsed(review: Review, unparsed: Sequence[Skipped]) -> Review:
    """``review`` marked incomplete for the files of the diff that could not be parsed (listed
    in ``unparsed``): each moves from ``review.skipped`` to a ChunkError with its reason, so a
    malformed patch never passes as clean (exit 1, SARIF ``executionSuccessful`` false) and is
    listed once.

    Each also counts as one attempted unit in ``stats.calls`` (as audits count units), so
    ``Review.failed`` keeps meaning "every attempt failed": true only when no file was
    reviewed either.
    """
    if not unparsed:
        return review
    errors = tuple(ChunkError((s.path,), s.reason) for s in unparsed)
    stats = replace(review.stats, calls=review.stats.calls + len(errors))
    skipped = tuple(s for s in review.skipped if s not in unparsed)
    return replace(review, skipped=skipped, errors=(*review.errors, *errors), stats=stats)
