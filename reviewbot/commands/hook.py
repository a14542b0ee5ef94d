"""``reviewbot hook``: the pre-commit / pre-push entry point.

Staged mode (default): review the staged diff (``git diff --cached``) of exactly the files given
(pre-commit passes the staged file names; none given means every staged file). Range mode
(``--from-ref A --to-ref B``, or pre-commit's ``PRE_COMMIT_FROM_REF`` / ``PRE_COMMIT_TO_REF``):
review what ``A...B`` introduces, as a push does.

A slow or flaky hook gets skipped with ``--no-verify``, so this one is built to stay out of the
way: files that cannot be reviewed (lockfiles, vendored and generated files, excluded paths) are
recognised by name before anything heavy is imported; results come from the cache when the
content was reviewed before; the model phase runs under ``config.deadline`` (seconds, total);
an unreachable model warns in one line and passes, unless ``on_unavailable = "fail"``.

Exit: 0 pass; 1 a finding at or above ``fail_on`` (default: never), or no review with
``on_unavailable = "fail"``; 2 (raised, for the CLI) the hook cannot run: bad configuration,
git errors, an ``output`` file it cannot write (checked before the model runs).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from reviewbot.cache_settings import review_settings
from reviewbot.color import use_color
from reviewbot.commands import hook_replay
from reviewbot.commands.hook_gate import plural, say
from reviewbot.commands.hook_replay import Replay, replay_key
from reviewbot.config import Config
from reviewbot.error_handler import EXIT_FAIL, EXIT_OK
from reviewbot.errors import BackendTimeout, BackendUnavailable, ConfigError, GitError
from reviewbot.path_filter import path_skipper
from reviewbot.store import Store, StoreError

if TYPE_CHECKING:
    from reviewbot.cache import ResultCache
    from reviewbot.types import FileDiff, Review, Skipped

AUDIT_HINT = "to review whole files, run `reviewbot audit`"


@dataclass(frozen=True)
class Target:
    """What to review: the staged changes, or the range ``from_ref...to_ref`` (both set)."""

    paths: tuple[str, ...]
    from_ref: str | None = None
    to_ref: str | None = None

    @property
    def action(self) -> str:
        return "commit" if self.from_ref is None else "push"


def target_from(
    paths: Sequence[str], from_ref: str | None, to_ref: str | None, environ: Mapping[str, str]
) -> Target:
    """The Target from the flags, else from pre-commit's ``PRE_COMMIT_FROM_REF/TO_REF``.

    Raises ConfigError when only one end of the range is given.
    """
    if from_ref is None and to_ref is None:
        from_ref = environ.get("PRE_COMMIT_FROM_REF") or None
        to_ref = environ.get("PRE_COMMIT_TO_REF") or None
    if (from_ref is None) != (to_ref is None):
        raise ConfigError(
            f"a range needs both ends: got from-ref {from_ref!r} and to-ref {to_ref!r}; "
            "pass both --from-ref and --to-ref, or neither to review the staged changes"
        )
    return Target(tuple(paths), from_ref, to_ref)


def push_without_range(err: TextIO) -> int:
    """A pre-push run without a range: pre-commit gives none when the pushed history is new to
    the remote (a first push). Say so and pass; never fall back to the staged changes."""
    say(
        err,
        "nothing to review: this push starts a new history on the remote, so there is no range "
        f"to review; {AUDIT_HINT}",
    )
    return EXIT_OK


def run(
    target: Target,
    *,
    cwd: Path,
    flags: Mapping[str, object],
    environ: Mapping[str, str],
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    abandon: Callable[[int], None] | None = None,
) -> int:
    """Run the hook; returns the exit code (see the module doc). The caller has run
    ``hook_gate.nothing_to_do`` first (the CLI does, before importing this module).

    abandon: called with the exit code when the deadline passed while the model was still
    working; the CLI ends the process there (``os._exit``) so no worker thread holds it open.
    Raises GitError outside a repository or for unknown refs, ConfigError for bad settings.
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    from reviewbot.commands.setup import repo_relative

    config, repo = _load(cwd, flags, environ, err)
    if config.output is not None:  # imported only then: the fast path never writes a file
        from reviewbot.commands.output import check_output

        check_output(config.output)  # before the model runs, not after
    paths = [repo_relative(cwd, repo, p) for p in target.paths]
    if paths:
        # by name alone (include/exclude, lockfiles, vendored...), before running git
        skip = path_skipper(config)
        paths = [p for p in paths if skip(p) is None]
        if not paths:
            say(err, "nothing to review (no file given is matched by include/exclude)")
            return EXIT_OK
    target = replace(target, paths=tuple(paths))
    data = _raw_diff(repo, target)
    if not data.strip():
        _diff_files(data, target, err)  # says why there is nothing to review
        return EXIT_OK
    # Decided once: the report is written to a buffer, which is no terminal.
    config = replace(config, color=use_color(config, out, environ))
    settings = review_settings(config, repo)  # a bad prompt_dir fails here, before the cache
    store = _open_store(config, err)
    key = None
    if store is not None and config.output is None:
        key = replay_key(config, settings, paths=target.paths, action=target.action, diff=data)
        replayed = hook_replay.replay(store, key, out, err)
        if replayed is not None:
            return replayed
    files, skipped = _diff_files(data, target, err)
    if files is None:
        return EXIT_OK
    from reviewbot.filters import filter_files

    kept, not_kept = filter_files(files, config)
    if not kept:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in [*skipped, *not_kept])
        say(err, f"nothing to review ({reasons or 'no files'})")
        return EXIT_OK
    cache = None if store is None else _result_cache(store, settings)
    review, from_cache = _review(files, skipped, config, target, err, abandon, cache, repo)
    if review is None:
        return _unavailable_code(config)
    from reviewbot.unparsed import with_unparsed

    review = with_unparsed(review, skipped)  # ``skipped``: the files that did not parse
    report = _render(review, config, files, environ)
    out.write(report)
    code = _exit_code(review, config, target, err)
    if key is not None and cache is not None and not review.errors:  # only complete reviews
        hit = (report, code) if from_cache else _hit_after_model(files, skipped, config, cache)
        if hit is not None:
            hook_replay.remember(cache.store, key, Replay(hit[0], hit[1], len(kept)), err)
    return code


def _render(
    review: Review, config: Config, files: Sequence[FileDiff], environ: Mapping[str, str]
) -> str:
    """The report as the hook prints it (``config.color`` decided), or "" when it goes to a
    file (``config.output``)."""
    from reviewbot.commands.output import write_report

    report = io.StringIO()
    write_report(review, config, files=files, stdout=report, environ=environ)
    return report.getvalue()


def _hit_after_model(
    files: list[FileDiff], skipped: list[Skipped], config: Config, cache: ResultCache
) -> tuple[str, int] | None:
    """(report, exit code) that a cache hit on these files will print, from the results the
    model run has just cached; None when a file's result is not cached (its chunk failed)."""
    from reviewbot.cache import review_from_cache
    from reviewbot.commands.output import reaches

    hit = review_from_cache(files, config, cache, skipped=skipped)
    if hit is None:
        return None
    code = EXIT_FAIL if reaches(hit, config.fail_on) else EXIT_OK
    return _render(hit, config, files, {}), code  # colour is decided: no environment needed


def _result_cache(store: Store, settings: str) -> ResultCache:
    from reviewbot.cache import ResultCache

    return ResultCache(store, settings)


def _load(
    cwd: Path, flags: Mapping[str, object], environ: Mapping[str, str], err: TextIO
) -> tuple[Config, Path]:
    """``setup.load_for`` less its logging set-up, which waits for the model phase: nothing
    before it logs, and importing ``logging`` would cost the cache-hit path several ms."""
    from reviewbot.commands.setup import find_repo
    from reviewbot.config_load import load_config

    repo = find_repo(cwd)
    config, warnings = load_config(repo, environ=environ, flags=flags)
    for warning in warnings:
        say(err, f"warning: {warning}")
    if repo is None:
        raise GitError("reviewbot hook must run inside a git repository (pre-commit runs it there)")
    return config, repo


def _raw_diff(repo: Path, target: Target) -> bytes:
    """The diff git gives for ``target``: the whole staged diff, or the pushed range's."""
    from reviewbot import git

    if target.from_ref is not None:
        return git.range_diff(repo, f"{target.from_ref}...{target.to_ref}", target.paths)
    # The whole index, then exactly the named files (``_diff_files``): limiting git itself to
    # the names would turn a rename into an added file (the old name is not among them).
    return git.staged_diff(repo)


def _diff_files(
    data: bytes, target: Target, err: TextIO
) -> tuple[list[FileDiff] | None, list[Skipped]]:
    """Parsed files of ``data`` (limited to ``target.paths``); None (after saying why) when
    there is nothing to review."""
    wanted = set(target.paths)
    if data.strip():
        from reviewbot.diff import parse_diff

        parsed, skipped = parse_diff(data)
        files = [f for f in parsed if not wanted or f.path in wanted]
        skipped = [s for s in skipped if not wanted or s.path in wanted]
        if files or skipped:
            return files, skipped
    if target.from_ref is not None:
        say(err, f"nothing to review: {target.from_ref}...{target.to_ref} changes no files")
    elif wanted:
        say(
            err,
            f"nothing staged in the {plural(len(wanted), 'file')} given (pre-commit run "
            f"--all-files?): the hook reviews staged changes only; {AUDIT_HINT}",
        )
    else:
        say(err, "nothing staged to review")
    return None, []


def _review(
    files: list[FileDiff],
    skipped: list[Skipped],
    config: Config,
    target: Target,
    err: TextIO,
    abandon: Callable[[int], None] | None,
    cache: ResultCache | None,
    repo: Path,
) -> tuple[Review | None, bool]:
    """(the Review, whether it came whole from the cache), from the cache or the model; (None,
    False), after one line saying why, when there is none."""
    if cache is not None:
        from reviewbot.cache import review_from_cache

        cached = review_from_cache(files, config, cache, skipped=skipped)
        if cached is not None:
            say(err, f"{plural(cache.hits, 'file')} from the cache, no model call")
            return cached, True
    from reviewbot.commands.hook_deadline import DeadlineExceeded, within_deadline
    from reviewbot.commands.setup import show_log

    show_log(err)  # backends and the pipeline warn through logging
    try:
        review = within_deadline(
            lambda: _model_review(files, skipped, config, repo, cache), config.deadline
        )
    except (BackendUnavailable, BackendTimeout) as exc:
        _no_review(err, config, target, exc)
        if isinstance(exc, DeadlineExceeded) and abandon is not None:
            abandon(_unavailable_code(config))
        return None, False
    if cache is not None and cache.problem is not None:
        say(err, f"warning: results not cached: {cache.problem}")
    return review, False


def _open_store(config: Config, err: TextIO) -> Store | None:
    """The result cache's database, or None after a one-line warning when it cannot be used."""
    try:
        return Store.in_dir(config.cache_dir)
    except StoreError as exc:
        say(err, f"warning: reviewing without the result cache: {exc}")
        return None


def _model_review(
    files: list[FileDiff],
    skipped: list[Skipped],
    config: Config,
    repo: Path,
    cache: ResultCache | None,
) -> Review:
    from reviewbot import pipeline
    from reviewbot.backends import create_backend
    from reviewbot.render import PromptRenderer

    # One attempt, each request bounded by the deadline: the watchdog is the last resort.
    bounded = replace(
        config,
        timeout=min(config.timeout, config.deadline),
        timeout_cap=min(config.timeout_cap, config.deadline),
        retries=0,
    )
    backend = create_backend(bounded)
    renderer = PromptRenderer.for_repo(repo, config)
    return pipeline.review(files, backend, bounded, renderer, skipped=skipped, cache=cache)


def _no_review(err: TextIO, config: Config, target: Target, exc: Exception) -> None:
    reason = " ".join(str(exc).split())  # one line, whatever the backend wrote
    if config.on_unavailable == "fail":
        say(
            err,
            f"error: no review, so the {target.action} is blocked (on_unavailable = "
            f'"fail"): {reason}',
        )
    else:
        say(
            err,
            f"warning: no review, the {target.action} goes ahead (set on_unavailable = "
            f'"fail" to block): {reason}',
        )


def _unavailable_code(config: Config) -> int:
    return EXIT_FAIL if config.on_unavailable == "fail" else EXIT_OK


def _exit_code(review: Review, config: Config, target: Target, err: TextIO) -> int:
    if review.errors:
        # Part or all of the answer was unusable: the same policy as no model at all.
        policy = "blocked" if config.on_unavailable == "fail" else "goes ahead"
        what = "no usable review" if review.failed else "review incomplete"
        say(err, f"{what}, the {target.action} {policy} (on_unavailable)")
        return _unavailable_code(config)
    from reviewbot.commands.output import reaches

    return EXIT_FAIL if reaches(review, config.fail_on) else EXIT_OK
