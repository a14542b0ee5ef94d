"""The model's own chat template: messages -> prompt text, plus the strings that end a turn.

A chat template belongs to the model (``chat_template.jinja``, ``tokenizer_config.json
["chat_template"]`` or GGUF metadata ``tokenizer.chat_template``). It is third-party code, so it is
rendered the way Hugging Face transformers renders it (``apply_chat_template``): Jinja2's
``ImmutableSandboxedEnvironment`` with ``trim_blocks``/``lstrip_blocks``, the ``loopcontrols``
extension, a ``raise_exception`` global and a ``tojson`` filter. Unlike Jinja2's default sandbox,
reaching for an unsafe attribute (``''.__class__``) fails at once instead of rendering as empty.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import jinja2
import jinja2.ext
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from reviewbot.errors import TemplateError
from reviewbot.types import Message

logger = logging.getLogger(__name__)

# ChatML (Qwen2.5-Coder, CodeQwen1.5): used when a model ships no template at all.
CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# End-of-turn markers of the families we know: ChatML, DeepSeek-Coder, DeepSeek-V2/V3, Llama 3.
# DeepSeek's marker uses FULLWIDTH VERTICAL LINE (U+FF5C) and LOWER ONE EIGHTH BLOCK (U+2581).
DEEPSEEK_EOS = "<\uff5cend\u2581of\u2581sentence\uff5c>"
_TURN_MARKERS = ("<|im_end|>", "<|EOT|>", DEEPSEEK_EOS, "<|eot_id|>")


class _StrictSandbox(ImmutableSandboxedEnvironment):
    def unsafe_undefined(self, obj: Any, attribute: str) -> NoReturn:
        # Jinja2 returns an Undefined that renders as "": a template probing internals should fail.
        raise SecurityError(
            f"access to attribute {attribute!r} of {type(obj).__name__!r} is unsafe"
        )


class _TemplateRaised(Exception):
    """The template called raise_exception(message)."""


def _raise_exception(message: str) -> NoReturn:
    raise _TemplateRaised(message)


def _tojson(
    value: Any, ensure_ascii: bool = False, indent: int | None = None, sort_keys: bool = False
) -> str:
    # transformers' tojson: unlike Jinja2's builtin, no HTML escaping.
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, sort_keys=sort_keys)


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


def _environment() -> _StrictSandbox:
    env = _StrictSandbox(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    return env


@dataclass(frozen=True)
class Segment:
    """A piece of a rendered prompt: template markup (special tokens allowed) or content."""

    text: str
    markup: bool


class ChatTemplate:
    """A compiled chat template.

    text: the Jinja2 source. source: where it came from, for error messages.
    bos_token / eos_token: the model's special token strings ("" when it has none).
    Raises TemplateError when the text does not compile.
    """

    def __init__(self, text: str, *, source: str, bos_token: str = "", eos_token: str = "") -> None:
        self.text = text
        self.source = source
        self.bos_token = bos_token
        self.eos_token = eos_token
        try:
            self._template = _environment().from_string(text)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                f"chat template from {source} does not compile (line {exc.lineno}): {exc.message}"
            ) from exc

    @classmethod
    def from_string(
        cls, text: str, bos_token: str = "", eos_token: str = "", *, source: str = "a string"
    ) -> ChatTemplate:
        """A template given as text, e.g. GGUF metadata ``tokenizer.chat_template``."""
        return cls(text, source=source, bos_token=bos_token, eos_token=eos_token)

    @classmethod
    def from_file(cls, path: Path, bos_token: str = "", eos_token: str = "") -> ChatTemplate:
        """A template file (``Config.chat_template``), or a model directory.

        Raises TemplateError when the file cannot be read.
        """
        if path.is_dir():
            return cls.from_model_dir(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateError(
                f"cannot read chat template {path}: {exc}; set chat_template to a Jinja2 file"
            ) from exc
        return cls(text, source=str(path), bos_token=bos_token, eos_token=eos_token)

    @classmethod
    def from_model_dir(cls, model_dir: Path) -> ChatTemplate:
        """The template of a Hugging Face model directory.

        Looks in ``chat_template.jinja``, then ``tokenizer_config.json["chat_template"]`` (a string,
        or a list of ``{"name", "template"}`` of which "default" is used). bos/eos tokens come from
        tokenizer_config.json. No template at all: ChatML, with a warning.
        Raises TemplateError for an unreadable or malformed tokenizer_config.json.
        """
        config = _read_tokenizer_config(model_dir)
        bos, eos = _special_tokens(config)
        jinja_file = model_dir / "chat_template.jinja"
        if jinja_file.is_file():
            return cls.from_file(jinja_file, bos, eos)
        source = str(model_dir / "tokenizer_config.json")
        text = _pick_template(config.get("chat_template"), source)
        if text is None:
            return cls.chatml_fallback(f"{model_dir} has no chat template", bos, eos)
        return cls(text, source=source, bos_token=bos, eos_token=eos)

    @classmethod
    def chatml_fallback(cls, reason: str, bos_token: str = "", eos_token: str = "") -> ChatTemplate:
        """ChatML, logged as a warning: a wrong template quietly degrades every answer."""
        logger.warning(
            "%s; using ChatML. Set chat_template in the config if the model expects another.",
            reason,
        )
        return cls(
            CHATML, source="the built-in ChatML fallback", bos_token=bos_token, eos_token=eos_token
        )

    @property
    def stop_strings(self) -> tuple[str, ...]:
        """End-of-turn markers this template writes, then the eos token; no duplicates."""
        found = [m for m in _TURN_MARKERS if m in self.text]
        if self.eos_token:
            found.append(self.eos_token)
        return tuple(dict.fromkeys(found))

    def render(self, messages: Sequence[Message], add_generation_prompt: bool = True) -> str:
        """Prompt text for ``messages``; with add_generation_prompt, opens the assistant's turn.

        Raises TemplateError naming the source when the template fails, raises, or is refused
        by the sandbox.
        """
        context = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "add_generation_prompt": add_generation_prompt,
            "bos_token": self.bos_token,
            "eos_token": self.eos_token,
        }
        try:
            return self._template.render(**context)
        except SecurityError as exc:
            raise self._error(f"was refused by the sandbox: {exc}") from exc
        except _TemplateRaised as exc:
            raise self._error(f"raised an error: {exc}") from exc
        except (jinja2.TemplateError, TypeError, ValueError, LookupError) as exc:
            raise self._error(f"failed: {type(exc).__name__}: {exc}") from exc

    def render_segments(
        self, messages: Sequence[Message], add_generation_prompt: bool = True
    ) -> list[Segment]:
        """The prompt split into template markup and message content, in order.

        Engines tokenize markup with special tokens recognised and content without, so a diff
        that contains text such as ``<|im_end|>`` cannot close the turn (prompt injection).
        When the template transforms the content beyond recognition, the whole prompt comes back
        as one markup segment (the behaviour of ``render``). Raises TemplateError like ``render``.
        """
        marks = [f"\x00reviewbot-content-{i}\x00" for i in range(len(messages))]
        stand_ins = [Message(m.role, mark) for m, mark in zip(messages, marks, strict=True)]
        skeleton = self.render(stand_ins, add_generation_prompt)
        pieces = re.split("\x00reviewbot-content-(\\d+)\x00", skeleton)
        found = [int(n) for n in pieces[1::2]]
        if sorted(found) != list(range(len(messages))):
            return [Segment(self.render(messages, add_generation_prompt), markup=True)]
        segments = [Segment(pieces[0], markup=True)]
        for number, markup in zip(found, pieces[2::2], strict=True):
            segments += [Segment(messages[number].content, markup=False), Segment(markup, True)]
        return [s for s in segments if s.text]

    def _error(self, problem: str) -> TemplateError:
        return TemplateError(
            f"chat template from {self.source} {problem}; fix the template or set chat_template "
            "in the config to one that works"
        )


def special_tokens(model_dir: Path) -> tuple[str, str]:
    """(bos, eos) token text of a Hugging Face model directory; "" where it has none.

    Raises TemplateError for an unreadable or malformed tokenizer_config.json.
    """
    return _special_tokens(_read_tokenizer_config(model_dir))


def _special_tokens(config: dict[str, Any]) -> tuple[str, str]:
    return _token_text(config.get("bos_token")), _token_text(config.get("eos_token"))


def _read_tokenizer_config(model_dir: Path) -> dict[str, Any]:
    path = model_dir / "tokenizer_config.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TemplateError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise TemplateError(f"{path} is not a JSON object")
    return data


def _token_text(value: object) -> str:
    # transformers writes special tokens as "text" or as {"content": "text", ...} (AddedToken)
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return str(value["content"])
    return ""


def _pick_template(value: object, source: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        named = {t.get("name"): t.get("template") for t in value if isinstance(t, dict)}
        chosen = named.get("default")
        if isinstance(chosen, str):
            return chosen
        names = ", ".join(sorted(str(n) for n in named))
        raise TemplateError(f"{source} lists chat templates [{names}] but none named 'default'")
    raise TemplateError(f"{source}: chat_template is a {type(value).__name__}, not text")
