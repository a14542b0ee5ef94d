"""Scripted reviewers with known scores, to check the harness itself (``--self-check``).

- ``OracleBackend`` names exactly the answer-key lines: 100% detection, 0 false positives.
- ``SilentBackend`` never finds anything: 0% detection.
- ``FlagAllBackend`` flags every changed line shown as a bug: full detection, the precision
  of guessing (answer lines over changed lines) and a false positive on every clean diff.

They answer in the findings JSON a model would write, so their answers go through the same
parser and anchoring as a model's. The runner tells them the case (``begin_case``); each request
gets findings for the case's files whose path appears in its prompt. Answers hold at most
``reviewbot.findings.MAX_FINDINGS`` findings, as a model's would, so when a request shows more
changed lines than that, flag-all flags runs of consecutive changed lines as ranges instead, and
whole hunks when even the runs are too many (the scorer counts a range as a hit on any line in
it; precision is then counted per range). Only past 50 hunks in one request could it miss a line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from reviewbot.bench.casefile import Case
from reviewbot.diff import parse_diff
from reviewbot.diff_text import format_hunk
from reviewbot.findings import MAX_FINDINGS
from reviewbot.types import Completion, DiffLine, FinishReason, Hunk, LineKind, Request, Side

CONTEXT_WINDOW = 32768


class _Scripted:
    name = "scripted"
    context_window = CONTEXT_WINDOW

    def __init__(self) -> None:
        self.case: Case | None = None

    def begin_case(self, case: Case) -> None:
        self.case = case

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1

    def complete(self, requests: Sequence[Request]) -> list[Completion]:
        return [self._answer(r) for r in requests]

    def _answer(self, request: Request) -> Completion:
        prompt = "\n".join(m.content for m in request.messages if m.role == "user")
        spots = [s for s in self.spots(prompt) if s.path in prompt][:MAX_FINDINGS]
        text = json.dumps({"findings": [_finding(spot) for spot in spots]})
        return Completion(
            text,
            FinishReason.STOP,
            prompt_tokens=self.count_tokens(prompt),
            completion_tokens=self.count_tokens(text),
        )

    def spots(self, prompt: str) -> list[Spot]:
        """What to flag in the current case, for a request with this user ``prompt``."""
        return []


class OracleBackend(_Scripted):
    name = "oracle"

    def spots(self, prompt: str) -> list[Spot]:
        return [Spot(a.path, a.side, a.line) for a in self.case.answer] if self.case else []


class SilentBackend(_Scripted):
    name = "silent"


class FlagAllBackend(_Scripted):
    name = "flag-all"

    def spots(self, prompt: str) -> list[Spot]:
        if self.case is None:
            return []
        files, _ = parse_diff(self.case.diff.encode("utf-8"))
        # only the hunks of this request: a split file's other hunks are in other chunks
        shown = [(f.path, h) for f in files for h in f.hunks if format_hunk(h) in prompt]
        spots: list[Spot] = []
        for unit in (_lines, _runs, _whole):  # the finest that fits one answer
            spots = [spot for path, hunk in shown for spot in unit(path, hunk)]
            if len(spots) <= MAX_FINDINGS:
                break
        return spots


@dataclass(frozen=True)
class Spot:
    """A finding to make: lines ``line..end_line`` (numbering of ``side``); end_line None: one."""

    path: str
    side: Side
    line: int
    end_line: int | None = None


def _lines(path: str, hunk: Hunk) -> list[Spot]:
    """Each added line (RIGHT) and each removed line (LEFT) of ``hunk``."""
    return [Spot(path, *_place(line)) for line in hunk.lines if line.kind is not LineKind.CTX]


def _runs(path: str, hunk: Hunk) -> list[Spot]:
    """One range per run of consecutive added lines, or of consecutive removed lines."""
    spots: list[Spot] = []
    previous: DiffLine | None = None
    for line in hunk.lines:
        if line.kind is not LineKind.CTX:
            side, number = _place(line)
            if previous is not None and previous.kind is line.kind:
                spots[-1] = replace(spots[-1], end_line=number)
            else:
                spots.append(Spot(path, side, number))
        previous = line
    return spots


def _whole(path: str, hunk: Hunk) -> list[Spot]:
    """All lines of ``hunk``: its new-file lines (RIGHT, where a removed line's anchor is),
    or its old-file lines when it has none left."""
    if hunk.new_len > 0:
        return [Spot(path, Side.RIGHT, hunk.new_start, hunk.new_start + hunk.new_len - 1)]
    return [Spot(path, Side.LEFT, hunk.old_start, hunk.old_start + max(hunk.old_len, 1) - 1)]


def _place(line: DiffLine) -> tuple[Side, int]:
    if line.kind is LineKind.ADD:
        return Side.RIGHT, line.new_lineno or 0
    return Side.LEFT, line.old_lineno or 0


def _finding(spot: Spot) -> dict[str, object]:
    end = spot.end_line if spot.end_line != spot.line else None
    return {
        "path": spot.path,
        "line": spot.line,
        "end_line": end,
        "side": spot.side.value,
        "severity": "error",
        "category": "bug",
        "quote": None,
        "message": "this line is wrong",
        "suggestion": None,
    }


SELF_CHECK: dict[str, type[_Scripted]] = {
    "oracle": OracleBackend,
    "silent": SilentBackend,
    "flag-all": FlagAllBackend,
}
