"""How each OpenAI-compatible server style takes a JSON schema for the answer.

Styles (config key ``structured_output``):

- ``response_format``: OpenAI's ``{"type": "json_schema", "json_schema": {...}}``; understood by
  vLLM, llama.cpp server, TabbyAPI, LM Studio and Ollama's /v1.
- ``structured_outputs``: vLLM's own ``{"structured_outputs": {"json": schema}}`` (vLLM >= 0.12
  removed the older ``guided_json``).
- ``json_schema``: llama.cpp server's top-level ``"json_schema": schema``.
- ``json_object``: ``{"response_format": {"type": "json_object", "schema": schema}}``, what
  llama-cpp-python's own server takes (it refuses ``"type": "json_schema"``).
- ``none``: send no schema; the parser copes with free text.
- ``auto``: tries ``AUTO_ORDER`` in turn: the backend moves to the next style, once and for all,
  when a server rejects one (see ``is_schema_rejection``).
"""

from __future__ import annotations

from collections.abc import Mapping

from reviewbot.errors import ConfigError

STYLES = ("auto", "response_format", "structured_outputs", "json_schema", "json_object", "none")
AUTO_ORDER = ("response_format", "json_object", "none")

SCHEMA_NAME = "review_findings"

# Words a 400 answer contains when the server does not understand the schema field.
_REJECTION_WORDS = ("response_format", "json_schema", "structured_outputs", "schema", "grammar")


def check_style(style: str) -> str:
    """Return ``style`` if known. Raises ConfigError naming the allowed values otherwise."""
    if style not in STYLES:
        raise ConfigError(
            f"structured_output = {style!r} is not one of: {', '.join(STYLES)}; "
            "use 'auto' unless your server needs a particular style"
        )
    return style


def schema_fields(style: str, schema: Mapping[str, object] | None) -> dict[str, object]:
    """The request-body fields that ask for ``schema`` in ``style``; ``{}`` when schema is None.

    ``auto`` is sent as its first choice, ``response_format``. Raises ConfigError for an
    unknown style.
    """
    check_style(style)
    if schema is None or style == "none":
        return {}
    if style in ("auto", "response_format"):
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "schema": dict(schema), "strict": True},
            }
        }
    if style == "json_object":
        return {"response_format": {"type": "json_object", "schema": dict(schema)}}
    if style == "structured_outputs":
        return {"structured_outputs": {"json": dict(schema)}}
    return {"json_schema": dict(schema)}


def is_schema_rejection(status: int, body: str) -> bool:
    """True when an HTTP answer looks like a server refusing the schema field: a 400, a
    FastAPI-style 422, or a 500 (llama-cpp-python's server wraps its validation errors in one)
    whose body names it."""
    lowered = body.lower()
    return status in (400, 422, 500) and any(word in lowered for word in _REJECTION_WORDS)
