"""``reviewbot hook`` run as the real command line, in real git repositories, against a scripted
OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import gitrepo
import pytest
from factories import ASSIGNMENT_BUG, answer

from reviewbot.commands import hook, hook_deadline, hook_gate
from reviewbot.errors import ConfigError
from reviewbot.types import Review

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("httpx", "jinja2", "pydantic", "unidiff", "github", "reviewbot.backends.openai")

ANSWER = answer(ASSIGNMENT_BUG)
REPORT = """\
app.py:2: error: [bug] Assignment instead of comparison.
  suggested change to line 2:
  -     if x = None:
  +     if x is None:

1 finding (1 error) in 1 file reviewed
"""


def hook_env(tmp_path: Path, base_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REVIEWBOT_", "PRE_COMMIT"))}
    env.update(gitrepo.HERMETIC_ENV)
    env.update(
        PYTHONPATH=str(ROOT),
        REVIEWBOT_BASE_URL=base_url,
        REVIEWBOT_CACHE_DIR=str(tmp_path / "cache"),
        NO_COLOR="1",
    )
    env.update(extra)
    return env


def run_hook(
    repo: Path, env: dict[str, str], *args: str, python: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *python, "-m", "reviewbot", "hook", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def staged(git_repo: Path) -> Path:
    """app.py committed, then a change to it staged."""
    gitrepo.write(git_repo, "app.py", "def f(x):\n    return x\n")
    gitrepo.write(git_repo, "poetry.lock", "old\n")
    gitrepo.commit(git_repo, "base")
    gitrepo.write(
        git_repo, "app.py", "def f(x):\n    if x = None:\n        return 0\n    return x\n"
    )
    gitrepo.stage(git_repo)
    return git_repo


def closed_port_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# -- findings and the exit code -------------------------------------------------------------


@pytest.mark.parametrize(("fail_on", "code"), [(None, 0), ("error", 1), ("critical", 0)])
def test_findings_in_compiler_style_and_exit_by_fail_on(
    staged: Path, tmp_path: Path, scripted_server: Any, fail_on: str | None, code: int
) -> None:
    scripted_server.reply(ANSWER)
    extra = {"REVIEWBOT_FAIL_ON": fail_on} if fail_on else {}
    proc = run_hook(staged, hook_env(tmp_path, scripted_server.base_url, **extra), "app.py")
    assert (proc.returncode, proc.stdout, proc.stderr) == (code, REPORT, "")
    assert len(scripted_server.chat_requests) == 1
    prompt = scripted_server.chat_requests[0].body["messages"][1]["content"]
    assert "## File: app.py (modified, python)" in prompt


def test_a_second_run_uses_the_cache_and_prints_the_same(
    staged: Path, tmp_path: Path, scripted_server: Any
) -> None:
    scripted_server.reply(ANSWER)
    env = hook_env(tmp_path, scripted_server.base_url, REVIEWBOT_FAIL_ON="error")
    first = run_hook(staged, env, "app.py")
    requests = len(scripted_server.requests)
    second = run_hook(staged, env, "app.py", python=("-X", "importtime"))
    assert len(scripted_server.requests) == requests  # not one request of any kind
    assert (second.returncode, second.stdout) == (first.returncode, first.stdout) == (1, REPORT)
    assert "reviewbot: 1 file from the cache, no model call" in second.stderr
    imported = _imported(second.stderr)
    assert [m for m in ("httpx", "jinja2", "reviewbot.backends.openai") if m in imported] == []


def test_only_the_changed_file_goes_to_the_model_again(
    staged: Path, tmp_path: Path, scripted_server: Any
) -> None:
    gitrepo.write(staged, "util.py", "A = 1\n")
    gitrepo.stage(staged)
    env = hook_env(tmp_path, scripted_server.base_url)
    run_hook(staged, env, "app.py", "util.py")
    gitrepo.write(staged, "util.py", "A = 2\n")
    gitrepo.stage(staged)
    before = len(scripted_server.chat_requests)
    proc = run_hook(staged, env, "app.py", "util.py")
    assert proc.returncode == 0
    sent = [r.body["messages"][1]["content"] for r in scripted_server.chat_requests[before:]]
    assert len(sent) == 1
    assert "util.py" in sent[0] and "app.py" not in sent[0]


# -- nothing to review ----------------------------------------------------------------------


def _imported(importtime_stderr: str) -> set[str]:
    lines = [line for line in importtime_stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines[1:]}


def test_only_unreviewable_files_exit_at_once_without_heavy_imports(
    staged: Path, tmp_path: Path, scripted_server: Any
) -> None:
    gitrepo.write(staged, "poetry.lock", "new\n")
    gitrepo.write(staged, "vendor/lib.js", "x = 1\n")
    gitrepo.stage(staged)
    env = hook_env(tmp_path, scripted_server.base_url)
    proc = run_hook(staged, env, "poetry.lock", "vendor/lib.js", python=("-X", "importtime"))
    assert proc.returncode == 0
    assert proc.stdout == ""
    assert (
        "reviewbot: nothing to review (poetry.lock: lockfile; vendor/lib.js: vendored (vendor/))"
        in proc.stderr
    )
    assert scripted_server.requests == []
    imported = _imported(proc.stderr)
    assert [m for m in HEAVY if m in imported] == []
    assert "reviewbot.config_load" not in imported  # decided before reading any config


def test_files_skipped_by_name_are_named_beside_a_review(
    staged: Path, tmp_path: Path, scripted_server: Any
) -> None:
    gitrepo.write(staged, "poetry.lock", "new\n")
    gitrepo.stage(staged)
    scripted_server.reply(ANSWER)
    proc = run_hook(staged, hook_env(tmp_path, scripted_server.base_url), "app.py", "poetry.lock")
    assert (proc.returncode, proc.stdout) == (0, REPORT)
    assert proc.stderr == "reviewbot: skipped: poetry.lock (lockfile)\n"
    [chat] = scripted_server.chat_requests
    assert "poetry.lock" not in chat.body["messages"][1]["content"]


@pytest.mark.parametrize(
    ("paths", "said", "done"),
    [
        (["poetry.lock"], "nothing to review (poetry.lock: lockfile)", True),
        (["app.py", "dist/app.js"], "skipped: dist/app.js (generated (dist/))", False),
        (
            ["a.min.js", "Cargo.lock", "x_pb2.py", "go.sum", "yarn.lock", "app.py"],
            "skipped: a.min.js (minified (*.min.js)); Cargo.lock (lockfile); "
            "x_pb2.py (generated (*_pb2.py)); and 2 more",
            False,
        ),
        (
            ["go.sum", "uv.lock", "node_modules/a.js", "Pods/b.m"],
            "nothing to review (go.sum: lockfile; uv.lock: lockfile; "
            "node_modules/a.js: vendored (node_modules/); and 1 more)",
            True,
        ),
        (["app.py"], None, False),
    ],
)
def test_the_gate_names_what_it_skips(paths: list[str], said: str | None, done: bool) -> None:
    err = io.StringIO()
    assert hook_gate.nothing_to_do(paths, ranged=False, environ={}, err=err) is done
    assert err.getvalue() == ("" if said is None else f"reviewbot: {said}\n")


def test_the_gate_leaves_a_range_to_the_hook() -> None:
    err = io.StringIO()
    assert hook_gate.nothing_to_do(["poetry.lock"], ranged=True, environ={}, err=err) is False
    assert err.getvalue() == ""


def test_excluded_by_config_exits_without_a_model(
    staged: Path, tmp_path: Path, scripted_server: Any
) -> None:
    env = hook_env(tmp_path, scripted_server.base_url, REVIEWBOT_EXCLUDE="*.py")
    proc = run_hook(staged, env, "app.py")
    assert (proc.returncode, proc.stdout) == (0, "")
    assert "no file given is matched by include/exclude" in proc.stderr
    assert scripted_server.requests == []


def test_all_files_without_a_staged_change_points_to_audit(
    staged: Path, tmp_path: Path, scripted_server: Any
) -> None:
    gitrepo.git(staged, "reset", "-q")  # nothing staged; pre-commit run --all-files passes all
    gitrepo.write(staged, "other.py", "x = 1\n")
    proc = run_hook(staged, hook_env(tmp_path, scripted_server.base_url), "app.py", "other.py")
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr == (
        "reviewbot: nothing staged in the 2 files given (pre-commit run --all-files?): the hook "
        "reviews staged changes only; to review whole files, run `reviewbot audit`\n"
    )
    assert scripted_server.requests == []


def test_a_staged_deletion_alone_is_not_reviewed(git_repo: Path, tmp_path: Path) -> None:
    gitrepo.write(git_repo, "gone.py", "x = 1\n")
    gitrepo.commit(git_repo)
    gitrepo.git(git_repo, "rm", "-q", "gone.py")
    err = io.StringIO()
    code = hook.run(
        hook.Target(()), cwd=git_repo, flags={"base_url": closed_port_url()}, environ={}, stderr=err
    )
    assert (code, err.getvalue()) == (0, "reviewbot: nothing to review (gone.py: deleted)\n")


def test_reviewbot_skip(staged: Path, tmp_path: Path, scripted_server: Any) -> None:
    env = hook_env(tmp_path, scripted_server.base_url, REVIEWBOT_SKIP="1")
    proc = run_hook(staged, env, "app.py")
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr == "reviewbot: skipped (REVIEWBOT_SKIP is set)\n"
    assert scripted_server.requests == []


def test_push_without_a_range_never_reviews_the_staged_changes(
    staged: Path, tmp_path: Path, scripted_server: Any
) -> None:
    # pre-commit sets no PRE_COMMIT_FROM_REF/TO_REF when the pushed history is new to the remote
    proc = run_hook(staged, hook_env(tmp_path, scripted_server.base_url), "--push")
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr == (
        "reviewbot: nothing to review: this push starts a new history on the remote, so there "
        "is no range to review; to review whole files, run `reviewbot audit`\n"
    )
    assert scripted_server.requests == []


# -- no model -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "code", "start"),
    [
        ("pass", 0, "reviewbot: warning: no review, the commit goes ahead (set on_unavailable"),
        (
            "fail",
            1,
            'reviewbot: error: no review, so the commit is blocked (on_unavailable = "fail")',
        ),
    ],
)
def test_server_down_warns_in_one_line(
    staged: Path, tmp_path: Path, policy: str, code: int, start: str
) -> None:
    env = hook_env(tmp_path, closed_port_url(), REVIEWBOT_ON_UNAVAILABLE=policy)
    proc = run_hook(staged, env, "app.py")
    assert (proc.returncode, proc.stdout) == (code, "")
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(start)
    assert "cannot reach the model server" in proc.stderr


def test_a_server_that_never_answers_is_cut_off_at_the_deadline(
    staged: Path, tmp_path: Path, scripted_server: Any
) -> None:
    scripted_server.hang(600)
    env = hook_env(tmp_path, scripted_server.base_url, REVIEWBOT_DEADLINE="1.5")
    proc = run_hook(staged, env, "app.py")  # a hang fails here with TimeoutExpired
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("reviewbot: warning: no review, the commit goes ahead")
    assert len(scripted_server.chat_requests) == 1


def test_a_server_that_never_answers_blocks_with_fail(
    staged: Path, tmp_path: Path, scripted_server: Any
) -> None:
    scripted_server.hang(600)
    env = hook_env(
        tmp_path, scripted_server.base_url, REVIEWBOT_DEADLINE="1", REVIEWBOT_ON_UNAVAILABLE="fail"
    )
    proc = run_hook(staged, env, "app.py")
    assert proc.returncode == 1
    assert proc.stderr.startswith("reviewbot: error: no review, so the commit is blocked")


def test_within_deadline_raises_for_slow_work() -> None:
    import threading

    release = threading.Event()

    def slow() -> Review:
        release.wait(30)
        return Review()

    with pytest.raises(hook_deadline.DeadlineExceeded, match=r"deadline of 0\.05 s"):
        hook_deadline.within_deadline(slow, 0.05)
    release.set()
    assert hook_deadline.within_deadline(Review, 5) == Review()


def test_unusable_answers_pass_by_default(
    staged: Path, tmp_path: Path, scripted_server: Any
) -> None:
    scripted_server.reply("I cannot review this.")
    proc = run_hook(staged, hook_env(tmp_path, scripted_server.base_url), "app.py")
    assert proc.returncode == 0
    assert "review failed: all 1 chunk failed" in proc.stdout
    assert "no usable review, the commit goes ahead (on_unavailable)" in proc.stderr


# -- ranges (pre-push) ----------------------------------------------------------------------


def test_a_range_reviews_exactly_the_pushed_commits(
    staged: Path, tmp_path: Path, scripted_server: Any
) -> None:
    gitrepo.git(staged, "reset", "-q")
    base = gitrepo.head(staged)
    gitrepo.write(staged, "pushed.py", "print('pushed')\n")
    gitrepo.git(staged, "add", "pushed.py")
    gitrepo.git(staged, "commit", "-q", "-m", "pushed")
    tip = gitrepo.head(staged)
    gitrepo.write(staged, "later.py", "print('staged, not pushed')\n")
    gitrepo.git(staged, "add", "later.py")
    env = hook_env(
        tmp_path, scripted_server.base_url, PRE_COMMIT_FROM_REF=base, PRE_COMMIT_TO_REF=tip
    )
    assert run_hook(staged, env).returncode == 0
    flags = hook_env(tmp_path, scripted_server.base_url)
    assert run_hook(staged, flags, "--from-ref", base, "--to-ref", tip).returncode == 0
    prompts = [r.body["messages"][1]["content"] for r in scripted_server.chat_requests]
    assert len(prompts) == 1  # the second run came from the cache
    assert "## File: pushed.py (added, python)" in prompts[0]
    assert "later.py" not in prompts[0] and "app.py" not in prompts[0]


def test_a_range_needs_both_ends() -> None:
    with pytest.raises(ConfigError, match="a range needs both ends"):
        hook.target_from((), "abc", None, {})
    with pytest.raises(ConfigError):
        hook.target_from((), None, None, {"PRE_COMMIT_TO_REF": "x"})
    assert hook.target_from(("a",), None, None, {}) == hook.Target(("a",))
    env = {"PRE_COMMIT_FROM_REF": "a", "PRE_COMMIT_TO_REF": "b"}
    assert hook.target_from((), None, None, env) == hook.Target((), "a", "b")


def test_a_staged_rename_is_reviewed_as_a_rename(
    git_repo: Path, tmp_path: Path, scripted_server: Any
) -> None:
    gitrepo.write(git_repo, "old_name.py", "".join(f"line_{i} = {i}\n" for i in range(20)))
    gitrepo.commit(git_repo)
    gitrepo.git(git_repo, "mv", "old_name.py", "new_name.py")
    gitrepo.write(
        git_repo, "new_name.py", "".join(f"line_{i} = {i}\n" for i in range(20)) + "x = 1\n"
    )
    gitrepo.stage(git_repo)
    proc = run_hook(git_repo, hook_env(tmp_path, scripted_server.base_url), "new_name.py")
    assert proc.returncode == 0
    prompt = scripted_server.chat_requests[0].body["messages"][1]["content"]
    assert "## File: new_name.py (renamed from old_name.py, python)" in prompt
