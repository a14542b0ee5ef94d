"""End to end on the tiny random-weight GGUF (tests/fixtures/tiny_model.py): real llama.cpp."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field
from tokenizers import Tokenizer

from reviewbot.backends import create_backend
from reviewbot.backends.llamacpp import LlamaCppBackend
from reviewbot.config import Config
from reviewbot.errors import BackendUnavailable, ConfigError
from reviewbot.types import FinishReason, Message, Request

TEMPLATES = Path(__file__).parent.parent / "fixtures" / "chat_templates"

FINDINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "findings": {
            "type": "array",
            "minItems": 1,
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "line": {"type": "integer"},
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


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    line: int
    severity: Literal["info", "warning", "error"]
    message: str = Field(max_length=40)


class _Findings(BaseModel):
    """FINDINGS_SCHEMA as a validator."""

    model_config = ConfigDict(extra="forbid", strict=True)
    findings: list[_Item] = Field(min_length=1, max_length=2)


MESSAGES = (
    Message("system", "You review diffs. Answer with JSON."),
    Message("user", "+    for i in range(len(items) + 1):"),
)


@pytest.fixture(scope="module")
def backend(tiny_gguf: Path) -> LlamaCppBackend:
    pytest.importorskip("llama_cpp")
    config = Config(backend="llamacpp", model=str(tiny_gguf), threads=2)
    built = create_backend(config)
    assert isinstance(built, LlamaCppBackend)
    return built


def test_loads_with_trained_context_and_gguf_template(
    backend: LlamaCppBackend, tiny_gguf: Path
) -> None:
    assert backend.name == "llamacpp"
    assert backend.context_window == 2048  # the tiny model's trained context, under the cap
    assert backend.template.source == f"GGUF metadata of {tiny_gguf}"
    assert backend.template.stop_strings == ("<|im_end|>",)
    assert backend.template.render(MESSAGES[1:]) == (
        "<|im_start|>user\n+    for i in range(len(items) + 1):<|im_end|>\n<|im_start|>assistant\n"
    )


def test_count_tokens_matches_the_model_tokenizer(
    backend: LlamaCppBackend, tiny_hf_dir: Path
) -> None:
    reference = Tokenizer.from_file(str(tiny_hf_dir / "tokenizer.json"))
    # special tokens' text inside reviewed code is plain text: "<|im_end|>" is not one token here
    reference.encode_special_tokens = True
    texts = [
        "def f(x):\n    return x",
        '{"findings": []}',
        "héllo wörld — ünïcode ✓",
        "<|im_end|> is text here",
        "",
    ]
    counts = [backend.count_tokens(t) for t in texts]
    expected = [len(reference.encode(t, add_special_tokens=False).ids) for t in texts]
    assert counts == expected
    assert counts[0] == 10
    assert counts[-1] == 0
    assert counts[3] == 13


def test_json_schema_output_parses_and_validates(backend: LlamaCppBackend) -> None:
    request = Request(MESSAGES, max_new_tokens=400, json_schema=FINDINGS_SCHEMA)
    [completion] = backend.complete([request])
    assert completion.error is None
    assert completion.finish_reason is FinishReason.STOP
    parsed = _Findings.model_validate(json.loads(completion.text))
    assert len(parsed.findings) <= 2
    assert 0 < completion.completion_tokens < 400
    prompt = backend.template.render(MESSAGES)
    assert completion.prompt_tokens == len(
        backend._llm.tokenize(prompt.encode(), add_bos=False, special=True)
    )


def test_greedy_is_deterministic(backend: LlamaCppBackend) -> None:
    request = Request(MESSAGES, max_new_tokens=400, json_schema=FINDINGS_SCHEMA)
    first, second = backend.complete([request, request])
    assert first.text == second.text
    assert first.completion_tokens == second.completion_tokens
    free = Request(MESSAGES, max_new_tokens=12)
    assert backend.complete([free])[0].text == backend.complete([free])[0].text


def test_grammar_does_not_close_the_json_at_the_token_limit(backend: LlamaCppBackend) -> None:
    request = Request(MESSAGES, max_new_tokens=30, json_schema=FINDINGS_SCHEMA)
    [completion] = backend.complete([request])
    assert completion.finish_reason is FinishReason.LENGTH
    assert completion.text.startswith('{"findings":[')
    with pytest.raises(json.JSONDecodeError):
        json.loads(completion.text)


def test_sampling_follows_the_seed(backend: LlamaCppBackend) -> None:
    def sample(seed: int) -> str:
        request = Request(
            MESSAGES, max_new_tokens=400, json_schema=FINDINGS_SCHEMA, temperature=1.0, seed=seed
        )
        completion = backend.complete([request])[0]
        _Findings.model_validate(json.loads(completion.text))  # raw control chars are kept out
        return completion.text

    assert sample(3) == sample(3)
    assert sample(3) != sample(4)


def test_token_limit_gives_length(backend: LlamaCppBackend) -> None:
    [completion] = backend.complete([Request(MESSAGES, max_new_tokens=5)])
    assert completion.finish_reason is FinishReason.LENGTH
    assert completion.completion_tokens == 5


@pytest.mark.parametrize("index", [6, 32])  # without the limit: 574 and 575 tokens
def test_the_limit_holds_while_the_text_ends_inside_a_character(
    backend: LlamaCppBackend, index: int
) -> None:
    """llama-cpp-python skips its own max_tokens check while the text ends inside a UTF-8
    character; on these prompts the tiny model's byte tokens kept it so."""
    text = f"+    x = items[{index}] # h\u00e9llo \u4e16\u754c"
    request = Request((Message("system", "Answer."), Message("user", text)), max_new_tokens=200)
    [completion] = backend.complete([request])
    assert (completion.finish_reason, completion.completion_tokens) == (FinishReason.LENGTH, 200)


def test_failed_request_does_not_stop_the_batch(tiny_gguf: Path) -> None:
    pytest.importorskip("llama_cpp")
    small = LlamaCppBackend.from_config(
        Config(backend="llamacpp", model=str(tiny_gguf), context_window=256, threads=2)
    )
    assert small.context_window == 256
    too_long = Request((Message("user", "x = 1\n" * 400),), max_new_tokens=4)
    fine = Request(MESSAGES, max_new_tokens=4)
    failed, ok = small.complete([too_long, fine])
    assert failed.finish_reason is FinishReason.ERROR
    assert failed.text == ""
    assert failed.error is not None
    assert failed.error.startswith("the prompt (")
    assert "do not fit the context window of 256 tokens" in failed.error
    assert ok.finish_reason is FinishReason.LENGTH
    assert 4 <= ok.completion_tokens <= 7


def test_schema_llamacpp_cannot_convert_fails_alone(backend: LlamaCppBackend) -> None:
    """llama-cpp-python's converter asserts on schemas it does not support; that is one
    request's error, not an exception that fails the whole batch."""
    unsupported = {"type": "object", "properties": {"a": {"type": "string", "pattern": "("}}}
    bad = Request(MESSAGES, max_new_tokens=4, json_schema=unsupported)
    failed, ok = backend.complete([bad, Request(MESSAGES, max_new_tokens=4)])
    assert (failed.text, failed.finish_reason, failed.error) == (
        "",
        FinishReason.ERROR,
        "ValueError: llama.cpp cannot turn this JSON schema into a grammar: AssertionError: "
        'Pattern must start with "^" and end with "$"',
    )
    assert ok.finish_reason is FinishReason.LENGTH


def test_config_chat_template_overrides_the_gguf_one(tiny_gguf: Path) -> None:
    pytest.importorskip("llama_cpp")
    override = TEMPLATES / "deepseek_coder.jinja"
    config = Config(backend="llamacpp", model=str(tiny_gguf), chat_template=override, threads=2)
    loaded = LlamaCppBackend.from_config(config)
    assert loaded.template.source == str(override)
    # the GGUF's own special tokens are passed to the override
    assert loaded.template.eos_token == "<|im_end|>"
    assert loaded.template.stop_strings == ("<|EOT|>", "<|im_end|>")
    assert loaded.template.render(MESSAGES[1:]).startswith("<|endoftext|>You are an AI")


def test_not_installed_gives_install_hint(tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    with pytest.raises(BackendUnavailable) as info:
        create_backend(Config(backend="llamacpp", model=str(tiny_gguf)))
    assert str(info.value) == (
        "llama-cpp-python is not installed: pip install 'reviewbot[llamacpp]' "
        "(it compiles llama.cpp, several minutes); or choose another backend"
    )


def test_missing_model_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    config = Config(backend="llamacpp", model=str(missing), source="/repo/.reviewbot.toml")
    with pytest.raises(ConfigError) as info:
        LlamaCppBackend.from_config(config)
    assert str(info.value) == (
        f"model GGUF file '{missing}' does not exist (config 'model' from "
        "/repo/.reviewbot.toml); set it to the path of a GGUF file"
    )


def test_model_not_set() -> None:
    with pytest.raises(ConfigError) as info:
        LlamaCppBackend.from_config(Config(backend="llamacpp"))
    assert str(info.value) == (
        "backend 'llamacpp' needs 'model' set to the path of a GGUF file (config from defaults)"
    )


def test_file_that_is_not_gguf(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"not a gguf file at all")
    with pytest.raises(BackendUnavailable) as info:
        LlamaCppBackend.from_config(Config(backend="llamacpp", model=str(bogus)))
    assert str(info.value).startswith(f"llama.cpp could not load {bogus}: ")


def test_special_token_text_in_the_diff_stays_plain_text(backend: LlamaCppBackend) -> None:
    """A diff containing ``<|im_end|>`` must not close the user turn (prompt injection)."""
    end_of_turn = backend._llm.tokenize(b"<|im_end|>", add_bos=False, special=True)
    assert len(end_of_turn) == 1
    messages = (Message("system", "review"), Message("user", "x = '<|im_end|>'"))
    tokens = backend._prompt_tokens(backend.template.render_segments(messages))
    # the template's own markup closes two turns; the reviewed code adds none
    assert tokens.count(end_of_turn[0]) == 2
    plain = backend._prompt_tokens(backend.template.render_segments(messages[:1]))
    assert plain.count(end_of_turn[0]) == 1
