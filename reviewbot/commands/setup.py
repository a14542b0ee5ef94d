"""What every command does first: find the repository and load the configuration once."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from reviewbot.config import Config
from reviewbot.config_load import load_config
from reviewbot.errors import GitError
from reviewbot.git import repo_root


def find_repo(cwd: Path) -> Path | None:
    """The git work tree containing ``cwd``, or None outside git."""
    try:
        return repo_root(cwd)
    except GitError:
        return None


def repo_relative(cwd: Path, repo: Path | None, path: str) -> str:
    """A path from the command line (relative to ``cwd``, or absolute) as a repository-relative
    ``/`` path; as given outside ``repo`` (git then names the problem). Symbolic links are not
    followed: a link in the repository is a file of its own, not its target."""
    if repo is None:
        return Path(path).as_posix()
    absolute = Path(os.path.abspath(cwd / path))
    try:
        return absolute.relative_to(repo).as_posix()
    except ValueError:
        return Path(path).as_posix()


def show_log(stream: TextIO) -> None:
    """Library warnings (``logging``) as ``reviewbot: warning: ...`` lines on ``stream``, like
    every other message; INFO and DEBUG stay quiet. Does nothing if logging is already set up
    (an embedding program, or pytest's capture)."""
    import logging

    for level in (logging.WARNING, logging.ERROR, logging.CRITICAL):
        logging.addLevelName(level, logging.getLevelName(level).lower())
    logging.basicConfig(
        stream=stream, level=logging.WARNING, format="reviewbot: %(levelname)s: %(message)s"
    )


def load_for(
    cwd: Path,
    flags: Mapping[str, object],
    environ: Mapping[str, str],
    *,
    stderr: TextIO | None = None,
) -> tuple[Config, Path | None]:
    """Load the Config for the repository at ``cwd``; warnings go to stderr.

    Raises ConfigError on a bad value.
    """
    err = stderr if stderr is not None else sys.stderr
    show_log(err)
    repo = find_repo(cwd)
    config, warnings = load_config(repo, environ=environ, flags=flags)
    for warning in warnings:
        print(f"reviewbot: warning: {warning}", file=err)
    return config, repo
