"""Where the prompt templates are read from, and a digest of the ones in use, without Jinja2.

Templates are looked up by name in several folders, first match wins, so an override folder may
replace a single template (or a partial) and inherit the rest:

1. ``.reviewbot/prompts/`` in the reviewed repository,
2. ``config.prompt_dir``,
3. the defaults shipped with reviewbot (``default_prompt_dir()``).

``reviewbot.render.PromptRenderer`` renders from this search path; the result cache keys on
``template_digest`` of it. Both come from here so that the hook's cache-hit path, which must not
import a template engine, hashes exactly the templates a review would render.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import reviewbot
from reviewbot.config import Config
from reviewbot.errors import ConfigError, TemplateError

SYSTEM_TEMPLATE = "review_system.j2"
USER_TEMPLATE = "review_user.j2"
REPO_PROMPT_DIR = Path(".reviewbot") / "prompts"
TEMPLATE_SUFFIX = ".j2"


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


def prompt_dirs(repo: Path | None, config: Config) -> list[Path]:
    """The search path, first match wins: ``repo/.reviewbot/prompts`` (if present),
    ``config.prompt_dir`` (if set), ``default_prompt_dir()``.

    Raises ConfigError when ``config.prompt_dir`` is set but is not a directory, TemplateError
    when the shipped templates are missing.
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
    return dirs


def template_digest(search_dirs: Sequence[Path]) -> str:
    """sha256 hex over every ``*.j2`` template visible through ``search_dirs``: its
    ``/``-separated name and the text of the first directory that has it, so it changes when any
    template or override changes. Names and texts are those Jinja2's ``FileSystemLoader`` sees
    (``os.walk`` without following links; universal newlines)."""
    winners: dict[str, Path] = {}
    for directory in search_dirs:
        for dirpath, _dirnames, filenames in os.walk(directory):
            for filename in filenames:
                full = Path(dirpath) / filename
                winners.setdefault(full.relative_to(directory).as_posix(), full)
    digest = hashlib.sha256()
    for name in sorted(winners):
        if name.endswith(TEMPLATE_SUFFIX):
            source = winners[name].read_text(encoding="utf-8")
            digest.update(name.encode() + b"\0" + source.encode() + b"\0")
    return digest.hexdigest()
