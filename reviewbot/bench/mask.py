"""Hide string literals and comments of a source file, so mutation rules only see code.

``masked_lines(language, text)`` returns the file's lines with every character inside a string
literal or a comment replaced by ``MASK`` (newlines kept), so a column in a masked line is the
same column in the real line. Python is masked with its own tokenizer (exact, also for strings
spanning lines); C-family languages with one scan over the whole file that knows their comment
and string syntax (block comments and template literals may span lines).
"""

from __future__ import annotations

import io
import re
import tokenize

MASK = "\x00"

PYTHON = "python"
# Languages whose mutation rules use the C-family token syntax (braces, &&, ||, !, //, /* */).
C_FAMILY = frozenset(
    {"javascript", "typescript", "go", "c", "cpp", "java", "rust", "csharp", "kotlin"}
)
SUPPORTED = frozenset({PYTHON}) | C_FAMILY

_COMMENTS = r"//[^\n]*|/\*[\s\S]*?(?:\*/|\Z)"
_DOUBLE = r'"(?:\\.|[^"\\\n])*"'
_SINGLE_STRING = r"'(?:\\.|[^'\\\n])*'"
# One character or one escape: keeps Rust lifetimes ('a) and Java/C chars apart.
_CHAR = r"'(?:\\[^'\n]{1,10}|[^'\\\n])'"
_BACKTICK = r"`(?:\\.|[^`\\])*`"
_LITERALS: dict[str, str] = {
    "javascript": "|".join((_COMMENTS, _DOUBLE, _SINGLE_STRING, _BACKTICK)),
    "typescript": "|".join((_COMMENTS, _DOUBLE, _SINGLE_STRING, _BACKTICK)),
    "go": "|".join((_COMMENTS, _DOUBLE, _CHAR, r"`[^`]*`")),
    "rust": "|".join((_COMMENTS, r'r#*"[\s\S]*?"#*', _DOUBLE, _CHAR)),
}
_DEFAULT_C = "|".join((_COMMENTS, _DOUBLE, _CHAR))
_FSTRING_PARTS = tuple(
    getattr(tokenize, name)
    for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
    if hasattr(tokenize, name)
)
_PY_MASKED = (tokenize.STRING, tokenize.COMMENT, *_FSTRING_PARTS)


def masked_lines(language: str, text: str) -> list[str] | None:
    """``text`` split at ``\\n`` (line terminators dropped) with literals and comments masked.

    Returns None for a language without rules, or for Python that does not tokenize (the file
    is not valid Python, so no mutant of it could be checked).
    """
    if language == PYTHON:
        return _python(text)
    if language in C_FAMILY:
        pattern = re.compile(_LITERALS.get(language, _DEFAULT_C))
        return _blank(text, [m.span() for m in pattern.finditer(text)]).split("\n")
    return None


def _python(text: str) -> list[str] | None:
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    spans: list[tuple[int, int]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in _PY_MASKED:
                (row1, col1), (row2, col2) = token.start, token.end
                spans.append((starts[row1 - 1] + col1, starts[row2 - 1] + col2))
    except (tokenize.TokenError, SyntaxError):
        return None
    return _blank(text, spans).split("\n")


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, min(end, len(chars))):
            if chars[i] != "\n":
                chars[i] = MASK
    return "".join(chars)
