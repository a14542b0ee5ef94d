"""The GPU backends exllamav2 / exllamav3 and their shared pieces (reviewbot.backends.gpu).

On a machine without CUDA: choosing either backend fails at once with a message naming what is
missing and what to use instead; the shared request loop, the cache/paging rules and the JSON
constraint run on CPU. Tests marked ``gpu`` load the tiny HF model on a real GPU.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np
import pytest
from tokenizers import Tokenizer

from reviewbot.backends import create_backend, gpu, gpu_loop
from reviewbot.backends.exllamav2 import JsonGrammar
from reviewbot.chat_template import CHATML, ChatTemplate
from reviewbot.config import Config
from reviewbot.errors import BackendUnavailable, ConfigError, TemplateError
from reviewbot.findings import FindingsModel, findings_json_schema, parse_output
from reviewbot.types import Completion, FinishReason, Message, Request

ENGINES = ("exllamav2", "exllamav3")
MESSAGES = (
    Message("system", "You review diffs. Answer with JSON."),
    Message("user", "+    for i in range(len(items) + 1):"),
)


def _cuda_available() -> bool:
    try:
        import torch  # type: ignore[import-not-found]
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


# -- choosing a GPU backend without a GPU --------------------------------------------------------


@pytest.mark.skipif(_cuda_available(), reason="this machine has a CUDA GPU")
@pytest.mark.parametrize("name", ENGINES)
def test_choosing_a_gpu_backend_here_fails_with_what_is_missing(name: str, tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable) as caught:
        create_backend(Config(backend=name, model=str(tmp_path)))
    message = str(caught.value)
    assert message.startswith(f"the {name} backend cannot run here: ")
    missing = message.split(": ", 1)[1].split(". It needs", 1)[0]
    assert missing in (
        "PyTorch (torch) is not installed",
        "no CUDA GPU is visible (torch.cuda.is_available() is False)",
    ) or missing.endswith("is a CPU-only build (torch.version.cuda is None)")
    assert f"pip install 'reviewbot[{name}]'" in message
    assert 'backend = "llamacpp"' in message
    assert 'backend = "openai"' in message and "`reviewbot serve`" in message
    assert "Traceback" not in message


def test_importing_reviewbot_imports_no_engine() -> None:
    code = (
        "import sys, reviewbot, reviewbot.backends\n"
        "import reviewbot.backends.gpu\n"
        "import reviewbot.backends.exllamav2, reviewbot.backends.exllamav3\n"
        "heavy = ('torch', 'exllamav2', 'exllamav3', 'llguidance', 'flash_attn', 'numpy')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout == "[]\n"


def _importer(modules: dict[str, object]) -> Any:
    def import_module(name: str) -> object:
        found = modules[name]
        if isinstance(found, BaseException):
            raise found
        return found

    return import_module


def _torch(cuda: str | None, gpus: Sequence[tuple[int, int]]) -> SimpleNamespace:
    return SimpleNamespace(
        __version__="2.11.0",
        version=SimpleNamespace(cuda=cuda),
        cuda=SimpleNamespace(
            is_available=lambda: bool(gpus),
            device_count=lambda: len(gpus),
            get_device_capability=lambda i: gpus[i],
        ),
    )


def test_require_cuda_names_the_missing_piece() -> None:
    missing = _importer({"torch": ModuleNotFoundError("No module named 'torch'", name="torch")})
    with pytest.raises(BackendUnavailable) as caught:
        gpu.require_cuda("exllamav2", missing)
    assert str(caught.value) == (
        "the exllamav2 backend cannot run here: PyTorch (torch) is not installed. It needs an "
        "NVIDIA GPU, a CUDA build of torch and the exllamav2 package: on a CUDA machine run "
        "pip install 'reviewbot[exllamav2]'. Without a GPU, use backend = \"llamacpp\" (a GGUF "
        'model on the CPU), or backend = "openai" with base_url pointing at `reviewbot serve` '
        "(or another OpenAI-compatible server) on a GPU machine"
    )
    cpu_only = _importer({"torch": _torch(None, [])})
    with pytest.raises(BackendUnavailable, match=r"here: torch 2\.11\.0 is a CPU-only build \("):
        gpu.require_cuda("exllamav3", cpu_only)
    no_gpu = _importer({"torch": _torch("13.0", [])})
    with pytest.raises(BackendUnavailable, match=r"here: no CUDA GPU is visible \(torch\.cuda"):
        gpu.require_cuda("exllamav3", no_gpu)
    two = _importer({"torch": _torch("13.0", [(7, 5), (9, 0)])})
    assert gpu.require_cuda("exllamav2", two) == (9, 0)


def test_import_engine_keeps_compiler_output_out_of_the_message() -> None:
    build = OSError(
        "CUDA_HOME environment variable is not set. Please set it to your CUDA install root.\n"
        "/usr/bin/nvcc: error: lots of compiler output\n" * 3
    )
    importer = _importer({"exllamav2": build})
    with pytest.raises(BackendUnavailable) as caught:
        gpu.import_engine("exllamav2", "exllamav2", importer)
    message = str(caught.value)
    assert message.startswith(
        "the exllamav2 backend cannot run here: importing exllamav2 failed (its CUDA extension): "
        "OSError: CUDA_HOME environment variable is not set. Please set it to your CUDA install "
        "root.. It needs an NVIDIA GPU"
    )
    assert "nvcc" not in message and "\n" not in message
    absent = _importer({"exllamav3": ModuleNotFoundError("nope", name="exllamav3")})
    with pytest.raises(
        BackendUnavailable, match=r"here: the exllamav3 package is not installed\. "
    ):
        gpu.import_engine("exllamav3", "exllamav3", absent)
    broken_dep = _importer({"exllamav2": ModuleNotFoundError("No module named 'x'", name="x")})
    with pytest.raises(BackendUnavailable, match=r"failed: ModuleNotFoundError: No module named"):
        gpu.import_engine("exllamav2", "exllamav2", broken_dep)
    module = ModuleType("exllamav3")
    assert gpu.import_engine("exllamav3", "exllamav3", _importer({"exllamav3": module})) is module


# -- cache size, paging --------------------------------------------------------------------------


def test_cache_tokens_defaults_to_the_context_in_whole_pages() -> None:
    assert gpu.cache_tokens(None, 2048) == 2048
    assert gpu.cache_tokens(None, 2048, spare=1) == 2304
    assert gpu.cache_tokens(None, 100) == 256
    assert gpu.cache_tokens(65536, 2048) == 65536


@pytest.mark.parametrize(("value", "nearest"), [(1000, 1024), (0, 256), (-5, 256), (257, 512)])
def test_cache_size_must_be_a_multiple_of_256(value: int, nearest: int) -> None:
    with pytest.raises(ConfigError) as caught:
        gpu.cache_tokens(value, 2048)
    assert str(caught.value) == (
        f"cache_size = {value} is not a positive multiple of 256; set it to {nearest} "
        "(or remove it to size the cache from the context window)"
    )


@pytest.mark.parametrize(
    ("flash_attn", "capability", "paged"),
    [
        (None, (9, 0), False),
        ("2.5.6", (9, 0), False),
        ("2.5.7", (8, 0), True),
        ("2.8.3.post2", (9, 0), True),
        ("2.8.3", (7, 5), False),  # Turing: flash-attn 2 does not run there
        ("3.0.0b1", (9, 0), True),
    ],
)
def test_paged_needs_flash_attn_2_5_7_on_ampere_or_newer(
    flash_attn: str | None, capability: tuple[int, int], paged: bool
) -> None:
    assert gpu.paged_supported(flash_attn, capability) is paged


def test_flash_attn_version_is_none_when_not_installed() -> None:
    def version(name: str) -> str:
        assert name == "flash_attn"
        raise importlib.metadata.PackageNotFoundError(name)

    assert gpu.flash_attn_version(version) is None
    assert gpu.flash_attn_version(lambda name: "2.8.3") == "2.8.3"


# -- the JSON constraint (llguidance) on the tiny model's tokenizer -------------------------------


@pytest.fixture(scope="module")
def tokenizer(tiny_hf_dir: Path) -> Tokenizer:
    return Tokenizer.from_file(str(tiny_hf_dir / "tokenizer.json"))


@pytest.fixture(scope="module")
def grammar(tiny_hf_dir: Path, tokenizer: Tokenizer) -> JsonGrammar:
    llguidance = pytest.importorskip("llguidance")
    text = (tiny_hf_dir / "tokenizer.json").read_text(encoding="utf-8")
    return JsonGrammar(llguidance, text, [2])  # <|im_end|>


def _ids(tokenizer: Tokenizer, text: str) -> list[int]:
    return list(tokenizer.encode(text, add_special_tokens=False).ids)


def test_constraint_allows_exactly_the_schema(grammar: JsonGrammar, tokenizer: Tokenizer) -> None:
    end = tokenizer.token_to_id("<|im_end|>")
    constraint = grammar.constraint(findings_json_schema())
    assert [tokenizer.decode([t]) for t in constraint.allowed_tokens()] == ['{"']
    assert constraint.allowed().shape == (768,)
    for token in _ids(tokenizer, '{"findings":[]}'):
        assert token in constraint.allowed_tokens()
        constraint.consume(token)
    assert constraint.done
    assert constraint.allowed_tokens() == [end]  # compact JSON: nothing but the end of the turn


def test_random_walk_through_the_constraint_parses(
    grammar: JsonGrammar, tokenizer: Tokenizer
) -> None:
    end = tokenizer.token_to_id("<|im_end|>")
    constraint = grammar.constraint(findings_json_schema())
    rng = np.random.default_rng(7)
    walk: list[int] = []
    while not constraint.done:
        token = int(rng.choice(constraint.allowed_tokens()))
        constraint.consume(token)
        walk.append(token)
        assert len(walk) < 20_000
    text = tokenizer.decode(walk)
    FindingsModel.model_validate_json(text)  # the schema's own validator accepts it
    parsed = parse_output(text, FinishReason.STOP)
    assert not parsed.truncated
    assert constraint.allowed_tokens() == [end]


def test_refused_token_ends_the_turn_and_reset_recovers(
    grammar: JsonGrammar, tokenizer: Tokenizer
) -> None:
    end = tokenizer.token_to_id("<|im_end|>")
    constraint = grammar.constraint(findings_json_schema())
    constraint.consume(_ids(tokenizer, "def")[0])
    assert constraint.error is not None
    assert constraint.allowed_tokens() == [end]
    constraint.reset()
    assert constraint.error is None
    assert [tokenizer.decode([t]) for t in constraint.allowed_tokens()] == ['{"']


def test_schema_llguidance_cannot_compile_is_a_value_error(grammar: JsonGrammar) -> None:
    with pytest.raises(ValueError, match=r"^llguidance cannot enforce this JSON schema: "):
        grammar.constraint({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}})


# -- the shared request loop, with a scripted generator ------------------------------------------


class ScriptedTokenizer:
    """The engines' tokenizer protocol over the tiny model's tokenizer.json."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._tokenizer = tokenizer

    def encode(self, text: str, add_bos: bool = False, encode_special_tokens: bool = False) -> Any:
        assert not add_bos
        return np.array([self._tokenizer.encode(text, add_special_tokens=False).ids])

    def single_id(self, text: str) -> int | None:
        found = self._tokenizer.token_to_id(text)
        return None if found is None else int(found)


class ScriptedGenerator:
    """Answers job i with ``script[i]``: (text pieces, eos_reason), streamed one piece per
    iteration like the dynamic generators; a RuntimeError piece is raised instead."""

    def __init__(self, script: dict[int, tuple[list[str | RuntimeError], str]]) -> None:
        self.script = script
        self.jobs: list[gpu_loop.Prepared] = []
        self._steps: dict[int, int] = {}
        self.cleared = False

    def enqueue(self, job: gpu_loop.Prepared) -> None:
        if job.prompt_tokens > 2000:  # as exllama's prepare_for_queue asserts
            raise AssertionError("Job requires 9 pages (only 8 available)")
        self.jobs.append(job)
        self._steps[job.identifier] = 0

    def num_remaining_jobs(self) -> int:
        return len(self._steps)

    def clear_queue(self) -> None:
        self.cleared = True
        self._steps.clear()

    def iterate(self) -> list[dict[str, object]]:
        results: list[dict[str, object]] = []
        for index, step in list(self._steps.items()):
            pieces, reason = self.script[index]
            piece = pieces[step]
            if isinstance(piece, RuntimeError):
                raise piece
            eos = step == len(pieces) - 1
            result = {"stage": "streaming", "identifier": index, "eos": eos, "text": piece}
            if eos:
                result.update(eos_reason=reason, new_tokens=7 + index, prompt_tokens=3)
                del self._steps[index]
            else:
                self._steps[index] = step + 1
            results.append(result)
        return results


class ScriptedBackend(gpu_loop.GpuBackend):
    name = "scripted"

    def _join(self, parts: list[Any]) -> Any:
        return np.concatenate(parts, axis=-1)

    def _new_job(self, prepared: gpu_loop.Prepared) -> Any:
        return prepared


def _scripted(tokenizer: Tokenizer, generator: ScriptedGenerator) -> ScriptedBackend:
    unloaded: list[bool] = []
    return ScriptedBackend(
        model=SimpleNamespace(unload=lambda: unloaded.append(True)),
        generator=generator,
        tokenizer=ScriptedTokenizer(tokenizer),
        template=ChatTemplate.from_string(CHATML, eos_token="<|endoftext|>"),
        context_window=512,
        eos_ids=[0, 2, 0],
    )


def test_loop_answers_in_order_with_finish_reasons(tokenizer: Tokenizer) -> None:
    generator = ScriptedGenerator(
        {
            0: (['{"findings"', ":[]}"], "stop_token"),
            1: (["{", '"a"'], "max_new_tokens"),
            2: (['{"findings":[]}'], "end_filter"),
        }
    )
    backend = _scripted(tokenizer, generator)
    requests = [Request(MESSAGES, max_new_tokens=16, stop=("```",)) for _ in range(3)]
    answers = backend.complete(requests)
    assert [(a.text, a.finish_reason, a.completion_tokens, a.prompt_tokens) for a in answers] == [
        ('{"findings":[]}', FinishReason.STOP, 7, 3),
        ('{"a"', FinishReason.LENGTH, 8, 3),
        ('{"findings":[]}', FinishReason.STOP, 9, 3),
    ]
    job = generator.jobs[0]
    prompt = backend.template.render(MESSAGES)
    assert job.prompt_tokens == len(_ids(tokenizer, prompt)) == job.input_ids.shape[-1]
    # eos ids, the template's end-of-turn and eos tokens as ids, then every stop as a string
    im_end, text_end = tokenizer.token_to_id("<|im_end|>"), tokenizer.token_to_id("<|endoftext|>")
    assert (text_end, im_end) == (0, 2)
    assert job.stop == (0, 2, "<|im_end|>", "<|endoftext|>", "```")
    assert job.sampling.greedy and job.sampling.seed == 0


def test_too_long_and_refused_requests_fail_alone(tokenizer: Tokenizer) -> None:
    generator = ScriptedGenerator({1: (["{}"], "stop_string")})
    backend = _scripted(tokenizer, generator)
    too_long = Request(MESSAGES, max_new_tokens=500)
    answers = backend.complete([too_long, Request(MESSAGES, max_new_tokens=8)])
    prompt_tokens = len(_ids(tokenizer, backend.template.render(MESSAGES)))
    assert answers[0] == Completion(
        text="",
        finish_reason=FinishReason.ERROR,
        prompt_tokens=prompt_tokens,
        error=(
            f"the prompt ({prompt_tokens} tokens) and the answer's 500 tokens do not fit the "
            "context window of 512 tokens; raise context_window / cache_size or review a smaller "
            "change"
        ),
    )
    assert (answers[1].text, answers[1].finish_reason) == ("{}", FinishReason.STOP)
    huge = Request((Message("user", "x = 1\n" * 900),), max_new_tokens=8)
    backend.context_window = 100_000
    [refused] = backend.complete([huge])
    assert refused.finish_reason is FinishReason.ERROR
    assert refused.error == "AssertionError: Job requires 9 pages (only 8 available)"


def test_engine_failure_mid_batch_keeps_finished_answers(tokenizer: Tokenizer) -> None:
    generator = ScriptedGenerator(
        {
            0: (["{}"], "stop_token"),
            1: (["{", RuntimeError("CUDA out of memory. Tried to allocate")], "stop_token"),
        }
    )
    backend = _scripted(tokenizer, generator)
    answers = backend.complete([Request(MESSAGES, max_new_tokens=8)] * 2)
    assert answers[0].text == "{}"
    assert answers[1].finish_reason is FinishReason.ERROR
    assert answers[1].error == "RuntimeError: CUDA out of memory. Tried to allocate"
    assert generator.cleared
    assert backend.count_tokens("") == 0
    assert backend.count_tokens("def f(x):\n    return x") == 10


def test_template_failure_queues_no_job(tokenizer: Tokenizer) -> None:
    generator = ScriptedGenerator({0: (["{}"], "stop_token")})
    backend = _scripted(tokenizer, generator)
    backend.template = ChatTemplate.from_string(
        "{% if messages|length > 1 %}{{ raise_exception('one message only') }}{% endif %}x"
    )
    fine, bad = Request(MESSAGES[:1], max_new_tokens=8), Request(MESSAGES, max_new_tokens=8)
    with pytest.raises(TemplateError, match="raised an error: one message only"):
        backend.complete([fine, bad])
    assert generator.jobs == []


# -- on a GPU: the tiny HF model through the real engines ----------------------------------------

BOUNDED_SCHEMA = {
    "type": "object",
    "properties": {
        "findings": {
            "type": "array",
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "line": {"type": "integer", "minimum": 1, "maximum": 9999},
                    "severity": {"enum": ["info", "warning", "error"]},
                    "message": {"type": "string", "maxLength": 40},
                },
                "required": ["line", "severity", "message"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["findings"],
    "additionalProperties": False,
}


@pytest.mark.gpu
@pytest.mark.skipif(not _cuda_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("name", ENGINES)
def test_tiny_model_generates_schema_json_on_the_gpu(
    name: str, tiny_hf_dir: Path, tokenizer: Tokenizer
) -> None:
    pytest.importorskip(name)
    backend = create_backend(Config(backend=name, model=str(tiny_hf_dir)))
    assert isinstance(backend, gpu_loop.GpuBackend)
    try:
        assert backend.context_window == 2048
        text = "def f(x):\n    return x"
        assert backend.count_tokens(text) == len(_ids(tokenizer, text)) == 10
        constrained = Request(MESSAGES, max_new_tokens=600, json_schema=BOUNDED_SCHEMA)
        free = Request(MESSAGES, max_new_tokens=5)
        first, second, cut = backend.complete([constrained, constrained, free])
        assert first.error is None and first.finish_reason is FinishReason.STOP
        findings = json.loads(first.text)["findings"]
        assert len(findings) <= 2
        assert (second.text, second.completion_tokens) == (first.text, first.completion_tokens)
        prompt = backend.template.render(MESSAGES)
        assert first.prompt_tokens == len(_ids(tokenizer, prompt))
        assert (cut.finish_reason, cut.completion_tokens) == (FinishReason.LENGTH, 5)
    finally:
        backend.close()
