"""exllamav3 in process (extra ``exllamav3``): EXL3 or FP16 safetensors models on CUDA GPUs.

Load (exllamav3 >= 1.4.1): ``Config.from_directory(dir)``, ``Model.from_config(config)``,
``Cache(model, max_num_tokens=cache_size)``, ``Model.load()``, ``Tokenizer.from_config(config)``,
``Generator(model, cache, tokenizer)``. The generator always pages its cache and batches, with no
flash-attn needed. One ``Job`` per request; the request loop is ``gpu_loop.GpuBackend``.

JSON schemas are enforced by exllamav3's own ``LLGuidanceFilter`` (llguidance, the filter its
authors recommend over the deprecated Formatron one), with ``eos_after_completed`` so a job ends
as soon as the JSON is complete.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from reviewbot.backends import engine, gpu, gpu_loop
from reviewbot.config import Config

log = logging.getLogger(__name__)

ENGINE = "exllamav3"
# Generator jobs reserve max_new_tokens + 1 cache tokens (Job.prepare_for_queue, max_rq_tokens).
SPARE_TOKENS = 1


class ExLlamaV3Backend(gpu_loop.GpuBackend):
    """A model directory loaded by exllamav3 on this machine's GPU(s).

    context_window: min(the context as configured, cache size - 1), in tokens.
    """

    name = ENGINE
    paged = True

    def __init__(self, *, modules: Mapping[str, ModuleType], **parts: Any) -> None:
        super().__init__(**parts)
        self._exl = modules["exllamav3"]
        self._samplers = modules["exllamav3.generator.sampler"]

    @classmethod
    def from_config(cls, config: Config) -> ExLlamaV3Backend:
        """Load ``config.model`` (a directory) on the GPU.

        Context: ``config.context_window``, else the model's ``max_position_embeddings`` capped
        at engine.DEFAULT_CONTEXT_CAP; cache: ``config.cache_size`` tokens, else the context + 1
        rounded up to 256. Raises BackendUnavailable (no CUDA GPU, exllamav3 or llguidance
        missing or too old, the model does not load), ConfigError, TemplateError.
        """
        gpu.require_cuda(ENGINE)
        model_dir = engine.model_path(config, kind="model directory", want_dir=True)
        template = engine.chat_template_for_dir(config, model_dir)  # before the slow load
        with gpu.quiet_stdout():
            names = ("exllamav3", "exllamav3.generator.sampler", "llguidance")
            modules = {name: gpu.import_engine(ENGINE, name) for name in names}
            if not hasattr(modules["exllamav3"], "LLGuidanceFilter"):
                version = getattr(modules["exllamav3"], "__version__", "?")
                raise gpu.unavailable(
                    ENGINE,
                    f"exllamav3 {version} has no LLGuidanceFilter (added in 1.4.1); "
                    "upgrade it with pip install -U 'exllamav3>=1.4.1'",
                )
            try:
                parts = _load(modules["exllamav3"], config, model_dir)
            # exllamav3 asserts on unsupported models; torch's out-of-memory is a RuntimeError
            except (AssertionError, ValueError, KeyError, OSError, RuntimeError) as exc:
                raise gpu.load_failed(ENGINE, model_dir, exc) from exc
        return cls(modules=modules, template=template, **parts)

    def _new_job(self, prepared: gpu_loop.Prepared) -> Any:
        """``Job(input_ids, max_new_tokens, sampler, seed, stop_conditions, filters,
        identifier)``; greedy is ``ArgmaxSampler``, else ``CategoricalSampler(temperature)``."""
        schema = prepared.request.json_schema
        filters = []
        if schema is not None:
            filters.append(
                self._exl.LLGuidanceFilter(
                    self._tokenizer, eos_after_completed=True, json_schema=gpu.engine_schema(schema)
                )
            )
        sampling = prepared.sampling
        if sampling.greedy:
            sampler = self._samplers.ArgmaxSampler()
        else:
            sampler = self._samplers.CategoricalSampler(temperature=sampling.temperature)
        return self._exl.Job(
            input_ids=prepared.input_ids,
            max_new_tokens=prepared.request.max_new_tokens,
            sampler=sampler,
            seed=sampling.seed,
            stop_conditions=list(prepared.stop),
            filters=filters,
            identifier=prepared.identifier,
        )


def _load(exl: ModuleType, config: Config, model_dir: Path) -> dict[str, Any]:
    ex_config = exl.Config.from_directory(str(model_dir))
    context = engine.context_size(config.context_window, ex_config.max_position_embeddings)
    cache_size = gpu.cache_tokens(config.cache_size, context, spare=SPARE_TOKENS)
    model = exl.Model.from_config(ex_config)
    cache = exl.Cache(model, max_num_tokens=cache_size)
    model.load(progressbar=False)
    # Tokenizer() adds the tokenizer's and generation_config.json's eos ids to the config's list
    tokenizer = exl.Tokenizer.from_config(ex_config)
    generator = exl.Generator(model=model, cache=cache, tokenizer=tokenizer)
    log.info("exllamav3: paged generator, batching, cache of %d tokens", cache_size)
    eos_ids = [tokenizer.eos_token_id, *getattr(ex_config, "eos_token_id_list", [])]
    return {
        "model": model,
        "generator": generator,
        "tokenizer": tokenizer,
        "context_window": min(context, cache_size - SPARE_TOKENS),
        "eos_ids": [i for i in eos_ids if i is not None],
    }
