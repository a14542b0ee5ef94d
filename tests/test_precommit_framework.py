"""Our ``.pre-commit-hooks.yaml`` run by the real pre-commit framework on real ``git commit`` and
``git push``, against a scripted OpenAI-compatible server on 127.0.0.1.

Most tests install the manifest's hooks as a ``repo: local`` config (every key as shipped, only
``language: system`` and an ``entry`` running this checkout), so no package is installed.
The ``slow`` test runs the manifest unchanged through ``pre-commit try-repo``, which builds the
hook's own virtualenv with pip (it needs PyPI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import gitrepo
import pytest
import yaml
from factories import DIVISION_BUG, answer

ROOT = Path(__file__).resolve().parents[1]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
ANSWER = answer({**DIVISION_BUG, "suggestion": "x = 0"})

pytestmark = pytest.mark.skipif(not PRE_COMMIT.exists(), reason="pre-commit is not installed")


def local_config() -> str:
    """Our manifest as a ``repo: local`` config running this checkout's reviewbot."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    for hook in hooks:
        assert hook["entry"].startswith("reviewbot hook") and hook["language"] == "python"
        entry = hook["entry"].replace("reviewbot", f"{sys.executable} -m reviewbot", 1)
        hook.update(language="system", entry=entry)
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)


@pytest.fixture
def env(tmp_path: Path, scripted_server: Any) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("REVIEWBOT_", "PRE_COMMIT"))}
    base.pop("SKIP", None)
    return {
        **base,
        **gitrepo.HERMETIC_ENV,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PYTHONPATH": str(ROOT),
        "REVIEWBOT_BASE_URL": scripted_server.base_url,
        "REVIEWBOT_CACHE_DIR": str(tmp_path / "cache"),
        "NO_COLOR": "1",
    }


@pytest.fixture
def repo(git_repo: Path, env: dict[str, str]) -> Path:
    """A repository with the local config committed and pre-commit's hooks installed."""
    gitrepo.write(git_repo, ".pre-commit-config.yaml", local_config())
    gitrepo.write(git_repo, "poetry.lock", "old\n")
    gitrepo.commit(git_repo, "config")
    run(git_repo, env, str(PRE_COMMIT), "install", "-t", "pre-commit", "-t", "pre-push")
    return git_repo


def run(
    repo: Path, env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def commit(
    repo: Path, env: dict[str, str], message: str = "change"
) -> subprocess.CompletedProcess[str]:
    return run(repo, env, "git", "commit", "-m", message, check=False)


def test_a_commit_is_reviewed_and_blocked_at_fail_on(
    repo: Path, env: dict[str, str], scripted_server: Any
) -> None:
    gitrepo.write(repo, "app.py", "x = 1 / 0\n")
    gitrepo.stage(repo)
    scripted_server.reply(ANSWER)
    blocked = commit(repo, {**env, "REVIEWBOT_FAIL_ON": "error"})
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode == 1
    assert "app.py:1: error: [bug] Division by zero." in output
    assert "  +     x = 0" not in output and "  + x = 0" in output
    assert gitrepo.git(repo, "rev-list", "--count", "HEAD").strip() == b"1"  # not committed
    # The same staged diff again (the aborted commit retried): the cache answers; default
    # fail_on lets it through, and the findings are shown all the same (verbose: true).
    passed = commit(repo, env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "app.py:1: error: [bug] Division by zero." in passed.stdout + passed.stderr
    assert len(scripted_server.chat_requests) == 1
    assert gitrepo.git(repo, "rev-list", "--count", "HEAD").strip() == b"2"


def test_a_commit_of_only_unreviewable_files_makes_no_model_call(
    repo: Path, env: dict[str, str], scripted_server: Any
) -> None:
    gitrepo.write(repo, "poetry.lock", "new\n")
    gitrepo.write(repo, "image.png", b"\x89PNG\r\n\x1a\n\x00\x00binary")
    gitrepo.stage(repo)
    proc = commit(repo, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "reviewbot: nothing to review (poetry.lock: lockfile)" in proc.stdout + proc.stderr
    assert scripted_server.requests == []


def test_skip_by_hook_id(repo: Path, env: dict[str, str], scripted_server: Any) -> None:
    gitrepo.write(repo, "app.py", "x = 1 / 0\n")
    gitrepo.stage(repo)
    proc = commit(repo, {**env, "SKIP": "reviewbot", "REVIEWBOT_FAIL_ON": "info"})
    assert proc.returncode == 0
    assert scripted_server.requests == []


def test_all_files_reviews_nothing_and_points_to_audit(
    repo: Path, env: dict[str, str], scripted_server: Any
) -> None:
    gitrepo.write(repo, "app.py", "x = 1 / 0\n")
    gitrepo.commit(repo, "app")  # reviewed on the way in; the server found nothing
    requests = len(scripted_server.requests)
    proc = run(repo, env, str(PRE_COMMIT), "run", "--all-files", "--hook-stage", "pre-commit")
    assert "the hook reviews staged changes only; to review whole files, run `reviewbot audit`" in (
        proc.stdout
    )
    assert len(scripted_server.requests) == requests


def test_the_push_hook_reviews_exactly_the_pushed_range(
    repo: Path, env: dict[str, str], tmp_path: Path, scripted_server: Any
) -> None:
    remote = tmp_path / "remote.git"
    gitrepo.git(tmp_path, "init", "-q", "--bare", str(remote))
    gitrepo.git(repo, "remote", "add", "origin", str(remote))
    gitrepo.git(repo, "push", "-q", "--no-verify", "origin", "main")
    skip_commit_hook = {**env, "SKIP": "reviewbot"}
    for name in ("one.py", "two.py"):
        gitrepo.write(repo, name, f"{name[:3].upper()} = 1\n")
        gitrepo.stage(repo)
        assert commit(repo, skip_commit_hook).returncode == 0
    proc = run(repo, env, "git", "push", "origin", "main")
    assert "reviewbot" in proc.stdout + proc.stderr
    prompts = [r.body["messages"][1]["content"] for r in scripted_server.chat_requests]
    assert len(prompts) == 1
    assert "## File: one.py (added, python)" in prompts[0]
    assert "## File: two.py (added, python)" in prompts[0]
    assert ".pre-commit-config.yaml" not in prompts[0] and "poetry.lock" not in prompts[0]


# -- the manifest exactly as shipped, through try-repo -------------------------------------


def hook_repository(tmp_path: Path) -> Path:
    """A committed copy of what a hook repository holds (pre-commit clones it at a commit)."""
    copy = tmp_path / "hook-repo"
    copy.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, copy / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("reviewbot", "prompts", "hooks"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=ignore)
    gitrepo.git(copy, "init", "-q", "-b", "main")
    gitrepo.commit(copy, "hooks")
    return copy


@pytest.mark.slow
def test_try_repo_with_the_shipped_manifest(
    git_repo: Path, env: dict[str, str], tmp_path: Path, scripted_server: Any
) -> None:
    hooks = hook_repository(tmp_path)
    gitrepo.write(git_repo, "app.py", "x = 1\n")
    gitrepo.commit(git_repo, "base")
    gitrepo.write(git_repo, "app.py", "x = 1 / 0\n")
    gitrepo.stage(git_repo)
    scripted_server.reply(ANSWER)
    proc = run(
        git_repo,
        {**env, "PYTHONPATH": "", "REVIEWBOT_FAIL_ON": "error"},
        str(PRE_COMMIT),
        "try-repo",
        str(hooks),
        "reviewbot",
        "--files",
        "app.py",
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "app.py:1: error: [bug] Division by zero." in output
    assert len(scripted_server.chat_requests) == 1
