"""The README's flows on real processes: a warm ``reviewbot serve`` on the tiny GGUF model,
``reviewbot review`` against it, and against llama-cpp-python's own OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import gitrepo
import pytest

from reviewbot.findings import FindingsModel

pytest.importorskip("llama_cpp")

REVIEWBOT = [sys.executable, "-m", "reviewbot"]


@pytest.fixture
def staged_repo(git_repo: Path) -> Path:
    gitrepo.write(git_repo, "calc.py", "def add(a, b):\n    return a + b\n")
    gitrepo.commit(git_repo, "first")
    gitrepo.write(git_repo, "calc.py", "def add(a, b):\n    return a - b\n")
    gitrepo.stage(git_repo)
    return git_repo


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_line(proc: subprocess.Popen[str], pattern: str, seconds: float) -> re.Match[str]:
    deadline = time.monotonic() + seconds
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        found = re.search(pattern, line)
        if found:
            return found
    proc.kill()
    raise AssertionError(f"no line matching {pattern!r}; exit {proc.poll()}")


@pytest.fixture
def warm_server(tiny_gguf: Path) -> Iterator[str]:
    """``reviewbot serve --backend llamacpp --model tiny.gguf --port 0``; yields its /v1 URL."""
    proc = subprocess.Popen(
        [*REVIEWBOT, "serve", "--backend", "llamacpp", "--model", str(tiny_gguf), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield _wait_for_line(proc, r"listening on (http://127\.0\.0\.1:\d+/v1)", 120).group(1)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0


def _review(repo: Path, *args: str) -> dict[str, object]:
    env = {**os.environ, **gitrepo.HERMETIC_ENV}
    proc = subprocess.run(
        [*REVIEWBOT, "review", "--format", "json", "--max-new-tokens", "200", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    data: dict[str, object] = json.loads(proc.stdout)
    return data


def _assert_reviewed(data: dict[str, object]) -> None:
    assert data["reviewed_files"] == ["calc.py"]
    assert data["errors"] == [] and data["failed"] is False
    stats = data["stats"]
    assert isinstance(stats, dict) and stats["calls"] == 1 and stats["prompt_tokens"] > 100


def test_review_against_a_warm_reviewbot_serve(staged_repo: Path, warm_server: str) -> None:
    data = _review(staged_repo, "--backend", "openai", "--base-url", warm_server)
    _assert_reviewed(data)


def test_review_with_the_llamacpp_backend_in_process(staged_repo: Path, tiny_gguf: Path) -> None:
    data = _review(staged_repo, "--backend", "llamacpp", "--model", str(tiny_gguf))
    _assert_reviewed(data)
    findings = data["findings"]
    assert isinstance(findings, list)
    for finding in findings:  # random weights: whatever it says, it is placed and typed
        assert finding["placement"] in ("inline", "file", "summary")


def test_review_against_llama_cpp_pythons_own_server(staged_repo: Path, tiny_gguf: Path) -> None:
    pytest.importorskip("llama_cpp.server")
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(tiny_gguf),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_listening(port, proc)
        data = _review(
            staged_repo,
            "--backend",
            "openai",
            "--base-url",
            f"http://127.0.0.1:{port}/v1",
            "--context-window",
            "4096",
        )
        _assert_reviewed(data)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_until_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "llama_cpp.server exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("llama_cpp.server did not start")


def test_schema_is_what_a_model_can_answer() -> None:
    """The findings schema accepts the example answer the system prompt shows the model."""
    example = {
        "findings": [
            {
                "path": "src/app.py",
                "line": 12,
                "end_line": 12,
                "side": "RIGHT",
                "severity": "error",
                "category": "bug",
                "message": "...",
                "quote": "...",
                "suggestion": None,
            }
        ]
    }
    FindingsModel.model_validate(example)
