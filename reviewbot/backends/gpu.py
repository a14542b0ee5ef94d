"""Pieces shared by the in-process GPU engines, exllamav2 and exllamav3.

Both engines take token ids, stream results from a dynamic generator with the same protocol
(``Generator.enqueue(job)``, ``Generator.iterate() -> list[dict]``,
``Generator.num_remaining_jobs()``; see ``exllamav2.generator.dynamic.ExLlamaV2DynamicGenerator``
and ``exllamav3.generator.generator.Generator``) and have tokenizers with the same ``encode`` and
``single_id``. So the request loop lives here (``GpuBackend``) and each engine module only loads
its model and builds one job per request.

Nothing here imports torch or an engine at module level: ``require_cuda`` and ``import_engine``
do it when a backend is chosen, and turn every way that can fail into one BackendUnavailable
that says what is missing and which backend to use instead.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import math
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType

from reviewbot.errors import BackendUnavailable, ConfigError

PAGE_TOKENS = 256  # both engines' cache page; their caches must be a multiple of it
FLASH_ATTN_PAGED = (2, 5, 7)  # exllamav2.attn: paged attention needs flash-attn >= 2.5.7
AMPERE = (8, 0)  # flash-attn 2 runs on compute capability 8.0 and newer
# llguidance JSON options (schema["x-guidance"]): compact JSON keeps answers short and stops a
# weak model from spending its tokens on whitespace; lenient skips keywords it cannot enforce.
JSON_OPTIONS = {"whitespace_flexible": False, "lenient": True}

Importer = Callable[[str], ModuleType]


def unavailable(engine_name: str, missing: str) -> BackendUnavailable:
    """The error for an engine that cannot run here: what is missing, how to get it, what else."""
    return BackendUnavailable(
        f"the {engine_name} backend cannot run here: {missing}. It needs an NVIDIA GPU, a CUDA "
        f"build of torch and the {engine_name} package: on a CUDA machine run "
        f"pip install 'reviewbot[{engine_name}]'. Without a GPU, use backend = \"llamacpp\" "
        '(a GGUF model on the CPU), or backend = "openai" with base_url pointing at '
        "`reviewbot serve` (or another OpenAI-compatible server) on a GPU machine"
    )


def require_cuda(
    engine_name: str, import_module: Importer = importlib.import_module
) -> tuple[int, int]:
    """Check torch sees a CUDA GPU; returns the highest compute capability, e.g. ``(9, 0)``.

    Raises BackendUnavailable when torch is missing, is a CPU-only build
    (``torch.version.cuda is None``) or sees no GPU (``torch.cuda.is_available()``).
    """
    try:
        torch = import_module("torch")
    except ImportError:
        raise unavailable(engine_name, "PyTorch (torch) is not installed") from None
    if getattr(torch.version, "cuda", None) is None:
        raise unavailable(
            engine_name,
            f"torch {torch.__version__} is a CPU-only build (torch.version.cuda is None)",
        )
    if not torch.cuda.is_available():
        raise unavailable(
            engine_name, "no CUDA GPU is visible (torch.cuda.is_available() is False)"
        )
    capabilities = [torch.cuda.get_device_capability(i) for i in range(torch.cuda.device_count())]
    major, minor = max(capabilities)
    return int(major), int(minor)


def import_engine(
    engine_name: str, module: str, import_module: Importer = importlib.import_module
) -> ModuleType:
    """Import an engine package, which may JIT-compile its CUDA extension on first use.

    Raises BackendUnavailable for ImportError (not installed), OSError (exllamav2's extension
    build without CUDA_HOME) and RuntimeError (a failed extension build; exllamav3 without torch),
    quoting only the first line so no compiler output reaches the user.
    """
    try:
        return import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and exc.name.split(".")[0] == module.split(".")[0]:
            raise unavailable(engine_name, f"the {module} package is not installed") from exc
        raise unavailable(engine_name, f"importing {module} failed: {_first_line(exc)}") from exc
    except (ImportError, OSError, RuntimeError) as exc:
        raise unavailable(
            engine_name, f"importing {module} failed (its CUDA extension): {_first_line(exc)}"
        ) from exc


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    return f"{type(exc).__name__}: {text[:300]}"


def load_failed(engine_name: str, model_dir: object, exc: BaseException) -> BackendUnavailable:
    """The error for a model directory the engine could not load (or a GPU out of memory)."""
    return BackendUnavailable(
        f"{engine_name} could not load the model in {model_dir}: {_first_line(exc)}. Check that "
        f"it is a model directory {engine_name} supports (config.json, tokenizer.json and "
        "safetensors weights); if the GPU ran out of memory, lower context_window or cache_size"
    )


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send the engines' progress prints to stderr: stdout may carry a JSON or SARIF report."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def cache_tokens(configured: int | None, context: int, *, spare: int = 0) -> int:
    """KV-cache size in tokens: ``configured`` (config ``cache_size``), else the context plus
    ``spare`` rounded up to a multiple of PAGE_TOKENS.

    Raises ConfigError when ``configured`` is not a positive multiple of 256 (both engines page
    their cache in 256-token pages and assert on any other size).
    """
    if configured is None:
        return math.ceil((context + spare) / PAGE_TOKENS) * PAGE_TOKENS
    if configured <= 0 or configured % PAGE_TOKENS:
        nearest = max(PAGE_TOKENS, math.ceil(max(configured, 1) / PAGE_TOKENS) * PAGE_TOKENS)
        raise ConfigError(
            f"cache_size = {configured} is not a positive multiple of {PAGE_TOKENS}; "
            f"set it to {nearest} (or remove it to size the cache from the context window)"
        )
    return configured


def flash_attn_version(
    version: Callable[[str], str] = importlib.metadata.version,
) -> str | None:
    """The installed flash-attn version, or None."""
    try:
        return version("flash_attn")
    except importlib.metadata.PackageNotFoundError:
        return None


def paged_supported(flash_attn: str | None, capability: tuple[int, int]) -> bool:
    """exllamav2's paged (batching) mode: flash-attn >= 2.5.7 on an Ampere-or-newer GPU.

    Rule from ``exllamav2.attn`` (``has_flash_attn_with_paged``) and flash-attn 2's GPU support.
    """
    if flash_attn is None:
        return False
    parts = [int(p) for p in re.findall(r"\d+", flash_attn)[:3]]
    return tuple(parts) >= FLASH_ATTN_PAGED and capability >= AMPERE


def engine_schema(schema: Mapping[str, object]) -> dict[str, object]:
    """``schema`` with llguidance's compile options (``x-guidance``) added."""
    return {**schema, "x-guidance": dict(JSON_OPTIONS)}
