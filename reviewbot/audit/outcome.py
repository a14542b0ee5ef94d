"""Stored unit results -> one Review, the shape every reporter takes.

The Review is built from the state file alone (never from what this process happened to send),
so an interrupted-and-resumed run and an uninterrupted one report the same findings. Findings
are ordered by path, line and severity (``anchor.merge_findings``); errors by path and line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from reviewbot.anchor import merge_findings
from reviewbot.audit.plan import Job
from reviewbot.audit.progress import UnitResult
from reviewbot.types import ChunkError, Review, Severity, Skipped, Stats


def assemble(
    jobs: Sequence[Job], results: Mapping[str, UnitResult], skipped: Sequence[Skipped]
) -> Review:
    """The review of ``jobs`` from ``results`` (by unit key). A job without a result, a result
    with an error and an answer cut off at max_new_tokens (its findings before the cut kept) are
    errors, so an incomplete run never reads as a clean one.

    stats.calls counts units, stats.seconds sums the model time stored for them.
    """
    found: list[UnitResult] = []
    errors: list[ChunkError] = []
    for job in jobs:
        unit = job.unit
        stored = results.get(job.key)
        where = f"lines {unit.start}-{unit.end}"
        if stored is None:
            errors.append(ChunkError((unit.path,), f"{where}: not audited (run interrupted)"))
            continue
        result = stored.moved_to(unit)
        found.append(result)
        if result.error is not None:
            errors.append(ChunkError((unit.path,), f"{where}: {result.error}", result.raw))
        elif result.truncated:
            errors.append(ChunkError((unit.path,), f"{where}: {_cut_off(result)}"))
    return Review(
        findings=merge_findings(f for r in found for f in r.findings),
        skipped=tuple(skipped),
        errors=tuple(errors),
        stats=Stats(
            prompt_tokens=sum(r.prompt_tokens for r in found),
            completion_tokens=sum(r.completion_tokens for r in found),
            calls=len(jobs),
            seconds=sum(r.seconds for r in found),
            truncated_outputs=sum(r.truncated for r in found),
        ),
        reviewed_files=tuple(dict.fromkeys(job.unit.path for job in jobs)),
    )


def _cut_off(result: UnitResult) -> str:
    return (
        f"the answer was cut off after {result.completion_tokens} tokens (max_new_tokens), so "
        "findings after the cut are missing; raise max_new_tokens to audit this unit again"
    )


def at_least(review: Review, severity: Severity | None) -> Review:
    """``review`` with only the findings of ``severity`` or above (all when None)."""
    if severity is None:
        return review
    kept = tuple(f for f in review.findings if f.severity.rank >= severity.rank)
    return replace(review, findings=kept)
