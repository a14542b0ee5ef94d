"""Running audit jobs on backends and committing each answer as it arrives.

Two ways to keep the engine busy:

- HTTP servers (``concurrent=True``): ``concurrency`` worker threads per backend, each sending one
  request, committing its answer, and taking the next job at once. No worker waits for another,
  so a server with continuous batching always has ``concurrency`` requests to work on; several
  backends (endpoints) share one job queue.
- In-process engines: batches of ``concurrency`` requests through the batch-first ``complete``;
  answers are committed after each batch (an engine runs one batch at a time anyway).

A unit whose answer cannot be used (bad JSON, engine error, timeout) is stored with its error and
retried on the next run; an engine that cannot be used at all (BackendUnavailable) stops the run,
keeping every answer committed so far.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence

from reviewbot.audit.placement import place_findings
from reviewbot.audit.plan import Job
from reviewbot.audit.progress import UnitResult
from reviewbot.backends.base import Backend
from reviewbot.errors import BackendTimeout, OutputParseError, ReviewbotError
from reviewbot.findings import cut_off, parse_output
from reviewbot.types import Completion, Finding, FinishReason

log = logging.getLogger(__name__)
Record = Callable[[UnitResult], None]


def read_answer(job: Job, completion: Completion) -> UnitResult:
    """One unit's answer, parsed and placed against the lines its prompt showed
    (``placement.place_findings``)."""
    unit = job.unit
    findings: tuple[Finding, ...] = ()
    error, raw, parsed = None, "", None
    if completion.finish_reason is FinishReason.ERROR:
        error, raw = completion.error or "the engine reported an error", completion.text
    else:
        try:
            parsed = parse_output(completion.text, completion.finish_reason)
        except OutputParseError as exc:
            error, raw = str(exc), exc.raw or completion.text
        else:
            for problem in parsed.problems:
                log.info(
                    "model answer for %s lines %d-%d: %s", unit.path, unit.start, unit.end, problem
                )
            findings = place_findings(parsed.findings, unit)
    return UnitResult(
        key=job.key,
        path=unit.path,
        start=unit.start,
        end=unit.end,
        findings=findings,
        error=error,
        raw=raw,
        truncated=cut_off(completion.finish_reason, parsed),
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        seconds=completion.seconds,
    )


def run_jobs(
    jobs: Sequence[Job],
    backends: Sequence[Backend],
    record: Record,
    *,
    concurrency: int,
    concurrent: bool,
) -> None:
    """Send every job and ``record`` each result as soon as it is read (one call at a time,
    whichever thread read it).

    Raises BackendUnavailable (or another ReviewbotError from ``record``) after the workers
    stop; results recorded before that are kept.
    """
    if concurrent:
        _run_threads(jobs, backends, record, concurrency)
    else:
        _run_batches(jobs, backends[0], record, concurrency)


def _complete(backend: Backend, jobs: Sequence[Job]) -> list[Completion]:
    try:
        return backend.complete([job.request for job in jobs])
    except BackendTimeout as exc:
        # One slow unit is that unit's failure (retried next run), not the end of the audit.
        return [Completion("", FinishReason.ERROR, error=str(exc)) for _ in jobs]


def _run_batches(jobs: Sequence[Job], backend: Backend, record: Record, size: int) -> None:
    for first in range(0, len(jobs), size):
        batch = jobs[first : first + size]
        for job, completion in zip(batch, _complete(backend, batch), strict=True):
            record(read_answer(job, completion))


def _run_threads(
    jobs: Sequence[Job], backends: Sequence[Backend], record: Record, concurrency: int
) -> None:
    queue = deque(jobs)
    lock = threading.Lock()
    recording = threading.Lock()  # ``record`` (the store, the progress meter) is not thread-safe
    stop = threading.Event()
    failures: list[ReviewbotError] = []

    def work(backend: Backend) -> None:
        while not stop.is_set():
            with lock:
                if not queue:
                    return
                job = queue.popleft()
            try:
                result = read_answer(job, _complete(backend, [job])[0])
                with recording:
                    record(result)
            except ReviewbotError as exc:
                failures.append(exc)
                stop.set()

    workers = [
        threading.Thread(target=work, args=(backend,), name="reviewbot-audit", daemon=True)
        for backend in backends
        for _ in range(min(concurrency, len(jobs)))
    ]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            while worker.is_alive():
                worker.join(0.2)  # a timed join lets Ctrl-C through to the main thread
    finally:
        stop.set()  # on Ctrl-C: workers finish their request in flight and stop
    if failures:
        raise failures[0]
