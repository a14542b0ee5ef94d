"""Pipeline overhead on a large real diff: unidiff parsing alone vs the whole pipeline.

Diffs two released versions of a PyPI package's source (``git diff --no-index``), then times
(1) ``unidiff.PatchSet`` on the diff text and (2) the whole review pipeline with the fake
backend (parse, filter, budget, render, parse answers, anchor: everything but the model),
at 1x, 2x and 4x the diff size. Prints one line per size and the ratios.

    python benchmarks/pipeline.py                      # downloads rich 13.0.0 and 13.7.1 sdists
    python benchmarks/pipeline.py OLD_DIR NEW_DIR      # or diff two directories you have
Target: the whole pipeline within 5x of parsing alone, growing linearly.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import unidiff

from reviewbot import pipeline
from reviewbot.backends.fake import FakeBackend
from reviewbot.config import Config
from reviewbot.diff import parse_diff
from reviewbot.render import PromptRenderer

PACKAGE, OLD, NEW = "rich", "13.0.0", "13.7.1"


def fetch_sources(work: Path) -> tuple[Path, Path]:
    """Download and unpack two sdists with pip (PyPI only)."""
    dirs = []
    for version in (OLD, NEW):
        dest = work / version
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                str(dest),
                f"{PACKAGE}=={version}",
            ],
            check=True,
        )
        [archive] = dest.glob("*.tar.gz")
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
        [root] = [p for p in dest.iterdir() if p.is_dir()]
        dirs.append(root)
    return dirs[0], dirs[1]


def diff_dirs(old: Path, new: Path, work: Path) -> bytes:
    """``git diff`` between two source trees, as a commit in a scratch repository shows it."""
    repo = work / "repo"
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"]

    def git(*args: str) -> bytes:
        return subprocess.run(
            ["git", *ident, *args], cwd=repo, check=True, capture_output=True
        ).stdout

    shutil.copytree(old, repo)
    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "old")
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(new, repo, dirs_exist_ok=True)
    git("add", "-A")
    return git(
        "-c", "core.quotePath=false", "diff", "--cached", "--no-color", "--no-ext-diff", "-M"
    )


def scaled(diff: bytes, times: int) -> bytes:
    """The diff repeated ``times`` times, copy N under the path prefix ``copyN/``."""
    parts = [diff]
    for n in range(1, times):
        prefix = b"copy%d/" % n
        copy = re.sub(
            rb"(?m)^diff --git a/(.*) b/", rb"diff --git a/" + prefix + rb"\1 b/" + prefix, diff
        )
        copy = re.sub(rb"(?m)^(--- a/|\+\+\+ b/|rename from |rename to )", rb"\1" + prefix, copy)
        parts.append(copy)
    return b"".join(parts)


def whole_pipeline(data: bytes, config: Config, renderer: PromptRenderer) -> None:
    files, skipped = parse_diff(data)
    pipeline.review(files, FakeBackend(context_window=8192), config, renderer, skipped=skipped)


def best_of(runs: int, func: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if len(argv) == 2:
            old, new = Path(argv[0]).resolve(), Path(argv[1]).resolve()
        else:
            old, new = fetch_sources(Path(tmp))
        base = diff_dirs(old, new, Path(tmp))
    config = Config(backend="fake", context_window=8192, max_new_tokens=1024)
    renderer = PromptRenderer.for_repo(None, config)
    rows = []
    for times in (1, 2, 4):
        data = scaled(base, times)
        text = data.decode("utf-8", "replace")
        t_unidiff = best_of(9, partial(unidiff.PatchSet, text))
        t_pipeline = best_of(9, partial(whole_pipeline, data, config, renderer))
        files, _ = parse_diff(data)
        lines = sum(len(h.lines) for f in files for h in f.hunks)
        rows.append(
            {
                "size": f"{times}x",
                "bytes": len(data),
                "files": len(files),
                "diff_lines": lines,
                "unidiff_s": round(t_unidiff, 4),
                "pipeline_s": round(t_pipeline, 4),
                "ratio": round(t_pipeline / t_unidiff, 2),
            }
        )
    for row in rows:
        print(json.dumps(row))
    growth = [r["pipeline_s"] / rows[0]["pipeline_s"] for r in rows]
    print(
        json.dumps(
            {
                "pipeline_growth_1x_2x_4x": [round(g, 2) for g in growth],
                "median_ratio": statistics.median(r["ratio"] for r in rows),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
