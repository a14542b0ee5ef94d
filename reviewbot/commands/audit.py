"""``reviewbot audit``: every file of a repository, unit by unit, resumable and shardable; and
``reviewbot report merge``: the JSON reports of several shards -> one report.

The audit's state (one row per audited unit) lives in its own SQLite file, by default one per
repository whatever ``--output`` says (``progress.default_path``: inside ``.git``, or the user's
cache directory outside git); running the same command again only sends the units that have no
answer there yet; a second run on the same state file waits for the first (``audit.lock``).
An audit with a unit that failed, was cut off or did not fit exits 1.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from reviewbot.audit.html import HtmlReporter
from reviewbot.audit.lock import state_lock
from reviewbot.audit.merge import merge_reviews, read_report
from reviewbot.audit.outcome import assemble, at_least
from reviewbot.audit.plan import Job, Planner, Shard, audit_settings
from reviewbot.audit.progress import ProgressStore, default_path
from reviewbot.audit.record import KEY, AuditRecord, check_shards, plan_digest
from reviewbot.audit.select import Selection, list_paths, select_files, whole_file_diff
from reviewbot.audit.units import MAX_UNIT_LINES
from reviewbot.backends.base import Backend
from reviewbot.commands.output import (
    check_output,
    exit_code,
    new_side_lines,
    write_output,
    write_report,
)
from reviewbot.commands.setup import load_for
from reviewbot.config import Config
from reviewbot.errors import ConfigError
from reviewbot.render import PromptRenderer
from reviewbot.reporters import OriginalLines
from reviewbot.reporters.base import count
from reviewbot.reporters.json_report import JsonReporter
from reviewbot.types import FileDiff, Review, Severity

HTML = "html"  # handled here: Config.format does not list it (yet)


@dataclass(frozen=True)
class AuditOptions:
    """paths: repository-relative files or directories (empty: everything). concurrency:
    requests in flight per endpoint (HTTP) or batch size (in-process engines). base_urls: more
    endpoints of the same model for the openai backend. report_format: ``"html"`` or None for
    ``config.format``."""

    paths: tuple[str, ...] = ()
    shard: Shard | None = None
    concurrency: int = 4
    state: Path | None = None
    min_severity: Severity | None = None
    report_format: str | None = None
    base_urls: tuple[str, ...] = ()
    max_unit_lines: int = MAX_UNIT_LINES


def run_cli(
    *,
    cwd: Path,
    flags: Mapping[str, object],
    environ: Mapping[str, str],
    options: AuditOptions,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    from reviewbot.backends import create_backend

    err = stderr if stderr is not None else sys.stderr
    if options.concurrency < 1:
        raise ConfigError(f"--concurrency {options.concurrency} must be at least 1")
    config, repo = load_for(cwd, flags, environ, stderr=err)
    check_output(config.output)  # before the model runs: an audit can take hours
    if options.base_urls and config.backend != "openai":
        raise ConfigError("--also-base-url works with the openai backend only")
    urls = [config.base_url, *options.base_urls] if config.backend == "openai" else [None]
    backends = [create_backend(replace(config, base_url=u) if u else config) for u in urls]
    review, selection = audit(config, cwd, repo, backends, options, stderr=err)
    files = [whole_file_diff(source) for source in selection.files]
    shown = at_least(review, options.min_severity)
    record = AuditRecord(_digest(config, repo, backends[0], options), options.shard)
    report(shown, config, options, files=files, stdout=stdout, environ=environ, record=record)
    return exit_code(shown, config.fail_on)  # 1 on any error: a unit failed, cut off, not sent


def _digest(config: Config, repo: Path | None, backend: Backend, options: AuditOptions) -> str:
    renderer = PromptRenderer.for_repo(repo, config)
    settings = audit_settings(config, renderer.template_digest())
    window = config.context_window or backend.context_window
    return plan_digest(settings, window, options.max_unit_lines)


def audit(
    config: Config,
    cwd: Path,
    repo: Path | None,
    backends: Sequence[Backend],
    options: AuditOptions,
    *,
    stderr: TextIO,
) -> tuple[Review, Selection]:
    """Select, plan, send what is not done yet, and build the review from the state file.

    Raises BackendUnavailable when the engine cannot be used (answers so far are kept),
    ConfigError / GitError / ProgressError for bad options (a path matching no file, a context
    window with no room for code), git failures, a bad state file.
    """
    root = repo if repo is not None else cwd
    state = options.state or default_path(root, repo)
    names = list_paths(root, repo, [_relative(cwd, root, p) for p in options.paths])
    names = _without_state(names, root, state)
    selection = select_files(root, names, config)
    if not selection.files:
        print("reviewbot: audit: no files to audit", file=stderr)
        return assemble([], {}, selection.skipped), selection
    window = config.context_window or backends[0].context_window
    renderer = PromptRenderer.for_repo(repo, config)
    planner = Planner(
        renderer, config, backends[0].count_tokens, window, max_unit_lines=options.max_unit_lines
    )
    plan = planner.plan(selection)
    jobs = [job for job in plan.jobs if options.shard is None or options.shard.holds(job.key)]
    skipped = (*selection.skipped, *plan.skipped)
    # One run at a time per state file; a second waits, then finds the first one's answers.
    with state_lock(state, stderr), ProgressStore(state) as store:
        done = store.done_keys()
        todo = list({job.key: job for job in jobs if job.key not in done}.values())
        _announce(selection, jobs, todo, options, stderr)
        _send(todo, backends, store, options, config, stderr, total=len({j.key for j in jobs}))
        review = assemble(jobs, store.results(job.key for job in jobs), skipped)
    _summarize(review, stderr)
    return review, selection


def _without_state(names: list[str], root: Path, state: Path) -> list[str]:
    """``names`` less the state file, its lock and its journals, if they lie in the audited tree."""
    try:
        own = state.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return names
    own_files = {own, f"{own}.lock", f"{own}-wal", f"{own}-shm", f"{own}-journal"}
    return [n for n in names if n not in own_files]


def _summarize(review: Review, err: TextIO) -> None:
    """Say on stderr when the report is incomplete, so no one reads it as a clean audit."""
    if not review.errors:
        return
    cut = review.stats.truncated_outputs
    print(
        f"reviewbot: audit: {len(review.errors)} of {count(review.stats.calls, 'unit')} not "
        f"fully audited ({cut} cut off at max_new_tokens); they are listed as errors in the "
        "report, and failed units are sent again on the next run",
        file=err,
    )


def _send(
    todo: list[Job],
    backends: Sequence[Backend],
    store: ProgressStore,
    options: AuditOptions,
    config: Config,
    stderr: TextIO,
    *,
    total: int,
) -> None:
    from reviewbot.audit.meter import Meter
    from reviewbot.audit.progress import UnitResult
    from reviewbot.audit.runner import run_jobs

    meter = Meter(total, total - len(todo), 0, stderr, tty=stderr.isatty())

    def record(result: UnitResult) -> None:
        store.put(result)
        meter.advance(len(result.findings))

    try:
        run_jobs(
            todo,
            backends,
            record,
            concurrency=options.concurrency,
            concurrent=config.backend == "openai",
        )
    finally:
        meter.close()


def _announce(
    selection: Selection, jobs: list[Job], todo: list[Job], options: AuditOptions, err: TextIO
) -> None:
    share = f" (shard {options.shard.index}/{options.shard.count})" if options.shard else ""
    print(
        f"reviewbot: audit: {count(len(selection.files), 'file')} "
        f"({len(selection.skipped)} skipped), {count(len(jobs), 'unit')}{share}: "
        f"{len(jobs) - len(todo)} done before, {len(todo)} to send",
        file=err,
    )


def _relative(cwd: Path, root: Path, path: str) -> str:
    absolute = (cwd / path).resolve()
    try:
        return absolute.relative_to(root.resolve()).as_posix()
    except ValueError:
        raise ConfigError(f"cannot audit {path}: it is outside {root}") from None


def report(
    review: Review,
    config: Config,
    options: AuditOptions,
    *,
    files: Sequence[FileDiff] = (),
    lines: OriginalLines | None = None,
    stdout: TextIO | None = None,
    environ: Mapping[str, str],
    record: AuditRecord | None = None,
) -> None:
    """Write ``review`` as HTML (``options.report_format``) or in ``config.format``; a JSON
    report carries ``record`` (``reviewbot.audit.record``) when given.

    files: the audited files (whole), for the excerpts; lines: another way to look lines up.
    Raises ConfigError when the output file cannot be written.
    """
    if options.report_format == HTML:
        lookup = lines if lines is not None else new_side_lines(files)
        write_output(
            config, stdout, lambda out: HtmlReporter(out, original_lines=lookup).report(review)
        )
    elif config.format == "json" and record is not None:
        extra = {KEY: record.to_dict()}
        write_output(config, stdout, lambda out: JsonReporter(out, extra=extra).report(review))
    else:
        write_report(review, config, files=files, stdout=stdout, environ=environ)


def merge_cli(
    *,
    cwd: Path,
    flags: Mapping[str, object],
    environ: Mapping[str, str],
    files: Sequence[Path],
    options: AuditOptions,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """``reviewbot report merge FILE...``: excerpts are read from the current work tree.

    Raises ConfigError when two files hold the same shard or come from different audits; a
    missing shard is a warning and an error in the merged report (exit 1).
    """
    err = stderr if stderr is not None else sys.stderr
    config, repo = load_for(cwd, flags, environ, stderr=err)
    reports = [(cwd / f, *read_report(cwd / f)) for f in files]
    record, warnings, missing = check_shards([(path, rec) for path, _, rec in reports])
    for warning in warnings:
        print(f"reviewbot: warning: {warning}", file=err)
    review = merge_reviews([review for _, review, _ in reports])
    review = replace(review, errors=(*missing, *review.errors))
    lines = work_tree_lines(repo if repo is not None else cwd)
    shown = at_least(review, options.min_severity)
    report(shown, config, options, lines=lines, stdout=stdout, environ=environ, record=record)
    return exit_code(shown, config.fail_on)


def work_tree_lines(root: Path) -> OriginalLines:
    """Look up lines of files under ``root`` as they are now (None when a file or line is gone)."""
    cache: dict[str, list[str] | None] = {}

    def lookup(path: str, start: int, end: int) -> list[str] | None:
        if path not in cache:
            try:
                text = (root / path).read_text(encoding="utf-8", errors="replace")
                cache[path] = text.replace("\r\n", "\n").split("\n")
            except OSError:
                cache[path] = None
        lines = cache[path]
        if lines is None or start < 1 or end > len(lines):
            return None
        return lines[start - 1 : end]

    return lookup
