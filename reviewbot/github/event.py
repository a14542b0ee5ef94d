"""Which pull request to review: from GitHub Actions' environment or from arguments.

GitHub Actions sets ``GITHUB_EVENT_PATH`` (the event JSON: ``pull_request.number``,
``.base.sha``, ``.head.sha``, ``.draft``, ``.state``, ``.merged``), ``GITHUB_REPOSITORY``
(``owner/name``), ``GITHUB_API_URL`` (``https://HOST/api/v3`` on GitHub Enterprise Server) and,
when the workflow passes it, ``GITHUB_TOKEN``. Tokens come from the environment only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reviewbot.errors import ConfigError
from reviewbot.github.client import DEFAULT_API_URL

_REPO = re.compile(r"^[\w.-]+/[\w.-]+$")


@dataclass(frozen=True)
class PullTarget:
    """One pull request to review. head_sha / base_sha: as the event said (None: ask GitHub).
    state: GitHub's ``open`` or ``closed`` (merged ones are closed and ``merged``)."""

    repo: str
    number: int
    api_url: str
    token: str
    head_sha: str | None = None
    base_sha: str | None = None
    draft: bool = False
    state: str = "open"
    merged: bool = False


@dataclass(frozen=True)
class PullEvent:
    """The parts of a ``pull_request`` event payload the bot uses."""

    action: str
    repo: str
    number: int
    head_sha: str
    base_sha: str
    draft: bool
    state: str = "open"
    merged: bool = False


def parse_pull_event(payload: object) -> PullEvent:
    """Read a ``pull_request`` webhook or Actions payload (any decoded JSON value).

    Raises ConfigError naming the first missing or malformed key, e.g. ``pull_request.head.sha``.
    """
    number = _field(payload, "pull_request.number")
    try:
        pull_number = int(str(number))
    except ValueError:
        raise _bad_event("pull_request.number", number) from None
    return PullEvent(
        action=str(_field(payload, "action", default="")),
        repo=str(_field(payload, "repository.full_name")),
        number=pull_number,
        head_sha=str(_field(payload, "pull_request.head.sha")),
        base_sha=str(_field(payload, "pull_request.base.sha")),
        draft=bool(_field(payload, "pull_request.draft", default=False)),
        state=str(_field(payload, "pull_request.state", default="open")),
        merged=bool(_field(payload, "pull_request.merged", default=False)),
    )


def not_reviewed(target: PullTarget, *, review_drafts: bool) -> str | None:
    """Why ``target`` gets no review, in one line, or None to review it.

    A closed pull request (merged or not) has nothing left to review; a draft waits for
    ``ready_for_review`` unless ``review_drafts``: the webhook's rule (``webhook/server.py``).
    """
    if target.state == "closed":
        how = " (merged)" if target.merged else ""
        return f"pull request #{target.number} is closed{how}; nothing to review"
    if target.draft and not review_drafts:
        return (
            f"pull request #{target.number} is a draft; nothing to review (it is reviewed when "
            "marked ready for review; --review-drafts reviews drafts)"
        )
    return None


_REQUIRED = object()


def _field(payload: object, dotted: str, default: object = _REQUIRED) -> object:
    """The value at ``dotted`` (keys joined by dots); ``default``, when given, for an absent or
    null last key. Raises ConfigError naming the key that is missing or not an object."""
    value = payload
    keys = dotted.split(".")
    for depth, key in enumerate(keys):
        if not isinstance(value, Mapping):
            raise _bad_event(".".join(keys[:depth]) or "the event itself", value)
        value = value.get(key)
        if value is None:
            if depth == len(keys) - 1 and default is not _REQUIRED:
                return default
            raise _bad_event(".".join(keys[: depth + 1]), None)
    return value


def _bad_event(key: str, value: object) -> ConfigError:
    found = "it is missing" if value is None else f"found {type(value).__name__} {value!r:.60}"
    return ConfigError(
        f"the event is not a pull_request event: missing or bad {key!r} ({found}); run "
        "`reviewbot pr` on pull_request events, or pass --repo OWNER/NAME --pr N"
    )


def token_from(environ: Mapping[str, str], *, required: bool = True) -> str:
    """GITHUB_TOKEN (or GH_TOKEN); "" when unset and not required.

    Raises ConfigError when required and neither is set.
    """
    token = environ.get("GITHUB_TOKEN") or environ.get("GH_TOKEN") or ""
    if not token and required:
        raise ConfigError(
            "no GitHub token: set GITHUB_TOKEN (in Actions: `env: GITHUB_TOKEN: "
            "${{ secrets.GITHUB_TOKEN }}`)"
        )
    return token


def api_url_from(environ: Mapping[str, str]) -> str:
    """GITHUB_API_URL (GitHub Enterprise Server: ``https://HOST/api/v3``), else api.github.com."""
    return environ.get("GITHUB_API_URL") or DEFAULT_API_URL


def target_from_actions(environ: Mapping[str, str], *, need_token: bool = True) -> PullTarget:
    """The pull request of the running workflow. Raises ConfigError outside a PR workflow."""
    event_path = environ.get("GITHUB_EVENT_PATH")
    if not event_path:
        raise ConfigError(
            "GITHUB_EVENT_PATH is not set: outside GitHub Actions pass --repo OWNER/NAME --pr N"
        )
    try:
        payload = json.loads(Path(event_path).read_bytes())
    except (OSError, ValueError) as exc:  # ValueError: not JSON, or not UTF-8/16/32 text
        raise ConfigError(
            f"cannot read the event file {event_path} (GITHUB_EVENT_PATH): {exc}"
        ) from exc
    event = parse_pull_event(payload)
    return PullTarget(
        repo=environ.get("GITHUB_REPOSITORY") or event.repo,
        number=event.number,
        api_url=api_url_from(environ),
        token=token_from(environ, required=need_token),
        head_sha=event.head_sha,
        base_sha=event.base_sha,
        draft=event.draft,
        state=event.state,
        merged=event.merged,
    )


def target_from_args(
    repo: str, number: int, environ: Mapping[str, str], *, need_token: bool = True
) -> PullTarget:
    """``--repo OWNER/NAME --pr N``; API URL from GITHUB_API_URL. Raises ConfigError."""
    if not _REPO.match(repo):
        raise ConfigError(f"--repo {repo!r} is not OWNER/NAME, e.g. --repo octo-org/widgets")
    if number < 1:
        raise ConfigError(f"--pr {number} is not a pull request number (1 or more)")
    return PullTarget(
        repo=repo,
        number=number,
        api_url=api_url_from(environ),
        token=token_from(environ, required=need_token),
    )
