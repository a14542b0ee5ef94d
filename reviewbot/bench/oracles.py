"""Scripted reviewers with known scores, to check the harness itself (``--self-check``).

- ``OracleBackend`` names exactly the answer-key lines: 100% detection, 0 false positives.
- ``SilentBackend`` never finds anything: 0% detection.
- ``FlagAllBackend`` flags every changed line as a bug: high detection, poor precision and a
  false positive on every clean diff.

They answer in the findings JSON a model would write, so their answers go through the same
parser and anchoring as a model's. The runner tells them the case (``begin_case``); each request
gets findings for the case's files whose path appears in its prompt. Answers hold at most
``reviewbot.findings.MAX_FINDINGS`` findings, as a model's would.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from reviewbot.bench.casefile import Case
from reviewbot.diff import parse_diff
from reviewbot.findings import MAX_FINDINGS
from reviewbot.types import Completion, FinishReason, LineKind, Request, Side

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
        spots = [s for s in self.spots() if s[0] in prompt][:MAX_FINDINGS]
        text = json.dumps({"findings": [_finding(*spot) for spot in spots]})
        return Completion(
            text,
            FinishReason.STOP,
            prompt_tokens=self.count_tokens(prompt),
            completion_tokens=self.count_tokens(text),
        )

    def spots(self) -> list[tuple[str, Side, int]]:
        """(path, side, line) to flag in the current case."""
        return []


class OracleBackend(_Scripted):
    name = "oracle"

    def spots(self) -> list[tuple[str, Side, int]]:
        return [(a.path, a.side, a.line) for a in self.case.answer] if self.case else []


class SilentBackend(_Scripted):
    name = "silent"


class FlagAllBackend(_Scripted):
    name = "flag-all"

    def spots(self) -> list[tuple[str, Side, int]]:
        if self.case is None:
            return []
        files, _ = parse_diff(self.case.diff.encode("utf-8"))
        spots: list[tuple[str, Side, int]] = []
        for file in files:
            for hunk in file.hunks:
                for line in hunk.lines:
                    if line.kind is LineKind.ADD and line.new_lineno is not None:
                        spots.append((file.path, Side.RIGHT, line.new_lineno))
                    elif line.kind is LineKind.DEL and line.old_lineno is not None:
                        spots.append((file.path, Side.LEFT, line.old_lineno))
        return spots


def _finding(path: str, side: Side, line: int) -> dict[str, object]:
    return {
        "path": path,
        "line": line,
        "end_line": None,
        "side": side.value,
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
