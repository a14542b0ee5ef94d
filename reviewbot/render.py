"""Prompt templates (Jinja2, StrictUndefined) -> the system and user messages of a review.

Templates are looked up by name in several folders, first match wins, so an override folder may
replace a single template (or a partial) and inherit the rest; the search path and the template
digest come from ``reviewbot.prompt_files``, which the result cache shares without Jinja2.

The system message holds everything shared between chunks (role, rules, line-number convention,
answer shape, the project's own rules); the user message holds a fixed framing line and then the
chunk's diff, last, so engines with prefix caching reuse everything before it.

Templates run in Jinja2's sandbox: a repository's override templates are untrusted input (a pull
request may change them), and the sandbox keeps them from reaching Python internals.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from reviewbot.config import Config
from reviewbot.diff_text import format_file_diff
from reviewbot.errors import TemplateError
from reviewbot.prompt_files import (
    REPO_PROMPT_DIR,
    SYSTEM_TEMPLATE,
    USER_TEMPLATE,
    default_prompt_dir,
    prompt_dirs,
    template_digest,
)
from reviewbot.types import Category, FileDiff, Message, Severity

# REPO_PROMPT_DIR and default_prompt_dir live in prompt_files; re-exported for the callers that
# import them from here (github/trust.py, tests).
__all__ = ["CATEGORIES", "REPO_PROMPT_DIR", "FileView", "PromptRenderer", "default_prompt_dir"]

# The categories the model may use: the findings schema's own list (one source of truth).
CATEGORIES: tuple[str, ...] = tuple(c.value for c in Category)


@dataclass(frozen=True)
class FileView:
    """What ``review_user.j2`` gets per file: the path and its line-numbered diff text."""

    path: str
    text: str


class PromptRenderer:
    """Renders review messages from the templates found in ``search_dirs`` (first match wins)."""

    def __init__(self, search_dirs: Sequence[Path]) -> None:
        self.search_dirs = tuple(search_dirs)
        self._env = ImmutableSandboxedEnvironment(
            loader=jinja2.FileSystemLoader([str(d) for d in self.search_dirs]),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
        )
        self._system_cache: dict[tuple[str, str | None], str] = {}

    @classmethod
    def for_repo(cls, repo: Path | None, config: Config) -> PromptRenderer:
        """Search order: ``repo/.reviewbot/prompts`` (if present), ``config.prompt_dir``, defaults
        (``prompt_files.prompt_dirs``).

        Raises ConfigError when ``config.prompt_dir`` is set but is not a directory.
        """
        return cls(prompt_dirs(repo, config))

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
        """sha256 hex of every file visible through the search path (names and the bytes that
        win), so a cache keyed on it changes when any template, override or included file
        changes (``prompt_files.template_digest``)."""
        return template_digest(self.search_dirs)

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
