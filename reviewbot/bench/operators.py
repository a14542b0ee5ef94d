"""The mutation operators: ~20 rules that mirror real bug patterns.

Each operator has a name (one rule family) and a class (what the per-operator scores group by):
relational, equality, arithmetic, off-by-one, condition, logical, arguments, variable, constant,
dropped-statement, dropped-call, guard. Rules are keyed by language, or by ``"python"`` /
``"c-family"`` (JavaScript, TypeScript, Go, C, C++, Java, Rust, C#, Kotlin). The patterns are
token-level: they run over a line whose strings and comments are masked, and binary operators
must have spaces around them (so generics like ``List<T>`` and pointers are left alone).
The bug patterns follow the usual mutation-testing operator sets (relational, conditional,
arithmetic, return-value, void-call removal) plus the guard removals seen in real fixes.

Rules leave alone the spots where a mutant would be equivalent, behaving as the original does
(``reviewbot.bench.equivalent``): no dropped ``return None`` / ``return;`` / ``return nil``, no
swapped arguments of ``min``/``max``, no ``+ 0`` turned into ``- 0``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reviewbot.bench.equivalent import is_symmetric, is_zero_operand, returns_null
from reviewbot.bench.rules import Replace, Rule, balanced, constant, delete, real, rule, swap

PY = "python"
C = "c-family"
_KEYWORD_TEXT = (
    "if elif else while for return and or not in is None True False def class lambda with as "
    "try except finally raise import from pass break continue yield await async self cls "
    "null nil true false this new func fn let var const mut match switch case default struct "
    "int char void bool string len print range list dict set str float public private static "
    "final go defer chan map type interface package void unsafe impl pub use mod enum function "
    "throw async typeof instanceof delete export extends implements import abstract try catch "
    "do goto sizeof typedef unsigned signed long short double auto inline extern volatile "
    "union where loop crate super Self ref move dyn of nullptr undefined println"
)
_KEYWORDS = frozenset(_KEYWORD_TEXT.split())


@dataclass(frozen=True)
class Operator:
    name: str
    cls: str
    description: str
    rules: Mapping[str, tuple[Rule, ...]]

    def rules_for(self, language: str, family: str) -> tuple[Rule, ...]:
        """The family's rules, then the language's own (Python is both: its rules once)."""
        own = self.rules.get(language, ()) if language != family else ()
        return (*self.rules.get(family, ()), *own)


def _same(*rules: Rule) -> dict[str, tuple[Rule, ...]]:
    """The same rules for Python and the C family (the operator's syntax is shared)."""
    return {PY: rules, C: rules}


def _spaced(ops: str) -> str:
    """A binary operator from ``ops`` with whitespace on both sides."""
    return rf"(?<=\s)(?:{ops})(?=\s)"


def _wrap(prefix: str, suffix: str, group: int) -> Replace:
    def replace(m: re.Match[str], line: str, names: Sequence[str]) -> list[str]:
        inner = m.group(group)
        if not balanced(inner) or ";" in inner or ":=" in inner or inner.startswith("let "):
            return []
        start, end = m.start(group) - m.start(), m.end(group) - m.start()
        whole = real(m, line)
        return [whole[:start] + prefix + whole[start:end] + suffix + whole[end:]]

    return replace


def _swap_args(m: re.Match[str], line: str, names: Sequence[str]) -> list[str]:
    func, a, b = m.group(1), m.group(2), m.group(3)
    if a == b or func.split(".")[-1] in _KEYWORDS or is_symmetric(func):
        return []
    return [f"{func}({b}, {a})"]


def _other_name(m: re.Match[str], line: str, names: Sequence[str]) -> list[str]:
    name = m.group(0)
    if name in _KEYWORDS:
        return []
    if name not in names:
        return []  # only variables are swapped for variables
    same_style = [n for n in names if n != name and n[0].isupper() == name[0].isupper()]
    return [n for n in same_style if n not in _KEYWORDS]


def _bump(m: re.Match[str], line: str, names: Sequence[str]) -> list[str]:
    return [str(int(m.group(0)) + 1)]


def _range_end(m: re.Match[str], line: str, names: Sequence[str]) -> list[str]:
    args = m.group(1)
    if not args.strip() or args.count(",") > 1 or not balanced(args) or args.rstrip().endswith("1"):
        return []
    return [f"range({real(m, line, 1)} + 1)"]


def _arithmetic(m: re.Match[str], line: str, names: Sequence[str]) -> list[str]:
    op = m.group(0)
    if op in "+-" and is_zero_operand(line[m.end() :]):
        return []
    return [{"+": "-", "-": "+", "*": "/", "/": "*"}[op]]


def _drop_return(family: str) -> Replace:
    """``return x`` -> ``x`` (group 1 is the indentation); nothing when ``x`` is a null."""

    def replace(m: re.Match[str], line: str, names: Sequence[str]) -> list[str]:
        return [] if returns_null(family, m.string[m.end() :], line[m.end() :]) else [m.group(1)]

    return replace


def _indent_then(text: str) -> Replace:
    def replace(m: re.Match[str], line: str, names: Sequence[str]) -> list[str]:
        return [m.group(1) + text]

    return replace


# A name read (not declared, assigned, typed or called) in C-family code.
_C_USE = (
    r"(?<![\w.>])(?<!let )(?<!var )(?<!const )(?<!mut )(?<!private )(?<!public )"
    r"[A-Za-z_]\w*(?![\w(.!])(?!\s*=[^=])(?!\s*:)"
)
_NAME = r"[A-Za-z_][\w.]*"  # a name, possibly dotted
_NULL = r"(?:null|NULL|nullptr|nil|undefined)"
_OPERAND = r"[\w.\[\]\->]+"
_SIZE = r"(?:len\([^()]*\)|[\w.]*(?:\.length|\.size\(\)|\.len\(\)|\.Length|\.Count))"
_CLOSE_PY = r"^(\s*)[\w.\[\]]+\.(?:close|release|unlock|shutdown|cleanup|dispose)\(\)\s*$"
_CLOSE_C = (
    r"^(\s*)(?:defer\s+)?(?:[\w.\->]+\.(?:[Cc]lose|[Rr]elease|[Uu]nlock|[Dd]ispose)\(\)"
    r"|(?:free|fclose|close|pthread_mutex_unlock|drop)\([^()]*\));?\s*$"
)

OPERATORS: tuple[Operator, ...] = (
    Operator(
        "relational-boundary",
        "relational",
        "< <-> <=, > <-> >=",
        _same(rule(_spaced("<=|>=|<|>"), swap({"<": "<=", "<=": "<", ">": ">=", ">=": ">"}))),
    ),
    Operator(
        "relational-flip",
        "relational",
        "< <-> >, <= <-> >=",
        _same(rule(_spaced("<=|>=|<|>"), swap({"<": ">", ">": "<", "<=": ">=", ">=": "<="}))),
    ),
    Operator(
        "min-max-swap",
        "relational",
        "min( <-> max(",
        _same(rule(r"\b(?:min|max)(?=\()", swap({"min": "max", "max": "min"}))),
    ),
    Operator(
        "equality-flip",
        "equality",
        "== <-> !=, is <-> is not",
        {
            PY: (
                rule(_spaced("==|!="), swap({"==": "!=", "!=": "=="})),
                rule(r"(?<=\s)is not(?=\s)", constant("is")),
                rule(r"(?<=\s)is(?= (?!not\b))", constant("is not")),
            ),
            C: (
                rule(
                    _spaced("===|!==|==|!="),
                    swap({"==": "!=", "!=": "==", "===": "!==", "!==": "==="}),
                ),
            ),
        },
    ),
    Operator(
        "arithmetic-swap",
        "arithmetic",
        "+ <-> -, * <-> /",
        _same(rule(_spaced(r"[+\-*/]"), _arithmetic)),
    ),
    Operator(
        "increment-swap",
        "arithmetic",
        "+= <-> -=, ++ <-> --",
        {
            PY: (rule(r"(?<=\s)(?:\+=|-=)(?=\s)", swap({"+=": "-=", "-=": "+="})),),
            C: (
                rule(r"(?<=\s)(?:\+=|-=)(?=\s)", swap({"+=": "-=", "-=": "+="})),
                rule(r"(?<=\w)(?:\+\+|--)|(?:\+\+|--)(?=\w)", swap({"++": "--", "--": "++"})),
            ),
        },
    ),
    Operator(
        "off-by-one",
        "off-by-one",
        "drop a '+ 1' / '- 1'",
        _same(rule(r"\s[+-]\s1(?![\w.])", delete)),
    ),
    Operator(
        "range-end",
        "off-by-one",
        "range(n) -> range(n + 1); a..b -> a..=b",
        {
            PY: (rule(r"\brange\(([^()]*(?:\([^()]*\)[^()]*)*)\)", _range_end),),
            "rust": (rule(r"(?<=[\w)])\.\.(?=[\w(])", constant("..=")),),
        },
    ),
    Operator(
        "negate-condition",
        "condition",
        "if c -> if not c",
        {
            PY: (
                rule(
                    r"^\s*(?:if|elif|while) (.+):(?=\s*\x00*\s*$)",
                    _wrap("not (", ")", 1),
                    spans_literals=True,
                ),
            ),
            C: (
                rule(
                    r"\b(?:if|while)\s*\((.+)\)(?=\s*\{?\s*\x00*\s*$)",
                    _wrap("!(", ")", 1),
                    spans_literals=True,
                ),
            ),
            "go": (
                rule(r"\bif (.+?)(?= \{\s*\x00*\s*$)", _wrap("!(", ")", 1), spans_literals=True),
            ),
            "rust": (
                rule(
                    r"\b(?:if|while) (.+?)(?= \{\s*\x00*\s*$)",
                    _wrap("!(", ")", 1),
                    spans_literals=True,
                ),
            ),
        },
    ),
    Operator(
        "drop-negation",
        "condition",
        "not c -> c, !c -> c",
        {
            PY: (rule(r"(?<![\w.])(?<!is )not\s+(?!in\b)", delete),),
            C: (rule(r"(?<![\w)\]!])!(?=[\w(])", delete),),
        },
    ),
    Operator(
        "logical-swap",
        "logical",
        "and <-> or, && <-> ||",
        {
            PY: (rule(_spaced("and|or"), swap({"and": "or", "or": "and"})),),
            C: (rule(r"(?<=[\w)\]] )(?:&&|\|\|)(?= )", swap({"&&": "||", "||": "&&"})),),
        },
    ),
    Operator(
        "swap-arguments",
        "arguments",
        "f(a, b) -> f(b, a)",
        _same(rule(rf"\b({_NAME})\(\s*({_NAME})\s*,\s*({_NAME})\s*\)", _swap_args)),
    ),
    Operator(
        "wrong-variable",
        "variable",
        "a name replaced by another name used nearby",
        {
            PY: (rule(r"(?<![\w.])[A-Za-z_]\w*(?![\w(.])(?!\s*=[^=])", _other_name),),
            C: (rule(_C_USE, _other_name),),
        },
    ),
    Operator(
        "constant-change",
        "constant",
        "an integer constant n -> n + 1",
        _same(rule(r"(?<![\w.])\d+(?![\w.])", _bump)),
    ),
    Operator(
        "boolean-flip",
        "constant",
        "True <-> False",
        {
            PY: (rule(r"\b(?:True|False)\b", swap({"True": "False", "False": "True"})),),
            C: (rule(r"\b(?:true|false)\b", swap({"true": "false", "false": "true"})),),
        },
    ),
    Operator(
        "drop-return",
        "dropped-statement",
        "return x -> x",
        {
            PY: (rule(r"^(\s*)return\s+(?=\S)", _drop_return(PY)),),
            C: (rule(r"^(\s*)return\s+(?=[^\s;])", _drop_return(C)),),
        },
    ),
    Operator(
        "drop-raise",
        "dropped-statement",
        "raise/throw removed",
        {
            PY: (rule(r"^(\s*)raise\b.*$", _indent_then("pass"), spans_literals=True),),
            C: (rule(r"^\s*throw\s.*;\s*\x00*\s*$", constant(""), spans_literals=True),),
        },
    ),
    Operator(
        "drop-await",
        "dropped-call",
        "await f() -> f()",
        {
            PY: (rule(r"\bawait\s+", delete),),
            "javascript": (rule(r"\bawait\s+", delete),),
            "typescript": (rule(r"\bawait\s+", delete),),
            "csharp": (rule(r"\bawait\s+", delete),),
            "rust": (rule(r"\.await\b", delete),),
        },
    ),
    Operator(
        "drop-close",
        "dropped-call",
        "a close/free/unlock call removed",
        {
            PY: (rule(_CLOSE_PY, _indent_then("pass")),),
            C: (rule(_CLOSE_C, constant("")),),
        },
    ),
    Operator(
        "remove-null-check",
        "guard",
        "x is not None and c -> c; x?.y -> x.y",
        {
            PY: (
                rule(rf"(?<![\w.]){_OPERAND} is not None and\s+", delete),
                rule(rf"(?<![\w.]){_OPERAND} is None or\s+", delete),
            ),
            C: (rule(rf"(?<![\w.]){_OPERAND}\s*!==?\s*{_NULL}\s*&&\s*", delete),),
            "javascript": (rule(r"(?<=\w)\?\.(?=\w)", constant(".")),),
            "typescript": (rule(r"(?<=\w)\?\.(?=\w)", constant(".")),),
        },
    ),
    Operator(
        "remove-bounds-check",
        "guard",
        "i < len(x) and c -> c",
        {
            PY: (rule(rf"(?<![\w.]){_OPERAND}\s*(?:<|<=|>|>=)\s*{_SIZE}\s+and\s+", delete),),
            C: (rule(rf"(?<![\w.]){_OPERAND}\s*(?:<|<=|>|>=)\s*{_SIZE}\s*&&\s*", delete),),
        },
    ),
)

BY_NAME: dict[str, Operator] = {op.name: op for op in OPERATORS}
CLASSES: tuple[str, ...] = tuple(dict.fromkeys(op.cls for op in OPERATORS))
