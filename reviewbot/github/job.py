"""One pull-request review from start to finish, shared by ``reviewbot pr`` and the webhook.

    base config (trusted) ─► PR diff (local or API) ─► pipeline ─► payload ─► post (or print)

The model sees the review diff (the whole PR, or for ``--incremental`` the commits since the last
reviewed head); anchors are always checked against the whole PR diff, which is what GitHub
accepts comments on.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reviewbot import git, pipeline
from reviewbot.backends.base import Backend
from reviewbot.config import Config
from reviewbot.diff import parse_diff
from reviewbot.errors import ConfigError
from reviewbot.github import source, trust
from reviewbot.github.client import GitHubClient
from reviewbot.github.errors import GitHubPermissionError
from reviewbot.github.payload import PayloadOptions, ReviewPayload, build_payload
from reviewbot.github.post import PostOptions, PostResult, post_review
from reviewbot.github.state import read_state, summary_body
from reviewbot.render import PromptRenderer
from reviewbot.types import FileDiff, Review, Skipped
from reviewbot.unparsed import with_unparsed

FULL_SCOPE = "the whole pull request"


@dataclass(frozen=True)
class JobSpec:
    """number/base_sha/head_sha: the pull request and the commits to review. repo_dir: a local
    checkout that may hold both commits (None: use the API). client: None only for a dry run
    whose commits are all local."""

    number: int
    base_sha: str
    head_sha: str
    repo_dir: Path | None
    client: GitHubClient | None
    incremental: bool = False
    dry_run: bool = False
    bot: str = "reviewbot"


@dataclass(frozen=True)
class JobResult:
    """review: None when there was nothing to review (incremental run on a reviewed head)."""

    review: Review | None
    config: Config | None
    payload: ReviewPayload | None
    summary: str | None
    posted: PostResult | None
    message: str
    denied: str | None = None  # why GitHub refused to let the token post, if it did


BackendFactory = Callable[[Config], Backend]


def run_job(
    spec: JobSpec,
    *,
    environ: Mapping[str, str],
    flags: Mapping[str, object],
    backend_factory: BackendFactory,
    cwd: Path | None = None,
    warn: Callable[[str], None] = lambda _: None,
) -> JobResult:
    """Review the pull request and post (or, for a dry run, only build) the review.

    Raises ConfigError (bad base config; commits absent and no API), GitError, GitHubError,
    BackendUnavailable.
    """
    local = source.has_commits(spec.repo_dir, spec.base_sha, spec.head_sha)
    if not local and spec.client is None:
        shas = (spec.base_sha, spec.head_sha)
        missing = [sha[:12] for sha in shas if not source.has_commits(spec.repo_dir, sha)]
        what = " and ".join(missing) or "the pull request's commits"
        raise ConfigError(
            f"{'commit' if len(missing) == 1 else 'commits'} {what} "
            f"{'is' if len(missing) == 1 else 'are'} not in the checkout and no GitHub token is "
            "set: fetch it (actions/checkout with fetch-depth: 0) or set GITHUB_TOKEN"
        )
    with tempfile.TemporaryDirectory(prefix="reviewbot-base-") as tmp:
        root = Path(tmp)
        read, listing = _base_readers(spec, local)
        config, warnings = trust.base_config(
            read, listing, root, environ=environ, flags=flags, cwd=cwd
        )
        for warning in warnings:
            warn(warning)
        full_files, omitted, unparsed, head_text = _pull_diff(spec, local)
        review_files, scope = full_files, FULL_SCOPE
        if spec.incremental and spec.client is not None:
            last = read_state(spec.client, spec.number, spec.bot).last_head
            if last == spec.head_sha:
                message = f"nothing to review: {spec.head_sha[:12]} was already reviewed"
                return JobResult(None, config, None, None, None, message)
            if last is not None:
                review_files, scope = _incremental(spec, local, last, review_files)
        renderer = PromptRenderer.for_repo(root, config)
        review = pipeline.review(
            review_files,
            backend_factory(config),
            config,
            renderer,
            skipped=[*omitted, *unparsed],
        )
        review = with_unparsed(review, unparsed)
    diffs = {f.path: f for f in full_files}
    summary = summary_body(review, spec.head_sha, spec.bot, scope)
    if spec.dry_run or spec.client is None:
        options = PayloadOptions(max_inline=config.max_inline_comments, bot=spec.bot)
        payload = build_payload(review, diffs, spec.head_sha, head_text, options)
        return JobResult(review, config, payload, summary, None, "dry run: nothing posted")
    post_options = PostOptions(
        max_inline=config.max_inline_comments,
        bot=spec.bot,
        incremental=scope != FULL_SCOPE,
        scope=scope,
    )
    try:
        posted = post_review(
            spec.client, spec.number, review, diffs, spec.head_sha, head_text, post_options
        )
    except GitHubPermissionError as exc:
        return JobResult(review, config, None, summary, None, "nothing posted", denied=str(exc))
    return JobResult(posted.review, config, posted.payload, summary, posted, _describe(posted))


def _base_readers(spec: JobSpec, local: bool) -> tuple[trust.ReadFile, trust.ListDir]:
    if local:
        assert spec.repo_dir is not None
        return trust.local_reader(spec.repo_dir, spec.base_sha)
    assert spec.client is not None
    return trust.api_reader(spec.client, spec.base_sha)


def _pull_diff(
    spec: JobSpec, local: bool
) -> tuple[list[FileDiff], list[Skipped], list[Skipped], source.HeadFiles]:
    """(parsed files, files GitHub gave no patch for, files that did not parse, head reader)."""
    if local:
        assert spec.repo_dir is not None
        data = source.local_diff(spec.repo_dir, spec.base_sha, spec.head_sha)
        omitted: list[Skipped] = []
        head_text = source.HeadFiles.local(spec.repo_dir, spec.head_sha)
    else:
        client = spec.client
        assert client is not None
        data, omitted = source.api_diff(client.pull_files(spec.number))
        head_text = source.HeadFiles(lambda path: client.file_bytes(path, spec.head_sha))
    files, unparsed = parse_diff(data)
    return files, omitted, unparsed, head_text


def _incremental(
    spec: JobSpec, local: bool, last: str, full: list[FileDiff]
) -> tuple[list[FileDiff], str]:
    """The diff of the commits since ``last``, or the full diff after a force-push."""
    if local and source.has_commits(spec.repo_dir, last):
        assert spec.repo_dir is not None
        if not source.is_ancestor(spec.repo_dir, last, spec.head_sha):
            return full, f"{FULL_SCOPE}; {last[:12]} is no longer in its history"
        data = git.range_diff(spec.repo_dir, f"{last}..{spec.head_sha}")
    else:
        assert spec.client is not None
        status, files = spec.client.compare(last, spec.head_sha)
        if status != "ahead":
            return full, f"{FULL_SCOPE}; {last[:12]} is no longer in its history"
        data, _omitted = source.api_diff(files)
    files_since, _unparsed = parse_diff(data)
    return files_since, f"the commits since {last[:12]}"


def _describe(posted: PostResult) -> str:
    if posted.payload is None:
        return "nothing new to post"
    inline = len(posted.payload.comments)
    plural = "" if inline == 1 else "s"
    demoted = f" ({len(posted.demoted)} moved to the body after GitHub refused them)"
    return f"posted a review with {inline} inline comment{plural}" + (
        demoted if posted.demoted else ""
    )
