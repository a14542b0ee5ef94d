"""Prompt templates (Jinja2, StrictUndefined) -> the system and user messages of a review.

Templates are looked up by name in several folders, first match wins, so an override folder may
replace a single template (or a partial) and inherit the rest:

1. ``.reviewbot/prompts/`` in the reviewed repository,
2. ``config.prompt_dir``,
3. the defaults shipped with reviewbot (``default_prompt_dir()``).

The system message holds everything shared between chunks (role, rules, line-number convention,
answer shape, the project's own rules); the user message holds a fixed framing line and then the
chunk's diff, last, so engines with prefix caching reuse everything before it.

Templates run in Jinja2's sandbox: a repository's override templates are untrusted input (a pull
request may change them), and the sandbox keeps them from reaching Python internals.
"""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

import reviewbot
from reviewbot.config import Config
from reviewbot.diff_text import format_file_diff
from reviewbot.errors import ConfigError, TemplateError
from reviewbot.types import Category, FileDiff, Message, Severity

SYSTEM_TEMPLATE = "review_system.j2"
USER_TEMPLATE = "review_user.j2"
REPO_PROMPT_DIR = Path(".reviewbot") / "prompts"

# The categories the model may use: the findings schema's own list (one source of truth).
CATEGORIES: tuple[str, ...] = tuple(c.value for c in Category)


@dataclass(frozen=True)
class FileView:
    """What ``review_user.j2`` gets per file: the path and its line-numbered diff text."""

    path: str
    text: str


def default_prompt_dir() -> Path:
    """The shipped templates: ``reviewbot/prompts`` inside a wheel, ``prompts/`` in a checkout.

    pyproject.toml force-includes the top-level ``prompts/`` folder at ``reviewbot/prompts`` in
    the wheel; an editable install reads the source tree's folder instead.
    Raises TemplateError when neither exists (a broken installation).
    """
    package_dir = Path(reviewbot.__file__).resolve().parent
    for candidate in (package_dir / "prompts", package_dir.parent / "prompts"):
        if (candidate / SYSTEM_TEMPLATE).is_file():
            return candidate
    raise TemplateError(
        f"default prompt templates not found in {package_dir / 'prompts'} or "
        f"{package_dir.parent / 'prompts'}; reinstall reviewbot"
    )


class PromptRenderer:
    """Renders review messages from the templates found in ``search_dirs`` (first match wins)."""

    def __init__(self, search_dirs: Sequence[Path]) -> None:
        self.search_dirs = tuple(search_dirs)
        self._loader = jinja2.FileSystemLoader([str(d) for d in self.search_dirs])
        self._env = ImmutableSandboxedEnvironment(
            loader=self._loader,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
        )
        self._system_cache: dict[tuple[str, str | None], str] = {}

    @classmethod
    def for_repo(cls, repo: Path | None, config: Config) -> PromptRenderer:
        """Search order: ``repo/.reviewbot/prompts`` (if present), ``config.prompt_dir``, defaults.

        Raises ConfigError when ``config.prompt_dir`` is set but is not a directory.
        """
        dirs: list[Path] = []
        if repo is not None and (repo / REPO_PROMPT_DIR).is_dir():
            dirs.append(repo / REPO_PROMPT_DIR)
        if config.prompt_dir is not None:
            if not config.prompt_dir.is_dir():
                raise ConfigError(
                    f"prompt_dir {str(config.prompt_dir)!r} (from {config.source}) is not a "
                    "directory; create it or remove the setting to use the default templates"
                )
            dirs.append(config.prompt_dir)
        dirs.append(default_prompt_dir())
        return cls(dirs)

    def system_text(self, *, instructions: str, schema_hint: str | None) -> str:
        """The shared system message; identical for every chunk of a run (cached)."""
        key = (instructions, schema_hint)
        if key not in self._system_cache:
            self._system_cache[key] = self._render(
                SYSTEM_TEMPLATE,
                instructions=instructions.strip(),
                schema_hint=schema_hint,
                severities=[s.value for s in Severity],
                categories=list(CATEGORIES),
            )
        return self._system_cache[key]

    def user_text(self, files: Sequence[FileDiff]) -> str:
        """The per-chunk user message: framing, then each file's diff (only its own hunks)."""
        views = [FileView(path=f.path, text=format_file_diff(f)) for f in files]
        return self._render(USER_TEMPLATE, files=views)

    def messages(
        self, files: Sequence[FileDiff], *, instructions: str, schema_hint: str | None
    ) -> tuple[Message, Message]:
        """(system, user) messages for one chunk. Raises TemplateError."""
        system = self.system_text(instructions=instructions, schema_hint=schema_hint)
        return Message("system", system), Message("user", self.user_text(files))

    def overhead_text(self, *, instructions: str, schema_hint: str | None) -> str:
        """System text plus the user framing without any diff, for the caller to count as
        ``prompt_overhead`` in ``budget.make_chunks`` with the backend's tokenizer."""
        system = self.system_text(instructions=instructions, schema_hint=schema_hint)
        return system + "\n" + self._render(USER_TEMPLATE, files=[])

    def render(self, template: str, /, **variables: object) -> str:
        """Render ``template`` (a name such as ``audit_user.j2``) from the search path, with the
        same sandbox, strictness and error messages as the review templates.
        Raises TemplateError."""
        return self._render(template, **variables)

    def template_digest(self) -> str:
        """sha256 hex of every ``*.j2`` template visible through the search path (names and the
        text that wins), so a cache keyed on it changes when any template or override changes."""
        digest = hashlib.sha256()
        for name in sorted(self._loader.list_templates()):
            if not name.endswith(".j2"):
                continue
            source, _, _ = self._loader.get_source(self._env, name)
            digest.update(name.encode() + b"\0" + source.encode() + b"\0")
        return digest.hexdigest()

    def _render(self, name: str, **variables: object) -> str:
        try:
            text = self._env.get_template(name).render(**variables)
        except jinja2.TemplateNotFound as exc:
            where = _template_location(exc, name)
            dirs = ", ".join(str(d) for d in self.search_dirs)
            raise TemplateError(
                f"{where}: prompt template {exc.name!r} not found in: {dirs}; "
                "restore it or remove the override folder"
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            where = f"{exc.filename or exc.name or name}:{exc.lineno}"
            raise TemplateError(
                f"{where}: syntax error in prompt template: {exc.message}"
            ) from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(
                f"{_template_location(exc, name)}: undefined variable in prompt template: "
                f"{exc.message}; available variables: {_names(variables)}"
            ) from None
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError) as exc:
            raise TemplateError(
                f"{_template_location(exc, name)}: prompt template failed: {exc}"
            ) from None
        return text.strip("\n").replace("\r", "")


def _template_location(exc: BaseException, fallback: str) -> str:
    """``file:line`` of the innermost template frame; Jinja2 rewrites tracebacks so template
    frames carry the template's file name and line."""
    location = fallback
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2"):
            location = f"{frame.filename}:{frame.lineno}"
    return location


def _names(variables: Mapping[str, object]) -> str:
    return ", ".join(sorted(variables))
