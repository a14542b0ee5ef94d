"""Whether a review covered what a case is scored on, from the review's ``skipped`` list.

A buggy case is scored on its answer-key lines: the review must have shown the model every hunk
holding one. A clean case is scored on everything it changes (a false alarm can be anywhere), so
nothing of it may have been skipped. What the pipeline did not review is in ``Review.skipped``:
whole files (parse problems, filters such as include/exclude, lockfiles, ``max_file_bytes``, a
file header too big for the context) and single hunks that do not fit the context window,
whose reason starts with ``"hunk "`` and the hunk's ``diff_text.hunk_range`` (``budget.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reviewbot.bench.casefile import AnswerLine, Case, CaseKind
from reviewbot.diff_text import hunk_range
from reviewbot.types import FileDiff, Hunk, Side, Skipped


def not_reviewed(
    case: Case, files: Sequence[FileDiff], skipped: Sequence[Skipped]
) -> tuple[str, ...]:
    """Why ``case`` cannot be scored: ``"PATH: REASON"`` per skipped part it needed; () when
    the review covered it.

    files: the case's diff as parsed (``reviewbot.diff.parse_diff``); skipped: the review's
    ``Review.skipped``. Reasons are in the order of ``skipped``, without repeats.
    """
    if case.kind is CaseKind.CLEAN:
        needed = list(skipped)
    else:
        by_path = {f.path: f for f in files}
        needed = [s for s in skipped if any(_covers(s, a, by_path) for a in case.answer)]
        known = {f.path for f in files} | {s.path for s in skipped}
        lost = [a.path for a in case.answer if a.path not in known]
        needed += [Skipped(path, "not in the case's diff") for path in lost]
    return tuple(dict.fromkeys(f"{s.path}: {s.reason}" for s in needed))


def _covers(skip: Skipped, answer: AnswerLine, files: Mapping[str, FileDiff]) -> bool:
    """True when ``skip`` left out the part of the diff that holds ``answer``."""
    if skip.path != answer.path:
        return False
    file = files.get(skip.path)
    hunks = file.hunks if file is not None else ()
    skipped_hunk = next(
        (h for h in hunks if skip.reason.startswith(f"hunk {hunk_range(h)} ")), None
    )
    if skipped_hunk is None:
        return True  # the whole file was skipped
    return _holds(skipped_hunk, answer)


def _holds(hunk: Hunk, answer: AnswerLine) -> bool:
    if answer.side is Side.RIGHT:
        start, length = hunk.new_start, hunk.new_len
    else:
        start, length = hunk.old_start, hunk.old_len
    return start <= answer.line <= start + max(length, 1) - 1
