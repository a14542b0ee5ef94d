"""The block structure of a source file: where functions, classes and statements start and end.

Python files are read with the standard library's ``ast`` (exact). Other languages use a
brace- and indentation-aware scan: a block starts on a line at the enclosing level's bracket
depth and indentation that does not close or continue the previous statement, and runs to the
line before the next block. Strings and comments are skipped while counting brackets, well enough
for block boundaries (the scan never has to be right about a statement, only about its start).
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

# Languages whose line comments start with "#" (in C-family code "#" starts a directive).
HASH_COMMENTS = frozenset(
    {
        "python",
        "cython",
        "shell",
        "fish",
        "ruby",
        "perl",
        "r",
        "julia",
        "elixir",
        "nim",
        "powershell",
        "make",
        "cmake",
        "dockerfile",
        "starlark",
        "just",
        "yaml",
        "toml",
        "terraform",
        "hcl",
    }
)
_CLOSING_WORDS = frozenset(
    {"end", "else", "elif", "elsif", "except", "catch", "finally", "fi", "done", "esac"}
)
_CONTINUES = ("\\", ",", "=", "+", "&&", "||", "(", "?", ":")
_IMPORT = re.compile(
    r"(import|from\s+\S+\s+import|#\s*include|#\s*import|using|use|package|require|"
    r"extern\s+crate|library|const\s+\w+\s*=\s*require)\b"
)
_OPEN, _CLOSE = "([{", ")]}"


@dataclass(frozen=True)
class Block:
    """Lines ``start..end`` (1-based, inclusive) of one statement or definition; children: the
    blocks nested directly inside it (methods of a class, statements of a function body)."""

    start: int
    end: int
    children: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Outline:
    """blocks: the top-level blocks. header: line numbers of the file's imports/includes.
    lead: line numbers of comments, decorators and attributes, which belong to the block below."""

    blocks: tuple[Block, ...]
    header: tuple[int, ...]
    lead: frozenset[int]


def outline(lines: Sequence[str], language: str | None) -> Outline:
    """The outline of a file; Python through ``ast`` (the scan when it does not parse)."""
    scan = _Scan(lines, language)
    if language in ("python", "cython"):
        parsed = _python_outline(lines)
        if parsed is not None:
            return Outline(parsed[0], parsed[1], scan.lead)
    return Outline(scan.blocks(1, len(lines)), scan.header(), scan.lead)


def _python_outline(lines: Sequence[str]) -> tuple[tuple[Block, ...], tuple[int, ...]] | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes etc. are the audit's business, not ours
        try:
            tree = ast.parse("\n".join(lines))
        except (SyntaxError, ValueError):
            return None
    header = [
        n
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    ]
    return tuple(_python_block(node) for node in tree.body), tuple(header)


def _python_block(node: ast.stmt) -> Block:
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(d.lineno for d in decorators)])
    children = tuple(
        _python_block(child) for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)
    )
    return Block(start, node.end_lineno or node.lineno, children)


class _Scan:
    """Bracket depth and indentation of every line, for the fallback outline."""

    def __init__(self, lines: Sequence[str], language: str | None) -> None:
        self.lines = lines
        self.hash = language in HASH_COMMENTS
        self.depth = _depths(lines, self.hash)
        self.indent = [len(line) - len(line.lstrip()) for line in lines]
        self.lead = frozenset(n for n in range(1, len(lines) + 1) if self._is_lead(n))

    def _is_lead(self, n: int) -> bool:
        text = self.lines[n - 1].strip()
        if self.hash and text.startswith("#"):
            return True
        return text == "*" or text.startswith(("//", "/*", "* ", "*/", "@", "#[", "--"))

    def _code(self, n: int) -> bool:
        return bool(self.lines[n - 1].strip()) and n not in self.lead

    def blocks(self, lo: int, hi: int) -> tuple[Block, ...]:
        code = [n for n in range(lo, hi + 1) if self._code(n)]
        if not code:
            return ()
        level = (self.depth[code[0] - 1], self.indent[code[0] - 1])
        starts = [0]  # indexes into ``code``
        for i in range(1, len(code)):
            n = code[i]
            if (self.depth[n - 1], self.indent[n - 1]) == level and self._opens(n, code[i - 1]):
                starts.append(i)
        # a block ends at its last code line; blank lines and comments after it go to the next
        ends = [code[i - 1] for i in starts[1:]] + [code[-1]]
        return tuple(self._block(code[i], e) for i, e in zip(starts, ends, strict=True))

    def _block(self, start: int, end: int) -> Block:
        inner = [n for n in range(start + 1, end + 1) if self._code(n)]
        nested = inner and (self.depth[inner[0] - 1], self.indent[inner[0] - 1]) != (
            self.depth[start - 1],
            self.indent[start - 1],
        )
        return Block(start, end, self.blocks(start + 1, end) if nested else ())

    def _opens(self, n: int, previous: int) -> bool:
        """Whether line ``n`` starts a statement rather than closing or continuing one."""
        text = self.lines[n - 1].strip()
        if text[0] in _CLOSE or text.split(None, 1)[0].rstrip(";:{") in _CLOSING_WORDS:
            return False
        return not self.lines[previous - 1].rstrip().endswith(_CONTINUES)

    def header(self) -> tuple[int, ...]:
        return tuple(
            n
            for n in range(1, len(self.lines) + 1)
            if self.depth[n - 1] == 0
            and self.indent[n - 1] == 0
            and _IMPORT.match(self.lines[n - 1])
        )


def _depths(lines: Sequence[str], hash_comments: bool) -> list[int]:
    """Bracket depth at the start of each line, outside strings and comments."""
    depths: list[int] = []
    depth, in_block, quote = 0, False, ""
    for line in lines:
        depths.append(depth)
        i, n = 0, len(line)
        while i < n:
            char, pair = line[i], line[i : i + 2]
            if in_block:
                in_block, i = (False, i + 2) if pair == "*/" else (True, i + 1)
            elif quote:
                if char == "\\":
                    i += 1
                elif char == quote:
                    quote = ""
                i += 1
            elif pair == "/*" and not hash_comments:
                in_block, i = True, i + 2
            elif (pair == "//" and not hash_comments) or (char == "#" and hash_comments):
                break
            elif char in "\"'`":
                quote, i = char, i + 1
            else:
                depth += (char in _OPEN) - (char in _CLOSE)
                depth = max(depth, 0)
                i += 1
        if quote != "`":  # only backtick strings span lines (JS templates, Go raw strings)
            quote = ""
    return depths
