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
    """sha256 hex over every file visible through ``search_dirs``: its ``/``-separated name
    and the bytes of the first directory that has it, so it changes when any template, override
    or file a template includes (``{% include "rules.md" %}``, any suffix) changes.

    Directory links are followed, as Jinja2's ``FileSystemLoader`` follows them when it opens a
    template by name (each real directory is walked once, so a link loop ends). A file that
    cannot be read (a dangling link, no permission) counts by its name and the error, so the
    digest neither fails nor ignores it: rendering reports it if a template uses it.
    """
    winners: dict[str, Path] = {}
    for directory in search_dirs:
        for name, full in _files(directory):
            winners.setdefault(name, full)
    digest = hashlib.sha256()
    for name in sorted(winners):
        try:
            content = winners[name].read_bytes()
        except OSError as exc:
            content = f"unreadable: {exc.strerror or exc}".encode()
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()


def _files(directory: Path) -> list[tuple[str, Path]]:
    """(name relative to ``directory``, path) of every file below it, following directory
    links; each real directory once. A folder that cannot be listed is one entry (its name
    with a trailing ``/``), so ``template_digest`` counts it as unreadable."""
    found: list[tuple[str, Path]] = []
    seen: set[str] = set()

    def unreadable(exc: OSError) -> None:  # a folder that cannot be listed counts as a file
        if exc.filename is not None:
            found.append(
                (Path(exc.filename).relative_to(directory).as_posix() + "/", Path(exc.filename))
            )

    for dirpath, dirnames, filenames in os.walk(directory, onerror=unreadable, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames.clear()
            continue
        seen.add(real)
        for filename in filenames:
            full = Path(dirpath) / filename
            found.append((full.relative_to(directory).as_posix(), full))
    return found
