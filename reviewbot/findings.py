"""The findings JSON schema and the model-output parser.

The schema (``findings_json_schema``) is sent to engines for constrained decoding. The parser
(``parse_output``) reads what any engine answered, constrained or not, into ``RawFinding`` records:
it finds the findings JSON among prose, code fences and ``<think>`` blocks, keeps every complete
finding of an answer cut off at the token limit, and repairs or drops single bad findings, saying
which and why. It never repairs JSON by string surgery: a small structural scanner finds the
complete finding objects and ``json.loads`` reads each one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from reviewbot.errors import OutputParseError
from reviewbot.finding_repair import MAX_MESSAGE_CHARS, normalize
from reviewbot.salvage import locate_findings
from reviewbot.types import Category, FinishReason, RawFinding, Severity, Side

MAX_FINDINGS = 50


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
        finding = normalize(number, item, problems)
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


def cut_off(finish_reason: FinishReason, parsed: ParsedOutput | None) -> bool:
    """Whether an answer may be missing findings because it was cut off: the engine stopped at
    max_new_tokens (finish reason ``length``, whether or not the answer could be read; ``parsed``
    is None when it could not) or its findings array did not close. The one rule every front
    door counts ``Stats.truncated_outputs`` by (review pipeline, audit runner)."""
    return finish_reason is FinishReason.LENGTH or (parsed is not None and parsed.truncated)


def _no_json_message(answer: str, finish_reason: FinishReason) -> str:
    if not answer.strip():
        return f"the model's answer is empty (finish reason {finish_reason.value!r})"
    if re.search(r"^(diff --git |@@ -\d)", answer, re.MULTILINE):
        return (
            "the model echoed the diff back instead of answering with findings JSON; use a "
            "JSON-schema-capable engine (structured_output) or a model that follows instructions"
        )
    start = answer.strip()[:80]
    if finish_reason is FinishReason.LENGTH:
        # Prose or reasoning first used up the tokens: the findings JSON never began.
        return (
            f"the model's answer was cut off at max_new_tokens before any findings JSON (it "
            f"starts {start!r}); raise max_new_tokens, or enable structured_output if the "
            "engine supports it so the answer starts with the JSON"
        )
    return (
        f"no findings JSON in the model's answer (it starts {start!r}); expected "
        '{"findings": [...]}; enable structured_output if the engine supports it'
    )
