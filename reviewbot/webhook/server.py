"""The HTTP side of the webhook: check, filter and queue GitHub deliveries.

Answers: 401 bad or missing ``X-Hub-Signature-256``; 411 no Content-Length; 413 body over
``max_body`` bytes (not read); 400 not JSON; 405 not POST; 200 a redelivered
``X-GitHub-Delivery`` id (ignored) or ``ping``; 202 ignored events and queued reviews.
Reviews run on ``pull_request`` actions opened, synchronize, reopened, ready_for_review;
drafts are skipped unless ``review_drafts``. Binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reviewbot.errors import ConfigError
from reviewbot.github.event import parse_pull_event
from reviewbot.webhook.queue import ReviewQueue
from reviewbot.webhook.signature import verify

REVIEW_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})
MAX_BODY = 5 * 1024 * 1024  # bytes; pull_request payloads are far smaller (GitHub caps at 25 MB)


@dataclass(frozen=True)
class WebhookSettings:
    secret: bytes
    max_body: int = MAX_BODY
    review_drafts: bool = False
    remembered_deliveries: int = 10_000


class DeliveryLog:
    """The most recent delivery ids, to ignore redeliveries (GitHub repeats the id)."""

    def __init__(self, size: int) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def first_time(self, delivery: str) -> bool:
        with self._lock:
            if delivery in self._ids:
                return False
            self._ids[delivery] = None
            if len(self._ids) > self._size:
                self._ids.popitem(last=False)
            return True


def make_server(
    settings: WebhookSettings, queue: ReviewQueue, host: str = "127.0.0.1", port: int = 0
) -> ThreadingHTTPServer:
    """A server (not yet serving) handing reviews to ``queue``. Raises ConfigError."""
    if not settings.secret:
        raise ConfigError(
            "no webhook secret: set REVIEWBOT_WEBHOOK_SECRET to the secret configured on the "
            "GitHub webhook; unsigned deliveries are never accepted"
        )
    handler = type(
        "Handler",
        (_Handler,),
        {
            "settings": settings,
            "queue": queue,
            "deliveries": DeliveryLog(settings.remembered_deliveries),
        },
    )
    return ThreadingHTTPServer((host, port), handler)


class _Handler(BaseHTTPRequestHandler):
    settings: WebhookSettings
    queue: ReviewQueue
    deliveries: DeliveryLog
    server_version = "reviewbot-webhook"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the answers below say what happened; no per-request noise on stderr

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._answer(411, "Content-Length required")
            return
        if int(length) > self.settings.max_body:
            self.close_connection = True
            self._answer(413, f"body over {self.settings.max_body} bytes")
            return
        body = self.rfile.read(int(length))
        if not verify(self.settings.secret, body, self.headers.get("X-Hub-Signature-256")):
            self._answer(401, "bad or missing X-Hub-Signature-256")
            return
        delivery = self.headers.get("X-GitHub-Delivery", "")
        if delivery and not self.deliveries.first_time(delivery):
            self._answer(200, "redelivery ignored")
            return
        self._dispatch(self.headers.get("X-GitHub-Event", ""), body)

    def do_GET(self) -> None:
        self._answer(405, "POST GitHub webhook deliveries here")

    def _dispatch(self, event_name: str, body: bytes) -> None:
        if event_name == "ping":
            self._answer(200, "pong")
            return
        if event_name != "pull_request":
            self._answer(202, f"ignored: event {event_name!r}")
            return
        try:
            event = parse_pull_event(json.loads(body))
        except (json.JSONDecodeError, UnicodeDecodeError, ConfigError) as exc:
            self._answer(400, f"not a pull_request payload: {exc}")
            return
        if event.action not in REVIEW_ACTIONS:
            self._answer(202, f"ignored: action {event.action!r}")
        elif event.draft and not self.settings.review_drafts:
            self._answer(202, "ignored: draft pull request")
        else:
            self._answer(202, self.queue.submit(event))

    def _answer(self, status: int, text: str) -> None:
        data = json.dumps({"status": text}).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
