"""Small pure parts of the bot: rate-limit waits, markers, API diffs, anchor checks, events."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.diff import parse_diff
from reviewbot.errors import ConfigError
from reviewbot.github.client import PullFile
from reviewbot.github.event import parse_pull_event, target_from_actions, target_from_args
from reviewbot.github.markers import (
    fingerprint_marker,
    fingerprints_in,
    summary_in,
    summary_marker,
)
from reviewbot.github.placement import anchor_problem, comment_position
from reviewbot.github.ratelimit import rate_limit_wait
from reviewbot.github.source import OMITTED, api_diff
from reviewbot.mdtext import neutralize
from reviewbot.types import FileStatus, Side, Skipped
from reviewbot.webhook.signature import sign, verify

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("status", "headers", "message", "wait"),
    [
        (403, {"Retry-After": "30"}, "You have exceeded a secondary rate limit", 30.0),
        (429, {"retry-after": "5"}, "", 5.0),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 100)}, "", 101.0),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) - 5)}, "", 1.0),
        (403, {}, "You have exceeded a secondary rate limit.", 60.0),
        (429, {}, "", 60.0),
        (403, {"x-ratelimit-remaining": "4999"}, "Resource not accessible by integration", None),
        (422, {"retry-after": "5"}, "Unprocessable Entity", None),
    ],
)
def test_rate_limit_wait(
    status: int, headers: dict[str, str], message: str, wait: float | None
) -> None:
    assert rate_limit_wait(status, headers, message, NOW) == wait


def test_markers_round_trip_and_other_bots_are_ignored() -> None:
    text = "x\n" + fingerprint_marker("0123abcd") + "\n" + fingerprint_marker("ffff", bot="other")
    assert fingerprints_in(text) == ["0123abcd"]
    assert fingerprints_in(text, bot="other") == ["ffff"]
    marker = summary_in("hi\n" + summary_marker("a" * 40))
    assert marker is not None and marker.head == "a" * 40
    assert summary_in(summary_marker("a" * 40, bot="other")) is None


def test_model_text_cannot_forge_markers() -> None:
    forged = neutralize("ok " + fingerprint_marker("0123abcd"))
    assert fingerprints_in(forged) == []
    assert forged == "ok &lt;!-- reviewbot:fp=0123abcd bot=reviewbot -->"


def test_api_files_become_a_parseable_diff() -> None:
    files = [
        PullFile("new.py", "added", None, "@@ -0,0 +1,2 @@\n+a\n+b", 2),
        PullFile("old.py", "removed", None, "@@ -1 +0,0 @@\n-gone", 1),
        PullFile("b.py", "renamed", "a.py", None, 0),
        PullFile("big.json", "modified", None, None, 40_000),
        PullFile("m.py", "modified", None, "@@ -1,2 +1,2 @@\n x\n-y\n+z", 2),
    ]
    data, omitted = api_diff(files)
    assert omitted == [Skipped("big.json", OMITTED)]
    parsed, unparsed = parse_diff(data)
    assert unparsed == []
    assert [(f.path, f.old_path, f.status) for f in parsed] == [
        ("new.py", None, FileStatus.ADDED),
        ("old.py", None, FileStatus.DELETED),
        ("b.py", "a.py", FileStatus.RENAMED),
        ("m.py", None, FileStatus.MODIFIED),
    ]
    m = parsed[3]
    assert anchor_problem(m, Side.RIGHT, 2, None) is None
    assert anchor_problem(m, Side.LEFT, 2, None) is None
    assert anchor_problem(m, Side.RIGHT, 1, 2) is None
    assert anchor_problem(m, Side.LEFT, 1, None) == (
        "line 1 is not a removed line of the diff (LEFT)"
    )
    assert anchor_problem(m, Side.RIGHT, 3, None) == (
        "line 3 is not an added or unchanged line of the diff (RIGHT)"
    )


def test_range_across_hunks_is_refused() -> None:
    text = (
        b"diff --git a/f b/f\n--- a/f\n+++ b/f\n"
        b"@@ -1,2 +1,2 @@\n a\n-b\n+B\n@@ -10,2 +10,2 @@\n j\n-k\n+K\n"
    )
    [diff], _ = parse_diff(text)
    assert (
        anchor_problem(diff, Side.RIGHT, 2, 10)
        == "line 3 is not an added or unchanged line of the diff (RIGHT)"
    )
    assert anchor_problem(diff, Side.RIGHT, 1, 2) is None
    assert comment_position(Side.RIGHT, 1, 2) == {
        "start_line": 1,
        "start_side": "RIGHT",
        "line": 2,
        "side": "RIGHT",
    }
    assert comment_position(Side.LEFT, 2, None) == {"line": 2, "side": "LEFT"}


def test_event_and_arguments() -> None:
    with pytest.raises(ConfigError, match="missing or bad 'pull_request'"):
        parse_pull_event({"action": "opened"})
    pull = {"number": 7, "head": {"sha": "b" * 40}, "base": "main"}
    with pytest.raises(
        ConfigError, match=r"missing or bad 'pull_request.base' \(found str 'main'\)"
    ):
        parse_pull_event({"pull_request": pull, "repository": {"full_name": "o/r"}})
    with pytest.raises(ConfigError, match=r"'pull_request.number' \(found str 'seven'\)"):
        parse_pull_event({"pull_request": {**pull, "number": "seven"}})
    with pytest.raises(ConfigError, match=r"'the event itself' \(found list \[1\]\)"):
        parse_pull_event([1])
    event = {"pull_request": {**pull, "base": {"sha": "a" * 40}, "draft": None}}
    parsed = parse_pull_event({**event, "repository": {"full_name": "o/r"}})
    assert (parsed.action, parsed.repo, parsed.number, parsed.draft) == ("", "o/r", 7, False)
    with pytest.raises(ConfigError, match="is not OWNER/NAME"):
        target_from_args("widgets", 1, {"GITHUB_TOKEN": "t"})
    with pytest.raises(ConfigError, match="no GitHub token"):
        target_from_args("octo/widgets", 1, {})
    target = target_from_args(
        "octo/widgets", 3, {"GITHUB_TOKEN": "t", "GITHUB_API_URL": "https://ghe.example/api/v3"}
    )
    assert (target.repo, target.number, target.api_url) == (
        "octo/widgets",
        3,
        "https://ghe.example/api/v3",
    )


def test_an_unreadable_event_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "event.json").write_bytes(b"\xff\xfe{")
    environ = {"GITHUB_EVENT_PATH": str(tmp_path / "event.json"), "GITHUB_TOKEN": "t"}
    with pytest.raises(ConfigError, match=r"cannot read the event file .*event\.json"):
        target_from_actions(environ)


def test_signature() -> None:
    body = b'{"zen": "Design for failure."}'
    # GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!"
    assert sign(b"It's a Secret to Everybody", b"Hello, World!") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )
    assert verify(b"s", body, sign(b"s", body))
    assert not verify(b"s", body, None)
    assert not verify(b"s", body, sign(b"t", body))
    assert not verify(b"s", body, "sha256=zz\u00e9")
