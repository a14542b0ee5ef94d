"""Configuration and prompt overrides from the pull request's BASE commit, never its head.

A pull request (above all one from a fork) could otherwise change the bot's own settings or
prompts: e.g. point ``base_url`` at a server of its choosing, or tell the model to approve. So
``.reviewbot.toml``, ``pyproject.toml`` and ``.reviewbot/prompts/`` are read from the base commit
(``git cat-file`` locally, the contents API otherwise) into a temporary directory, and the
configuration is loaded from there. Nothing from the pull request is executed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from reviewbot import git
from reviewbot.config import Config
from reviewbot.config_load import load_config
from reviewbot.errors import GitError
from reviewbot.github.client import GitHubClient
from reviewbot.render import REPO_PROMPT_DIR

CONFIG_FILES = (".reviewbot.toml", "pyproject.toml")
ReadFile = Callable[[str], "bytes | None"]
ListDir = Callable[[str], "list[str]"]


def local_reader(repo: Path, rev: str) -> tuple[ReadFile, ListDir]:
    """Readers of files and directory listings at ``rev`` in the local repository."""

    def read(path: str) -> bytes | None:
        try:
            return git.show_blob(repo, rev, path)
        except GitError:
            return None

    def listing(path: str) -> list[str]:
        return git.ls_tree(repo, rev, path) or []  # None: no such directory at rev

    return read, listing


def api_reader(client: GitHubClient, rev: str) -> tuple[ReadFile, ListDir]:
    """Readers of files and directory listings at ``rev`` through the contents API."""
    return (lambda path: client.file_bytes(path, rev)), (lambda path: client.dir_files(path, rev))


def materialize(read: ReadFile, listing: ListDir, into: Path) -> list[str]:
    """Copy the config files and prompt overrides into ``into``; the paths written."""
    written = []
    names = [*CONFIG_FILES, *listing(REPO_PROMPT_DIR.as_posix())]
    for name in names:
        data = read(name)
        if data is None:
            continue
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(name)
    return written


def base_config(
    read: ReadFile,
    listing: ListDir,
    root: Path,
    *,
    environ: Mapping[str, str],
    flags: Mapping[str, object],
    cwd: Path | None = None,
) -> tuple[Config, list[str]]:
    """(Config, warnings), from the base commit's files copied into ``root`` (an empty
    directory the caller owns; pass it to ``PromptRenderer.for_repo`` as the repository).

    cwd: base of relative paths given by the environment and flags.
    Raises ConfigError on a bad value in the base branch's configuration.
    """
    materialize(read, listing, root)
    config, warnings = load_config(root, environ=environ, flags=flags, cwd=cwd)
    if config.prompt_dir is not None and config.prompt_dir.is_relative_to(root):
        # a prompt_dir inside the repository: take it from the base commit as well
        relative = config.prompt_dir.relative_to(root).as_posix()
        for name in listing(relative):
            data = read(name)
            if data is not None:
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_bytes(data)
    return config, warnings
