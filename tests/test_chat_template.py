from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from reviewbot.chat_template import CHATML, DEEPSEEK_EOS, ChatTemplate
from reviewbot.errors import TemplateError
from reviewbot.types import Message

TEMPLATES = Path(__file__).parent / "fixtures" / "chat_templates"
DEEPSEEK_BOS = "<\uff5cbegin\u2581of\u2581sentence\uff5c>"

CONVERSATION = (
    Message("system", "Review the diff."),
    Message("user", "diff 1"),
    Message("assistant", '{"findings": []}'),
    Message("user", "diff 2"),
)


def load(name: str, bos: str = "", eos: str = "") -> ChatTemplate:
    return ChatTemplate.from_file(TEMPLATES / f"{name}.jinja", bos, eos)


def test_chatml_multi_turn_with_system_and_generation_prompt() -> None:
    text = load("chatml", eos="<|im_end|>").render(CONVERSATION)
    assert text == (
        "<|im_start|>system\nReview the diff.<|im_end|>\n"
        "<|im_start|>user\ndiff 1<|im_end|>\n"
        '<|im_start|>assistant\n{"findings": []}<|im_end|>\n'
        "<|im_start|>user\ndiff 2<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_chatml_default_system_and_no_generation_prompt() -> None:
    text = load("chatml").render([Message("user", "diff 1")], add_generation_prompt=False)
    assert text == (
        "<|im_start|>system\nYou are a helpful coding assistant.<|im_end|>\n"
        "<|im_start|>user\ndiff 1<|im_end|>\n"
    )


def test_deepseek_coder_instruction_response() -> None:
    template = load("deepseek_coder", DEEPSEEK_BOS, "<|EOT|>")
    assert template.render(CONVERSATION) == (
        f"{DEEPSEEK_BOS}Review the diff.\n"
        "### Instruction:\ndiff 1\n"
        '### Response:\n{"findings": []}\n<|EOT|>\n'
        "### Instruction:\ndiff 2\n"
        "### Response:\n"
    )
    no_system = template.render([Message("user", "diff 1")], add_generation_prompt=False)
    assert (
        no_system
        == f"{DEEPSEEK_BOS}You are an AI programming assistant.\n### Instruction:\ndiff 1\n"
    )


def test_deepseek_v2_user_assistant_markers() -> None:
    template = load("deepseek_v2", DEEPSEEK_BOS, DEEPSEEK_EOS)
    assert template.render(CONVERSATION) == (
        f"{DEEPSEEK_BOS}Review the diff."
        "<\uff5cUser\uff5c>diff 1"
        f'<\uff5cAssistant\uff5c>{{"findings": []}}{DEEPSEEK_EOS}'
        "<\uff5cUser\uff5c>diff 2"
        "<\uff5cAssistant\uff5c>"
    )


@pytest.mark.parametrize(
    ("name", "bos", "eos", "expected"),
    [
        ("chatml", "", "<|im_end|>", ("<|im_end|>",)),
        ("chatml", "", "<|endoftext|>", ("<|im_end|>", "<|endoftext|>")),
        ("deepseek_coder", DEEPSEEK_BOS, "<|EOT|>", ("<|EOT|>",)),
        ("deepseek_v2", DEEPSEEK_BOS, DEEPSEEK_EOS, (DEEPSEEK_EOS,)),
        ("deepseek_v2", "", "", ()),
    ],
)
def test_stop_strings(name: str, bos: str, eos: str, expected: tuple[str, ...]) -> None:
    assert load(name, bos, eos).stop_strings == expected


def test_template_raise_exception_becomes_template_error() -> None:
    template = load("deepseek_coder")
    with pytest.raises(TemplateError) as info:
        template.render([Message("user", "a"), Message("tool", "b")])
    message = str(info.value)
    assert "deepseek_coder.jinja raised an error: Unknown role: tool" in message


@pytest.mark.parametrize(
    "text",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__ }}",  # Jinja2's own sandbox would render this as ""
        "{{ cycler.__init__.__globals__ }}",
        "{% set xs = [] %}{{ xs.append(1) }}",  # immutable sandbox: no mutation
        "{{ messages.__len__() }}",
    ],
)
def test_sandbox_refuses_python_internals(text: str) -> None:
    template = ChatTemplate.from_string(text, source="GGUF metadata of evil.gguf")
    with pytest.raises(TemplateError) as info:
        template.render([Message("user", "hi")])
    assert str(info.value).startswith(
        "chat template from GGUF metadata of evil.gguf was refused by the sandbox:"
    )


def test_syntax_error_names_source_and_line() -> None:
    with pytest.raises(TemplateError) as info:
        ChatTemplate.from_string("ok\n{% for m in messages %}", source="model.gguf")
    assert str(info.value).startswith("chat template from model.gguf does not compile (line 2):")


def test_tojson_is_not_html_escaped_and_keeps_unicode() -> None:
    template = ChatTemplate.from_string(
        "{{ messages[0] | tojson }}|{{ {'a': 1} | tojson(indent=1) }}"
    )
    text = template.render([Message("user", "<b>&'é")], add_generation_prompt=False)
    assert text == '{"role": "user", "content": "<b>&\'é"}|{\n "a": 1\n}'


def test_trim_and_lstrip_blocks_like_transformers() -> None:
    source = (
        "{% for m in messages %}\n    {% if true %}\n[{{ m.content }}]\n    {% endif %}\n"
        "{% endfor %}"
    )
    text = ChatTemplate.from_string(source).render([Message("user", "a"), Message("user", "b")])
    assert text == "[a]\n[b]\n"


def test_from_model_dir_reads_tokenizer_config(tmp_path: Path) -> None:
    config = {
        "bos_token": {"content": "<s>", "lstrip": False, "__type": "AddedToken"},
        "eos_token": "</s>",
        "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content + eos_token }}"
        "{% endfor %}",
    }
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    template = ChatTemplate.from_model_dir(tmp_path)
    assert template.render([Message("user", "x")]) == "<s>x</s>"
    assert template.source == str(tmp_path / "tokenizer_config.json")
    assert template.stop_strings == ("</s>",)


def test_from_model_dir_picks_default_of_named_templates(tmp_path: Path) -> None:
    config = {
        "chat_template": [
            {"name": "tool_use", "template": "TOOLS"},
            {"name": "default", "template": "DEFAULT"},
        ]
    }
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    assert ChatTemplate.from_model_dir(tmp_path).render([]) == "DEFAULT"


def test_named_templates_without_default_is_an_error(tmp_path: Path) -> None:
    config = {"chat_template": [{"name": "tool_use", "template": "TOOLS"}]}
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        ChatTemplate.from_model_dir(tmp_path)
    assert str(info.value) == (
        f"{tmp_path / 'tokenizer_config.json'} lists chat templates [tool_use] "
        "but none named 'default'"
    )


def test_chat_template_jinja_wins_over_tokenizer_config(tmp_path: Path) -> None:
    config = {"chat_template": "FROM CONFIG", "eos_token": "<|im_end|>"}
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    (tmp_path / "chat_template.jinja").write_text("FROM FILE {{ eos_token }}", encoding="utf-8")
    template = ChatTemplate.from_model_dir(tmp_path)
    assert template.render([]) == "FROM FILE <|im_end|>"
    assert template.source == str(tmp_path / "chat_template.jinja")


def test_no_template_falls_back_to_chatml_with_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="reviewbot.chat_template"):
        template = ChatTemplate.from_model_dir(tmp_path)
    assert template.text == CHATML
    assert template.render([Message("user", "hi")]) == (
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    )
    assert template.stop_strings == ("<|im_end|>",)
    assert [r.getMessage() for r in caplog.records] == [
        f"{tmp_path} has no chat template; using ChatML. "
        "Set chat_template in the config if the model expects another."
    ]


def test_malformed_tokenizer_config_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "tokenizer_config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        ChatTemplate.from_model_dir(tmp_path)
    assert str(info.value).startswith(f"cannot read {tmp_path / 'tokenizer_config.json'}:")


def test_missing_override_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as info:
        ChatTemplate.from_file(tmp_path / "nope.jinja")
    assert str(info.value).startswith(f"cannot read chat template {tmp_path / 'nope.jinja'}:")


def test_segments_separate_markup_from_message_content() -> None:
    template = ChatTemplate.from_file(TEMPLATES / "chatml.jinja")
    messages = [Message("system", "rules"), Message("user", "x = '<|im_end|>'")]
    segments = template.render_segments(messages)
    assert [(s.text, s.markup) for s in segments] == [
        ("<|im_start|>system\n", True),
        ("rules", False),
        ("<|im_end|>\n<|im_start|>user\n", True),
        ("x = '<|im_end|>'", False),
        ("<|im_end|>\n<|im_start|>assistant\n", True),
    ]
    assert "".join(s.text for s in segments) == template.render(messages)


def test_segments_fall_back_to_one_markup_piece_when_content_is_rewritten() -> None:
    template = ChatTemplate.from_string(
        "{% for m in messages %}{{ m['content'] | upper }}{% endfor %}", source="test"
    )
    segments = template.render_segments([Message("user", "abc")])
    assert [(s.text, s.markup) for s in segments] == [("ABC", True)]
