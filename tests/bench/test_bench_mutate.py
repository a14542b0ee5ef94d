from __future__ import annotations

import ast
from pathlib import Path

import gitrepo
import pytest

from reviewbot.bench.casefile import CaseKind
from reviewbot.bench.cases import CaseOptions, generate_cases
from reviewbot.bench.mask import MASK, masked_lines
from reviewbot.bench.mutate import FileMutator, Mutation, family
from reviewbot.bench.operators import BY_NAME, CLASSES, OPERATORS

PYTHON = (
    "def f(a, b):\n"
    "    if a.close is not None and b < len(a):\n"
    "        return min(a, b)\n"
    "    x = await g(a, 'x < y')  # a < b\n"
    "    fh.close()\n"
    "    raise KeyError(a)\n"
    "    return not True\n"
    "    for i in range(len(a)):\n"
    "        total -= a[i] * 2\n"
    "    if i < len(a) and a[i] == x:\n"
    "        pass\n"
    "    return pow(a, b)\n"
)
GO = (
    "func f(a int, b int) int {\n"
    "\tif a < b && a != 0 {\n"
    "\t\treturn a + 1 // a < b\n"
    "\t}\n"
    "\tdefer f.Close()\n"
    '\ts := "a < b"\n'
    "\treturn !ok\n"
    "}\n"
)
C = (
    "int f(int a, int b) {\n"
    "  if (p != NULL && a <= b) {\n"
    "    free(p);\n"
    "    return a * b; /* a < b */\n"
    "  }\n"
    '  printf("%d < %d", a, b);\n'
    "  i++;\n"
    "}\n"
)
JAVA = (
    "int f(int a, int b) {\n"
    "  if (a == b || list.size() > 3) {\n"
    '    throw new IllegalStateException("a == b");\n'
    "  }\n"
    "  return Math.max(a, b);\n"
    "}\n"
)
RUST = (
    "fn f<'a>(x: &'a str, n: usize) -> usize {\n"
    "    let total = n - 1;\n"
    "    for i in 0..n {\n"
    "        g(i, total).await;\n"
    "    }\n"
    "    if !x.is_empty() {\n"
    "        return total;\n"
    "    }\n"
    "}\n"
)
TYPESCRIPT = (
    "function f(a: number[], b?: Store): boolean {\n"
    "  const n = a.length - 1;\n"
    "  if (b?.items && n >= 0) {\n"
    "    return false;\n"
    "  }\n"
    "}\n"
)
JAVASCRIPT = (
    "async function load(url) {\n"
    "  const body = await fetch(url, `a < ${x}`);\n"
    "  if (i < body.length && body[i] !== undefined) {\n"
    "    count += 1;\n"
    "  }\n"
    "}\n"
)

# (language, source, line, operator, mutated line)
CASES = [
    ("python", PYTHON, 2, "relational-boundary", "    if a.close is not None and b <= len(a):"),
    ("python", PYTHON, 2, "relational-flip", "    if a.close is not None and b > len(a):"),
    ("python", PYTHON, 2, "equality-flip", "    if a.close is None and b < len(a):"),
    ("python", PYTHON, 2, "negate-condition", "    if not (a.close is not None and b < len(a)):"),
    ("python", PYTHON, 2, "logical-swap", "    if a.close is not None or b < len(a):"),
    ("python", PYTHON, 2, "remove-null-check", "    if b < len(a):"),
    ("python", PYTHON, 3, "min-max-swap", "        return max(a, b)"),
    ("python", PYTHON, 12, "swap-arguments", "    return pow(b, a)"),
    ("python", PYTHON, 3, "drop-return", "        min(a, b)"),
    ("python", PYTHON, 4, "drop-await", "    x = g(a, 'x < y')  # a < b"),
    ("python", PYTHON, 5, "drop-close", "    pass"),
    ("python", PYTHON, 6, "drop-raise", "    pass"),
    ("python", PYTHON, 7, "drop-negation", "    return True"),
    ("python", PYTHON, 7, "boolean-flip", "    return not False"),
    ("python", PYTHON, 8, "range-end", "    for i in range(len(a) + 1):"),
    ("python", PYTHON, 9, "increment-swap", "        total += a[i] * 2"),
    ("python", PYTHON, 9, "arithmetic-swap", "        total -= a[i] / 2"),
    ("python", PYTHON, 9, "constant-change", "        total -= a[i] * 3"),
    ("python", PYTHON, 10, "remove-bounds-check", "    if a[i] == x:"),
    ("go", GO, 2, "logical-swap", "\tif a < b || a != 0 {"),
    ("go", GO, 2, "negate-condition", "\tif !(a < b && a != 0) {"),
    ("go", GO, 3, "off-by-one", "\t\treturn a // a < b"),
    ("go", GO, 5, "drop-close", ""),
    ("go", GO, 7, "drop-negation", "\treturn ok"),
    ("c", C, 2, "remove-null-check", "  if (a <= b) {"),
    ("c", C, 2, "wrong-variable", "  if (p != NULL && b <= b) {"),
    ("c", C, 3, "drop-close", ""),
    ("c", C, 4, "arithmetic-swap", "    return a / b; /* a < b */"),
    ("c", C, 7, "increment-swap", "  i--;"),
    ("java", JAVA, 2, "equality-flip", "  if (a != b || list.size() > 3) {"),
    ("java", JAVA, 2, "constant-change", "  if (a == b || list.size() > 4) {"),
    ("java", JAVA, 3, "drop-raise", ""),
    ("java", JAVA, 5, "min-max-swap", "  return Math.min(a, b);"),
    ("rust", RUST, 2, "off-by-one", "    let total = n;"),
    ("rust", RUST, 3, "range-end", "    for i in 0..=n {"),
    ("rust", RUST, 4, "drop-await", "        g(i, total);"),
    ("rust", RUST, 6, "drop-negation", "    if x.is_empty() {"),
    ("typescript", TYPESCRIPT, 3, "remove-null-check", "  if (b.items && n >= 0) {"),
    ("typescript", TYPESCRIPT, 4, "boolean-flip", "    return true;"),
    ("javascript", JAVASCRIPT, 2, "drop-await", "  const body = fetch(url, `a < ${x}`);"),
    ("javascript", JAVASCRIPT, 3, "remove-bounds-check", "  if (body[i] !== undefined) {"),
    ("javascript", JAVASCRIPT, 4, "wrong-variable", "    body += 1;"),
]


def _mutants(language: str, source: str, line: int, operator: str) -> list[Mutation]:
    return FileMutator(language, source).candidates(line).get(operator, [])


@pytest.mark.parametrize(("language", "source", "line", "operator", "expected"), CASES)
def test_operator_makes_the_intended_mutant(
    language: str, source: str, line: int, operator: str, expected: str
) -> None:
    mutants = _mutants(language, source, line, operator)
    assert expected in [m.mutated for m in mutants]
    mutant = next(m for m in mutants if m.mutated == expected)
    assert mutant.original == source.split("\n")[line - 1]
    assert mutant.cls == BY_NAME[operator].cls
    # exactly one contiguous span changed: the text before and after it is untouched
    prefix = mutant.original[: mutant.column]
    assert mutant.mutated.startswith(prefix)
    if language == "python":
        mutator = FileMutator(language, source)
        assert mutator.accepts(line, mutant)
        ast.parse(mutator.mutated_text(line, mutant))


def test_every_operator_is_exercised_and_there_are_about_twenty() -> None:
    assert {case[3] for case in CASES} | {"wrong-variable"} == {op.name for op in OPERATORS}
    assert len(OPERATORS) == 21
    assert CLASSES == (
        "relational",
        "equality",
        "arithmetic",
        "off-by-one",
        "condition",
        "logical",
        "arguments",
        "variable",
        "constant",
        "dropped-statement",
        "dropped-call",
        "guard",
    )


@pytest.mark.parametrize(
    ("language", "source", "line", "literals"),
    [
        ("go", GO, 3, ["// a < b"]),
        ("c", C, 4, ["/* a < b */"]),
        ("c", C, 6, ['"%d < %d"']),
        ("python", PYTHON, 4, ["'x < y'", "# a < b"]),
    ],
)
def test_strings_and_comments_are_never_mutated(
    language: str, source: str, line: int, literals: list[str]
) -> None:
    found = FileMutator(language, source).candidates(line)
    assert found  # the code around the literals is mutated
    for mutants in found.values():
        for m in mutants:
            assert all(literal in m.mutated for literal in literals), m


def test_masking_keeps_columns_and_hides_literals() -> None:
    masked = masked_lines("javascript", 'a = "x < y"; // c < d\nb = `t\n${u}` < 1;\n')
    assert masked == [
        "a = " + MASK * 7 + "; " + MASK * 8,
        "b = " + MASK * 2,
        MASK * 5 + " < 1;",
        "",
    ]
    assert masked_lines("python", 's = """a\nb < c"""\nd < e\n') == [
        "s = " + MASK * 4,
        MASK * 8,
        "d < e",
        "",
    ]
    assert masked_lines("python", "def broken(:\n") is None
    assert masked_lines("haskell", "x = 1") is None


def test_python_mutants_that_do_not_parse_are_refused() -> None:
    source = "def f(x):\n    return (x +\n        1)\n"
    mutator = FileMutator("python", source)
    bad = Mutation("drop-raise", "dropped-statement", "    return (x +", "    pass", 4)
    assert not mutator.accepts(2, bad)
    same = Mutation("x", "x", "    return (x +", "    return (x  +", 4)
    assert not mutator.accepts(2, same)  # parses to the same tree: no bug


def test_declarations_are_left_to_operators_that_do_not_rename() -> None:
    for language, source in (("c", C), ("java", JAVA), ("python", PYTHON), ("rust", RUST)):
        found = FileMutator(language, source).candidates(1)
        assert "wrong-variable" not in found
        assert "swap-arguments" not in found


def test_each_rule_is_tried_once_per_language() -> None:
    boundary = BY_NAME["relational-boundary"]
    assert len(boundary.rules_for("python", "python")) == 1
    assert len(boundary.rules_for("go", "c-family")) == 1
    assert len(BY_NAME["drop-await"].rules_for("javascript", "c-family")) == 1


def test_languages_without_rules_are_not_usable() -> None:
    assert family("haskell") is None
    assert family("cpp") == "c-family"
    assert not FileMutator("haskell", "main = print 1\n").usable
    assert FileMutator("python", "def broken(:\n").usable is False


# (language, line, operator): mutants that would behave as the original, so are never made
EQUIVALENT = [
    ("python", "    return None", "drop-return"),
    ("python", "    return (None)", "drop-return"),
    ("python", "    return None  # nothing to do", "drop-return"),
    ("python", "    return  # done", "drop-return"),
    ("go", "\treturn nil", "drop-return"),
    ("go", "\treturn nil // not found", "drop-return"),
    ("javascript", "  return null;", "drop-return"),
    ("javascript", "  return undefined;", "drop-return"),
    ("typescript", "  return /* none */;", "drop-return"),
    ("c", "  return NULL;", "drop-return"),
    ("cpp", "  return nullptr;", "drop-return"),
    ("python", "    m = min(a, b)", "swap-arguments"),
    ("java", "  int m = Math.max(a, b);", "swap-arguments"),
    ("cpp", "  int m = std::min(a, b);", "swap-arguments"),
    ("python", "    y = x + 0", "arithmetic-swap"),
    ("go", "\ty := x - 0", "arithmetic-swap"),
    ("javascript", "  y = x + 0.0;", "arithmetic-swap"),
]


@pytest.mark.parametrize(("language", "line", "operator"), EQUIVALENT)
def test_equivalent_mutants_are_not_made(language: str, line: str, operator: str) -> None:
    source = f"{line}\n" if language != "python" else f"def f(a, b, x):\n{line}\n"
    number = 1 if language != "python" else 2
    assert operator not in FileMutator(language, source).candidates(number)


# the same operators still make their mutant where it changes behaviour
NOT_EQUIVALENT = [
    ("python", "    return None or x", "drop-return", "    None or x"),
    ("python", "    return x  # the value", "drop-return", "    x  # the value"),
    ("go", "\treturn nil, err", "drop-return", "\tnil, err"),
    ("javascript", "  return nullish;", "drop-return", "  nullish;"),
    ("python", "    m = pow(a, b)", "swap-arguments", "    m = pow(b, a)"),
    # other owners' functions of a symmetric name need not be symmetric
    ("python", "    m = np.isclose(a, b)", "swap-arguments", "    m = np.isclose(b, a)"),
    ("python", "    m = np.max(a, b)", "swap-arguments", "    m = np.max(b, a)"),
    ("python", "    y = x + 1", "arithmetic-swap", "    y = x - 1"),
    ("go", "\ty := x * 0", "arithmetic-swap", "\ty := x / 0"),
]


@pytest.mark.parametrize(("language", "line", "operator", "expected"), NOT_EQUIVALENT)
def test_real_mutants_next_to_equivalent_ones_are_made(
    language: str, line: str, operator: str, expected: str
) -> None:
    source = f"{line}\n" if language != "python" else f"def f(a, b, x):\n{line}\n"
    number = 1 if language != "python" else 2
    mutants = FileMutator(language, source).candidates(number)[operator]
    assert [m.mutated for m in mutants] == [expected]


# (source, line, mutated line, accepted): the Python syntax-tree check on its own
TREES = [
    ("def f(x):\n    print(x)\n    return (\n        None)\n", 3, "    (", False),
    ("async def f(x):\n    await g(x)\n    return None\n", 3, "    None", False),
    ("def f(x):\n    print(x)\n    return x\n", 3, "    x", True),
    ("def f(x):\n    if x:\n        return None\n    g()\n", 3, "        None", True),
    ("def f(x):\n    y = x + 0\n    return y\n", 2, "    y = x - 0", False),
    ("def f(x):\n    y = x + 1\n    return y\n", 2, "    y = x - 1", True),
    ("def f(a, b):\n    return min(a, b)\n", 2, "    return min(b, a)", False),
    ("def f(a, b):\n    return pow(a, b)\n", 2, "    return pow(b, a)", True),
]


@pytest.mark.parametrize(("source", "line", "mutated", "accepted"), TREES)
def test_python_mutants_equivalent_as_syntax_trees_are_refused(
    source: str, line: int, mutated: str, accepted: bool
) -> None:
    original = source.split("\n")[line - 1]
    mutation = Mutation("drop-return", "dropped-statement", original, mutated, 0)
    assert FileMutator("python", source).accepts(line, mutation) is accepted


def test_a_function_ending_in_return_none_gives_no_seeded_case(git_repo: Path) -> None:
    gitrepo.write(git_repo, "README.md", "# demo\n")
    gitrepo.commit(git_repo, "Add readme")
    gitrepo.write(git_repo, "hello.py", "def hello(name):\n    print(name)\n    return None\n")
    gitrepo.commit(git_repo, "Add hello")
    made = generate_cases(git_repo, CaseOptions(count=2))
    assert [c.kind for c in made.cases] == [CaseKind.CLEAN]
    assert made.notes[0].startswith("0 seeded, 0 reversed fixes")
