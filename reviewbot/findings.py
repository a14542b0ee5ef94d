"""The findings JSON schema and the model-output parser.

The schema (``findings_json_schema``) is sent to engines for constrained decoding. The parser
(``parse_output``) reads what any engine answered, constrained or not, into ``RawFinding`` records:
it finds the findings JSON among prose, code fences and ``<think>`` blocks, keeps every complete
finding of an answer cut off at the token limit, and repairs or drops single bad findings, saying
which and why. It never repairs JSON by string surgery: a small structural scanner finds the
complete finding objects and ``json.loads`` reads each one.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from reviewbot.errors import OutputParseError
from reviewbot.salvage import Unreadable, locate_findings
from reviewbot.types import FinishReason, RawFinding, Severity, Side

MAX_FINDINGS = 50
MAX_MESSAGE_CHARS = 2000


class Category(str, enum.Enum):
    BUG = "bug"
    SECURITY = "security"
    PERFORMANCE = "performance"
    MAINTAINABILITY = "maintainability"
    STYLE = "style"
    DOCUMENTATION = "documentation"
    TESTING = "testing"


class FindingModel(BaseModel):
    """One finding as the model must write it. Field order is the order small models fill them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1)
    line: int = Field(ge=1)
    end_line: int | None = Field(default=None, ge=1)
    side: Side = Side.RIGHT
    severity: Severity
    category: Category
    quote: str | None = None
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    suggestion: str | None = None


class FindingsModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    findings: list[FindingModel] = Field(max_length=MAX_FINDINGS)


# What llama.cpp's json-schema-to-grammar, vLLM, Formatron and lm-format-enforcer all accept.
# Bounds on numbers and string lengths are left to the parser: llama.cpp unrolls maxLength into
# one grammar rule per character, and Formatron rejects any other key beside "anyOf".
_KEPT_KEYS = ("type", "enum", "required", "additionalProperties", "items", "anyOf", "maxItems")


def findings_json_schema() -> dict[str, object]:
    """The JSON schema of ``{"findings": [...]}`` for constrained decoding (draft 2020-12).

    Everything is inlined (no ``$ref``/``$defs``), no ``format``/``pattern``, enums for side,
    severity and category, every property required (nullable ones as
    ``{"anyOf": [{"type": T}, {"type": "null"}]}``), ``additionalProperties: false``.
    ``$schema`` and ``$id`` are set because Formatron requires them; the others ignore them.
    """
    full = FindingsModel.model_json_schema()
    defs = full.get("$defs", {})
    root = _inline(full, defs)
    assert isinstance(root, dict)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://reviewbot.invalid/findings.schema.json",
        **root,
    }


def _inline(node: object, defs: dict[str, object]) -> object:
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[str(node["$ref"]).rsplit("/", 1)[-1]]
        assert isinstance(target, dict)
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    out = {key: _inline(node[key], defs) for key in _KEPT_KEYS if key in node}
    properties = node.get("properties")
    if isinstance(properties, dict):
        out["properties"] = {name: _inline(sub, defs) for name, sub in properties.items()}
        # Every key required: small models fill a fixed shape best; nullable ones say "none".
        out["required"] = list(properties)
    return out


@dataclass(frozen=True)
class ParsedOutput:
    """findings: in the model's order. truncated: the findings list may be incomplete (the answer
    was cut off, or unreadable after some point). problems: one line per repaired or dropped
    finding, e.g. ``"finding 3: line 'abc' is not a line number; dropped"``."""

    findings: tuple[RawFinding, ...]
    truncated: bool
    problems: tuple[str, ...]
    discarded: tuple[str, ...] = ()  # the problems that made a finding unusable (no path...)


def parse_output(text: str, finish_reason: FinishReason) -> ParsedOutput:
    """Read a model answer into findings.

    Accepts bare JSON, JSON in a code fence, prose around it, a leading ``<think>...</think>``,
    a bare list of findings, a single finding object, and an answer cut off inside the findings
    array (every complete finding is kept, ``truncated=True``). ``{"findings": []}`` is a valid
    answer with no findings.

    Raises OutputParseError (with ``raw=text``) when there is no findings JSON at all: an empty
    answer, prose only, the diff echoed back, an unterminated ``<think>`` block, an answer cut
    off before its first finding was complete, or findings of which none is usable.
    """
    answer = _strip_think(text, finish_reason)
    located = locate_findings(answer)
    if located is None:
        raise OutputParseError(_no_json_message(answer, finish_reason), raw=text)
    items, truncated, problems = located
    if truncated and not items:
        raise OutputParseError(
            f"the model's answer was cut off (finish reason {finish_reason.value!r}) before its "
            f"first finding was complete ({len(text)} characters); raise max_new_tokens or "
            "review smaller chunks",
            raw=text,
        )
    findings = []
    discarded = []
    for number, item in enumerate(items, start=1):
        finding = _normalize(number, item, problems)
        if finding is not None:
            findings.append(finding)
        else:
            discarded.append(problems[-1])
    if items and not findings:
        # Findings were given but none is usable: that is a failure, not "no findings".
        raise OutputParseError(
            f"none of the {len(items)} findings in the model's answer could be used: "
            + "; ".join(problems),
            raw=text,
        )
    return ParsedOutput(tuple(findings), truncated, tuple(problems), tuple(discarded))


_THINK_OPEN = re.compile(r"<think>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think>", re.IGNORECASE)


def _strip_think(text: str, finish_reason: FinishReason) -> str:
    # Some chat templates open <think> in the prompt, so only the closing tag is certain to be
    # there; the answer is whatever follows the last one.
    closes = list(_THINK_CLOSE.finditer(text))
    if closes:
        return text[closes[-1].end() :]
    if _THINK_OPEN.search(text):
        # JSON inside unfinished reasoning is a draft, not an answer.
        raise OutputParseError(
            f"the model's answer is an unterminated <think> block (finish reason "
            f"{finish_reason.value!r}) with no answer after it; raise max_new_tokens or turn the "
            "model's reasoning mode off",
            raw=text,
        )
    return text


def _no_json_message(answer: str, finish_reason: FinishReason) -> str:
    if not answer.strip():
        return f"the model's answer is empty (finish reason {finish_reason.value!r})"
    if re.search(r"^(diff --git |@@ -\d)", answer, re.MULTILINE):
        return (
            "the model echoed the diff back instead of answering with findings JSON; use a "
            "JSON-schema-capable engine (structured_output) or a model that follows instructions"
        )
    start = answer.strip()[:80]
    return (
        f"no findings JSON in the model's answer (it starts {start!r}); expected "
        '{"findings": [...]}; enable structured_output if the engine supports it'
    )


# --- repairing one finding -------------------------------------------------------------------

# Words models use for our fields, severities and categories (seen in peers' prompts and outputs).
_KEY_ALIASES = {
    "file": "path",
    "filename": "path",
    "file_path": "path",
    "line_number": "line",
    "start_line": "line",
    "comment": "message",
    "description": "message",
    "body": "message",
}
_SEVERITIES = {
    "info": Severity.INFO,
    "low": Severity.INFO,
    "nit": Severity.INFO,
    "trivial": Severity.INFO,
    "note": Severity.INFO,
    "suggestion": Severity.INFO,
    "warning": Severity.WARNING,
    "warn": Severity.WARNING,
    "medium": Severity.WARNING,
    "moderate": Severity.WARNING,
    "minor": Severity.WARNING,
    "error": Severity.ERROR,
    "high": Severity.ERROR,
    "major": Severity.ERROR,
    "severe": Severity.ERROR,
    "critical": Severity.CRITICAL,
    "blocker": Severity.CRITICAL,
    "fatal": Severity.CRITICAL,
}
_CATEGORIES = {
    **{c.value: c for c in Category},
    "bugs": Category.BUG,
    "logic": Category.BUG,
    "correctness": Category.BUG,
    "error-handling": Category.BUG,
    "vulnerability": Category.SECURITY,
    "perf": Category.PERFORMANCE,
    "efficiency": Category.PERFORMANCE,
    "readability": Category.MAINTAINABILITY,
    "design": Category.MAINTAINABILITY,
    "complexity": Category.MAINTAINABILITY,
    "formatting": Category.STYLE,
    "naming": Category.STYLE,
    "docs": Category.DOCUMENTATION,
    "test": Category.TESTING,
    "tests": Category.TESTING,
}
# Unknown categories go to the catch-all that does not count as a defect: benchmarks score any
# "bug" on a clean diff as a false positive, so guessing "bug" would inflate them.
_FALLBACK_CATEGORY = Category.MAINTAINABILITY
_FALLBACK_SEVERITY = Severity.WARNING
_INT = re.compile(r"\s*(?:line\s*|L)?(\d+)\s*", re.IGNORECASE)
_RANGE = re.compile(r"\s*(?:lines?\s*|L)?(\d+)\s*(?:-|\u2013|\.\.|to)\s*L?(\d+)\s*", re.IGNORECASE)
_FENCED = re.compile(r"\s*```[\w+-]*\n(.*?)\n?```\s*", re.DOTALL)


def _normalize(number: int, item: object, problems: list[str]) -> RawFinding | None:
    """``item`` as a RawFinding, repairing what can be repaired; None (with a problem) if not."""
    where = f"finding {number}"
    if isinstance(item, Unreadable):
        problems.append(f"{where}: not valid JSON ({item.error}); dropped")
        return None
    if not isinstance(item, dict):
        problems.append(f"{where}: not an object but {type(item).__name__}; dropped")
        return None
    fields = _canonical_keys(item)
    path, message = fields.get("path"), fields.get("message")
    for name, value in (("path", path), ("message", message)):
        if not isinstance(value, str) or not value.strip():
            what = "is missing" if value is None else f"{value!r} is not a non-empty string"
            problems.append(f"{where}: {name} {what}; dropped")
            return None
    assert isinstance(path, str) and isinstance(message, str)
    line, end_line, range_known = _lines(where, fields, problems)
    suggestion = _text(where, "suggestion", fields.get("suggestion"), problems)
    if suggestion is not None and not range_known:
        suggestion = None
        problems.append(f"{where}: suggestion dropped since its line range is unknown")
    if len(message) > MAX_MESSAGE_CHARS:
        problems.append(f"{where}: message cut to {MAX_MESSAGE_CHARS} characters")
        message = message[: MAX_MESSAGE_CHARS - 1] + "…"
    return RawFinding(
        path=path.strip(),
        line=line,
        end_line=end_line,
        side=_side(where, fields.get("side"), problems),
        severity=_severity(where, fields.get("severity"), problems),
        category=_category(where, fields.get("category"), problems).value,
        message=message.strip(),
        suggestion=suggestion,
        quote=_text(where, "quote", fields.get("quote"), problems),
    )


def _canonical_keys(item: dict[str, object]) -> dict[str, object]:
    fields = dict(item)
    if "start_line" in fields and "line" in fields and fields.get("end_line") is None:
        # GitHub's own naming: start_line..line is the range.
        fields["end_line"] = fields["line"]
        fields["line"] = fields.pop("start_line")
    for alias, key in _KEY_ALIASES.items():
        if alias in fields and key not in fields:
            fields[key] = fields.pop(alias)
    return fields


def _line_numbers(value: object) -> tuple[int, int | None] | None:
    """(line, end_line from a "12-15" string or None), or None when ``value`` is no line."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return (value, None) if value >= 1 else None
    if not isinstance(value, str):
        return None
    if single := _INT.fullmatch(value):
        line = int(single.group(1))
        return (line, None) if line >= 1 else None
    if span := _RANGE.fullmatch(value):
        start, end = int(span.group(1)), int(span.group(2))
        return (start, end) if 1 <= start < end else None
    return None


def _lines(
    where: str, fields: dict[str, object], problems: list[str]
) -> tuple[int | None, int | None, bool]:
    """(line or None when there is no usable line number, end_line or None for one line,
    whether the stated range is usable). A finding without a line is still a finding: it is
    placed by its quote or on its file, never dropped."""
    stated = fields.get("line")
    lines = _line_numbers(stated)
    if lines is None:
        what = "is missing" if stated is None else f"{stated!r} is not a line number"
        problems.append(f"{where}: line {what}; placed by its quote or on its file")
        return None, None, False
    line, end_line = lines
    value = fields.get("end_line")
    if end_line is not None or value is None:
        return line, end_line, True
    parsed = _line_numbers(value)
    if parsed is None or parsed[1] is not None:
        problems.append(f"{where}: end_line {value!r} is not a line number; ignored")
        return line, None, False
    if parsed[0] < line:
        # Swapping would guess; a suggestion written for an unknown range must not be applied.
        problems.append(f"{where}: end_line {parsed[0]} is before line {line}; ignored")
        return line, None, False
    return line, (parsed[0] if parsed[0] > line else None), True


def _side(where: str, value: object, problems: list[str]) -> Side:
    word = value.strip().upper() if isinstance(value, str) else value
    sides = {"RIGHT": Side.RIGHT, "NEW": Side.RIGHT, "+": Side.RIGHT}
    sides |= {"LEFT": Side.LEFT, "OLD": Side.LEFT, "-": Side.LEFT}
    if value is None or word in sides:
        return sides.get(str(word), Side.RIGHT)
    problems.append(f"{where}: side {value!r} is not RIGHT or LEFT; RIGHT assumed")
    return Side.RIGHT


def _severity(where: str, value: object, problems: list[str]) -> Severity:
    word = value.strip().lower() if isinstance(value, str) else None
    if word is not None and word in _SEVERITIES:
        return _SEVERITIES[word]
    problems.append(f"{where}: severity {value!r} is unknown; {_FALLBACK_SEVERITY.value} assumed")
    return _FALLBACK_SEVERITY


def _category(where: str, value: object, problems: list[str]) -> Category:
    word = value.strip().lower().replace("_", "-") if isinstance(value, str) else None
    if word is not None and word in _CATEGORIES:
        return _CATEGORIES[word]
    problems.append(f"{where}: category {value!r} is unknown; {_FALLBACK_CATEGORY.value} assumed")
    return _FALLBACK_CATEGORY


def _text(where: str, name: str, value: object, problems: list[str]) -> str | None:
    """A quote or suggestion: None, a string, or a list of lines joined."""
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        value = "\n".join(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        # An empty suggestion would delete lines; models write "" to mean "none".
        return None
    if not isinstance(value, str):
        problems.append(f"{where}: {name} {value!r} is not text; ignored")
        return None
    value = value.replace("\r\n", "\n")
    if fenced := _FENCED.fullmatch(value):
        problems.append(f"{where}: {name} was wrapped in a code fence; fence removed")
        value = fenced.group(1)
    return value.removesuffix("\n")
