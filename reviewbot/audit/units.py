"""Whole files -> audit units: pieces of a file that fit one model call.

A file is cut at block boundaries (``outline``): functions, classes and top-level statements, with
the comments, decorators and attributes just above a block kept with it. Consecutive blocks are
packed into one unit while it stays within the token and line limits, so a function is never
split between units unless it alone exceeds them; then it is cut at its own nested blocks
(methods, body statements), then at blank lines, then at the limit. Every line of the file lies in
exactly one unit. Each unit carries the file's import/include lines that lie outside it, as
read-only context, with their real line numbers.

Here token counts are estimated from characters (``estimate_tokens``, one token per three
characters), so cutting a file needs no tokenizer round trips. The estimate is only a first pass:
``reviewbot.audit.sizing`` counts every unit with the model's own tokenizer and cuts again where
the estimate was wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reviewbot.audit.outline import Block, Outline, outline
from reviewbot.audit.select import SourceFile
from reviewbot.errors import ConfigError

MAX_UNIT_LINES = 150  # default; long units dilute a model's attention even when they fit
HEADER_MAX_LINES = 40
NUMBER_CHARS = 8  # "  1234 | " before each line in the prompt
MIN_UNIT_TOKENS = 20  # below this not even one numbered line of code fits


def estimate_tokens(text: str) -> int:
    """Conservative token count of ``text``: one token per three characters, rounded up."""
    return math.ceil(len(text) / 3)


@dataclass(frozen=True)
class Unit:
    """Lines ``start..end`` (1-based, inclusive) of ``path``, audited in one model call.

    lines: the unit's text lines. header: (line number, text) of the file's imports outside the
    unit, shown as context. name: the unit's first code line, stripped (at most 80 characters).
    """

    path: str
    language: str | None
    start: int
    end: int
    lines: tuple[str, ...]
    header: tuple[tuple[int, str], ...]
    name: str


@dataclass(frozen=True)
class _Segment:
    start: int
    end: int
    block: Block | None  # the block starting in this segment, if any


def split_file(
    source: SourceFile, max_tokens: int, *, max_lines: int = MAX_UNIT_LINES
) -> list[Unit]:
    """Cut ``source`` into units of at most ``max_tokens`` estimated tokens of numbered text and
    ``max_lines`` lines, in line order, covering every line once.

    Raises ConfigError when ``max_tokens`` cannot hold even one line of numbered code
    (< MIN_UNIT_TOKENS) or ``max_lines`` < 1.
    """
    if max_tokens < MIN_UNIT_TOKENS or max_lines < 1:
        raise ConfigError(
            f"audit units would hold {max_tokens} tokens / {max_lines} lines; use a model with a "
            "larger context_window, a smaller max_new_tokens or a larger max unit size"
        )
    shape = outline(source.lines, source.language)
    cost = [0]
    for line in source.lines:
        cost.append(cost[-1] + len(line) + NUMBER_CHARS + 1)
    header = _header(shape.header, cost, max_tokens // 4)
    budget = max_tokens - math.ceil(sum(cost[n] - cost[n - 1] for n in header) / 3)

    def fits(start: int, end: int) -> bool:
        chars = cost[end] - cost[start - 1]
        return end - start + 1 <= max_lines and math.ceil(chars / 3) <= budget

    segments = _segments(shape, 1, len(source.lines), shape.blocks)
    spans = _pack(segments, fits, shape)
    return [_unit(source, start, end, header) for start, end in spans]


def _header(lines: Sequence[int], cost: Sequence[int], max_tokens: int) -> tuple[int, ...]:
    """The first import lines, at most HEADER_MAX_LINES and ``max_tokens`` estimated tokens."""
    kept: list[int] = []
    chars = 0
    for n in lines[:HEADER_MAX_LINES]:
        chars += cost[n] - cost[n - 1]
        if math.ceil(chars / 3) > max_tokens:
            break
        kept.append(n)
    return tuple(kept)


def _unit(source: SourceFile, start: int, end: int, header: Sequence[int]) -> Unit:
    lines = source.lines[start - 1 : end]
    outside = tuple((n, source.lines[n - 1]) for n in header if not start <= n <= end)
    first = next((text.strip() for text in lines if text.strip()), "")
    return Unit(source.path, source.language, start, end, lines, outside, first[:80])


def _segments(shape: Outline, lo: int, hi: int, blocks: Sequence[Block]) -> list[_Segment]:
    """Lines lo..hi cut where each block (with its comments above) starts."""
    starts: list[tuple[int, Block | None]] = [(lo, None)]
    floor = lo
    for block in blocks:
        start = block.start
        while start - 1 > floor and start - 1 in shape.lead:
            start -= 1  # comments, decorators and attributes belong to the block below
        if start <= lo:
            starts[0] = (lo, block)
        elif start > starts[-1][0]:
            starts.append((start, block))
        floor = max(floor, block.end)
    ends = [s - 1 for s, _ in starts[1:]] + [hi]
    return [_Segment(s, e, b) for (s, b), e in zip(starts, ends, strict=True)]


def _pack(
    segments: Sequence[_Segment], fits: Callable[[int, int], bool], shape: Outline
) -> list[tuple[int, int]]:
    """Greedy packing of consecutive segments; a segment too large alone is cut further."""
    spans: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for segment in segments:
        if not fits(segment.start, segment.end):
            if current is not None:
                spans.append(current)
                current = None
            block = segment.block
            if block is not None and fits(block.start, block.end):
                spans += _pack(_unwrap(segment, block), fits, shape)
            elif block is not None and block.children:
                spans += _pack(_cut(segment, shape), fits, shape)
            else:
                spans += _cut_lines(segment.start, segment.end, fits)
        elif current is not None and fits(current[0], segment.end):
            current = (current[0], segment.end)
        else:
            if current is not None:
                spans.append(current)
            current = (segment.start, segment.end)
    if current is not None:
        spans.append(current)
    return spans


def _unwrap(segment: _Segment, block: Block) -> list[_Segment]:
    """The comments above a block, the block, and the blank lines after it, as pieces: a block
    that fits stays whole even when its surroundings make the segment too large."""
    pieces = [_Segment(segment.start, block.start - 1, None)] if segment.start < block.start else []
    pieces.append(_Segment(block.start, block.end, None))
    if block.end < segment.end:
        pieces.append(_Segment(block.end + 1, segment.end, None))
    return pieces


def _cut(segment: _Segment, shape: Outline) -> list[_Segment]:
    """A segment's lines cut at the blocks nested in its block (its head joins the first)."""
    assert segment.block is not None
    return _segments(shape, segment.start, segment.end, segment.block.children)


def _cut_lines(start: int, end: int, fits: Callable[[int, int], bool]) -> list[tuple[int, int]]:
    """Lines start..end in the largest pieces that fit (a block with nothing nested to cut at)."""
    spans: list[tuple[int, int]] = []
    while start <= end:
        last = start
        while last < end and fits(start, last + 1):
            last += 1
        spans.append((start, last))
        start = last + 1
    return spans
