"""``reviewbot report merge``: the JSON reports of several audit shards -> one review.

Each shard reports its own units' findings, errors and statistics, and lists every skipped file
(skipping is decided per file, identically on every shard). Merging takes the union of findings
(repeats dropped, ordered as one run orders them), all errors ordered by path and line, the
skipped files once, and sums the statistics, so the merge of all N shards reports what one
unsharded run reports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from reviewbot.anchor import merge_findings
from reviewbot.audit.record import KEY, AuditRecord
from reviewbot.errors import ConfigError
from reviewbot.serialize import review_from_dict
from reviewbot.types import ChunkError, Review, Stats

_LINES = re.compile(r"lines (\d+)-")


def read_report(path: Path) -> tuple[Review, AuditRecord]:
    """A review from the JSON report of an audit (``--format json``), and its audit record.

    Raises ConfigError when the file cannot be read, is not JSON or has no audit record (a
    ``reviewbot review`` report: merging it would mix a diff review into the audit's findings and
    figures); SerializeError when it is not a reviewbot review or its record is malformed.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the result file {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise ConfigError(
            f"{path} is not JSON ({exc}); merge the files written with --format json"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} holds no review object; merge files written with --format json")
    if KEY not in data:
        raise ConfigError(
            f'{path} is not a report of `reviewbot audit` (it has no "{KEY}" record): merge only '
            "the JSON reports of audit shards (`reviewbot audit --format json`); a report of an "
            "audit by an older reviewbot is rewritten by running that audit again (its state file "
            "keeps the answers)"
        )
    record = AuditRecord.from_dict(data.pop(KEY), source=str(path))
    return review_from_dict(data, source=str(path)), record


def merge_reviews(reviews: Sequence[Review]) -> Review:
    """One review holding all of ``reviews`` (see the module docstring for the rules)."""
    skipped = tuple(dict.fromkeys(s for r in reviews for s in r.skipped))
    files = sorted({path for r in reviews for path in r.reviewed_files})
    return Review(
        findings=merge_findings(f for r in reviews for f in r.findings),
        skipped=skipped,
        errors=tuple(sorted((e for r in reviews for e in r.errors), key=_error_order)),
        stats=Stats(
            prompt_tokens=sum(r.stats.prompt_tokens for r in reviews),
            completion_tokens=sum(r.stats.completion_tokens for r in reviews),
            calls=sum(r.stats.calls for r in reviews),
            seconds=sum(r.stats.seconds for r in reviews),
            truncated_outputs=sum(r.stats.truncated_outputs for r in reviews),
        ),
        reviewed_files=tuple(files),
    )


def _error_order(error: ChunkError) -> tuple[tuple[str, ...], int, str]:
    """Errors of an audit read "lines A-B: ..."; order them by path, then line."""
    match = _LINES.match(error.reason)
    return error.paths, int(match.group(1)) if match else 0, error.reason
