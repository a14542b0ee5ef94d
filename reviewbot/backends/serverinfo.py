"""Reading what OpenAI-compatible servers say about themselves, and their answers.

Pure functions over decoded JSON; ``reviewbot.backends.openai`` does the HTTP. Context-length
fields, by server (each read only when that server's endpoint answers):

- vLLM: ``GET /v1/models`` -> ``data[].max_model_len``.
- llama.cpp server: ``GET /v1/models`` -> ``data[].meta.n_ctx_train`` (the training length) and
  ``GET /props`` at the server root -> ``default_generation_settings.n_ctx`` (what one slot really
  has); the smaller wins.
- LM Studio and others: ``context_length`` / ``max_context_length`` / ``loaded_context_length``.
- TabbyAPI: ``GET /v1/model`` -> ``parameters.max_seq_len``.
- Ollama: ``POST /api/show`` -> ``num_ctx`` in ``parameters``, capped by
  ``model_info["<arch>.context_length"]``. Its /v1 API cannot raise ``num_ctx`` per request and
  silently truncates longer prompts, so without ``num_ctx`` we assume its old default of 2048.

No table of model names: a length comes from the server or the configuration, never a guess.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

import httpx

from reviewbot.types import Completion, FinishReason

log = logging.getLogger(__name__)

DEFAULT_CONTEXT_WINDOW = 4096  # tokens, when neither server nor configuration says
OLLAMA_DEFAULT_NUM_CTX = 2048  # tokens; Ollama's long-standing default for num_ctx

_ENTRY_KEYS = ("max_model_len", "context_length", "max_context_length", "loaded_context_length")
_NUM_CTX = re.compile(r"^\s*num_ctx\s+(\d+)\s*$", re.MULTILINE)
_FINISH = {"stop": FinishReason.STOP, "length": FinishReason.LENGTH}


def server_root(base_url: str) -> str:
    """``http://h:8080/v1`` -> ``http://h:8080``: where /props, /tokenize and /api/show live."""
    base = base_url.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


def model_entries(listing: object) -> list[dict[str, object]]:
    """The ``data`` entries of a ``GET /v1/models`` answer; ``[]`` for anything else."""
    data = listing.get("data") if isinstance(listing, dict) else None
    return [entry for entry in data if isinstance(entry, dict)] if isinstance(data, list) else []


def find_entry(entries: list[dict[str, object]], model: str) -> dict[str, object]:
    """The entry whose ``id`` is ``model``, else the only one, else ``{}``."""
    for entry in entries:
        if entry.get("id") == model:
            return entry
    return entries[0] if len(entries) == 1 else {}


def is_llamacpp(entry: Mapping[str, object]) -> bool:
    meta = entry.get("meta")
    return isinstance(meta, dict) and "n_ctx_train" in meta


def context_from_entry(entry: Mapping[str, object]) -> int | None:
    """Context length from one model entry (see module docstring), or None."""
    for key in _ENTRY_KEYS:
        value = _positive_int(entry.get(key))
        if value is not None:
            return value
    parameters = entry.get("parameters")
    if isinstance(parameters, dict):
        value = _positive_int(parameters.get("max_seq_len"))
        if value is not None:
            return value
    meta = entry.get("meta")
    return _positive_int(meta.get("n_ctx_train")) if isinstance(meta, dict) else None


def context_from_props(props: object) -> int | None:
    """llama.cpp server's per-slot context from ``GET /props``, or None."""
    if not isinstance(props, dict):
        return None
    settings = props.get("default_generation_settings")
    if isinstance(settings, dict) and _positive_int(settings.get("n_ctx")) is not None:
        return _positive_int(settings.get("n_ctx"))
    return _positive_int(props.get("n_ctx"))


def context_from_ollama(show: object, model: str) -> int | None:
    """Ollama's effective context from ``POST /api/show``, or None when this is not Ollama."""
    if not isinstance(show, dict) or not isinstance(show.get("model_info"), dict):
        return None
    info: dict[str, object] = show["model_info"]
    trained = next(
        (_positive_int(v) for k, v in info.items() if k.endswith(".context_length")), None
    )
    match = _NUM_CTX.search(str(show.get("parameters", "")))
    if match is None:
        log.warning(
            "Ollama model %s sets no num_ctx, so Ollama truncates prompts to its default "
            "(assumed %d tokens). Raise it with `PARAMETER num_ctx N` in a Modelfile or "
            "OLLAMA_CONTEXT_LENGTH on the server, then set context_window to match.",
            model,
            OLLAMA_DEFAULT_NUM_CTX,
        )
        return smaller(OLLAMA_DEFAULT_NUM_CTX, trained)
    return smaller(int(match.group(1)), trained)


def smaller(a: int | None, b: int | None) -> int | None:
    """The smaller of two optional lengths; None only when both are None."""
    known = [x for x in (a, b) if x is not None]
    return min(known) if known else None


def token_count(answer: object) -> int | None:
    """Tokens in a /tokenize answer: vLLM's ``count``, else ``len(tokens)`` (llama.cpp)."""
    if not isinstance(answer, dict):
        return None
    count = answer.get("count")
    if isinstance(count, int) and not isinstance(count, bool):
        return count
    tokens = answer.get("tokens")
    return len(tokens) if isinstance(tokens, list) else None


def error_message(response: httpx.Response) -> str:
    """What an error answer says, in one line: OpenAI's ``error.message`` (reviewbot serve,
    vLLM, llama.cpp server), a plain ``error`` string, else the body's first 200 characters."""
    try:
        data = response.json()
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    text = message if isinstance(message, str) and message else response.text[:200]
    return " ".join(text.split())


def completion_from_response(response: httpx.Response, seconds: float) -> Completion:
    """Map a chat-completions answer onto a Completion.

    Any failure of this one request (HTTP error status, a body that is not JSON, JSON without
    ``choices[0].message.content``) becomes ``finish_reason=ERROR`` with ``error`` saying why.
    finish_reason ``stop`` -> STOP, ``length`` -> LENGTH (cut off), anything else -> ERROR.
    """
    url = str(response.request.url)
    if not response.is_success:
        hint = " (wrong base_url? does it need /v1?)" if response.status_code == 404 else ""
        return _error(
            f"HTTP {response.status_code} from {url}: {response.text[:200]}{hint}", seconds
        )
    try:
        data = response.json()
    except ValueError:
        kind = response.headers.get("content-type", "no content-type")
        return _error(
            f"the server at {url} did not answer JSON ({kind}: {response.text[:200]!r}); "
            "is base_url right? OpenAI-compatible servers usually need it to end in /v1",
            seconds,
        )
    choice = _first_choice(data)
    message = choice.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        return _error(
            f"the server at {url} answered without choices[0].message.content: "
            f"{response.text[:200]}",
            seconds,
        )
    usage = data.get("usage") if isinstance(data, dict) else None
    usage = usage if isinstance(usage, dict) else {}
    reason = choice.get("finish_reason")
    finish = _FINISH.get(str(reason), FinishReason.ERROR)
    return Completion(
        text=content,
        finish_reason=finish,
        prompt_tokens=_positive_int(usage.get("prompt_tokens")) or 0,
        completion_tokens=_positive_int(usage.get("completion_tokens")) or 0,
        seconds=seconds,
        error=None if finish is not FinishReason.ERROR else f"server finish_reason {reason!r}",
    )


def _first_choice(data: object) -> dict[str, object]:
    choices = data.get("choices") if isinstance(data, dict) else None
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return choices[0]
    return {}


def _error(message: str, seconds: float) -> Completion:
    return Completion(text="", finish_reason=FinishReason.ERROR, seconds=seconds, error=message)


def _positive_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
