"""Configuration: defaults < config file < REVIEWBOT_* environment < command-line flags.

Read from ``[tool.reviewbot]`` in ``pyproject.toml`` or from ``.reviewbot.toml`` at the repository
root, validated once into a frozen ``Config`` that is passed down explicitly.
Secrets (``REVIEWBOT_API_KEY``, ``GITHUB_TOKEN``) come from the environment only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reviewbot.severity import Severity


@dataclass(frozen=True)
class Config:
    # model connection (same everywhere: review, hook, pr, audit, bench)
    backend: str = "openai"
    model: str | None = None  # server model name (openai) or model path (llamacpp, exllamav2/3)
    base_url: str = "http://127.0.0.1:8080/v1"
    api_key: str | None = None  # environment only
    allow_remote: bool = False  # let the openai backend talk to a non-local host
    structured_output: str = "auto"  # auto|response_format|structured_outputs|json_schema|none
    context_window: int | None = None  # tokens; None = ask the engine/server
    max_new_tokens: int = 1024
    temperature: float = 0.0
    seed: int = 0
    timeout: float = 120.0  # seconds for a small prompt; scaled with prompt size
    timeout_cap: float = 900.0  # seconds, hard upper bound for one request
    retries: int = 2
    chat_template: Path | None = None  # override of the model's own chat template
    n_gpu_layers: int = 0  # llamacpp
    threads: int | None = None  # llamacpp
    cache_size: int | None = None  # exllamav2/3 cache tokens, multiple of 256
    # what is reviewed
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_file_bytes: int = 1_000_000  # larger changed files are skipped with a reason
    # prompts
    prompt_dir: Path | None = None
    instructions: str = ""
    # output
    format: str = "terminal"
    output: Path | None = None
    fail_on: Severity | None = None
    color: bool | None = None  # None = colour when writing to a TTY
    # hook
    on_unavailable: str = "pass"  # pass|fail
    deadline: float = 60.0  # seconds the hook waits for the model in total
    cache_dir: Path | None = None
    # pull requests
    max_inline_comments: int = 30
    # where the config came from, for messages
    source: str = "defaults"


def answer_settings(config: Config) -> dict[str, object]:
    """The settings that decide what the model answers to a given prompt: the model, how its
    prompt is framed and how it decodes. Result caches and audit keys hash these, so a change
    to any of them re-asks the model. (The server URL is not here: callers decide.)"""
    return {
        "backend": config.backend,
        "model": config.model or "",
        "chat_template": str(config.chat_template or ""),
        "structured_output": config.structured_output,
        "max_new_tokens": config.max_new_tokens,
        "temperature": config.temperature,
        "seed": config.seed,
        "instructions": config.instructions,
    }
