"""A pull request in a real git repository, served by the fake GitHub API, and a runner for
``reviewbot pr`` with the fake backend answering from a scripted list."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gitrepo
from fakegithub import FakeGitHub

from reviewbot.commands import pr
from reviewbot.github.client import GitHubClient
from reviewbot.github.event import PullTarget

BASE_APP = """import os


def load(path):
    with open(path) as handle:
        return handle.read()


def size(path):
    return os.path.getsize(path)


def first(items):
    return items[0]


def last(items):
    return items[-1]


def total(xs):
    result = 0
    for x in xs:
        result += x
    return result
"""
# Two hunks: new lines 1-10 (2 and 6-7 added) and 22-26 (25 added; old 24 removed).
HEAD_APP = (
    BASE_APP.replace("import os\n", "import os\nimport sys\n")
    .replace(
        "    with open(path) as handle:\n        return handle.read()\n",
        "    handle = open(path)\n    return handle.read()\n",
    )
    .replace("result += x", "result = result + x")
)
BASE_MAKE = "all:\n\techo old\n\techo keep\n"
HEAD_MAKE = "all:\n\techo new\n\techo keep\n"
NUMBER = 7


@dataclass
class PullRequest:
    repo: Path
    base: str
    head: str
    gh: FakeGitHub
    tmp: Path
    waits: list[float] = field(default_factory=list)
    last_stderr: str = ""

    def event(self, head: str | None = None, action: str = "synchronize", **pull: object) -> Path:
        """The event file of ``action``; ``pull``: more ``pull_request`` keys (state, draft...)."""
        payload = {
            "action": action,
            "number": NUMBER,
            "repository": {"full_name": self.gh.repo},
            "pull_request": {
                "number": NUMBER,
                "draft": False,
                "head": {"sha": head or self.head, "ref": "feature"},
                "base": {"sha": self.base, "ref": "main"},
                **pull,
            },
        }
        path = self.tmp / "event.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        return path

    def environ(self, token: str | None = "t0ken") -> dict[str, str]:
        env = {
            "GITHUB_EVENT_PATH": str(self.event()),
            "GITHUB_REPOSITORY": self.gh.repo,
            "GITHUB_API_URL": self.gh.api_url,
        }
        if token:
            env["GITHUB_TOKEN"] = token
        return env

    def client(self, target: PullTarget) -> GitHubClient:
        return GitHubClient(
            target.token,
            target.repo,
            target.api_url,
            throttle=False,
            sleep=self.waits.append,
            clock=lambda: 1_700_000_000.0,
        )

    def run(
        self,
        *findings: dict[str, Any],
        dry_run: bool = False,
        incremental: bool = False,
        token: str | None = "t0ken",
        sarif: Path | None = None,
        flags: dict[str, object] | None = None,
    ) -> tuple[int, str]:
        answers = self.tmp / "answers.json"
        answers.write_text(json.dumps([json.dumps({"findings": list(findings)})]), "utf-8")
        out, err = io.StringIO(), io.StringIO()
        code = pr.run(
            pr.PrArgs(dry_run=dry_run, incremental=incremental, sarif=sarif),
            cwd=self.repo,
            flags=flags or {"backend": "fake", "model": str(answers)},
            environ=self.environ(token),
            client_factory=self.client,
            stdout=out,
            stderr=err,
        )
        self.last_stderr = err.getvalue()
        return code, out.getvalue()

    def push(self, app: str) -> str:
        gitrepo.write(self.repo, "app.py", app)
        self.head = gitrepo.commit(self.repo, "push")
        self.gh.pulls[NUMBER] = self.gh.pull_json(NUMBER, self.base, self.head)
        return self.head


def finding(line: int, message: str, **extra: Any) -> dict[str, Any]:
    """One model finding on app.py (RIGHT side, warning, bug) unless ``extra`` says otherwise."""
    return {
        "path": "app.py",
        "line": line,
        "side": "RIGHT",
        "severity": "warning",
        "category": "bug",
        "message": message,
        **extra,
    }
