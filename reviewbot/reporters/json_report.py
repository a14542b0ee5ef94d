"""JSON report: ``reviewbot.serialize.review_to_dict`` indented, readable back with
``review_from_dict`` (so audit merges and caches can load it)."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from reviewbot.reporters.base import OriginalLines
from reviewbot.serialize import review_to_dict
from reviewbot.types import Review


class JsonReporter:
    """Writes one JSON document (2-space indent, UTF-8 text, trailing newline) to ``stream``."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        color: bool = False,
        original_lines: OriginalLines | None = None,
    ) -> None:
        self._stream = stream

    def report(self, review: Review) -> None:
        out = self._stream if self._stream is not None else sys.stdout
        out.write(json.dumps(review_to_dict(review), indent=2, ensure_ascii=False) + "\n")
