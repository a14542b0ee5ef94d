"""Seeded bugs: apply one mutation operator to one line of a source file.

``FileMutator(language, text)`` masks the file once and then lists, for a line, every mutant
each operator (``reviewbot.bench.operators``) can make of it. A mutant changes exactly one
contiguous span of one line and never adds or removes a line, so the diff around it keeps its
shape and the answer key is that line. Python mutants are kept only when the whole mutated file
still parses (``ast.parse``) and its syntax tree differs from the original's once equivalent
forms are made one (``reviewbot.bench.equivalent.canonical_dump``: a final ``return None``, a
constant statement, ``+ 0``, the order of ``min``'s arguments); other languages use the
token-level rules alone, which leave out the equivalent mutants they can see.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from reviewbot.bench.equivalent import canonical_dump
from reviewbot.bench.mask import C_FAMILY, MASK, PYTHON, masked_lines
from reviewbot.bench.operators import OPERATORS, Operator
from reviewbot.bench.rules import Rule

NEARBY_LINES = 20  # wrong-variable draws its replacement from variables used this close
_NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?![\w(])")
# C-family variables: declared (let/var/const/a type name before), assigned, or typed (a: T).
_C_VARIABLE = re.compile(
    r"\b(?:let|var|const|mut|auto|int|long|char|float|double|bool|size_t|String|string)\s+"
    r"(?:mut\s+)?([A-Za-z_]\w*)|([A-Za-z_]\w*)\s*(?::=|[+\-*/]?=(?!=))|([A-Za-z_]\w*)\s*:\s*[&\w\[]"
)
# Lines that declare rather than use names: wrong-variable leaves them alone.
_C_DECLARATION = re.compile(
    r"^\s*(?:import|#|package|use\s)|\b(?:function|func|fn)\b"
    # C, C++, Java, C# definitions: "type name(params) {" (not "else if (...) {")
    r"|^(?!\s*(?:else|return|if|while|for|switch|case)\b)\s*(?:[\w:<>*&\[\]]+\s+)+[\w:]+\s*"
    r"\([^;]*\)\s*(?:throws\s[\w, .]+)?\{?\s*$"
)
_PY_DECLARATION = re.compile(r"^\s*(?:(?:async\s+)?def|class|import|from)\b")
# Operators that change names: they leave declaration lines (signatures, imports) alone.
_USE_ONLY = frozenset({"wrong-variable", "swap-arguments"})


@dataclass(frozen=True)
class Mutation:
    """One mutant of a line. column: 0-based start of the changed span in the real line."""

    operator: str
    cls: str
    original: str
    mutated: str
    column: int


def family(language: str | None) -> str | None:
    """``"python"``, ``"c-family"``, or None when no mutation rules cover ``language``."""
    if language == PYTHON:
        return PYTHON
    if language in C_FAMILY:
        return "c-family"
    return None


class FileMutator:
    """Mutants of the lines of one file (text as in the commit, ``\\n``-separated).

    ``usable`` is False when the language has no rules or (Python) the file does not parse.
    """

    def __init__(self, language: str, text: str) -> None:
        self.language = language
        self.family = family(language)
        self.lines = text.split("\n")
        self.masked = masked_lines(language, text) if self.family else None
        self._tree: str | None = None
        self._variables: frozenset[str] = frozenset()
        self._loads: set[tuple[int, int]] = set()  # (line, column) of Python names read
        if self.masked is not None and language == PYTHON:
            self._tree = canonical_dump(text)
            if self._tree is not None:
                self._variables, self._loads = _python_names(text)
        self.usable = self.masked is not None and (language != PYTHON or self._tree is not None)

    def candidates(self, lineno: int) -> dict[str, list[Mutation]]:
        """Operator name -> mutants of line ``lineno`` (1-based), in column order.

        Operators with no mutant are left out. Python mutants are not yet checked to parse:
        call ``accepts`` on the one picked (parsing every candidate would be slow).
        """
        if not self.usable or self.masked is None or not 1 <= lineno <= len(self.lines):
            return {}
        real, masked = (
            _strip_cr(self.lines[lineno - 1]),
            self.masked[lineno - 1][: len(_strip_cr(self.lines[lineno - 1]))],
        )
        names = self._variables_near(lineno)
        found: dict[str, list[Mutation]] = {}
        for op in OPERATORS:
            mutants = _apply(
                op, op.rules_for(self.language, self.family or ""), real, masked, names
            )
            if op.name in _USE_ONLY and self._declares(masked):
                continue
            if op.name == "wrong-variable" and self.language == PYTHON:
                mutants = [m for m in mutants if (lineno, m.column) in self._loads]
            if mutants:
                found[op.name] = mutants
        return found

    def _declares(self, masked: str) -> bool:
        pattern = _PY_DECLARATION if self.language == PYTHON else _C_DECLARATION
        return pattern.search(masked) is not None

    def accepts(self, lineno: int, mutation: Mutation) -> bool:
        """True unless this is Python and the mutated file fails to parse or is equivalent
        (the same canonical syntax tree, ``canonical_dump``)."""
        if self.language != PYTHON:
            return True
        return canonical_dump(self.mutated_text(lineno, mutation)) not in (None, self._tree)

    def mutated_text(self, lineno: int, mutation: Mutation) -> str:
        lines = list(self.lines)
        cr = "\r" if lines[lineno - 1].endswith("\r") else ""
        lines[lineno - 1] = mutation.mutated + cr
        return "\n".join(lines)

    def _variables_near(self, lineno: int) -> list[str]:
        assert self.masked is not None
        window = self.masked[max(0, lineno - 1 - NEARBY_LINES) : lineno + NEARBY_LINES]
        used = {m.group(0) for line in window for m in _NAME.finditer(line)}
        if self.language == PYTHON:
            return sorted(used & self._variables)
        declared = {
            name
            for line in window
            for m in _C_VARIABLE.finditer(line)
            for name in m.groups()
            if name
        }
        return sorted(used & declared)


def _python_names(text: str) -> tuple[frozenset[str], set[tuple[int, int]]]:
    """(names the file assigns or takes as arguments, (line, column) of every name read)."""
    stored: set[str] = set()
    loads: set[tuple[int, int]] = set()
    lines = text.split("\n")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.arg):
            stored.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            stored.add(node.id)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            # col_offset counts UTF-8 bytes; mutants count characters
            prefix = lines[node.lineno - 1].encode("utf-8")[: node.col_offset]
            loads.add((node.lineno, len(prefix.decode("utf-8", "replace"))))
    return frozenset(stored), loads


def _apply(
    op: Operator, rules: tuple[Rule, ...], real: str, masked: str, names: list[str]
) -> list[Mutation]:
    mutants: dict[str, Mutation] = {}
    for rule in rules:
        for match in rule.pattern.finditer(masked):
            if not rule.spans_literals and MASK in match.group(0):
                continue
            for text in rule.replace(match, real, names):
                mutated = real[: match.start()] + text + real[match.end() :]
                if mutated != real and mutated not in mutants:
                    mutants[mutated] = Mutation(op.name, op.cls, real, mutated, match.start())
    return sorted(mutants.values(), key=lambda m: (m.column, m.mutated))


def _strip_cr(line: str) -> str:
    return line[:-1] if line.endswith("\r") else line
