"""Cache keys name the reviewbot code that made a result, not just its version string."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_id_of(copy: Path) -> str:
    code = "import reviewbot.build_id as b; print(b.build_id(), b.__file__)"
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=copy, env=env, capture_output=True, text=True, check=True
    )
    build, module = proc.stdout.split()
    assert Path(module).is_relative_to(copy)  # the copy, not the checkout
    return build


def test_the_build_id_changes_with_any_module_and_only_then(tmp_path: Path) -> None:
    shutil.copytree(
        ROOT / "reviewbot", tmp_path / "reviewbot", ignore=shutil.ignore_patterns("__pycache__")
    )
    first = build_id_of(tmp_path)
    assert len(first) == 16
    assert build_id_of(tmp_path) == first
    (tmp_path / "reviewbot" / "__pycache__").mkdir(exist_ok=True)
    (tmp_path / "reviewbot" / "__pycache__" / "x.py").write_text("# not a module\n")
    (tmp_path / "reviewbot" / "notes.txt").write_text("not code\n")
    assert build_id_of(tmp_path) == first
    module = tmp_path / "reviewbot" / "reporters" / "terminal.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert build_id_of(tmp_path) != first
