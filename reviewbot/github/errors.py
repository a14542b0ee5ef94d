"""Errors of the GitHub edge (all ``ReviewbotError``; the CLI prints them, exit code 2).

GitHubError                 any failed GitHub request (status 0: no answer at all)
 ├── GitHubRejected         422: GitHub refused the content (e.g. a comment off the diff)
 ├── GitHubPermissionError  401/403/404 on a write: the token may not do this
 ├── GitHubServerError      5xx: GitHub's side failed; retrying may help
 └── GitHubRateLimited      the rate limit resets later than we are willing to wait
"""

from __future__ import annotations

from reviewbot.errors import ReviewbotError


class GitHubError(ReviewbotError):
    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class GitHubRejected(GitHubError):
    pass


class GitHubPermissionError(GitHubError):
    pass


class GitHubServerError(GitHubError):
    pass


class GitHubRateLimited(GitHubError):
    pass
