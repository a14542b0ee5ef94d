"""The pipeline sequencing: requests, per-chunk failures, truncation, suggestions' shape."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import gitrepo

from reviewbot import pipeline
from reviewbot.backends.fake import FakeBackend
from reviewbot.cli import main
from reviewbot.commands.output import exit_code
from reviewbot.config import Config
from reviewbot.diff import parse_diff
from reviewbot.errors import ConfigError
from reviewbot.findings import findings_json_schema
from reviewbot.git import staged_diff
from reviewbot.render import PromptRenderer
from reviewbot.reporters.sarif import sarif_log
from reviewbot.reporters.terminal import TerminalReporter
from reviewbot.types import Completion, FileDiff, FinishReason, Placement

CONFIG = Config(backend="fake", max_new_tokens=256, seed=7)


def staged_files(
    repo: Path, before: dict[str, str | bytes], after: dict[str, str | bytes]
) -> list[FileDiff]:
    for path, content in before.items():
        gitrepo.write(repo, path, content)
    gitrepo.commit(repo, "before")
    for path, content in after.items():
        gitrepo.write(repo, path, content)
    gitrepo.stage(repo)
    files, skipped = parse_diff(staged_diff(repo))
    assert skipped == []
    return files


def answer(*findings: dict[str, Any]) -> str:
    return json.dumps({"findings": list(findings)})


def finding(path: str, line: int, quote: str | None, **extra: Any) -> dict[str, Any]:
    base = {
        "path": path,
        "line": line,
        "end_line": None,
        "side": "RIGHT",
        "severity": "error",
        "category": "bug",
        "quote": quote,
        "message": "wrong",
        "suggestion": None,
    }
    return {**base, **extra}


def run(files: list[FileDiff], backend: FakeBackend, config: Config = CONFIG) -> Any:
    return pipeline.review(files, backend, config, PromptRenderer.for_repo(None, config))


def test_requests_carry_schema_and_settings(git_repo: Path) -> None:
    files = staged_files(git_repo, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    backend = FakeBackend([answer()])
    review = run(files, backend)
    [request] = backend.requests
    assert request.json_schema == findings_json_schema()
    assert (request.max_new_tokens, request.seed, request.temperature) == (256, 7, 0.0)
    assert [m.role for m in request.messages] == ["system", "user"]
    assert (review.stats.calls, review.errors, review.findings) == (1, (), ())
    assert review.reviewed_files == ("a.py",)


def two_chunk_window(files: list[FileDiff]) -> int:
    """The smallest context window (in steps of 50 tokens) that needs exactly two chunks."""
    for window in range(600, 6000, 50):
        config = Config(backend="fake", max_new_tokens=64, context_window=window)
        renderer = PromptRenderer.for_repo(None, config)
        try:
            chunks, _, skipped = pipeline.plan_requests(files, FakeBackend(), config, renderer)
        except ConfigError:
            continue
        if len(chunks) == 2 and not skipped:
            return window
    raise AssertionError("no window gives two chunks")


def test_one_bad_chunk_does_not_sink_the_others(git_repo: Path) -> None:
    lines = "".join(f"value_{n} = {n}\n" for n in range(40))
    files = staged_files(
        git_repo,
        {"a.py": lines, "b.py": lines},
        {"a.py": lines.replace(" = ", " = 1 + "), "b.py": lines.replace(" = ", " = 2 + ")},
    )
    window = two_chunk_window(files)
    backend = FakeBackend(
        ["Sorry, I cannot help with that.", answer(finding("b.py", 6, "value_5 = 2 + 5"))]
    )
    review = run(files, backend, Config(backend="fake", max_new_tokens=64, context_window=window))
    assert review.stats.calls == 2
    [error] = review.errors
    assert error.paths == ("a.py",)
    assert error.raw == "Sorry, I cannot help with that."
    assert [(f.path, f.line, f.placement) for f in review.findings] == [
        ("b.py", 6, Placement.INLINE)
    ]
    assert not review.failed
    # an incomplete review is not a clean one: a.py was not reviewed, and the exit code says so
    assert review.reviewed_files == ("b.py",)
    assert exit_code(review, fail_on=None) == 1


def test_every_chunk_failing_is_a_failed_review(git_repo: Path) -> None:
    files = staged_files(git_repo, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    review = run(files, FakeBackend([Completion("", FinishReason.ERROR, error="HTTP 500 from x")]))
    assert review.failed
    assert review.errors[0].reason == "HTTP 500 from x"


def test_truncated_answer_keeps_complete_findings(git_repo: Path) -> None:
    files = staged_files(git_repo, {"a.py": "x = 1\ny = 2\n"}, {"a.py": "x = 3\ny = 4\n"})
    cut = answer(finding("a.py", 1, "x = 3"), finding("a.py", 2, "y = 4"))[:-40]
    review = run(files, FakeBackend([Completion(cut, FinishReason.LENGTH)]))
    assert [f.line for f in review.findings] == [1]
    assert review.stats.truncated_outputs == 1
    assert not review.errors


def test_answer_cut_off_before_any_json_is_counted_and_explained(git_repo: Path) -> None:
    files = staged_files(git_repo, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    prose = "Let me look at this change. The value"
    review = run(files, FakeBackend([Completion(prose, FinishReason.LENGTH)]))
    assert review.stats.truncated_outputs == 1
    [error] = review.errors
    assert error.reason == (
        "the model's answer was cut off at max_new_tokens before any findings JSON (it starts "
        "'Let me look at this change. The value'); raise max_new_tokens, or enable "
        "structured_output if the engine supports it so the answer starts with the JSON"
    )
    assert error.raw == prose


def test_unstructured_review_over_http_reports_the_cut_like_audit(
    git_repo: Path, scripted_server: Any
) -> None:
    """The tester's case: structured output off, the server stops at max_tokens."""
    staged_files(git_repo, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    gitrepo.write(git_repo, ".reviewbot.toml", 'structured_output = "none"\n')
    scripted_server.reply("I will review", finish_reason="length", completion_tokens=256)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            [
                "-C",
                str(git_repo),
                "review",
                "--backend",
                "openai",
                "--format",
                "json",
                "--base-url",
                scripted_server.base_url,
            ],
            environ={},
        )
    report = json.loads(out.getvalue())
    assert code == 1
    assert "response_format" not in scripted_server.chat_requests[0].body
    assert (report["stats"]["truncated_outputs"], report["stats"]["completion_tokens"]) == (1, 256)
    [error] = report["errors"]
    assert error["reason"].startswith("the model's answer was cut off at max_new_tokens")


def test_suggestion_gets_the_files_indentation_and_line_endings(git_repo: Path) -> None:
    before = "def f(x):\r\n\tif x:\r\n\t\treturn 1\r\n\treturn 0\r\n"
    after = "def f(x):\r\n\tif x:\r\n\t\treturn 2\r\n\treturn 0\r\n"
    files = staged_files(git_repo, {"crlf.py": before.encode()}, {"crlf.py": after.encode()})
    assert files[0].eol == "crlf"
    suggestion = "if x:\n    return 1"  # the model dropped the tab and used spaces
    backend = FakeBackend(
        [answer(finding("crlf.py", 2, "if x:", end_line=3, suggestion=suggestion))]
    )
    review = run(files, backend)
    [placed] = review.findings
    assert placed.suggestion == "\tif x:\r\n\t\treturn 1"
    user_message = backend.requests[0].messages[1].content
    assert "\r" not in user_message
    [result] = sarif_log(review)["runs"][0]["results"]
    replacement = result["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert replacement["insertedContent"]["text"] == "\tif x:\r\n\t\treturn 1"


def test_unreviewable_files_are_listed_not_sent(git_repo: Path) -> None:
    files = staged_files(
        git_repo,
        {"a.py": "x = 1\n", "package-lock.json": "{}\n", "logo.png": b"\x89PNG\x00\x01"},
        {"a.py": "x = 2\n", "package-lock.json": '{"a": 1}\n', "logo.png": b"\x89PNG\x00\x02"},
    )
    backend = FakeBackend()
    review = run(files, backend)
    assert {s.path: s.reason for s in review.skipped} == {
        "package-lock.json": "lockfile",
        "logo.png": "binary file",
    }
    assert len(backend.requests) == 1
    assert "package-lock" not in backend.requests[0].messages[1].content


def test_findings_beyond_use_are_reported_not_dropped(git_repo: Path) -> None:
    files = staged_files(git_repo, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    text = json.dumps(
        {
            "findings": [
                finding("a.py", 1, "x = 2"),
                {**finding("a.py", 1, None), "line": -3, "message": "no good line"},
                {"path": "a.py", "line": 1},
            ]
        }
    )
    review = run(files, FakeBackend([text]))
    assert [(f.line, f.placement, f.message) for f in review.findings] == [
        (None, Placement.FILE, "no good line"),
        (1, Placement.INLINE, "wrong"),
    ]
    assert review.discarded == ("a.py: finding 3: message is missing; dropped",)
    out = io.StringIO()
    TerminalReporter(out).report(review)
    assert "unusable findings in the model's answers:\n  a.py: finding 3: message is missing" in (
        out.getvalue()
    )
