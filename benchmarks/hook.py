"""Wall time of ``reviewbot hook`` on its two fast paths, as ratios to bare Python start-up.

    .venv/bin/python benchmarks/hook.py [--runs N]

Measured in one run, interleaved so machine noise hits all three alike:

- bare:      ``python -c pass``
- no-op:     ``reviewbot hook poetry.lock`` with only a lockfile staged
- cache hit: ``reviewbot hook app.py`` with app.py's staged diff already in the cache: the
  run replays what a hit prints (``reviewbot.commands.hook_replay``), as every re-run after
  the first review does
- parsed hit: the same with the replay records deleted before each run (not timed), so the
  hook parses the diff and looks every file up: what a hit costs without the replay

(``reviewbot`` run the way its console script runs it, from this checkout.)

Targets (issue 4): no-op <= 4x bare, cache hit <= 6x bare. The model is the ``fake`` backend
answering from a file, so the first (cache-filling) run needs no server.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}
ANSWER = {
    "findings": [
        {
            "path": "app.py",
            "line": 2,
            "end_line": None,
            "side": "RIGHT",
            "severity": "warning",
            "category": "bug",
            "quote": None,
            "message": "Compare with `is None`.",
            "suggestion": "    if x is None:",
        }
    ]
}
TARGETS = {"no-op": 4.0, "cache hit": 6.0, "parsed hit": 6.0}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, check=True)


def make_repo(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "app.py").write_text("def f(x):\n    return x\n")
    (repo / "poetry.lock").write_text("old\n")
    # A configured repository, as users have: the hook then reads TOML too.
    config = '[project]\nname = "x"\n\n[tool.reviewbot]\ndeadline = 30\n'
    (repo / "pyproject.toml").write_text(config)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    (repo / "app.py").write_text("def f(x):\n    if x == None:\n        return 0\n    return x\n")
    (repo / "poetry.lock").write_text("new\n")
    git(repo, "add", "-A")
    return repo


def forget_replays(database: Path) -> None:
    with sqlite3.connect(database) as conn:
        conn.execute("DELETE FROM result_cache WHERE key LIKE 'replay-%'")
    conn.close()


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{proc.stderr.decode()}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="reviewbot-bench-") as tmp:
        root = Path(tmp)
        repo = make_repo(root)
        answers = root / "answers.json"
        answers.write_text(json.dumps([json.dumps(ANSWER)]))
        env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWBOT_")}
        # An installed reviewbot has its .pyc files; without them every run compiles anew.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            GIT_ENV,
            PYTHONPATH=str(ROOT),
            REVIEWBOT_BACKEND="fake",
            REVIEWBOT_MODEL=str(answers),
            REVIEWBOT_CACHE_DIR=str(root / "cache"),
        )
        # What the installed ``reviewbot`` console script runs (no runpy, unlike ``-m``).
        script = "import sys; from reviewbot.__main__ import main; sys.exit(main())"
        hook = [sys.executable, "-c", script, "hook"]
        commands = {
            "bare": [sys.executable, "-c", "pass"],
            "no-op": [*hook, "poetry.lock"],
            "cache hit": [*hook, "app.py"],
            "parsed hit": [*hook, "app.py"],
        }
        timed(commands["cache hit"], repo, env)  # fills the cache (and warms the OS caches)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                if name == "parsed hit":
                    forget_replays(root / "cache" / "reviewbot.sqlite3")
                times[name].append(timed(command, repo, env))
    bare = statistics.median(times["bare"])
    print(f"median of {runs} runs each (python {sys.version.split()[0]}):")
    print(f"  bare python -c pass   {bare * 1000:7.1f} ms")
    for name in ("no-op", "cache hit", "parsed hit"):
        median = statistics.median(times[name])
        ratio = median / bare
        verdict = "ok" if ratio <= TARGETS[name] else f"over the {TARGETS[name]:g}x target"
        print(f"  hook, {name:<14} {median * 1000:7.1f} ms  {ratio:4.1f}x bare  ({verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
