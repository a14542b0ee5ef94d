"""Shared fixtures: tiny random-weight models, a scripted model server, git repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

# --- tiny random-weight models (tests/fixtures/tiny_model.py), built once, cached in tests/.models/


def _tiny_model_dir() -> Path:
    """Build (or reuse) the tiny GGUF + HF model; keyed by generator version and source hash."""
    import hashlib
    import importlib.util
    import os
    import shutil
    import sys
    import tempfile

    source = Path(__file__).parent / "fixtures" / "tiny_model.py"
    spec = importlib.util.spec_from_file_location("reviewbot_tests_tiny_model", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
    root = Path(__file__).parent / ".models"
    target = root / f"tiny-v{module.GENERATOR_VERSION}-{digest}"
    if not (target / "tiny.gguf").is_file():
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="tiny-build-", dir=root))
        module.build(staging)
        try:
            os.replace(staging, target)  # atomic: a concurrent run never sees half a model
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # another run won the race
    return target


@pytest.fixture(scope="session")
def tiny_gguf() -> Path:
    """tests/.models/tiny-v*/tiny.gguf: a 2-layer random-weight Llama with a ChatML template."""
    return _tiny_model_dir() / "tiny.gguf"


@pytest.fixture(scope="session")
def tiny_hf_dir() -> Path:
    """The same model as a Hugging Face directory (FP16 safetensors, tokenizer.json)."""
    return _tiny_model_dir() / "hf"


# --- scripted OpenAI-compatible server on 127.0.0.1 (tests/httpserver.py) ---
@pytest.fixture
def scripted_server():  # type: ignore[no-untyped-def]
    """A started ``ScriptedServer`` (tests/httpserver.py) on 127.0.0.1; closed after the test.

    Script answers with ``.reply(text)``, ``.fail(status, body)``, ``.html()``, ``.hang(s)``;
    point a Config at ``.base_url``; inspect ``.requests`` / ``.chat_requests``.
    """
    import httpserver  # tests/ is on sys.path: pytest puts a conftest's folder there

    with httpserver.ScriptedServer() as server:
        yield server


# --- git repositories in temporary directories (helpers in tests/gitrepo.py)
@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty repository on branch main; code under test runs git without user config."""
    import gitrepo

    for name, value in gitrepo.HERMETIC_ENV.items():
        monkeypatch.setenv(name, value)
    return gitrepo.init_repo(tmp_path / "repo")
