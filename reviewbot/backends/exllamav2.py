"""exllamav2 in process (extra ``exllamav2``): EXL2 or FP16 safetensors models on CUDA GPUs.

Load (exllamav2 0.3.2): ``ExLlamaV2Config(dir)`` and its ``arch_compat_overrides``,
``ExLlamaV2(config)``, ``ExLlamaV2Cache(model, max_seq_len=cache_size, lazy=True)``,
``ExLlamaV2.load_autosplit(cache)``, ``ExLlamaV2Tokenizer(config)``, then
``exllamav2.generator.ExLlamaV2DynamicGenerator(model, cache, tokenizer, paged=...)``: paged
(continuous batching, shared prompt prefixes) only with flash-attn >= 2.5.7 on an Ampere-or-newer
GPU, else unpaged, one job at a time. One ``ExLlamaV2DynamicJob`` per request; the request loop is
``gpu_loop.GpuBackend``.

JSON schemas are enforced by llguidance (``llguidance.LLMatcher``) through our own
``exllamav2.generator.filters.ExLlamaV2Filter`` subclass. Why llguidance: it is maintained (vLLM
and exllamav3's own filter use it), compiles any draft 2020-12 schema in Rust and masks a 150K
vocabulary in well under a millisecond; Formatron is unmaintained and fails to import with
pydantic >= 2.12, and lm-format-enforcer's exllamav2 filter lacks the ``ExLlamaV2Filter`` base
the dynamic generator calls (exllamav2 issue #709).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from reviewbot.backends import engine, gpu, gpu_loop
from reviewbot.config import Config

log = logging.getLogger(__name__)

ENGINE = "exllamav2"
_MODULES = (
    "torch",
    "exllamav2",
    "exllamav2.generator",
    "exllamav2.generator.filters",
    "exllamav2.attn",
    "llguidance",
)


class JsonConstraint:
    """One request's position in a JSON-schema grammar (an ``llguidance.LLMatcher``).

    allowed(): bool array over the tokenizer's vocabulary. A matcher in an error state (a token
    the grammar refused) allows only the stop tokens, so the job ends and the parser reports it.
    """

    def __init__(self, new_matcher: Callable[[], Any], vocab_size: int, stop_ids: Sequence[int]):
        self._new_matcher = new_matcher
        self._matcher = new_matcher()
        self._vocab_size = vocab_size
        self._stop_ids = list(stop_ids)

    @property
    def error(self) -> str | None:
        return str(self._matcher.get_error()) if self._matcher.is_error() else None

    @property
    def done(self) -> bool:
        """True once the JSON is complete and only a stop token may follow."""
        return bool(self._matcher.is_stopped())

    def reset(self) -> None:
        # LLMatcher.reset() does not clear an error state; a new matcher does.
        if self._matcher.is_error():
            self._matcher = self._new_matcher()
        else:
            self._matcher.reset()

    def consume(self, token: int) -> None:
        """Advance on a sampled token (``LLMatcher.consume_token``); ignored once done."""
        if not self._matcher.is_stopped():
            self._matcher.consume_token(token)

    def allowed(self) -> Any:
        """numpy bool array, shape (vocab_size,): which tokens may come next."""
        import numpy as np

        if self._matcher.is_error():
            mask = np.zeros(self._vocab_size, dtype=bool)
            mask[self._stop_ids] = True
            return mask
        # compute_bitmask: little-endian u32 words, bit (i & 31) of word (i >> 5) is token i
        words = np.frombuffer(self._matcher.compute_bitmask(), dtype=np.uint8)
        return np.unpackbits(words, bitorder="little")[: self._vocab_size].astype(bool)

    def allowed_tokens(self) -> list[int]:
        import numpy as np

        return [int(t) for t in np.flatnonzero(self.allowed())]


class JsonGrammar:
    """llguidance grammars for one tokenizer, compiled once per schema.

    tokenizer_json: the text of the model's tokenizer.json. stop_ids: tokens allowed once the
    JSON is complete (the end-of-turn tokens). Raises ValueError (from ``constraint``) for a
    schema llguidance cannot compile.
    """

    def __init__(self, llguidance: ModuleType, tokenizer_json: str, stop_ids: Sequence[int]):
        self._llg = llguidance
        self._stop_ids = tuple(stop_ids)
        self._tokenizer = llguidance.LLTokenizer(tokenizer_json, eos_token=list(stop_ids) or None)
        self._grammars: dict[str, str] = {}

    def constraint(self, schema: Mapping[str, object]) -> JsonConstraint:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            matcher = self._llg.LLMatcher
            grammar = matcher.grammar_from_json_schema(gpu.engine_schema(schema))
            is_error, messages = matcher.validate_grammar_with_warnings(grammar, self._tokenizer)
            if is_error:
                raise ValueError(f"llguidance cannot enforce this JSON schema: {messages[0]}")
            self._grammars[key] = grammar
        grammar = self._grammars[key]
        return JsonConstraint(
            lambda: self._llg.LLMatcher(self._tokenizer, grammar),
            int(self._tokenizer.vocab_size),
            self._stop_ids,
        )


def filter_class(base: Any, torch: ModuleType) -> Any:
    """An ``ExLlamaV2Filter`` subclass driving a JsonConstraint (made here: exllamav2 is lazy).

    The dynamic generator calls ``begin``, ``feed(token tensor)``, ``can_mask_logits``,
    ``use_background_worker``, then ``prepare_logit_mask`` (on its filter thread pool) and
    ``mask_logits(logits)`` (see ``exllamav2.generator.sampler.ExLlamaV2Sampler.sample``);
    ``next()`` is the older allowed-list protocol, kept for completeness.
    """

    class SchemaFilter(base):  # type: ignore[misc]
        def __init__(self, model: Any, tokenizer: Any, constraint: JsonConstraint) -> None:
            super().__init__(model, tokenizer)
            self.constraint = constraint
            self._mask: Any = None

        def begin(self, prefix_str: str) -> None:
            self.constraint.reset()

        def feed(self, token: Any) -> None:
            self.constraint.consume(int(token))  # a (1, 1) tensor

        def next(self) -> tuple[list[int], list[int]]:
            return self.constraint.allowed_tokens(), []

        def use_background_worker(self) -> bool:
            return True

        def can_mask_logits(self) -> bool:
            return True

        def prepare_logit_mask(self) -> bool:
            self._mask = self.constraint.allowed()
            return True

        def mask_logits(self, logits: Any) -> Any:
            keep = torch.zeros(logits.shape[-1], dtype=torch.bool)
            width = min(len(self._mask), logits.shape[-1])
            keep[:width] = torch.from_numpy(self._mask[:width])
            return logits.masked_fill(~keep, float("-inf"))

    return SchemaFilter


class ExLlamaV2Backend(gpu_loop.GpuBackend):
    """A model directory loaded by exllamav2 on this machine's GPU(s).

    context_window: min(the model's max_seq_len as configured, the cache size), in tokens.
    paged: whether the generator batches (see the module docstring).
    """

    name = ENGINE

    def __init__(
        self, *, modules: Mapping[str, ModuleType], grammar: JsonGrammar, paged: bool, **parts: Any
    ) -> None:
        super().__init__(**parts)
        self._gen = modules["exllamav2.generator"]
        filter_base = modules["exllamav2.generator.filters"].ExLlamaV2Filter
        self._filter = filter_class(filter_base, modules["torch"])
        self._grammar = grammar
        self.paged = paged

    @classmethod
    def from_config(cls, config: Config) -> ExLlamaV2Backend:
        """Load ``config.model`` (a directory) on the GPU.

        max_seq_len: ``config.context_window``, else the model's capped at
        engine.DEFAULT_CONTEXT_CAP; cache: ``config.cache_size`` tokens, else max_seq_len.
        Raises BackendUnavailable (no CUDA GPU, exllamav2 or llguidance missing, the model does
        not load), ConfigError (no model directory, bad cache_size), TemplateError.
        """
        capability = gpu.require_cuda(ENGINE)
        model_dir = engine.model_path(config, kind="model directory", want_dir=True)
        template = engine.chat_template_for_dir(config, model_dir)  # before the slow load
        with gpu.quiet_stdout():
            modules = {name: gpu.import_engine(ENGINE, name) for name in _MODULES}
            try:
                parts, paged = _load(modules, config, model_dir, capability)
                grammar = JsonGrammar(
                    modules["llguidance"],
                    (model_dir / "tokenizer.json").read_text(encoding="utf-8"),
                    parts["eos_ids"],
                )
            # exllamav2 asserts on unsupported models; torch's out-of-memory is a RuntimeError
            except (AssertionError, ValueError, KeyError, OSError, RuntimeError) as exc:
                raise gpu.load_failed(ENGINE, model_dir, exc) from exc
        return cls(modules=modules, grammar=grammar, paged=paged, template=template, **parts)

    def _new_job(self, prepared: gpu_loop.Prepared) -> Any:
        """``ExLlamaV2DynamicJob(input_ids, max_new_tokens, gen_settings, seed, stop_conditions,
        filters, identifier)``; greedy is ``ExLlamaV2Sampler.Settings.greedy()``."""
        schema = prepared.request.json_schema
        filters = []
        if schema is not None:
            constraint = self._grammar.constraint(schema)
            filters.append(self._filter(self._model, self._tokenizer, constraint))
        return self._gen.ExLlamaV2DynamicJob(
            input_ids=prepared.input_ids,
            max_new_tokens=prepared.request.max_new_tokens,
            gen_settings=_settings(self._gen.ExLlamaV2Sampler, prepared.sampling),
            seed=prepared.sampling.seed,
            stop_conditions=list(prepared.stop),
            filters=filters,
            identifier=prepared.identifier,
        )


def _settings(sampler: Any, sampling: engine.Sampling) -> Any:
    # Settings() defaults are not greedy (temperature 0.8, top_k 50, repetition penalty 1.025)
    if sampling.greedy:
        return sampler.Settings.greedy()
    return sampler.Settings(
        temperature=sampling.temperature,
        top_k=sampling.top_k,  # 0 and 1.0 turn top-k / top-p off (exllamav2 ext sampling.cpp)
        top_p=sampling.top_p,
        min_p=sampling.min_p,
        token_repetition_penalty=sampling.repeat_penalty,
    )


def _load(
    modules: Mapping[str, ModuleType], config: Config, model_dir: Path, capability: tuple[int, int]
) -> tuple[dict[str, Any], bool]:
    exl = modules["exllamav2"]
    ex_config = exl.ExLlamaV2Config(str(model_dir))
    ex_config.arch_compat_overrides(quiet=True)
    ex_config.max_seq_len = engine.context_size(config.context_window, ex_config.max_seq_len)
    cache_size = gpu.cache_tokens(config.cache_size, ex_config.max_seq_len)
    model = exl.ExLlamaV2(ex_config)
    cache = exl.ExLlamaV2Cache(model, max_seq_len=cache_size, lazy=True)
    model.load_autosplit(cache, progress=False)
    tokenizer = exl.ExLlamaV2Tokenizer(ex_config)
    paged = _paged(modules["exllamav2.attn"], ex_config, capability)
    generator = modules["exllamav2.generator"].ExLlamaV2DynamicGenerator(
        model=model, cache=cache, tokenizer=tokenizer, paged=paged
    )
    generation = getattr(ex_config, "generation_config", None) or {}
    eos_ids = [tokenizer.eos_token_id, *(generation.get("eos_token_id") or [])]
    parts = {
        "model": model,
        "generator": generator,
        "tokenizer": tokenizer,
        "context_window": min(ex_config.max_seq_len, cache_size),
        "eos_ids": [i for i in eos_ids if i is not None],
    }
    return parts, paged


def _paged(attn: ModuleType, ex_config: Any, capability: tuple[int, int]) -> bool:
    version = gpu.flash_attn_version()
    paged = (
        gpu.paged_supported(version, capability)
        and bool(getattr(attn, "has_flash_attn_with_paged", False))
        and not ex_config.no_flash_attn
    )
    log.info(
        "exllamav2: %s generator (flash-attn %s, compute capability %d.%d)",
        "paged, batching" if paged else "unpaged, one job at a time",
        version or "not installed",
        *capability,
    )
    return paged
