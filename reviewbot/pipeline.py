"""The review pipeline: the only place that sequences the steps.

    files ─► filter ─► budget/chunk ─► render ─► backend (batch) ─► parse output ─► anchor ─► Review

A chunk whose answer cannot be used is recorded in ``Review.errors`` (raw text kept) and the
other chunks go on; a review whose chunks all failed is never reported as "no findings".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from reviewbot.anchor import anchor_findings, merge_findings
from reviewbot.backends.base import Backend
from reviewbot.budget import make_chunks
from reviewbot.config import Config
from reviewbot.errors import OutputParseError
from reviewbot.filters import filter_files
from reviewbot.findings import cut_off, findings_json_schema, parse_output
from reviewbot.render import PromptRenderer
from reviewbot.suggestions import fit_suggestion
from reviewbot.types import (
    Chunk,
    ChunkError,
    Completion,
    FileDiff,
    Finding,
    FinishReason,
    Request,
    Review,
    Skipped,
    Stats,
)

log = logging.getLogger(__name__)


class ResultCache(Protocol):
    """Findings per file, keyed by the file's reviewed content (``reviewbot.cache``)."""

    def get(self, file: FileDiff) -> tuple[Finding, ...] | None: ...

    def put(self, file: FileDiff, findings: Sequence[Finding]) -> None: ...


@dataclass(frozen=True)
class ChunkResult:
    findings: tuple[Finding, ...]
    error: ChunkError | None
    truncated: bool
    discarded: tuple[str, ...] = ()  # "PATHS: finding N: why" for findings beyond use


def plan_requests(
    files: Sequence[FileDiff], backend: Backend, config: Config, renderer: PromptRenderer
) -> tuple[list[Chunk], list[Request], list[Skipped]]:
    """Filter, budget and render: one Request per Chunk, plus what was not reviewed and why."""
    kept, skipped = filter_files(files, config)
    chunks, requests, too_big = _plan(kept, backend, config, renderer)
    return chunks, requests, [*skipped, *too_big]


def _plan(
    kept: Sequence[FileDiff], backend: Backend, config: Config, renderer: PromptRenderer
) -> tuple[list[Chunk], list[Request], list[Skipped]]:
    """Budget and render files that passed the filters: (chunks, requests, what did not fit)."""
    if not kept:
        return [], [], []
    overhead = backend.count_tokens(
        renderer.overhead_text(instructions=config.instructions, schema_hint=None)
    )
    chunks, too_big = make_chunks(
        kept,
        count_tokens=backend.count_tokens,
        context_window=config.context_window or backend.context_window,
        reserve_output=config.max_new_tokens,
        prompt_overhead=overhead,
    )
    schema = findings_json_schema()
    requests = [
        Request(
            messages=renderer.messages(
                chunk.files, instructions=config.instructions, schema_hint=None
            ),
            max_new_tokens=config.max_new_tokens,
            json_schema=schema,
            seed=config.seed,
            temperature=config.temperature,
        )
        for chunk in chunks
    ]
    return chunks, requests, too_big


def read_completion(chunk: Chunk, completion: Completion) -> ChunkResult:
    """Turn one model answer into placed findings, or a ChunkError keeping the raw text."""
    paths = tuple(dict.fromkeys(f.path for f in chunk.files))
    if completion.finish_reason is FinishReason.ERROR:
        reason = completion.error or "the engine reported an error"
        return ChunkResult((), ChunkError(paths, reason, completion.text), False)
    try:
        parsed = parse_output(completion.text, completion.finish_reason)
    except OutputParseError as exc:
        error = ChunkError(paths, str(exc), exc.raw or completion.text)
        return ChunkResult((), error, cut_off(completion.finish_reason, None))
    files = {f.path: _merge_parts(chunk.files, f.path) for f in chunk.files}
    for problem in parsed.problems:
        log.info("model answer for %s: %s", ", ".join(paths), problem)
    placed = [fit_suggestion(f, files.get(f.path)) for f in anchor_findings(parsed.findings, files)]
    where = ", ".join(paths)
    discarded = tuple(f"{where}: {why}" for why in parsed.discarded)
    truncated = cut_off(completion.finish_reason, parsed)
    return ChunkResult(tuple(placed), None, truncated, discarded)


def _merge_parts(files: Sequence[FileDiff], path: str) -> FileDiff:
    parts = [f for f in files if f.path == path]
    if len(parts) == 1:
        return parts[0]
    return replace(parts[0], hunks=tuple(h for part in parts for h in part.hunks))


def review(
    files: Sequence[FileDiff],
    backend: Backend,
    config: Config,
    renderer: PromptRenderer,
    *,
    skipped: Sequence[Skipped] = (),
    cache: ResultCache | None = None,
) -> Review:
    """Review parsed diff files with ``backend``.

    cache: files found there are not sent to the model; a file whose every chunk succeeded (no
    error, output not cut off) is stored there with the findings of its chunks.
    Raises BackendUnavailable / BackendTimeout when the engine cannot be used at all; a failure
    of one chunk is recorded in ``Review.errors`` instead.
    """
    started = time.perf_counter()
    kept, filtered = filter_files(files, config)
    todo, cached = _look_up(kept, cache)
    chunks, requests, too_big = _plan(todo, backend, config, renderer)
    completions = backend.complete(requests) if requests else []
    results = [read_completion(c, r) for c, r in zip(chunks, completions, strict=True)]
    if cache is not None:
        _store(cache, todo, chunks, results)
    answered = [c for c, r in zip(chunks, results, strict=True) if r.error is None]
    done = {f.path for c in answered for f in c.files} | {path for path, _ in cached}
    fresh = [f for r in results for f in r.findings]
    return Review(
        findings=merge_findings([*(f for _, found in cached for f in found), *fresh]),
        skipped=(*skipped, *filtered, *too_big),
        errors=tuple(r.error for r in results if r.error is not None),
        stats=Stats(
            prompt_tokens=sum(c.prompt_tokens for c in completions),
            completion_tokens=sum(c.completion_tokens for c in completions),
            calls=len(requests),
            seconds=time.perf_counter() - started,
            truncated_outputs=sum(r.truncated for r in results),
        ),
        reviewed_files=tuple(dict.fromkeys(f.path for f in files if f.path in done)),
        discarded=tuple(why for r in results for why in r.discarded),
    )


def _look_up(
    kept: Sequence[FileDiff], cache: ResultCache | None
) -> tuple[list[FileDiff], list[tuple[str, tuple[Finding, ...]]]]:
    """(files still to review, (path, findings) of the files found in ``cache``), of the files
    that passed the filters."""
    if cache is None:
        return list(kept), []
    cached = [(f.path, found) for f in kept if (found := cache.get(f)) is not None]
    hit = {path for path, _ in cached}
    return [f for f in kept if f.path not in hit], cached


def _store(
    cache: ResultCache,
    files: Sequence[FileDiff],
    chunks: Sequence[Chunk],
    results: Sequence[ChunkResult],
) -> None:
    """Store each file all of whose chunks succeeded, with the findings of those chunks.

    A finding naming no file of its chunk (placement SUMMARY) belongs to the chunk's first file.
    """
    owned: dict[str, list[Finding]] = {}
    failed: set[str] = set()
    for chunk, result in zip(chunks, results, strict=True):
        paths = [f.path for f in chunk.files]
        for path in paths:
            owned.setdefault(path, [])
        if result.error is not None or result.truncated:
            failed.update(paths)
        for finding in result.findings:
            owned[finding.path if finding.path in owned else paths[0]].append(finding)
    for file in files:
        if file.path in owned and file.path not in failed:
            cache.put(file, merge_findings(owned[file.path]))
