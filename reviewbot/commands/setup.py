"""What every command does first: find the repository and load the configuration once."""

from __future__ import annotations

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
