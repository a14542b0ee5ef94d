"""The pre-commit hook pointed at a ``reviewbot serve`` whose model is still loading: it does not
wait (a commit should not sit through a model load) and says so in one line, passing or
blocking per ``on_unavailable``. The real hook command in a real git repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import gitrepo
import pytest

if TYPE_CHECKING:
    from conftest import ServerFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def staged(git_repo: Path) -> Path:
    gitrepo.write(git_repo, "app.py", "def f(x):\n    return x\n")
    gitrepo.commit(git_repo, "base")
    gitrepo.write(git_repo, "app.py", "def f(x):\n    if x = None:\n        return 0\n")
    gitrepo.stage(git_repo)
    return git_repo


@pytest.mark.parametrize(
    ("policy", "code", "start"),
    [
        (
            "pass",
            0,
            'warning: no review, the commit goes ahead (set on_unavailable = "fail" to block)',
        ),
        ("fail", 1, 'error: no review, so the commit is blocked (on_unavailable = "fail")'),
    ],
)
def test_a_hook_reports_a_loading_server_per_on_unavailable(
    staged: Path, tmp_path: Path, serve: ServerFactory, policy: str, code: int, start: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REVIEWBOT_", "PRE_COMMIT"))}
    env.update(gitrepo.HERMETIC_ENV)
    with serve(None) as server:
        url, root = server.url, server.url.removesuffix("/v1")
        env.update(
            PYTHONPATH=str(ROOT),
            REVIEWBOT_BASE_URL=url,
            REVIEWBOT_CACHE_DIR=str(tmp_path / "cache"),
            REVIEWBOT_ON_UNAVAILABLE=policy,
            NO_COLOR="1",
        )
        proc = subprocess.run(
            [sys.executable, "-m", "reviewbot", "hook", "app.py"],
            cwd=staged, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert (proc.returncode, proc.stdout) == (code, "")
    assert proc.stderr == (
        f"reviewbot: {start}: the model server at {url} is not ready (HTTP 503 on POST "
        f"{root}/tokenize: model tiny.gguf is still loading; retry in 5 s); it is probably still "
        f"loading its model: try again once {root}/health answers 200\n"
    )
