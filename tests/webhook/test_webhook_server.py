"""The webhook server over real HTTP on 127.0.0.1, with a recording review worker."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from reviewbot.github.event import PullEvent
from reviewbot.webhook.queue import ReviewQueue
from reviewbot.webhook.server import WebhookSettings, make_server
from reviewbot.webhook.signature import sign

SECRET = b"It's a Secret to Everybody"


def payload(
    action: str = "opened",
    head: str = "a" * 40,
    number: int = 7,
    draft: bool = False,
    repo: str = "octo/widgets",
) -> bytes:
    """A pull_request delivery in the shape GitHub documents (the fields we read, and a few)."""
    return json.dumps(
        {
            "action": action,
            "number": number,
            "pull_request": {
                "number": number,
                "draft": draft,
                "state": "open",
                "head": {"sha": head, "ref": "feature", "repo": {"full_name": "fork/widgets"}},
                "base": {"sha": "b" * 40, "ref": "main", "repo": {"full_name": repo}},
            },
            "repository": {"full_name": repo},
            "sender": {"login": "octocat"},
        }
    ).encode()


@dataclass
class Hook:
    url: str
    queue: ReviewQueue
    reviewed: list[PullEvent] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    count: int = 0

    def deliver(
        self,
        body: bytes,
        *,
        event: str = "pull_request",
        delivery: str | None = None,
        signature: str | None = "sign",
    ) -> httpx.Response:
        self.count += 1
        headers = {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or f"d-{self.count}",
            "Content-Type": "application/json",
        }
        if signature == "sign":
            headers["X-Hub-Signature-256"] = sign(SECRET, body)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return httpx.post(self.url, content=body, headers=headers, timeout=10)


@pytest.fixture
def hook() -> Iterator[Hook]:
    holder: dict[str, Hook] = {}

    def worker(event: PullEvent) -> None:
        holder["hook"].gate.wait(timeout=30)
        holder["hook"].reviewed.append(event)

    queue = ReviewQueue(worker, concurrency=1)
    server = make_server(WebhookSettings(secret=SECRET, max_body=64 * 1024), queue)
    host, port = server.server_address[:2]
    assert host == "127.0.0.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    queue.start()
    holder["hook"] = Hook(f"http://127.0.0.1:{port}/", queue)
    try:
        yield holder["hook"]
    finally:
        holder["hook"].gate.set()
        server.shutdown()
        server.server_close()
        queue.stop()


def status(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, response.json()["status"]


def test_valid_signature_is_accepted_and_reviewed(hook: Hook) -> None:
    hook.gate.set()
    assert status(hook.deliver(payload())) == (202, "queued")
    assert hook.queue.wait_idle(timeout=30)
    assert [(e.repo, e.number, e.head_sha) for e in hook.reviewed] == [
        ("octo/widgets", 7, "a" * 40)
    ]


@pytest.mark.parametrize(
    "signature",
    [None, "sha256=" + "0" * 64, "sha1=abc", sign(b"wrong secret", payload())],
)
def test_wrong_or_missing_signature_is_401(hook: Hook, signature: str | None) -> None:
    assert status(hook.deliver(payload(), signature=signature)) == (
        401,
        "bad or missing X-Hub-Signature-256",
    )
    assert hook.queue.wait_idle(timeout=30)
    assert hook.reviewed == []


def test_body_changed_after_signing_is_401(hook: Hook) -> None:
    signature = sign(SECRET, payload(head="a" * 40))
    response = hook.deliver(payload(head="c" * 40), signature=signature)
    assert response.status_code == 401


def test_redelivery_is_ignored(hook: Hook) -> None:
    hook.gate.set()
    assert status(hook.deliver(payload(), delivery="72d3162e")) == (202, "queued")
    assert status(hook.deliver(payload(), delivery="72d3162e")) == (200, "redelivery ignored")
    assert hook.queue.wait_idle(timeout=30)
    assert len(hook.reviewed) == 1


def test_oversize_body_is_413(hook: Hook) -> None:
    big = payload() + b" " * (64 * 1024)
    assert status(hook.deliver(big)) == (413, "body over 65536 bytes")


def test_burst_of_pushes_gives_one_review_of_the_newest_head(hook: Hook) -> None:
    # The single worker is busy with another pull request while five pushes arrive.
    assert status(hook.deliver(payload(number=1, head="0" * 40))) == (202, "queued")
    heads = [str(n) * 40 for n in range(1, 6)]
    answers = [status(hook.deliver(payload("synchronize", head=h)))[1] for h in heads]
    assert answers == ["queued", "coalesced", "coalesced", "coalesced", "coalesced"]
    hook.gate.set()
    assert hook.queue.wait_idle(timeout=30)
    assert [(e.number, e.head_sha) for e in hook.reviewed] == [(1, "0" * 40), (7, "5" * 40)]


@pytest.mark.parametrize(
    ("body", "event", "expected"),
    [
        (payload(action="closed"), "pull_request", (202, "ignored: action 'closed'")),
        (payload(draft=True), "pull_request", (202, "ignored: draft pull request")),
        (b'{"zen": "Keep it logically awesome."}', "ping", (200, "pong")),
        (b'{"ref": "refs/heads/main"}', "push", (202, "ignored: event 'push'")),
    ],
)
def test_events_that_do_not_review(
    hook: Hook, body: bytes, event: str, expected: tuple[int, str]
) -> None:
    assert status(hook.deliver(body, event=event)) == expected
    assert hook.queue.wait_idle(timeout=30)
    assert hook.reviewed == []


def test_draft_marked_ready_is_reviewed(hook: Hook) -> None:
    hook.gate.set()
    assert status(hook.deliver(payload(action="ready_for_review"))) == (202, "queued")
    assert hook.queue.wait_idle(timeout=30)
    assert len(hook.reviewed) == 1
