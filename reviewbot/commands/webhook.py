"""``reviewbot webhook``: serve GitHub webhooks and review pull requests as pushes arrive.

Secrets from the environment only: REVIEWBOT_WEBHOOK_SECRET (the webhook's secret) and
GITHUB_TOKEN (a token that may write pull-request reviews); GITHUB_API_URL for GitHub
Enterprise Server. Diffs, head files and the base branch's configuration come from the API, so
the server needs no checkout; nothing from a pull request is executed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TextIO

from reviewbot.error_handler import EXIT_OK
from reviewbot.github.client import GitHubClient
from reviewbot.github.event import PullEvent, api_url_from, token_from
from reviewbot.github.job import BackendFactory, JobSpec, run_job
from reviewbot.webhook.queue import ReviewQueue
from reviewbot.webhook.server import MAX_BODY, WebhookSettings, make_server

ClientFactory = Callable[[str, str, str], GitHubClient]  # (token, repo, api_url)


@dataclass(frozen=True)
class WebhookArgs:
    host: str = "127.0.0.1"
    port: int = 8090
    concurrency: int = 1
    review_drafts: bool = False
    max_body: int = MAX_BODY  # bytes


def make_worker(
    *,
    environ: Mapping[str, str],
    flags: Mapping[str, object],
    backend_factory: BackendFactory,
    client_factory: ClientFactory = GitHubClient,
    log: TextIO | None = None,
) -> Callable[[PullEvent], None]:
    """The queue's worker: one ``run_job`` per event, API only. Raises what run_job raises."""
    token = token_from(environ)
    api_url = api_url_from(environ)
    out = log if log is not None else sys.stderr

    def work(event: PullEvent) -> None:
        client = client_factory(token, event.repo, api_url)
        spec = JobSpec(event.number, event.base_sha, event.head_sha, None, client)
        result = run_job(
            spec,
            environ=environ,
            flags=flags,
            backend_factory=backend_factory,
            warn=lambda text: print(f"reviewbot: warning: {text}", file=out),
        )
        print(
            f"reviewbot: {event.repo}#{event.number} {event.head_sha[:12]}: {result.message}",
            file=out,
            flush=True,
        )

    return work


def run(
    args: WebhookArgs,
    *,
    environ: Mapping[str, str],
    flags: Mapping[str, object],
    backend_factory: BackendFactory | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Serve until interrupted. Raises ConfigError (no secret, no token)."""
    err = stderr if stderr is not None else sys.stderr
    if backend_factory is None:
        from reviewbot.backends import create_backend

        backend_factory = create_backend
    worker = make_worker(environ=environ, flags=flags, backend_factory=backend_factory, log=err)

    def report(event: PullEvent, exc: BaseException) -> None:
        print(f"reviewbot: error: {event.repo}#{event.number}: {exc}", file=err, flush=True)

    queue = ReviewQueue(worker, concurrency=args.concurrency, on_error=report)
    settings = WebhookSettings(
        secret=environ.get("REVIEWBOT_WEBHOOK_SECRET", "").encode("utf-8"),
        max_body=args.max_body,
        review_drafts=args.review_drafts,
    )
    server = make_server(settings, queue, args.host, args.port)
    queue.start()
    host, port = server.server_address[:2]
    print(f"reviewbot: webhook listening on http://{host!s}:{port}/", file=err, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        queue.stop()
    return EXIT_OK


__all__ = ["WebhookArgs", "make_worker", "run"]
