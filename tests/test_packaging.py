"""The wheel ships the default prompts, and a non-editable install renders them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [built] = out.glob("reviewbot-*.whl")
    return built


def test_wheel_contains_every_default_prompt(wheel: Path) -> None:
    sources = sorted(
        p.relative_to(ROOT / "prompts").as_posix() for p in (ROOT / "prompts").rglob("*.j2")
    )
    assert sources, "no templates in prompts/"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {f"reviewbot/prompts/{name}" for name in sources} <= names
    assert "reviewbot/__main__.py" in names


def test_installed_wheel_renders_its_own_prompts(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    script = (
        "import reviewbot, reviewbot.render as r\n"
        "from reviewbot.config import Config\n"
        "print(reviewbot.__file__)\n"
        "print(r.default_prompt_dir())\n"
        "renderer = r.PromptRenderer.for_repo(None, Config())\n"
        "print(renderer.system_text(instructions='', schema_hint=None).splitlines()[0])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    module_file, prompt_dir, first_line = proc.stdout.splitlines()
    assert Path(module_file).is_relative_to(target)
    assert Path(prompt_dir) == target / "reviewbot" / "prompts"
    assert first_line.startswith("You are reviewbot")
