"""The one seam to GitHub: a small class over PyGithub's requester.

PyGithub supplies authentication, the base URL (``GITHUB_API_URL``, so GitHub Enterprise Server
works), timeouts and its exceptions; this class adds the few endpoints the bot uses, typed
records, and rate-limit handling with an injected ``sleep`` and clock (PyGithub's own retry is
turned off so waits are ours to honour, bound and test). Non-POST requests are retried on 5xx;
a POST is not (it may have succeeded), the caller re-checks what exists instead.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import github
import requests
from github import Auth, GithubException

from reviewbot.github.errors import (
    GitHubError,
    GitHubPermissionError,
    GitHubRateLimited,
    GitHubRejected,
    GitHubServerError,
)
from reviewbot.github.ratelimit import rate_limit_wait

DEFAULT_API_URL = "https://api.github.com"
_PER_PAGE = 100


@dataclass(frozen=True)
class PullInfo:
    number: int
    head_sha: str
    base_sha: str
    base_ref: str
    head_repo: str | None  # owner/name of the head repository; differs for forks
    draft: bool
    state: str  # open | closed
    merged: bool = False


@dataclass(frozen=True)
class PullFile:
    """One file of ``GET .../pulls/{n}/files``. patch: None when GitHub omitted it."""

    path: str
    status: str
    previous_path: str | None
    patch: str | None
    changes: int = 0


@dataclass(frozen=True)
class PostedComment:
    """A review comment. line: None when GitHub marks it outdated."""

    id: int
    body: str
    path: str
    line: int | None
    in_reply_to: int | None
    user: str


@dataclass(frozen=True)
class IssueComment:
    id: int
    body: str
    user: str


@dataclass(frozen=True)
class PostedReview:
    id: int
    body: str
    state: str


class GitHubClient:
    """Calls for one repository ``owner/name``. Raises GitHubError subclasses (see errors.py).

    max_wait: seconds of rate-limit wait accepted per request; longer waits raise
    GitHubRateLimited. throttle: keep PyGithub's pauses between requests and writes, which
    keep a busy bot under GitHub's secondary limits (tests turn it off).
    """

    def __init__(
        self,
        token: str,
        repo: str,
        api_url: str = DEFAULT_API_URL,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_wait: float = 900.0,
        retries: int = 3,
        throttle: bool = True,
    ) -> None:
        self.repo = repo
        self._sleep, self._clock, self._max_wait, self._retries = sleep, clock, max_wait, retries
        pauses: dict[str, Any] = (
            {}
            if throttle
            else {
                "seconds_between_requests": None,
                "seconds_between_writes": None,
            }
        )
        self._gh = github.Github(
            auth=Auth.Token(token), base_url=api_url.rstrip("/"), retry=None, timeout=60, **pauses
        )
        self.waits: list[float] = []  # rate-limit waits taken, for logs and tests

    # --- reads --------------------------------------------------------------------------

    def pull(self, number: int) -> PullInfo:
        data = self._call("GET", f"/pulls/{number}")
        head_repo = (data["head"].get("repo") or {}).get("full_name")
        return PullInfo(
            number=number,
            head_sha=data["head"]["sha"],
            base_sha=data["base"]["sha"],
            base_ref=data["base"]["ref"],
            head_repo=head_repo,
            draft=bool(data.get("draft", False)),
            state=data.get("state", "open"),
            merged=bool(data.get("merged", False)),
        )

    def pull_files(self, number: int) -> list[PullFile]:
        return [_pull_file(item) for item in self._pages(f"/pulls/{number}/files")]

    def compare(self, base: str, head: str) -> tuple[str, list[PullFile]]:
        """(status: ahead|behind|diverged|identical, files of merge-base(base, head)..head)."""
        data = self._call("GET", f"/compare/{base}...{head}")
        return str(data.get("status", "")), [_pull_file(i) for i in data.get("files", [])]

    def review_comments(self, number: int) -> list[PostedComment]:
        return [
            PostedComment(
                id=item["id"],
                body=item.get("body") or "",
                path=item.get("path", ""),
                line=item.get("line"),
                in_reply_to=item.get("in_reply_to_id"),
                user=(item.get("user") or {}).get("login", ""),
            )
            for item in self._pages(f"/pulls/{number}/comments")
        ]

    def reviews(self, number: int) -> list[PostedReview]:
        return [
            PostedReview(item["id"], item.get("body") or "", item.get("state", ""))
            for item in self._pages(f"/pulls/{number}/reviews")
        ]

    def issue_comments(self, number: int) -> list[IssueComment]:
        return [
            IssueComment(
                item["id"], item.get("body") or "", (item.get("user") or {}).get("login", "")
            )
            for item in self._pages(f"/issues/{number}/comments")
        ]

    def file_bytes(self, path: str, ref: str) -> bytes | None:
        """The file at ``ref``, or None when it does not exist there (404)."""
        try:
            data = self._call("GET", f"/contents/{path}", {"ref": ref})
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise
        if not isinstance(data, dict) or data.get("type") != "file":
            return None
        if data.get("encoding") == "base64" and data.get("content") is not None:
            return base64.b64decode(data["content"])
        # Files over 1 MB come without content; the blob API still has them.
        blob = self._call("GET", f"/git/blobs/{data['sha']}")
        return base64.b64decode(blob["content"])

    def dir_files(self, path: str, ref: str) -> list[str]:
        """Paths of the files directly in directory ``path`` at ``ref``; [] when it is absent."""
        try:
            data = self._call("GET", f"/contents/{path}", {"ref": ref})
        except GitHubError as exc:
            if exc.status == 404:
                return []
            raise
        if not isinstance(data, list):
            return []
        return [str(item["path"]) for item in data if item.get("type") == "file"]

    # --- writes -------------------------------------------------------------------------

    def create_review(self, number: int, payload: Mapping[str, Any]) -> int:
        """POST a review; without ``event`` GitHub keeps it PENDING (visible to no one else)."""
        return int(self._call("POST", f"/pulls/{number}/reviews", body=dict(payload))["id"])

    def delete_pending_review(self, number: int, review_id: int) -> None:
        self._call("DELETE", f"/pulls/{number}/reviews/{review_id}")

    def delete_review_comment(self, comment_id: int) -> None:
        self._call("DELETE", f"/pulls/comments/{comment_id}")

    def create_issue_comment(self, number: int, body: str) -> int:
        return int(self._call("POST", f"/issues/{number}/comments", body={"body": body})["id"])

    def edit_issue_comment(self, comment_id: int, body: str) -> None:
        self._call("PATCH", f"/issues/comments/{comment_id}", body={"body": body})

    # --- plumbing -----------------------------------------------------------------------

    def _pages(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            batch = self._call("GET", path, {"per_page": _PER_PAGE, "page": page})
            items.extend(batch)
            if len(batch) < _PER_PAGE:
                return items
            page += 1

    def _call(
        self,
        verb: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        url = f"/repos/{self.repo}{path}"
        attempt = 0
        while True:
            attempt += 1
            try:
                _headers, data = self._gh.requester.requestJsonAndCheck(
                    verb, url, parameters=dict(params or {}), input=body
                )
                return data
            except GithubException as exc:
                error = self._wait_or_error(verb, url, exc, attempt)
            except requests.RequestException as exc:
                raise GitHubError(
                    f"{verb} {url}: no answer from GitHub ({exc}); check GITHUB_API_URL and "
                    "the network"
                ) from exc
            if error is not None:
                raise error

    def _wait_or_error(
        self, verb: str, url: str, exc: GithubException, attempt: int
    ) -> GitHubError | None:
        """Sleep and return None to retry, or the error to raise."""
        message = _message(exc)
        headers = dict(exc.headers or {})
        wait = rate_limit_wait(exc.status, headers, message, self._clock())
        if wait is not None:
            if wait > self._max_wait or attempt > self._retries:
                return GitHubRateLimited(
                    f"{verb} {url}: GitHub rate limit ({message}); it lifts in {wait:.0f} s, "
                    f"more than the {self._max_wait:.0f} s we wait; run again later",
                    exc.status,
                )
            self.waits.append(wait)
            self._sleep(wait)
            return None
        if exc.status >= 500 and verb != "POST" and attempt <= self._retries:
            self._sleep(2.0**attempt)
            return None
        return _classify(verb, url, exc.status, message)


def _classify(verb: str, url: str, status: int, message: str) -> GitHubError:
    text = f"{verb} {url}: GitHub answered {status}: {message}"
    if status == 422:
        return GitHubRejected(text, status)
    if status in (401, 403) or (status == 404 and verb != "GET"):
        return GitHubPermissionError(
            f"{text}. The token cannot do this: give it 'pull-requests: write' (Actions: "
            "`permissions: pull-requests: write`), or a fine-grained token with Pull requests "
            "read and write",
            status,
        )
    if status >= 500:
        return GitHubServerError(text, status)
    return GitHubError(text, status)


def _message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict):
        message = str(data.get("message", ""))
        errors = data.get("errors")
        return f"{message} {errors}" if errors else message
    return str(data or "")


def _pull_file(item: Mapping[str, Any]) -> PullFile:
    return PullFile(
        path=item["filename"],
        status=item.get("status", "modified"),
        previous_path=item.get("previous_filename"),
        patch=item.get("patch"),
        changes=int(item.get("changes", 0)),
    )
