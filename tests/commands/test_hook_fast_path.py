"""The hook's cache hit (issue 4: within 6x of Python's start-up) loads only what it needs.

Run as the console script runs it, in a real repository, with the ``fake`` backend answering
from a file; the modules loaded are read from the process itself at its end.
"""

from __future__ import annotations

import json
import os
import sqlite3
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


# Loaded by a hit that parses the diff and looks every file up; not by a replay of it.
PARSING = ("unidiff", "reviewbot.types", "reviewbot.diff", "reviewbot.cache", "reviewbot.reporters")
FROM_CACHE = "reviewbot: 1 file from the cache, no model call\n"


def _parsed(modules: set[str]) -> list[str]:
    return [m for m in PARSING if m in modules]


def test_after_a_model_run_the_next_run_replays_without_parsing(
    staged: Path, tmp_path: Path
) -> None:
    env = fake_model_env(tmp_path)
    model = run_hook(staged, env, "app.py")
    replay = run_hook(staged, env, "app.py")
    assert model[:3] == (1, REPORT, "")
    assert replay[:3] == (1, REPORT, FROM_CACHE)
    assert (_parsed(model[3]), _parsed(replay[3])) == (list(PARSING), [])


def test_a_changed_setting_is_not_replayed(staged: Path, tmp_path: Path) -> None:
    env = fake_model_env(tmp_path)
    run_hook(staged, env, "app.py")
    env["REVIEWBOT_FAIL_ON"] = "critical"  # the same findings, another exit code
    hit = run_hook(staged, env, "app.py")
    replay = run_hook(staged, env, "app.py")
    assert hit[:3] == replay[:3] == (0, REPORT, FROM_CACHE)
    assert (_parsed(hit[3]), _parsed(replay[3])) == (list(PARSING), [])
    env["REVIEWBOT_COLOR"] = "true"
    colored = run_hook(staged, env, "app.py")
    assert "\x1b[" in colored[1]
    assert _parsed(colored[3]) == list(PARSING)


def test_a_model_run_with_an_unusable_answer_records_nothing(staged: Path, tmp_path: Path) -> None:
    env = fake_model_env(tmp_path)
    Path(env["REVIEWBOT_MODEL"]).write_text(json.dumps(["no JSON here"]), encoding="utf-8")
    for _ in range(2):
        code, _, err, modules = run_hook(staged, env, "app.py")
        assert "reviewbot.pipeline" in modules
        assert (code, err.splitlines()[-1]) == (
            0,
            "reviewbot: no usable review, the commit goes ahead (on_unavailable)",
        )
    with sqlite3.connect(tmp_path / "cache" / "reviewbot.sqlite3") as conn:
        rows = conn.execute("SELECT COUNT(*) FROM result_cache WHERE key LIKE 'replay-%'")
        assert rows.fetchone() == (0,)


def test_a_changed_staged_diff_is_not_replayed(staged: Path, tmp_path: Path) -> None:
    env = fake_model_env(tmp_path)
    for _ in range(2):
        run_hook(staged, env, "app.py")
    gitrepo.write(staged, "app.py", "def f(x):\n    if x = None:\n        return 1\n    return x\n")
    gitrepo.stage(staged)
    code, out, err, modules = run_hook(staged, env, "app.py")
    assert "reviewbot.pipeline" in modules  # asked the model again
    assert (code, out, err) == (1, REPORT, "")


def test_a_damaged_record_is_ignored_and_written_anew(staged: Path, tmp_path: Path) -> None:
    env = fake_model_env(tmp_path)
    for _ in range(2):
        run_hook(staged, env, "app.py")
    database = tmp_path / "cache" / "reviewbot.sqlite3"
    with sqlite3.connect(database) as conn:
        changed = conn.execute(
            "UPDATE result_cache SET value = '{\"stdout\": 1}' WHERE key LIKE 'replay-%'"
        ).rowcount
    assert changed == 1
    hit = run_hook(staged, env, "app.py")
    replay = run_hook(staged, env, "app.py")
    assert hit[:3] == replay[:3] == (1, REPORT, FROM_CACHE)
    assert (_parsed(hit[3]), _parsed(replay[3])) == (list(PARSING), [])


def test_a_report_written_to_a_file_is_never_replayed(staged: Path, tmp_path: Path) -> None:
    env = fake_model_env(tmp_path)
    env["REVIEWBOT_OUTPUT"] = str(tmp_path / "report.txt")
    for run in range(3):
        code, out, err, modules = run_hook(staged, env, "app.py")
        assert (code, out, err) == (1, "", FROM_CACHE if run else "")
        assert (tmp_path / "report.txt").read_text(encoding="utf-8") == REPORT
        (tmp_path / "report.txt").unlink()
    assert _parsed(modules) == list(PARSING)
    with sqlite3.connect(tmp_path / "cache" / "reviewbot.sqlite3") as conn:
        assert conn.execute(
            "SELECT COUNT(*) FROM result_cache WHERE key LIKE 'replay-%'"
        ).fetchone() == (0,)


def test_nothing_staged_opens_no_cache(git_repo: Path, tmp_path: Path) -> None:
    gitrepo.write(git_repo, "app.py", "x = 1\n")
    gitrepo.commit(git_repo, "base")
    env = fake_model_env(tmp_path)
    code, out, err, _ = run_hook(git_repo, env, "app.py")
    assert (code, out) == (0, "")
    assert err.startswith("reviewbot: nothing staged in the 1 file given")
    assert not (tmp_path / "cache").exists()
