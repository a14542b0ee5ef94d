"""OpenAI chat-completions JSON <-> ``reviewbot.types.Request`` / ``Completion``.

Request fields follow OpenAI's ``POST /v1/chat/completions``: ``messages``, ``max_tokens`` (or
``max_completion_tokens``), ``temperature``, ``seed``, ``stop``, ``n`` (1 only), ``stream`` (false
only). A JSON schema for the answer is accepted in the three styles local servers use (see
``reviewbot.backends.structured``): ``response_format`` (``json_schema`` or ``json_object`` with
``schema``), vLLM's ``structured_outputs.json`` (and its older ``guided_json``), and llama.cpp
server's top-level ``json_schema``. Errors use OpenAI's shape
``{"error": {"message", "type", "code"}}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from reviewbot.errors import ReviewbotError
from reviewbot.serve.schema import json_kind, schema_problem
from reviewbot.types import Completion, Message, Request

ROLES = ("system", "user", "assistant")
_MAX_TOKENS = ("max_completion_tokens", "max_tokens")  # OpenAI's newer name wins


class RequestRejected(ReviewbotError):
    """A request the server answers with an HTTP error instead of a completion.

    status: HTTP status code; kind: OpenAI error ``type``; code: OpenAI error ``code``;
    retry_after: seconds for a ``Retry-After`` header (429, 503), or None. answer: the JSON body
    to send instead of OpenAI's error shape (``/health`` answers in its own shape).
    """

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        code: str = "",
        *,
        retry_after: int | None = None,
        answer: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.code = code
        self.retry_after = retry_after
        self.answer = answer

    def body(self) -> dict[str, object]:
        if self.answer is not None:
            return dict(self.answer)
        return error_body(str(self), self.kind, self.code or None)


def error_body(message: str, kind: str, code: str | None) -> dict[str, object]:
    """OpenAI's error shape: ``{"error": {"message", "type", "code"}}``."""
    return {"error": {"message": message, "type": kind, "code": code}}


def parse_chat_request(body: object, *, default_max_tokens: int, max_tokens_cap: int) -> Request:
    """Turn a decoded chat-completions body into a Request.

    ``max_tokens`` defaults to ``default_max_tokens``; temperature defaults to 0.0 (greedy,
    reproducible reviews) rather than OpenAI's 1.0. Raises RequestRejected (400) for a body
    that is not an object, bad messages, ``stream: true``, ``n`` other than 1, ``max_tokens``
    above ``max_tokens_cap`` and malformed or conflicting schemas.
    """
    if not isinstance(body, Mapping):
        raise RequestRejected(400, f"request body must be a JSON object, got {json_kind(body)}")
    if body.get("stream"):
        raise RequestRejected(400, "stream not supported; send stream: false", code="stream")
    if body.get("n") not in (None, 1):
        raise RequestRejected(400, f"n = {body.get('n')!r} not supported; only n = 1", code="n")
    return Request(
        messages=_messages(body.get("messages")),
        max_new_tokens=_max_tokens(body, default_max_tokens, max_tokens_cap),
        json_schema=_schema(body),
        stop=_stop(body.get("stop")),
        seed=_integer(body, "seed", 0),
        temperature=_temperature(body.get("temperature")),
    )


def completion_body(
    completion: Completion, *, model: str, request_id: str, created: int
) -> dict[str, object]:
    """OpenAI's ``chat.completion`` object for one finished completion (not an ERROR one)."""
    return {
        "id": request_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": completion.text},
                "finish_reason": completion.finish_reason.value,
            }
        ],
        "usage": {
            "prompt_tokens": completion.prompt_tokens,
            "completion_tokens": completion.completion_tokens,
            "total_tokens": completion.prompt_tokens + completion.completion_tokens,
        },
    }


def models_body(model: str, context_window: int, created: int) -> dict[str, object]:
    """``GET /v1/models``: one model. ``max_model_len`` is vLLM's name for the context length,
    ``context_length`` the one LM Studio and OpenRouter use; both carry ``context_window``."""
    return {
        "object": "list",
        "data": [
            {
                "id": model,
                "object": "model",
                "created": created,
                "owned_by": "reviewbot",
                "max_model_len": context_window,
                "context_length": context_window,
            }
        ],
    }


def _messages(raw: object) -> tuple[Message, ...]:
    if not isinstance(raw, list) or not raw:
        raise RequestRejected(400, "messages must be a non-empty list", code="messages")
    return tuple(_message(index, item) for index, item in enumerate(raw))


def _message(index: int, item: object) -> Message:
    if not isinstance(item, Mapping):
        raise RequestRejected(400, f"messages[{index}] must be an object", code="messages")
    role = item.get("role")
    if role not in ROLES:
        allowed = ", ".join(ROLES)
        raise RequestRejected(
            400, f"messages[{index}].role = {role!r}; use one of: {allowed}", code="messages"
        )
    return Message(role=str(role), content=_content(index, item.get("content")))


def _content(index: int, content: object) -> str:
    """A string, or OpenAI's list of ``{"type": "text", "text": ...}`` parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(
        isinstance(part, Mapping)
        and part.get("type") == "text"
        and isinstance(part.get("text"), str)
        for part in content
    ):
        return "".join(str(part["text"]) for part in content)
    raise RequestRejected(
        400, f"messages[{index}].content must be a string or a list of text parts", code="messages"
    )


def max_tokens_given(body: object) -> bool:
    """True when the client set ``max_tokens`` or ``max_completion_tokens`` itself."""
    return isinstance(body, Mapping) and any(body.get(key) is not None for key in _MAX_TOKENS)


def _max_tokens(body: Mapping[str, object], default: int, cap: int) -> int:
    key = next((key for key in _MAX_TOKENS if body.get(key) is not None), "max_tokens")
    value = _integer(body, key, default)
    if value < 1:
        raise RequestRejected(400, f"{key} = {value} must be at least 1", code=key)
    if value > cap:
        raise RequestRejected(
            400, f"{key} = {value} is above this server's limit of {cap}; ask for fewer", code=key
        )
    return value


def _integer(body: Mapping[str, object], key: str, default: int) -> int:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestRejected(400, f"{key} = {value!r} must be an integer", code=key)
    return value


def _temperature(value: object) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 2:
        raise RequestRejected(
            400, f"temperature = {value!r} must be a number from 0 to 2", code="temperature"
        )
    return float(value)


def _stop(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise RequestRejected(
        400, f"stop = {value!r} must be a string or a list of strings", code="stop"
    )


def _schema(body: Mapping[str, object]) -> Mapping[str, object] | None:
    """The one schema the body asks for, whichever style carries it; None for free text."""
    found = [schema for schema in _schema_candidates(body) if schema is not None]
    if any(schema != found[0] for schema in found[1:]):
        raise RequestRejected(
            400, "different JSON schemas given in more than one field; send one", code="schema"
        )
    return found[0] if found else None


def _schema_candidates(body: Mapping[str, object]) -> list[Mapping[str, object] | None]:
    structured = body.get("structured_outputs")
    vllm = structured.get("json") if isinstance(structured, Mapping) else None
    return [
        _response_format(body.get("response_format")),
        _schema_value("structured_outputs.json", vllm),
        _schema_value("guided_json", body.get("guided_json")),
        _schema_value("json_schema", body.get("json_schema")),
    ]


def _response_format(value: object) -> Mapping[str, object] | None:
    if value is None:
        return None
    kind = value.get("type") if isinstance(value, Mapping) else None
    if isinstance(value, Mapping) and kind == "text":
        return None
    if isinstance(value, Mapping) and kind == "json_object":
        # llama-cpp-python's form carries the schema here; without one, any JSON object.
        schema = _schema_value("response_format.schema", value.get("schema"))
        return schema if schema is not None else {"type": "object"}
    if isinstance(value, Mapping) and kind == "json_schema":
        inner = value.get("json_schema")
        schema = inner.get("schema") if isinstance(inner, Mapping) else None
        if schema is None:
            raise RequestRejected(
                400, "response_format.json_schema.schema is missing", code="response_format"
            )
        return _schema_value("response_format.json_schema.schema", schema)
    raise RequestRejected(
        400,
        f"response_format = {value!r}; use type text, json_object or json_schema",
        code="response_format",
    )


def _schema_value(field: str, value: object) -> Mapping[str, object] | None:
    """A schema object, or a JSON string holding one (vLLM accepts both)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise RequestRejected(
                400, f"{field} is a string but not JSON: {exc}", code="schema"
            ) from None
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise RequestRejected(
            400, f"{field} must be a JSON Schema object, got {json_kind(value)}", code="schema"
        )
    problem = schema_problem(value, field)
    if problem is not None:
        raise RequestRejected(400, problem, code="schema")
    return value
