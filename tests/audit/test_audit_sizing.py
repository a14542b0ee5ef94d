"""Units sized with the backend's own tokenizer and context window, and what does not fit."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pytest

from reviewbot.audit.select import SourceFile
from reviewbot.audit.sizing import fit_file
from reviewbot.audit.units import Unit
from reviewbot.backends.fake import EMPTY_ANSWER
from reviewbot.commands.audit import AuditOptions, audit
from reviewbot.config import Config
from reviewbot.errors import ConfigError
from reviewbot.types import Completion, FinishReason, Request, Review, Skipped

WINDOW = 3000
MAX_NEW = 100
# one token per character, denser than the three characters audit units are first cut by
SYSTEM_CHARS = 2317  # prompts/audit_system.j2 rendered with the default settings
MARGIN = 32 + WINDOW * 2 // 100  # reviewbot.budget's safety margin


class DenseBackend:
    """A backend whose tokenizer counts every character; answers from ``answers`` (by order)."""

    name = "dense"

    def __init__(self, context_window: int, answers: Sequence[Completion] = ()) -> None:
        self.context_window = context_window
        self.requests: list[Request] = []
        self._answers = list(answers)

    def count_tokens(self, text: str) -> int:
        return len(text)

    def complete(self, requests: Sequence[Request]) -> list[Completion]:
        self.requests.extend(requests)
        return [self._next() for _ in requests]

    def _next(self) -> Completion:
        if self._answers:
            return self._answers.pop(0)
        return Completion(EMPTY_ANSWER, FinishReason.STOP, completion_tokens=4)


def code(lines: int) -> str:
    return "".join(f"value_{i:03} = compute(alpha, beta, gamma, {i})\n" for i in range(lines))


def run(tmp_path: Path, backend: DenseBackend, max_new: int = MAX_NEW) -> tuple[Review, str]:
    config = Config(backend="fake", max_new_tokens=max_new)
    options = AuditOptions(state=tmp_path.parent / f"{tmp_path.name}.sqlite", concurrency=2)
    err = io.StringIO()
    review, _ = audit(config, tmp_path, None, [backend], options, stderr=err)
    return review, err.getvalue()


def prompt_tokens(request: Request) -> int:
    return sum(len(m.content) for m in request.messages)


def test_every_request_fits_the_window_by_the_backends_own_count(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(code(40))
    backend = DenseBackend(WINDOW)

    review, _ = run(tmp_path, backend)

    sizes = [prompt_tokens(r) for r in backend.requests]
    # 2,000 characters of numbered code; 407 tokens of room per unit (3000 - 100 answer - 2,317
    # system - 84 framing - 92 margin) hold 7 of these lines with the path
    assert len(sizes) == 6
    assert max(sizes) <= WINDOW - MAX_NEW - MARGIN
    assert all(r.max_new_tokens == MAX_NEW for r in backend.requests)
    assert review.errors == () and review.skipped == ()


def test_a_line_too_long_for_any_unit_is_listed_not_cut(tmp_path: Path) -> None:
    long_line = "blob = '" + "x" * 900 + "'"
    (tmp_path / "data.py").write_text(f"{code(3)}{long_line}\n{code(2)}")
    backend = DenseBackend(WINDOW)

    review, _ = run(tmp_path, backend)

    assert review.skipped == (
        Skipped(
            "data.py",
            "line 4: 931 tokens, more than the 407 the context window leaves for code; not "
            "audited (use a model with a larger context_window or lower max_new_tokens)",
        ),
    )
    shown = [r.messages[1].content for r in backend.requests]
    assert len(shown) == 2 and all("xxxx" not in text for text in shown)
    assert "### Lines 1-3" in shown[0] and "### Lines 5-6" in shown[1]


def test_no_room_for_code_is_a_config_error_naming_the_numbers(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(code(3))
    backend = DenseBackend(WINDOW)

    with pytest.raises(ConfigError, match=r"window of 3000 tokens leaves no room.*max_new_tokens"):
        run(tmp_path, backend, max_new=600)  # the prompt alone takes 2,401 tokens
    assert backend.requests == []


def test_cut_off_answers_are_counted_and_reported(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(code(40))
    salvaged = Completion('{"findings": []', FinishReason.LENGTH, completion_tokens=100)
    unreadable = Completion('{"findings": [{"pa', FinishReason.LENGTH, completion_tokens=100)
    backend = DenseBackend(WINDOW, [salvaged, unreadable])

    review, err = run(tmp_path, backend)

    assert review.stats.truncated_outputs == 2
    reasons = [e.reason for e in review.errors]
    assert len(reasons) == 2
    assert reasons[0] == (
        "lines 1-7: the answer was cut off after 100 tokens (max_new_tokens), so findings after "
        "the cut are missing; raise max_new_tokens to audit this unit again"
    )
    assert reasons[1].startswith("lines 8-14: the model's answer was cut off")  # unreadable
    assert "2 of 6 units not fully audited (2 cut off at max_new_tokens)" in err


def _numbered(unit: Unit) -> int:
    return sum(len(text) + 9 for text in unit.lines)


@pytest.mark.parametrize("room", [60, 200, 500, 5000])
def test_fit_file_covers_every_line_once_within_the_room(room: int) -> None:
    lines = tuple(code(30).splitlines())
    source = SourceFile("calc.py", "python", lines)
    # twice as dense as the estimate: the first cut is too large and must be redone
    units, skipped = fit_file(source, lambda u: 2 * _numbered(u), room, max_lines=150)

    covered = [n for u in units for n in range(u.start, u.end + 1)]
    covered += [int(s.reason.split()[1].rstrip(":")) for s in skipped]
    assert sorted(covered) == list(range(1, 31))
    assert all(2 * _numbered(u) <= room for u in units)
    assert (skipped == []) == (room >= 2 * (len(lines[0]) + 9))
