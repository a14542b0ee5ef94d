"""Run every profile over every case through the real review pipeline, storing each result.

Each case's diff goes through ``reviewbot.diff.parse_diff`` and ``reviewbot.pipeline.review``
with the profile's Config and the repository's prompts: the same filters, budget, templates,
parser and anchoring the hook and the bot use, so the scores are what users will get. Every
result is written as soon as it is made; a profile's cases already stored with status "ok" or
"not_reviewed" are skipped, so a run resumes where it stopped (a profile with nothing left is not
even loaded).

A case whose scored lines the pipeline did not show the model (hunks too big for the context
window, files left out by the filters; ``reviewbot.bench.coverage``) is stored as
"not_reviewed" with the pipeline's reasons, never as a review that found nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Protocol, runtime_checkable

import reviewbot
from reviewbot import pipeline
from reviewbot.backends import create_backend
from reviewbot.backends.base import Backend
from reviewbot.bench.benchdb import NOT_REVIEWED, BenchDB, CaseResult
from reviewbot.bench.casefile import Case
from reviewbot.bench.coverage import not_reviewed
from reviewbot.bench.profiles import Profile
from reviewbot.cache_settings import review_settings
from reviewbot.config import Config
from reviewbot.diff import parse_diff
from reviewbot.errors import BackendTimeout, ConfigError
from reviewbot.render import PromptRenderer
from reviewbot.types import Completion, Request

# Config fields that do not change what a model answers, left out of a profile's fingerprint.
_NOT_IN_FINGERPRINT = frozenset(
    {"source", "api_key", "format", "output", "fail_on", "color", "cache_dir", "deadline"}
)


@runtime_checkable
class CaseAware(Protocol):
    """A backend told which case comes next (the scripted oracles of ``--self-check``)."""

    def begin_case(self, case: Case) -> None: ...


class RecordingBackend:
    """Passes requests to ``inner`` and keeps the completions, for the raw outputs and tokens."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.context_window = inner.context_window
        self.completions: list[Completion] = []

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def complete(self, requests: Sequence[Request]) -> list[Completion]:
        answers = self.inner.complete(requests)
        self.completions.extend(answers)
        return answers


def fingerprint(config: Config, repo: Path | None) -> str:
    """sha256 hex of the settings and prompt templates that shape a profile's answers.

    reviewbot's own code is named by its version only: a profile measures a model, and a
    benchmark resumed after editing reviewbot is still the same profile.
    """
    fields = {k: str(v) for k, v in asdict(config).items() if k not in _NOT_IN_FINGERPRINT}
    settings = review_settings(config, repo, code=reviewbot.__version__)
    text = settings + json.dumps(fields, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_profiles(
    cases: Sequence[Case],
    profiles: Sequence[Profile],
    db: BenchDB,
    *,
    repo: Path | None,
    make_backend: Callable[[Profile], Backend] = lambda p: create_backend(p.config),
    progress: Callable[[str], None] = lambda line: None,
) -> int:
    """Review every case not yet done with every profile; returns the number of reviews made.

    Raises ConfigError when a profile name was stored with other settings, a stored case
    differs, or a profile's backend cannot be built from its settings (the message names the
    profile and its profiles file), BackendUnavailable when an engine cannot be used at all
    (results so far are kept). A timeout on one case is stored as a "failed" result and the run
    goes on.
    """
    db.add_cases(cases)
    made = 0
    for profile in profiles:
        db.add_profile(profile.name, fingerprint(profile.config, repo), profile.settings)
        done = db.done(profile.name)
        todo = [case for case in cases if case.id not in done]
        progress(f"{profile.name}: {len(todo)} of {len(cases)} cases to review")
        if not todo:
            continue
        try:
            backend = make_backend(profile)
        except ConfigError as exc:
            raise ConfigError(f"{_named(profile)}: {exc}") from exc
        renderer = PromptRenderer.for_repo(repo, profile.config)
        for number, case in enumerate(todo, start=1):
            try:
                result = review_case(case, profile, backend, renderer)
            except ConfigError as exc:
                raise ConfigError(f"{_named(profile)}: {exc}") from exc
            db.put_result(result)
            made += 1
            progress(f"{profile.name}: {number}/{len(todo)} {case.id} {result.status}")
    return made


def _named(profile: Profile) -> str:
    where = f" of {profile.origin}" if profile.origin is not None else ""
    return f"profile {profile.name!r}{where}"


def review_case(
    case: Case, profile: Profile, backend: Backend, renderer: PromptRenderer
) -> CaseResult:
    """One profile's review of one case, through ``pipeline.review``.

    status: "ok"; "not_reviewed" when the review skipped lines the case is scored on (errors
    then start with ``"PATH: why"`` for each, then the chunk errors); "failed" on a timeout.
    """
    if isinstance(backend, CaseAware):
        backend.begin_case(case)
    recorder = RecordingBackend(backend)
    files, skipped = parse_diff(case.diff.encode("utf-8"))
    try:
        review = pipeline.review(files, recorder, profile.config, renderer, skipped=skipped)
    except BackendTimeout as exc:
        return CaseResult(profile.name, case.id, "failed", errors=(str(exc),))
    completions = recorder.completions
    missed = not_reviewed(case, files, review.skipped)
    return CaseResult(
        profile=profile.name,
        case_id=case.id,
        status=NOT_REVIEWED if missed else "ok",
        findings=review.findings,
        raw_outputs=tuple(c.text for c in completions),
        errors=(*missed, *(e.reason for e in review.errors)),
        calls=review.stats.calls,
        failed_calls=len(review.errors),
        seconds=review.stats.seconds,
        prompt_tokens=review.stats.prompt_tokens,
        completion_tokens=review.stats.completion_tokens,
    )
