"""llama.cpp in process, through llama-cpp-python (extra ``llamacpp``), on a GGUF file.

The prompt is the model's own chat template (GGUF ``tokenizer.chat_template``, or
``Config.chat_template``) rendered by reviewbot.chat_template, and sent to ``create_completion``.
We do not use ``create_chat_completion``: rendering ourselves keeps one sandbox, one override and
one set of error messages for every in-process engine, and lets us control BOS and stop strings.
JSON schemas become a GBNF grammar (``LlamaGrammar.from_json_schema``), which constrains every
sampled token; it does not force the JSON to close before ``max_tokens``, so a schema should bound
its arrays and strings (``maxItems``, ``maxLength``) and finish_reason "length" must be checked.
"""

from __future__ import annotations

import ctypes
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from reviewbot.backends import engine
from reviewbot.chat_template import ChatTemplate, Segment
from reviewbot.config import Config
from reviewbot.errors import BackendUnavailable
from reviewbot.types import Completion, FinishReason, Request

INSTALL_HINT = "pip install 'reviewbot[llamacpp]' (it compiles llama.cpp, several minutes)"


def _import_llama_cpp() -> ModuleType:
    """Import llama_cpp only when this backend is chosen. Raises BackendUnavailable."""
    try:
        import llama_cpp as module
    except ImportError as exc:
        raise BackendUnavailable(
            f"llama-cpp-python is not installed: {INSTALL_HINT}; or choose another backend"
        ) from exc
    llama_cpp: ModuleType = module
    _silence_native_log(llama_cpp)
    return llama_cpp


_QUIET_LOG: list[Any] = []  # keeps the ctypes callback alive while llama.cpp holds it


def _silence_native_log(llama_cpp: ModuleType) -> None:
    """Route llama.cpp's own log (printed to stderr from C, even with verbose=False, e.g. the
    context-size notice of the vocabulary-only probe) nowhere: a hook's output is the review."""
    if _QUIET_LOG:
        return

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
    def quiet(level: int, text: bytes, user_data: Any) -> None:
        return None

    _QUIET_LOG.append(quiet)
    llama_cpp.llama_log_set(quiet, ctypes.c_void_p(0))


class LlamaCppBackend:
    """A GGUF model in this process.

    context_window: tokens allocated for the KV cache (``n_ctx``), prompt + answer.
    complete: runs the requests one after another (llama-cpp-python has no batched API); the
    previous prompt's shared prefix is reused from the KV cache by llama-cpp-python.
    """

    name = "llamacpp"

    def __init__(self, llm: Any, llama_cpp: ModuleType, template: ChatTemplate) -> None:
        self._llm = llm
        self._llama_cpp = llama_cpp
        self.template = template
        self.context_window: int = llm.n_ctx()
        self._bos: int = llm.token_bos()
        self._grammars: dict[str, Any] = {}

    @classmethod
    def from_config(cls, config: Config) -> LlamaCppBackend:
        """Load ``config.model`` (a GGUF file).

        n_ctx: ``config.context_window``, else the model's trained context capped at
        engine.DEFAULT_CONTEXT_CAP. Also uses ``config.threads``, ``n_gpu_layers`` and ``seed``.
        Raises ConfigError (no or missing model file), BackendUnavailable (not installed, or the
        file does not load), TemplateError (bad chat template).
        """
        path = engine.model_path(config, kind="GGUF file", want_dir=False)
        llama_cpp = _import_llama_cpp()
        trained = _trained_context(llama_cpp, path)
        llm = _load(
            llama_cpp,
            path,
            n_ctx=engine.context_size(config.context_window, trained),
            n_threads=config.threads,
            n_gpu_layers=config.n_gpu_layers,
            seed=config.seed,
        )
        meta: Mapping[str, str] = llm.metadata
        template = engine.chat_template_for(
            config,
            meta.get("tokenizer.chat_template"),
            source=f"GGUF metadata of {path}",
            bos_token=_token_text(llm, llm.token_bos()),
            eos_token=_token_text(llm, llm.token_eos()),
        )
        return cls(llm, llama_cpp, template)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` with the model's own tokenizer (no BOS, special tokens as text)."""
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def complete(self, requests: Sequence[Request]) -> list[Completion]:
        """One Completion per request, in order; a request that fails gives finish_reason ERROR.

        Raises TemplateError when the chat template cannot render the messages.
        """
        return [self._complete_one(request) for request in requests]

    def _complete_one(self, request: Request) -> Completion:
        tokens = self._prompt_tokens(self.template.render_segments(request.messages))
        if len(tokens) + request.max_new_tokens > self.context_window:
            return engine.too_long_completion(
                len(tokens),
                request.max_new_tokens,
                self.context_window,
                fix="raise context_window (the model allows its trained context) or lower "
                "max_new_tokens",
            )
        sampling = engine.sampling_for(request)
        limit = TokenLimit(len(tokens), request.max_new_tokens)
        start = time.perf_counter()
        try:
            grammar = self._grammar(request.json_schema) if request.json_schema else None
            out = self._llm.create_completion(
                tokens,
                max_tokens=request.max_new_tokens,
                stopping_criteria=self._llama_cpp.StoppingCriteriaList([limit]),
                temperature=sampling.temperature,  # 0 selects llama.cpp's greedy sampler
                top_k=sampling.top_k,
                top_p=sampling.top_p,
                min_p=sampling.min_p,
                repeat_penalty=sampling.repeat_penalty,
                seed=sampling.seed,
                stop=list(engine.stop_strings(self.template, request)),
                grammar=grammar,
            )
        # llama-cpp-python raises ValueError (prompt longer than n_ctx, bad grammar) and
        # RuntimeError (decode failed); both concern this request only.
        except (ValueError, RuntimeError) as exc:
            return engine.error_completion(exc, time.perf_counter() - start)
        choice, usage = out["choices"][0], out["usage"]
        return Completion(
            text=choice["text"],
            # llama-cpp-python calls a stop by a stopping criterion "stop"; ours is max_tokens.
            finish_reason=FinishReason.LENGTH
            if choice["finish_reason"] == "length" or limit.reached
            else FinishReason.STOP,
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
            seconds=time.perf_counter() - start,
        )

    def _prompt_tokens(self, segments: Sequence[Segment]) -> list[int]:
        # Special tokens are recognised in the template's markup only, never in the reviewed
        # code. Templates usually write the BOS text themselves and llama.cpp adds one when the
        # GGUF says so: keep exactly one.
        tokens: list[int] = []
        for number, segment in enumerate(segments):
            tokens += self._llm.tokenize(
                segment.text.encode("utf-8"), add_bos=number == 0, special=segment.markup
            )
        if tokens[:2] == [self._bos, self._bos]:
            del tokens[0]
        return tokens

    def _grammar(self, schema: Mapping[str, object]) -> Any:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            self._grammars[key] = json_grammar(self._llama_cpp, key)
        return self._grammars[key]


class TokenLimit:
    """A stopping criterion that ends generation after ``max_new`` tokens.

    llama-cpp-python 0.3.x checks ``max_tokens`` after its multi-byte UTF-8 check, which
    ``continue``s past it while the text ends inside a character: a model that keeps emitting
    partial characters (byte tokens) runs past ``max_tokens``, here 574 tokens for 200 asked.
    Stopping criteria run in ``Llama.generate`` before every sampled token is handed out, with
    ``input_ids`` holding the prompt and the tokens handed out so far.
    """

    def __init__(self, prompt_tokens: int, max_new: int) -> None:
        self._end = prompt_tokens + max_new
        self.reached = False

    def __call__(self, input_ids: Sequence[int], logits: object) -> bool:
        if len(input_ids) >= self._end:
            self.reached = True
        return self.reached


# llama-cpp-python's converter lets strings hold raw control characters, which json.loads rejects
# (abetlen/llama-cpp-python#1259); llama.cpp fixed its own converter in ggml-org/llama.cpp#5888.
_LOOSE_CHAR = r'char ::= [^"\\] |'
_STRICT_CHAR = r'char ::= [^"\\\x7F\x00-\x1F] |'


def json_grammar(llama_cpp: ModuleType, schema_json: str) -> Any:
    """A LlamaGrammar for a JSON schema (text), with control characters kept out of strings.

    Raises ValueError when llama-cpp-python cannot convert the schema (an unresolvable $ref, a
    pattern without ^...$, an unknown type, a keyword of the wrong shape).
    """
    try:
        gbnf: str = llama_cpp.llama_grammar.json_schema_to_gbnf(schema_json)
    # The converter is a script that asserts, or trips over, what it does not support; any of
    # these concerns this request's schema only.
    except (AssertionError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(
            f"llama.cpp cannot turn this JSON schema into a grammar: {type(exc).__name__}: {exc}"
        ) from exc
    return llama_cpp.LlamaGrammar.from_string(
        gbnf.replace(_LOOSE_CHAR, _STRICT_CHAR), verbose=False
    )


def _trained_context(llama_cpp: ModuleType, path: Path) -> int:
    """The model's trained context from its metadata (vocabulary-only load: fast, no weights)."""
    probe = _load(llama_cpp, path, vocab_only=True)
    try:
        meta: Mapping[str, str] = probe.metadata
        arch = meta.get("general.architecture", "")
        return int(meta.get(f"{arch}.context_length", "0"))
    finally:
        probe.close()


def _load(llama_cpp: ModuleType, path: Path, **params: Any) -> Any:
    try:
        return llama_cpp.Llama(model_path=str(path), verbose=False, **params)
    except (ValueError, RuntimeError, OSError) as exc:
        raise BackendUnavailable(
            f"llama.cpp could not load {path}: {exc}; check that it is a GGUF model file that "
            "this llama-cpp-python version supports"
        ) from exc


def _token_text(llm: Any, token: int) -> str:
    if token < 0:  # the model has no such token
        return ""
    text: bytes = llm.detokenize([token], special=True)
    return text.decode("utf-8", errors="replace")
