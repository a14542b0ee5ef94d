from __future__ import annotations

import logging
from pathlib import Path

import pytest

from reviewbot.backends import engine
from reviewbot.chat_template import CHATML, ChatTemplate
from reviewbot.config import Config
from reviewbot.errors import ConfigError
from reviewbot.types import FinishReason, Request

TEMPLATES = Path(__file__).parent.parent / "fixtures" / "chat_templates"


@pytest.mark.parametrize(
    ("configured", "trained", "expected"),
    [(None, 2048, 2048), (None, 131072, 16384), (None, 0, 16384), (4096, 131072, 4096)],
)
def test_context_size(configured: int | None, trained: int, expected: int) -> None:
    assert engine.context_size(configured, trained) == expected


def test_sampling_is_greedy_at_zero_and_neutral_otherwise() -> None:
    greedy = engine.sampling_for(Request((), max_new_tokens=1, seed=7))
    assert greedy.greedy
    assert (greedy.temperature, greedy.seed) == (0.0, 7)
    warm = engine.sampling_for(Request((), max_new_tokens=1, temperature=0.7))
    assert not warm.greedy
    assert (warm.top_k, warm.top_p, warm.min_p, warm.repeat_penalty) == (0, 1.0, 0.0, 1.0)


def test_stop_strings_merge_template_and_request() -> None:
    template = ChatTemplate.from_string(CHATML, eos_token="<|endoftext|>")
    request = Request((), max_new_tokens=1, stop=("```", "<|im_end|>"))
    assert engine.stop_strings(template, request) == ("<|im_end|>", "<|endoftext|>", "```")


def test_stop_token_ids_keep_single_tokens_only() -> None:
    vocab = {"<|im_end|>": 2, "<|endoftext|>": 0}
    assert engine.stop_token_ids(
        ["<|im_end|>", "```", "<|endoftext|>", "<|im_end|>"], vocab.get
    ) == (
        2,
        0,
    )


def test_chat_template_for_prefers_config_then_model_then_chatml(
    caplog: pytest.LogCaptureFixture,
) -> None:
    override = Config(chat_template=TEMPLATES / "deepseek_coder.jinja")
    chosen = engine.chat_template_for(
        override, "MODEL", source="m.gguf", bos_token="", eos_token=""
    )
    assert chosen.source == str(TEMPLATES / "deepseek_coder.jinja")
    own = engine.chat_template_for(Config(), "MODEL", source="m.gguf", bos_token="", eos_token="")
    assert (own.source, own.render([])) == ("m.gguf", "MODEL")
    with caplog.at_level(logging.WARNING):
        fallback = engine.chat_template_for(
            Config(), None, source="m.gguf", bos_token="", eos_token="<|im_end|>"
        )
    assert fallback.text == CHATML
    assert caplog.records[0].getMessage().startswith("m.gguf has no chat template; using ChatML.")


def test_model_path_wants_a_directory(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"")
    config = Config(backend="exllamav2", model=str(model))
    with pytest.raises(ConfigError) as info:
        engine.model_path(config, kind="model directory", want_dir=True)
    assert str(info.value) == (
        f"model '{model}' is not a model directory (config 'model' from defaults)"
    )
    assert engine.model_path(Config(model=str(tmp_path)), kind="d", want_dir=True) == tmp_path


def test_error_completion() -> None:
    completion = engine.error_completion(ValueError("prompt too long"), 1.5)
    assert completion.finish_reason is FinishReason.ERROR
    assert (completion.text, completion.error, completion.seconds) == (
        "",
        "ValueError: prompt too long",
        1.5,
    )


def test_chat_template_for_dir(tiny_hf_dir: Path) -> None:
    own = engine.chat_template_for_dir(Config(), tiny_hf_dir)
    assert own.source == str(tiny_hf_dir / "tokenizer_config.json")
    assert own.stop_strings == ("<|im_end|>",)
    override = TEMPLATES / "deepseek_v2.jinja"
    chosen = engine.chat_template_for_dir(Config(chat_template=override), tiny_hf_dir)
    assert chosen.source == str(override)
    assert (chosen.bos_token, chosen.eos_token) == ("<|endoftext|>", "<|im_end|>")
    assert chosen.stop_strings == ("<|im_end|>",)
