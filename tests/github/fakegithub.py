"""A fake GitHub REST API on 127.0.0.1, for tests: the endpoints the bot uses, in the shapes
GitHub documents, recording every request.

    with FakeGitHub(repo="octo/widgets") as gh:
        gh.pulls[7] = gh.pull_json(7, base_sha, head_sha)
        client = GitHubClient("t0ken", "octo/widgets", gh.api_url, throttle=False, sleep=...)

Script failures with ``gh.fail_next(method, path_suffix, status, body, headers)`` (answered once,
to the next matching request). ``gh.reject`` decides which review comments are refused with 422
(GitHub refuses the whole review and does not say which comment was wrong).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_LOGIN = "github-actions[bot]"


@dataclass
class Received:
    method: str
    path: str  # without the /api/v3/repos/OWNER/NAME prefix
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass
class Failure:
    method: str
    suffix: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeGitHub:
    def __init__(self, repo: str = "octo/widgets") -> None:
        self.repo = repo
        self.pulls: dict[int, dict[str, Any]] = {}
        self.files: dict[int, list[dict[str, Any]]] = {}
        self.contents: dict[tuple[str, str], bytes] = {}  # (ref, path) -> bytes
        self.review_comments: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        self.issue_comments: list[dict[str, Any]] = []
        self.requests: list[Received] = []
        self.failures: list[Failure] = []
        self.reject: Callable[[dict[str, Any]], bool] = lambda comment: False
        self._ids = iter(range(1000, 10**9))
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/v3"

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- scripting ------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        suffix: str,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        self.failures.append(Failure(method, suffix, status, body, headers or {}))

    @staticmethod
    def pull_json(number: int, base_sha: str, head_sha: str, draft: bool = False) -> dict[str, Any]:
        return {
            "number": number,
            "state": "open",
            "draft": draft,
            "head": {"sha": head_sha, "ref": "feature", "repo": {"full_name": "fork/widgets"}},
            "base": {"sha": base_sha, "ref": "main", "repo": {"full_name": "octo/widgets"}},
        }

    def add_reply(self, to_id: int, body: str, login: str = "alice") -> None:
        parent = next(c for c in self.review_comments if c["id"] == to_id)
        self.review_comments.append(
            {
                **parent,
                "id": next(self._ids),
                "body": body,
                "in_reply_to_id": to_id,
                "user": {"login": login},
            }
        )

    # --- views for assertions -------------------------------------------------------------

    def writes(self) -> list[Received]:
        return [r for r in self.requests if r.method != "GET"]

    def posted_reviews(self) -> list[dict[str, Any]]:
        return [r for r in self.reviews if r["state"] != "PENDING"]

    # --- request handling -----------------------------------------------------------------

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        for failure in self.failures:
            if failure.method == method and path.endswith(failure.suffix):
                self.failures.remove(failure)
                return failure.status, failure.body, failure.headers
        for pattern, verb, action in _ROUTES:
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                return action(self, match, body)
        return 404, {"message": "Not Found"}, {}

    def _pull(self, m: re.Match[str], _: Any) -> tuple[int, Any, dict[str, str]]:
        pull = self.pulls.get(int(m[1]))
        return (200, pull, {}) if pull else (404, {"message": "Not Found"}, {})

    def _create_review(self, m: re.Match[str], body: Any) -> tuple[int, Any, dict[str, str]]:
        comments = body.get("comments", [])
        if any(self.reject(c) for c in comments):
            return (
                422,
                {"message": "Unprocessable Entity", "errors": ["Line could not be resolved"]},
                {},
            )
        state = "COMMENTED" if body.get("event") else "PENDING"
        review = {
            "id": next(self._ids),
            "body": body.get("body", ""),
            "state": state,
            "commit_id": body.get("commit_id"),
            "user": {"login": BOT_LOGIN},
            "comments": comments,
        }
        self.reviews.append(review)
        if state != "PENDING":
            for comment in comments:
                self.review_comments.append(
                    {
                        "id": next(self._ids),
                        "pull_request_review_id": review["id"],
                        "body": comment["body"],
                        "path": comment["path"],
                        "line": comment.get("line"),
                        "side": comment.get("side"),
                        "start_line": comment.get("start_line"),
                        "in_reply_to_id": None,
                        "user": {"login": BOT_LOGIN},
                    }
                )
        return 200, review, {}

    def _delete_review(self, m: re.Match[str], _: Any) -> tuple[int, Any, dict[str, str]]:
        review = next((r for r in self.reviews if r["id"] == int(m[2])), None)
        if review is None or review["state"] != "PENDING":
            return 422, {"message": "Can not delete a non-pending review"}, {}
        self.reviews.remove(review)
        return 200, review, {}

    def _delete_comment(self, m: re.Match[str], _: Any) -> tuple[int, Any, dict[str, str]]:
        self.review_comments = [c for c in self.review_comments if c["id"] != int(m[1])]
        return 204, None, {}

    def _create_issue_comment(self, m: re.Match[str], body: Any) -> tuple[int, Any, dict[str, str]]:
        comment = {"id": next(self._ids), "body": body["body"], "user": {"login": BOT_LOGIN}}
        self.issue_comments.append(comment)
        return 201, comment, {}

    def _edit_issue_comment(self, m: re.Match[str], body: Any) -> tuple[int, Any, dict[str, str]]:
        for comment in self.issue_comments:
            if comment["id"] == int(m[1]):
                comment["body"] = body["body"]
                return 200, comment, {}
        return 404, {"message": "Not Found"}, {}

    def _contents(self, m: re.Match[str], ref: str) -> tuple[int, Any, dict[str, str]]:
        path = m[1]
        if (ref, path) in self.contents:
            data = self.contents[(ref, path)]
            return (
                200,
                {
                    "type": "file",
                    "path": path,
                    "sha": "0" * 40,
                    "encoding": "base64",
                    "content": base64.b64encode(data).decode(),
                },
                {},
            )
        listing = [
            {"type": "file", "path": p, "name": p.rsplit("/", 1)[-1]}
            for (r, p) in self.contents
            if r == ref and p.startswith(path + "/")
        ]
        return (200, listing, {}) if listing else (404, {"message": "Not Found"}, {})


def _list(attr: str) -> Callable[[FakeGitHub, re.Match[str], Any], tuple[int, Any, dict[str, str]]]:
    def action(gh: FakeGitHub, m: re.Match[str], query: Any) -> tuple[int, Any, dict[str, str]]:
        page = int(query.get("page", ["1"])[0])
        items = getattr(gh, attr)
        if attr == "files":
            items = items.get(int(m[1]), [])
        return 200, (list(items) if page == 1 else []), {}

    return action


_ROUTES: list[tuple[str, str, Callable[..., tuple[int, Any, dict[str, str]]]]] = [
    (r"/pulls/(\d+)", "GET", FakeGitHub._pull),
    (r"/pulls/(\d+)/files", "GET", _list("files")),
    (r"/pulls/(\d+)/comments", "GET", _list("review_comments")),
    (r"/pulls/(\d+)/reviews", "GET", _list("reviews")),
    (r"/issues/(\d+)/comments", "GET", _list("issue_comments")),
    (r"/pulls/(\d+)/reviews", "POST", FakeGitHub._create_review),
    (r"/pulls/(\d+)/reviews/(\d+)", "DELETE", FakeGitHub._delete_review),
    (r"/pulls/comments/(\d+)", "DELETE", FakeGitHub._delete_comment),
    (r"/issues/(\d+)/comments", "POST", FakeGitHub._create_issue_comment),
    (r"/issues/comments/(\d+)", "PATCH", FakeGitHub._edit_issue_comment),
]


def _handler(gh: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    prefix = f"/api/v3/repos/{gh.repo}"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            query = parse_qs(url.query)
            path = url.path.removeprefix(prefix)
            with gh._lock:
                gh.requests.append(Received(self.command, path, query, body, dict(self.headers)))
                if not url.path.startswith(prefix):
                    status, answer, headers = 404, {"message": "Not Found"}, {}
                elif self.command == "GET" and path.startswith("/contents/"):
                    ref = query.get("ref", [""])[0]
                    status, answer, headers = gh._contents(re.match(r"/contents/(.+)", path), ref)
                elif self.command == "GET":
                    status, answer, headers = gh.handle("GET", path, query)
                else:
                    status, answer, headers = gh.handle(self.command, path, body or {})
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

    return Handler
