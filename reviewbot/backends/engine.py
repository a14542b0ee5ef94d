"""Pieces shared by the in-process engines (llama.cpp, exllamav2, exllamav3).

These engines take a prompt string, not messages, so reviewbot renders the model's own chat template
itself (sandboxed, see reviewbot.chat_template) and stops on the template's end-of-turn markers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from reviewbot.chat_template import ChatTemplate, special_tokens
from reviewbot.config import Config
from reviewbot.errors import ConfigError
from reviewbot.types import Completion, FinishReason, Request

# Context used when the config does not set one: a model's trained context (32K-128K for code
# models) would make the KV cache larger than most machines' memory.
DEFAULT_CONTEXT_CAP = 16384


@dataclass(frozen=True)
class Sampling:
    """Sampler settings for one request. temperature 0 means greedy (argmax), reproducible."""

    temperature: float
    seed: int
    # neutral values: only temperature shapes the distribution, so results match across engines
    top_k: int = 0
    top_p: float = 1.0
    min_p: float = 0.0
    repeat_penalty: float = 1.0

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


def sampling_for(request: Request) -> Sampling:
    return Sampling(temperature=max(request.temperature, 0.0), seed=request.seed)


def model_path(config: Config, *, kind: str, want_dir: bool) -> Path:
    """``config.model`` as an existing path for an in-process engine.

    kind: what to call it in messages ("GGUF file", "model directory").
    Raises ConfigError when it is unset, missing, or a file where a directory is wanted (or back).
    """
    if not config.model:
        raise ConfigError(
            f"backend {config.backend!r} needs 'model' set to the path of a {kind} "
            f"(config from {config.source})"
        )
    path = Path(config.model).expanduser()
    if not path.exists():
        raise ConfigError(
            f"model {kind} {str(path)!r} does not exist (config 'model' from {config.source}); "
            f"set it to the path of a {kind}"
        )
    if path.is_dir() != want_dir:
        raise ConfigError(
            f"model {str(path)!r} is not a {kind} (config 'model' from {config.source})"
        )
    return path


def context_size(configured: int | None, trained: int, cap: int = DEFAULT_CONTEXT_CAP) -> int:
    """Tokens of context to allocate: the configured value, else the trained one capped at ``cap``.

    A trained context of 0 (unknown) gives ``cap``.
    """
    if configured:
        return configured
    return min(trained, cap) if trained > 0 else cap


def chat_template_for(
    config: Config, embedded: str | None, *, source: str, bos_token: str, eos_token: str
) -> ChatTemplate:
    """The template to use: ``config.chat_template`` > the model's own > ChatML (with a warning).

    embedded: the model's template text (GGUF ``tokenizer.chat_template``), or None.
    Raises TemplateError when a template does not load or compile.
    """
    if config.chat_template is not None:
        return ChatTemplate.from_file(config.chat_template, bos_token, eos_token)
    if embedded:
        return ChatTemplate.from_string(embedded, bos_token, eos_token, source=source)
    return ChatTemplate.chatml_fallback(f"{source} has no chat template", bos_token, eos_token)


def chat_template_for_dir(config: Config, model_dir: Path) -> ChatTemplate:
    """For a Hugging Face model directory: ``config.chat_template`` > the directory's own > ChatML.

    The override gets the directory's bos/eos tokens from tokenizer_config.json, as transformers'
    ``apply_chat_template`` does (an engine's tokenizer may fall back to a guessed bos id).
    Raises TemplateError.
    """
    if config.chat_template is not None:
        return ChatTemplate.from_file(config.chat_template, *special_tokens(model_dir))
    return ChatTemplate.from_model_dir(model_dir)


def stop_strings(template: ChatTemplate, request: Request) -> tuple[str, ...]:
    """The template's end-of-turn markers, then the request's own stops; no duplicates."""
    return tuple(dict.fromkeys((*template.stop_strings, *request.stop)))


def stop_token_ids(
    strings: Iterable[str], token_id: Callable[[str], int | None]
) -> tuple[int, ...]:
    """Ids of the stop strings that are single tokens of the vocabulary (engines that stop on ids).

    token_id: the engine's lookup, returning None for text that is not exactly one token.
    """
    ids = (token_id(s) for s in strings)
    return tuple(dict.fromkeys(i for i in ids if i is not None))


def error_completion(exc: BaseException, seconds: float = 0.0) -> Completion:
    """A failed request, recorded so that the other requests of the batch go on."""
    return Completion(
        text="",
        finish_reason=FinishReason.ERROR,
        seconds=seconds,
        error=f"{type(exc).__name__}: {exc}",
    )


def too_long_completion(
    prompt_tokens: int, max_new_tokens: int, window: int, *, fix: str
) -> Completion:
    """A request whose prompt and answer do not fit the context window, refused before it runs.

    fix: how to make it fit with this engine (which settings size its context).
    """
    return Completion(
        text="",
        finish_reason=FinishReason.ERROR,
        prompt_tokens=prompt_tokens,
        error=(
            f"the prompt ({prompt_tokens} tokens) and the answer's {max_new_tokens} tokens do not "
            f"fit the context window of {window} tokens; {fix}"
        ),
    )
