"""JSON report: ``reviewbot.serialize.review_to_dict`` indented, readable back with
``review_from_dict`` (so audit merges and caches can load it)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import TextIO

from reviewbot.reporters.base import OriginalLines
from reviewbot.serialize import review_to_dict
from reviewbot.types import Review


class JsonReporter:
    """Writes one JSON document (2-space indent, UTF-8 text, trailing newline) to ``stream``.

    extra: top-level keys written after the review's own (the audit adds its shard record,
    ``reviewbot.audit.record.KEY``); they must not be keys of ``review_to_dict``'s document.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        color: bool = False,
        original_lines: OriginalLines | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        self._stream = stream
        self._extra = dict(extra or {})

    def report(self, review: Review) -> None:
        out = self._stream if self._stream is not None else sys.stdout
        document = review_to_dict(review)
        clash = sorted(document.keys() & self._extra.keys())
        if clash:
            raise ValueError(f"extra keys {clash} would replace the review's own")
        document.update(self._extra)
        out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
