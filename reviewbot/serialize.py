"""Review and Finding <-> plain JSON-ready dicts, round-trippable.

Used by the json reporter, the result cache and the audit merge, so a JSON report can be read
back. Shape (``SCHEMA_VERSION`` 1)::

    {"schema_version": 1, "failed": bool,
     "findings": [{"path", "line", "end_line", "side": "LEFT"|"RIGHT",
                   "severity": "info"|"warning"|"error"|"critical", "category", "message",
                   "suggestion", "fingerprint", "placement": "inline"|"file"|"summary", "note",
                   "anchoring"?: {"rule", "said_path", "said_line", "said_end_line", "said_side",
                                  "quote", "path_match", "moved", "quote_lines", "quote_side",
                                  "dropped", "line_text"}}],
     "skipped": [{"path", "reason"}], "errors": [{"paths": [...], "reason", "raw"}],
     "stats": {"prompt_tokens", "completion_tokens", "calls", "seconds", "truncated_outputs"},
     "reviewed_files": [...]}

``failed`` is derived from the rest (``Review.failed``) and ignored when reading. ``anchoring``
(``types.Anchoring``, how a finding was placed) is left out when a finding has none, so data
written before it existed reads back unchanged and findings made elsewhere write no nulls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pydantic

from reviewbot.errors import SerializeError
from reviewbot.types import Finding, Review

SCHEMA_VERSION = 1

_REVIEW = pydantic.TypeAdapter(Review)
_FINDING = pydantic.TypeAdapter(Finding)


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """One finding as a dict of JSON values (enums as their string values)."""
    data: dict[str, Any] = _FINDING.dump_python(finding, mode="json")
    if data["anchoring"] is None:
        del data["anchoring"]
    return data


def finding_from_dict(data: Mapping[str, Any], *, source: str = "review data") -> Finding:
    """Inverse of ``finding_to_dict``.

    Raises SerializeError naming the bad fields and ``source``.
    """
    try:
        return _FINDING.validate_python(data)
    except pydantic.ValidationError as exc:
        raise SerializeError(_explain(exc, source)) from None


def review_to_dict(review: Review) -> dict[str, Any]:
    """The whole review as a dict of JSON values, with ``schema_version`` and ``failed`` first."""
    body: dict[str, Any] = _REVIEW.dump_python(review, mode="json")
    body["findings"] = [finding_to_dict(finding) for finding in review.findings]
    return {"schema_version": SCHEMA_VERSION, "failed": review.failed, **body}


def review_from_dict(data: Mapping[str, Any], *, source: str = "review data") -> Review:
    """Inverse of ``review_to_dict``.

    Raises SerializeError when ``schema_version`` is not ``SCHEMA_VERSION`` or a field is missing
    or has the wrong type; the message names ``source`` (e.g. the file it came from).
    """
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SerializeError(
            f"{source}: schema_version {version!r} is not {SCHEMA_VERSION}; it was written by "
            "another reviewbot version: delete it (or re-run the review) to rebuild it"
        )
    body = {key: value for key, value in data.items() if key not in ("schema_version", "failed")}
    try:
        return _REVIEW.validate_python(body)
    except pydantic.ValidationError as exc:
        raise SerializeError(_explain(exc, source)) from None


def _explain(exc: pydantic.ValidationError, source: str) -> str:
    problems = "; ".join(
        f"{'.'.join(str(part) for part in err['loc']) or '(top)'}: {err['msg']}"
        for err in exc.errors()
    )
    return (
        f"{source} is not valid reviewbot review data: {problems}; delete it or re-run the review"
    )
