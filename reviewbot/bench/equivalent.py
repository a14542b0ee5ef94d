"""Equivalent mutants: changes that leave behaviour as it was, so they are no bug to find.

Mutation testing calls them equivalent mutants; scoring a model on one would count a correct
"looks fine" as a miss. The token-level rules (``reviewbot.bench.operators``) ask the
predicates here before making a mutant; Python mutants are then compared as syntax trees with
the same forms made canonical (``canonical_dump``), which also catches what the token rules
cannot see (a parenthesised or multi-line ``return None``, a ``+ 0`` written another way).

What counts as the same, and why:
- dropping ``return`` of nothing or of a null value (``return None``, ``return;``, ``return
  nil``/``null``/``undefined``): as a function's last statement it returns the same, and
  anywhere else the mutant (a bare ``None`` statement) is no bug a real change would make;
- swapping the two arguments of a symmetric function (``min``, ``max``, ``gcd``, ...);
- ``x + 0`` against ``x - 0``;
- a statement that is only a constant (``None``, a docstring) does nothing.
"""

from __future__ import annotations

import ast
import re

from reviewbot.bench.mask import MASK, PYTHON

SYMMETRIC_FUNCTIONS = frozenset({"min", "max", "gcd", "lcm", "hypot", "isclose"})
_NULL_VALUES = {
    PYTHON: frozenset({"", "None"}),
    "c-family": frozenset({"", "null", "NULL", "nullptr", "nil", "undefined"}),
}
_COMMENT_STARTS = {PYTHON: ("#",), "c-family": ("//", "/*")}
_ZERO = re.compile(r"\s*0(?:\.0*)?(?![\w.])")


def is_symmetric(function: str) -> bool:
    """``function`` gives the same result with its arguments swapped: one of
    ``SYMMETRIC_FUNCTIONS`` called bare or from a standard math namespace (``math.``, ``Math.``,
    ``std::``). Other owners' functions of those names need not be symmetric
    (``numpy.max(a, 0)`` takes an axis, ``numpy.isclose``'s tolerance scales with its second
    argument), so they are not skipped."""
    *owner, name = re.split(r"\.|::", function)
    return name.lower() in SYMMETRIC_FUNCTIONS and [o.lower() for o in owner] in (
        [],
        ["math"],
        ["std"],
    )


def is_zero_operand(after: str) -> bool:
    """The real text after a binary operator starts with the constant 0."""
    return _ZERO.match(after) is not None


def returns_null(family: str, masked: str, text: str) -> bool:
    """The text after ``return`` (masked and real, same columns) returns nothing or a null.

    family: ``"python"`` or ``"c-family"``. A trailing comment, a ``;`` and parentheses
    around the value are ignored.
    """
    value = _code(masked, text, _COMMENT_STARTS[family]).strip().rstrip(";").strip()
    while value.startswith("(") and value.endswith(")"):
        value = value[1:-1].strip()
    return value in _NULL_VALUES[family]


def _code(masked: str, text: str, comment_starts: tuple[str, ...]) -> str:
    """``text`` up to its trailing comment (masked text that starts with a comment marker)."""
    for i, char in enumerate(masked):
        if char == MASK and text.startswith(comment_starts, i):
            return text[:i]
    return text


def canonical_dump(text: str) -> str | None:
    """``ast.dump`` of Python source with equivalent forms made one; None when it does not
    parse (or holds NUL bytes)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    return ast.dump(_Canonical().visit(tree))


class _Canonical(ast.NodeTransformer):
    def visit_Expr(self, node: ast.Expr) -> ast.AST | None:
        return None if isinstance(node.value, ast.Constant) else self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self.generic_visit(node)
        node.body = _without_final_null_return(node.body)
        return node

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        self.generic_visit(node)
        node.body = _without_final_null_return(node.body)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        zero = isinstance(node.right, ast.Constant) and _is_zero(node.right.value)
        return node.left if zero and isinstance(node.op, (ast.Add, ast.Sub)) else node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        pair = len(node.args) == 2 and not node.keywords
        pair = pair and not any(isinstance(a, ast.Starred) for a in node.args)
        if pair and is_symmetric(ast.unparse(node.func)):
            node.args = sorted(node.args, key=ast.dump)
        return node


def _without_final_null_return(body: list[ast.stmt]) -> list[ast.stmt]:
    while body and isinstance(body[-1], ast.Return) and _is_null(body[-1].value):
        body = body[:-1]
    return body


def _is_null(value: ast.expr | None) -> bool:
    return value is None or (isinstance(value, ast.Constant) and value.value is None)


def _is_zero(value: object) -> bool:
    return type(value) in (int, float) and value == 0
