"""``reviewbot hook`` with ``output``: a report path that cannot be written fails before the
model runs (exit 2, the command could not do its job), not after it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_hook import ANSWER, hook_env, run_hook, staged  # noqa: F401 (staged is a fixture)


def test_an_unwritable_output_fails_before_the_model_runs(
    staged: Path,  # noqa: F811
    tmp_path: Path,
    scripted_server: Any,
) -> None:
    out = tmp_path / "no-such-dir" / "review.json"
    env = hook_env(tmp_path, scripted_server.base_url, REVIEWBOT_OUTPUT=str(out))
    proc = run_hook(staged, env, "app.py")
    assert (proc.returncode, proc.stdout, scripted_server.requests) == (2, "", [])
    assert proc.stderr == (
        f"reviewbot: error: cannot write the report to {out}: the directory {out.parent} does "
        "not exist; create it or choose another file (--output / output)\n"
    )


def test_a_writable_output_gets_the_report(
    staged: Path,  # noqa: F811
    tmp_path: Path,
    scripted_server: Any,
) -> None:
    scripted_server.reply(ANSWER)
    out = tmp_path / "review.json"
    env = hook_env(
        tmp_path, scripted_server.base_url, REVIEWBOT_OUTPUT=str(out), REVIEWBOT_FORMAT="json"
    )
    proc = run_hook(staged, env, "app.py")
    assert (proc.returncode, proc.stdout) == (0, "")
    findings = json.loads(out.read_text(encoding="utf-8"))["findings"]
    assert [(f["path"], f["line"], f["severity"]) for f in findings] == [("app.py", 2, "error")]
