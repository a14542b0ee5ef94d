"""The whole audit path on a real engine: llama.cpp in process, on the tiny random-weight GGUF."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
from gitrepo import commit, write
from pydantic_sarif.model import (  # type: ignore[import-untyped]
    StaticAnalysisResultsFormatSarifVersion210JsonSchema as SarifLog,
)

from reviewbot.commands import audit
from reviewbot.commands.audit import AuditOptions

pytest.importorskip("llama_cpp")


@pytest.mark.slow
def test_audit_with_llamacpp_on_the_tiny_model(polyglot: Path, tiny_gguf: Path) -> None:
    out, state = polyglot.parent / "audit.sarif", polyglot.parent / "state.sqlite"
    flags = {
        "backend": "llamacpp",
        "model": str(tiny_gguf),
        "max_new_tokens": 48,
        "threads": 2,
        "format": "sarif",
        "output": out,
    }
    options = AuditOptions(paths=("cmd",), state=state, max_unit_lines=8, concurrency=2)
    stderr = io.StringIO()

    code = audit.run_cli(cwd=polyglot, flags=flags, environ={}, options=options, stderr=stderr)

    assert "1 file (0 skipped), 2 units: 0 done before, 2 to send" in stderr.getvalue()
    with sqlite3.connect(state) as conn:
        rows = conn.execute("SELECT path, start, end_line FROM results ORDER BY start").fetchall()
    assert rows == [("cmd/main.go", 1, 4), ("cmd/main.go", 5, 12)]  # one result per unit
    log = json.loads(out.read_text())
    SarifLog.model_validate(log)
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    failed = [n for n in notes if n["level"] == "error"]
    # a random-weight model may well be cut off at 48 tokens; then the unit says so
    assert all(
        n["message"]["text"].startswith("chunk failed (cmd/main.go): lines ") for n in failed
    )
    assert code == (1 if len(failed) == 2 else 0)


@pytest.mark.slow
def test_units_fit_the_tiny_models_context_by_its_own_tokenizer(
    git_repo: Path, tiny_gguf: Path
) -> None:
    lines = [
        f"    value_{i} = alpha * {i * 37} + beta // {i + 1} - gamma  # step {i}" for i in range(30)
    ]
    write(git_repo, "calc.py", "def calc(alpha, beta, gamma):\n" + "\n".join(lines) + "\n")
    commit(git_repo, "calc")
    out, state = git_repo.parent / "audit.json", git_repo.parent / "state.sqlite"
    flags = {
        "backend": "llamacpp",
        "model": str(tiny_gguf),
        "max_new_tokens": 300,
        "threads": 2,
        "format": "json",
        "output": out,
    }
    options = AuditOptions(state=state, concurrency=4)

    audit.run_cli(cwd=git_repo, flags=flags, environ={}, options=options, stderr=io.StringIO())

    with sqlite3.connect(state) as conn:
        rows = conn.execute("SELECT start, end_line, error, prompt_tokens FROM results").fetchall()
    # once one unit of 31 lines that the engine refused ("Requested tokens (2874) exceed ...")
    assert len(rows) > 1
    assert [error for _, _, error, _ in rows if error and "context" in error] == []
    assert max(tokens for *_, tokens in rows) + 300 <= 2048  # the tiny model's window
    assert sorted((start, end) for start, end, *_ in rows)[-1][1] == 31
