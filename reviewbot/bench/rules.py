"""Building blocks of mutation rules: a regex over a masked line and what replaces a match.

A rule's pattern runs over the *masked* line (``reviewbot.bench.mask``), so it never matches
inside a string or a comment; the replacement is computed from the real line's text at the same
columns. A replacement function returns every alternative text for the match (usually one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reviewbot.bench.mask import MASK

# (match on the masked line, the real line, identifiers used nearby) -> replacement texts
Replace = Callable[[re.Match[str], str, Sequence[str]], list[str]]


@dataclass(frozen=True)
class Rule:
    """pattern: run over the masked line. spans_literals: the match may cover masked text
    (the replacement then keeps that text from the real line, e.g. a whole condition)."""

    pattern: re.Pattern[str]
    replace: Replace
    spans_literals: bool = False


def rule(pattern: str, replace: Replace, *, spans_literals: bool = False) -> Rule:
    return Rule(re.compile(pattern), replace, spans_literals)


def real(m: re.Match[str], line: str, group: int = 0) -> str:
    """The real line's text under ``group`` of a match made on the masked line."""
    return line[m.start(group) : m.end(group)]


def swap(mapping: Mapping[str, str]) -> Replace:
    """Replace the whole match by ``mapping[match]``."""

    def replace(m: re.Match[str], line: str, names: Sequence[str]) -> list[str]:
        return [mapping[m.group(0)]]

    return replace


def delete(m: re.Match[str], line: str, names: Sequence[str]) -> list[str]:
    return [""]


def constant(text: str) -> Replace:
    def replace(m: re.Match[str], line: str, names: Sequence[str]) -> list[str]:
        return [text]

    return replace


def balanced(text: str) -> bool:
    """Parentheses and brackets of ``text`` (masked: literals cannot fool it) pair up."""
    depth = 0
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def no_literal(text: str) -> bool:
    return MASK not in text
