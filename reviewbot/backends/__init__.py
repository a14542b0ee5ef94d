"""Backends: the ``Backend`` protocol and the registry of engines by name.

Engines are imported only when chosen, so ``import reviewbot`` never imports llama.cpp,
exllamav2 or exllamav3.
"""

from __future__ import annotations

import importlib

from reviewbot.backends.base import Backend
from reviewbot.config import Config
from reviewbot.errors import ConfigError

# name -> "module:class"; the class has ``from_config(config) -> Backend``.
BACKENDS: dict[str, str] = {
    "openai": "reviewbot.backends.openai:OpenAIBackend",
    "llamacpp": "reviewbot.backends.llamacpp:LlamaCppBackend",
    "exllamav2": "reviewbot.backends.exllamav2:ExLlamaV2Backend",
    "exllamav3": "reviewbot.backends.exllamav3:ExLlamaV3Backend",
    "fake": "reviewbot.backends.fake:FakeBackend",
}


def create_backend(config: Config) -> Backend:
    """Build the backend named by ``config.backend``.

    Raises ConfigError for an unknown name, BackendUnavailable when the engine is missing.
    """
    try:
        target = BACKENDS[config.backend]
    except KeyError:
        names = ", ".join(sorted(BACKENDS))
        raise ConfigError(
            f"unknown backend {config.backend!r} (from {config.source}); choose one of: {names}"
        ) from None
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    backend: Backend = cls.from_config(config)
    return backend


__all__ = ["BACKENDS", "Backend", "create_backend"]
