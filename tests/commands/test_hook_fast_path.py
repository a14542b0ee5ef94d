"""The hook's cache hit (issue 4: within 6x of Python's start-up) loads only what it needs.

Run as the console script runs it, in a real repository, with the ``fake`` backend answering
from a file; the modules loaded are read from the process itself at its end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gitrepo
import pytest
from factories import ASSIGNMENT_BUG, answer

ROOT = Path(__file__).resolve().parents[2]
# What the console script does, then the names in sys.modules written to $MODULES_OUT.
SCRIPT = """\
import os, sys
from reviewbot.__main__ import main
code = main()
with open(os.environ["MODULES_OUT"], "w", encoding="utf-8") as out:
    out.write("\\n".join(sorted(sys.modules)))
sys.exit(code)
"""
# Needed to ask the model, never to answer from the cache.
MODEL_PATH_ONLY = (
    "argparse",
    "logging",
    "shutil",
    "jinja2",
    "httpx",
    "pydantic",
    "llama_cpp",
    "reviewbot.render",
    "reviewbot.pipeline",
    "reviewbot.backends",
    "reviewbot.findings",
)
REPORT = """\
app.py:2: error: [bug] Assignment instead of comparison.
  suggested change to line 2:
  -     if x = None:
  +     if x is None:

1 finding (1 error) in 1 file reviewed
"""


@pytest.fixture
def staged(git_repo: Path) -> Path:
    gitrepo.write(git_repo, "app.py", "def f(x):\n    return x\n")
    gitrepo.commit(git_repo, "base")
    gitrepo.write(
        git_repo, "app.py", "def f(x):\n    if x = None:\n        return 0\n    return x\n"
    )
    gitrepo.stage(git_repo)
    return git_repo


def run_hook(repo: Path, env: dict[str, str], *args: str) -> tuple[int, str, str, set[str]]:
    """(exit code, stdout, stderr, modules loaded) of ``reviewbot hook ARGS`` in ``repo``."""
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, "hook", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    modules = set(Path(env["MODULES_OUT"]).read_text(encoding="utf-8").splitlines())
    return proc.returncode, proc.stdout, proc.stderr, modules


def fake_model_env(tmp_path: Path) -> dict[str, str]:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps([answer(ASSIGNMENT_BUG)]), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REVIEWBOT_", "PRE_COMMIT"))}
    env.update(gitrepo.HERMETIC_ENV)
    env.update(
        PYTHONPATH=str(ROOT),
        REVIEWBOT_BACKEND="fake",
        REVIEWBOT_MODEL=str(answers),
        REVIEWBOT_CACHE_DIR=str(tmp_path / "cache"),
        REVIEWBOT_FAIL_ON="error",
        NO_COLOR="1",
        MODULES_OUT=str(tmp_path / "modules.txt"),
    )
    return env


def test_a_cache_hit_loads_no_parser_logging_templates_or_model(
    staged: Path, tmp_path: Path
) -> None:
    env = fake_model_env(tmp_path)
    first = run_hook(staged, env, "app.py")
    second = run_hook(staged, env, "app.py")
    assert first[:3] == (1, REPORT, "")
    assert second[:3] == (1, REPORT, "reviewbot: 1 file from the cache, no model call\n")
    assert [m for m in MODEL_PATH_ONLY if m in second[3]] == []
    # The model run does load them, so the list above names real costs.
    assert [m for m in MODEL_PATH_ONLY if m in first[3]] == [
        "logging",
        "shutil",
        "jinja2",
        "pydantic",
        "reviewbot.render",
        "reviewbot.pipeline",
        "reviewbot.backends",
        "reviewbot.findings",
    ]


def test_options_take_the_parser_and_hit_the_same_cache(staged: Path, tmp_path: Path) -> None:
    env = fake_model_env(tmp_path)
    run_hook(staged, env, "app.py")
    code, out, err, modules = run_hook(staged, env, "--fail-on", "critical", "--", "app.py")
    assert (code, out, err) == (0, REPORT, "reviewbot: 1 file from the cache, no model call\n")
    assert "argparse" in modules
