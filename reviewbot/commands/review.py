"""``reviewbot review``: staged changes (default), a commit range or a patch file -> reporters."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from reviewbot import git
from reviewbot.commands.output import check_output, exit_code, write_report
from reviewbot.commands.setup import load_for, repo_relative
from reviewbot.config import Config
from reviewbot.diff import parse_diff
from reviewbot.errors import ConfigError, GitError
from reviewbot.types import FileDiff, Review, Skipped
from reviewbot.unparsed import with_unparsed


def read_diff(
    repo: Path | None,
    *,
    rev_range: str | None,
    diff_file: str | None,
    paths: Sequence[str],
    stdin: BinaryIO,
) -> bytes:
    """The diff bytes to review: a patch file (``-`` = stdin), a range, or the staged changes.

    Raises GitError outside a repository (except for patch files), ConfigError for an
    unreadable patch file.
    """
    if diff_file == "-":
        return stdin.read()
    if diff_file is not None:
        try:
            return Path(diff_file).read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read the patch file {diff_file}: {exc.strerror}") from exc
    if repo is None:
        raise GitError(
            "not inside a git repository: run reviewbot in one, "
            "or give a patch with --diff FILE (or --diff - for stdin)"
        )
    if rev_range is not None:
        return git.range_diff(repo, rev_range, paths)
    return git.staged_diff(repo, paths)


def restrict(files: Sequence[FileDiff], paths: Sequence[str]) -> list[FileDiff]:
    """Keep files equal to, or under, one of ``paths`` (repository-relative)."""
    kept = set(restrict_paths([f.path for f in files], paths))
    return [f for f in files if f.path in kept]


def restrict_paths(changed: Sequence[str], paths: Sequence[str]) -> list[str]:
    """The paths of ``changed`` equal to, or under, one of ``paths``; all when none given."""
    if not paths:
        return list(changed)
    prefixes = [p.rstrip("/") for p in paths if p.rstrip("/") not in ("", ".")]
    if len(prefixes) < len(paths):  # "." or the repository root: everything
        return list(changed)
    return [c for c in changed if any(c == p or c.startswith(p + "/") for p in prefixes)]


def review_files(
    files: Sequence[FileDiff],
    skipped: Sequence[Skipped],
    config: Config,
    repo: Path | None,
) -> Review:
    """Review parsed files with the configured backend and the repository's prompts."""
    from reviewbot import pipeline
    from reviewbot.backends import create_backend
    from reviewbot.render import PromptRenderer

    backend = create_backend(config)
    renderer = PromptRenderer.for_repo(repo, config)
    return pipeline.review(files, backend, config, renderer, skipped=skipped)


def run_cli(
    *,
    cwd: Path,
    flags: Mapping[str, object],
    environ: Mapping[str, str],
    rev_range: str | None,
    diff_file: str | None,
    paths: Sequence[str],
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    config, repo = load_for(cwd, flags, environ, stderr=stderr)
    check_output(config.output)  # before the model runs, not after
    rel_paths = [repo_relative(cwd, repo, p) for p in paths]
    data = read_diff(
        repo,
        rev_range=rev_range,
        diff_file=diff_file,
        paths=rel_paths,
        stdin=stdin if stdin is not None else sys.stdin.buffer,
    )
    err = stderr if stderr is not None else sys.stderr
    files, unparsed = parse_diff(data) if data.strip() else ([], [])
    files = restrict(files, rel_paths)
    # Like the files: an unparsable file the path arguments leave out is none of this review's.
    named = set(restrict_paths([s.path for s in unparsed], rel_paths))
    unparsed = [s for s in unparsed if s.path in named]
    _warn_unmatched(rel_paths, [*(f.path for f in files), *(s.path for s in unparsed)], err)
    if not files and not unparsed:
        what = rev_range or diff_file or "the staged changes"
        print(f"reviewbot: nothing to review: {what}: no changes", file=err)
        if config.output is not None or config.format != "terminal":
            # an empty report, so CI never picks up a stale one or finds no file
            write_report(Review(), config, stdout=stdout, environ=environ)
        return 0
    result = with_unparsed(review_files(files, unparsed, config, repo), unparsed)
    write_report(result, config, files=files, stdout=stdout, environ=environ)
    return exit_code(result, config.fail_on)


def _warn_unmatched(paths: Sequence[str], changed: Sequence[str], err: TextIO) -> None:
    """One warning per path argument that names no changed file (paths are literal)."""
    for path in paths:
        if not restrict_paths(changed, [path]):
            print(
                f"reviewbot: warning: no changes under {path!r} (paths are literal, not "
                "patterns: use include/exclude globs in the configuration to filter by pattern)",
                file=err,
            )
