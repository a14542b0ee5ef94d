# --- tiny random-weight models (tests/fixtures/tiny_model.py), built once, cached in tests/.models/
from pathlib import Path as _TinyPath

import pytest as _tiny_pytest


def _tiny_model_dir() -> _TinyPath:
    """Build (or reuse) the tiny GGUF + HF model; keyed by generator version and source hash."""
    import hashlib
    import importlib.util
    import os
    import shutil
    import sys
    import tempfile

    source = _TinyPath(__file__).parent / "fixtures" / "tiny_model.py"
    spec = importlib.util.spec_from_file_location("reviewbot_tests_tiny_model", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
    root = _TinyPath(__file__).parent / ".models"
    target = root / f"tiny-v{module.GENERATOR_VERSION}-{digest}"
    if not (target / "tiny.gguf").is_file():
        root.mkdir(parents=True, exist_ok=True)
        staging = _TinyPath(tempfile.mkdtemp(prefix="tiny-build-", dir=root))
        module.build(staging)
        try:
            os.replace(staging, target)  # atomic: a concurrent run never sees half a model
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # another run won the race
    return target


@_tiny_pytest.fixture(scope="session")
def tiny_gguf() -> _TinyPath:
    """tests/.models/tiny-v*/tiny.gguf: a 2-layer random-weight Llama with a ChatML template."""
    return _tiny_model_dir() / "tiny.gguf"


@_tiny_pytest.fixture(scope="session")
def tiny_hf_dir() -> _TinyPath:
    """The same model as a Hugging Face directory (FP16 safetensors, tokenizer.json)."""
    return _tiny_model_dir() / "hf"


# --- scripted OpenAI-compatible server on 127.0.0.1 (tests/httpserver.py) ---
# Loaded by path so it works whether or not tests/ is a package.
def _load_httpserver():  # type: ignore[no-untyped-def]
    import importlib.util
    import sys

    name = "reviewbot_tests_httpserver"
    if name not in sys.modules:
        source = _TinyPath(__file__).parent / "httpserver.py"
        spec = importlib.util.spec_from_file_location(name, source)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the class is built
        spec.loader.exec_module(module)
    return sys.modules[name]


@_tiny_pytest.fixture
def scripted_server():  # type: ignore[no-untyped-def]
    """A started ``ScriptedServer`` (tests/httpserver.py) on 127.0.0.1; closed after the test.

    Script answers with ``.reply(text)``, ``.fail(status, body)``, ``.html()``, ``.hang(s)``;
    point a Config at ``.base_url``; inspect ``.requests`` / ``.chat_requests``.
    """
    with _load_httpserver().ScriptedServer() as server:
        yield server


# --- git repositories in temporary directories (helpers in tests/gitrepo.py)
@_tiny_pytest.fixture
def git_repo(tmp_path: _TinyPath, monkeypatch: _tiny_pytest.MonkeyPatch) -> _TinyPath:
    """An empty repository on branch main; code under test runs git without user config."""
    import gitrepo

    for name, value in gitrepo.HERMETIC_ENV.items():
        monkeypatch.setenv(name, value)
    return gitrepo.init_repo(tmp_path / "repo")
