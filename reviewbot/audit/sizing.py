"""A file's audit units, each checked with the model's own tokenizer to fit the context window.

``units.split_file`` cuts by a character estimate; tokenizers differ (a small vocabulary may take
a token per two characters of code), so every unit is then counted exactly (``measure``). When a
unit of several lines does not fit, the whole file is cut again with the estimate's budget
shrunk by the worst overshoot, a few times at most; a unit that still does not fit is cut at line
boundaries (each piece counted), and a line that cannot fit even alone is reported as not
audited, with its size.
Nothing is cut off silently and no request larger than the room is ever built.

Each file is sized on its own (never calibrated on other files), so a file's units, and hence
their keys, depend only on its content and the settings: shards and re-runs agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from reviewbot.audit.select import SourceFile
from reviewbot.audit.units import MIN_UNIT_TOKENS, Unit, split_file
from reviewbot.types import Skipped

Measure = Callable[[Unit], int]
MAX_ROUNDS = 4  # a wrong estimate is corrected in one round; the rest absorb tokenizer drift
SHRINK = 0.9  # aim below the room: a re-cut unit's token density varies a little


def fit_file(
    source: SourceFile, measure: Measure, room: int, *, max_lines: int
) -> tuple[list[Unit], list[Skipped]]:
    """(units whose ``measure`` is at most ``room``, in line order; the lines left out).

    measure: a unit's tokens by the model's tokenizer (of what depends on the unit: its code,
    header and path); room: the tokens the context window leaves for that. Every line of the file
    is in exactly one unit or in one Skipped entry. Raises ConfigError (from ``split_file``)
    when ``room`` is below MIN_UNIT_TOKENS.
    """
    sizes: dict[tuple[int, int, tuple[tuple[int, str], ...]], int] = {}

    def size(unit: Unit) -> int:
        key = (unit.start, unit.end, unit.header)
        if key not in sizes:
            sizes[key] = measure(unit)
        return sizes[key]

    budget = room
    units = split_file(source, budget, max_lines=max_lines)
    for _ in range(MAX_ROUNDS):
        over = [size(u) for u in units if size(u) > room and u.end > u.start]
        if not over or budget == MIN_UNIT_TOKENS:
            break
        shrunk = math.floor(budget * room / max(over) * SHRINK)
        budget = max(MIN_UNIT_TOKENS, min(shrunk, budget - 1))
        units = split_file(source, budget, max_lines=max_lines)
    fitted: list[Unit] = []
    skipped: list[Skipped] = []
    for unit in units:
        if size(unit) <= room:
            fitted.append(unit)
        else:
            _by_lines(unit, size, room, fitted, skipped)
    return fitted, skipped


def _by_lines(
    unit: Unit, size: Measure, room: int, fitted: list[Unit], skipped: list[Skipped]
) -> None:
    """Cut ``unit`` at line boundaries into the largest pieces that fit (each counted); a line
    that does not fit alone goes to ``skipped``."""
    current: Unit | None = None
    for n in range(unit.start, unit.end + 1):
        if current is not None:
            longer = _part(unit, current.start, n)
            if size(longer) <= room:
                current = longer
                continue
            fitted.append(current)
            current = None
        line = _part(unit, n, n)
        if size(line) <= room:
            current = line
        else:
            skipped.append(Skipped(unit.path, _too_big(line, size(line), room)))
    if current is not None:
        fitted.append(current)


def _part(unit: Unit, start: int, end: int) -> Unit:
    """Lines ``start..end`` of ``unit``, with the unit's header."""
    lines = unit.lines[start - unit.start : end - unit.start + 1]
    name = next((text.strip() for text in lines if text.strip()), "")
    return replace(unit, start=start, end=end, lines=lines, name=name[:80])


def _too_big(unit: Unit, tokens: int, room: int) -> str:
    where = f"line {unit.start}" if unit.start == unit.end else f"lines {unit.start}-{unit.end}"
    return (
        f"{where}: {tokens} tokens, more than the {room} the context window leaves for code; "
        "not audited (use a model with a larger context_window or lower max_new_tokens)"
    )
