"""Fixtures: the fake GitHub API (fakegithub.py) and a pull request on it (prcase.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gitrepo
import pytest
from fakegithub import FakeGitHub
from prcase import BASE_APP, BASE_MAKE, HEAD_APP, HEAD_MAKE, NUMBER, PullRequest


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as gh:
        yield gh


@pytest.fixture
def pull_request(git_repo: Path, fake_github: FakeGitHub, tmp_path: Path) -> PullRequest:
    gitrepo.write(git_repo, "app.py", BASE_APP)
    gitrepo.write(git_repo, "Makefile", BASE_MAKE)
    base = gitrepo.commit(git_repo, "base")
    gitrepo.write(git_repo, "app.py", HEAD_APP)
    gitrepo.write(git_repo, "Makefile", HEAD_MAKE)
    head = gitrepo.commit(git_repo, "head")
    fake_github.pulls[NUMBER] = fake_github.pull_json(NUMBER, base, head)
    return PullRequest(git_repo, base, head, fake_github, tmp_path)
