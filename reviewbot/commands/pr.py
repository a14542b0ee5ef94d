"""``reviewbot pr``: review one pull request and post one GitHub review.

In GitHub Actions it needs no arguments (GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_API_URL,
GITHUB_TOKEN); elsewhere ``--repo OWNER/NAME --pr N`` with GITHUB_TOKEN set. ``--dry-run`` prints
the review payload as JSON instead of posting (and needs no token when the checkout holds both
commits). When the token may not write, the review goes to the job log (stderr) and, with
``--sarif FILE``, to a SARIF file, and the command fails with the reason.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from reviewbot.commands.output import exit_code, write_report
from reviewbot.commands.setup import find_repo
from reviewbot.error_handler import EXIT_ERROR, EXIT_OK
from reviewbot.errors import ConfigError
from reviewbot.github.client import GitHubClient
from reviewbot.github.event import (
    PullTarget,
    not_reviewed,
    target_from_actions,
    target_from_args,
)
from reviewbot.github.job import BackendFactory, JobResult, JobSpec, run_job
from reviewbot.reporters.markdown import render_markdown

ClientFactory = Callable[[PullTarget], GitHubClient]


@dataclass(frozen=True)
class PrArgs:
    repo: str | None = None
    number: int | None = None
    dry_run: bool = False
    incremental: bool = False
    sarif: Path | None = None
    review_drafts: bool = False  # as the webhook's --review-drafts


def default_client(target: PullTarget) -> GitHubClient:
    return GitHubClient(target.token, target.repo, target.api_url)


def run(
    args: PrArgs,
    *,
    cwd: Path,
    flags: Mapping[str, object],
    environ: Mapping[str, str],
    client_factory: ClientFactory = default_client,
    backend_factory: BackendFactory | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Exit code: 0 done (or nothing to do: a closed pull request, or a draft without
    ``review_drafts``), 1 findings at ``--fail-on`` / review failed, 2 the token may not write
    (the review is printed instead). Raises ConfigError, GitHubError, GitError for the CLI to
    print."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    target = _target(args, environ)
    client = client_factory(target) if target.token else None
    if (target.head_sha is None or target.base_sha is None) and client is not None:
        pull = client.pull(target.number)
        target = replace(
            target,
            head_sha=pull.head_sha,
            base_sha=pull.base_sha,
            draft=pull.draft,
            state=pull.state,
            merged=pull.merged,
        )
    head, base = target.head_sha, target.base_sha
    assert head is not None and base is not None  # _target guarantees a token otherwise
    skip = not_reviewed(target, review_drafts=args.review_drafts)
    if skip is not None:
        print(f"reviewbot: {skip}", file=err)
        return EXIT_OK
    spec = JobSpec(
        number=target.number,
        base_sha=base,
        head_sha=head,
        repo_dir=find_repo(cwd),
        client=client,
        incremental=args.incremental,
        dry_run=args.dry_run,
    )
    if backend_factory is None:
        from reviewbot.backends import create_backend

        backend_factory = create_backend
    result = run_job(
        spec,
        environ=environ,
        flags=flags,
        backend_factory=backend_factory,
        cwd=cwd,
        warn=lambda text: print(f"reviewbot: warning: {text}", file=err),
    )
    return _finish(result, args, out, err)


def _target(args: PrArgs, environ: Mapping[str, str]) -> PullTarget:
    need_token = not args.dry_run
    if args.repo is None and args.number is None:
        return target_from_actions(environ, need_token=need_token)
    if args.repo is None or args.number is None:
        raise ConfigError("give both --repo OWNER/NAME and --pr N (or neither, inside Actions)")
    # Outside Actions the commits come from GitHub, so a token is needed even for a dry run.
    return target_from_args(args.repo, args.number, environ, need_token=True)


def _finish(result: JobResult, args: PrArgs, out: TextIO, err: TextIO) -> int:
    print(f"reviewbot: {result.message}", file=err)
    if result.review is None or result.config is None:
        return EXIT_OK
    if args.sarif is not None:
        sarif = replace(result.config, format="sarif", output=args.sarif)
        write_report(result.review, sarif)
    if result.denied is not None:
        print(f"reviewbot: error: {result.denied}", file=err)
        print("reviewbot: the review could not be posted; here it is instead:\n", file=err)
        err.write(render_markdown(result.review))
        return EXIT_ERROR  # the review exists, but the command could not post it
    if args.dry_run and result.payload is not None:
        document = {"review": result.payload.to_json(), "summary_comment": result.summary}
        json.dump(document, out, indent=2, ensure_ascii=False)
        out.write("\n")
    return exit_code(result.review, result.config.fail_on)
