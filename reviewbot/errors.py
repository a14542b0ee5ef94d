"""The exception tree. Library code raises these; only ``reviewbot.error_handler`` prints them.

Every one of them means the command could not do its job, so every one exits 2 (see
``reviewbot.error_handler``); a review whose verdict fails (exit 1) is a result, not an error.

ReviewbotError
 ├── ConfigError            bad configuration value, unknown backend, bad flag combination
 ├── GitError               a git command failed (not a repository, unknown revision)
 ├── DiffParseError         a diff that cannot be parsed at all
 ├── TemplateError          a prompt or chat template failed to load or render
 ├── OutputParseError       a model answer with no usable findings JSON
 ├── SuggestionError        a suggestion that cannot be applied as asked (range outside the file)
 ├── SerializeError         stored review data that does not match the schema
 ├── PrivacyError           an endpoint outside the local network without an explicit allow
 ├── BackendError           an engine or server failed
 │    ├── BackendUnavailable  cannot be reached / not installed / no GPU (retrying won't help now)
 │    └── BackendTimeout      no answer within the deadline
 │         └── DeadlineExceeded   the hook's total deadline passed (commands/hook_deadline.py)
 │
 │   Errors of one edge live next to it:
 ├── StoreError             the SQLite result cache (store.py)
 ├── ProgressError          an audit state file (audit/progress.py)
 ├── BenchDBError           a bench results file (bench/benchdb.py)
 ├── RequestRejected, QueueFull, BatcherClosed   reviewbot serve (serve/)
 └── GitHubError            the GitHub API, with its own subtree (github/errors.py)
"""

from __future__ import annotations


class ReviewbotError(Exception):
    """Base of every error reviewbot raises on purpose. exit_code: the CLI's exit status, 2
    ("the command could not do its job"); 1 is kept for a review whose verdict fails."""

    exit_code = 2


class ConfigError(ReviewbotError):
    pass


class GitError(ReviewbotError):
    pass


class DiffParseError(ReviewbotError):
    pass


class TemplateError(ReviewbotError):
    pass


class OutputParseError(ReviewbotError):
    """raw: the model's text that could not be used."""

    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.raw = raw


class PrivacyError(ReviewbotError):
    """A configuration matter: base_url or allow_remote."""


class BackendError(ReviewbotError):
    pass


class BackendUnavailable(BackendError):
    pass


class BackendTimeout(BackendError):
    pass


class SuggestionError(ReviewbotError):
    """A suggestion that cannot be applied as asked (range outside the file, unknown EOL)."""


class SerializeError(ReviewbotError):
    """Stored review data that does not match the schema (corrupt, or another version)."""
