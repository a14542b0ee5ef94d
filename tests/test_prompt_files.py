"""The prompt search path and template digest that the renderer and the cache share."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import jinja2
import pytest

from reviewbot.cache import open_cache
from reviewbot.config import Config
from reviewbot.errors import ConfigError
from reviewbot.prompt_files import default_prompt_dir, prompt_dirs, template_digest
from reviewbot.render import PromptRenderer


def jinja_digest(search_dirs: Sequence[Path]) -> str:
    """The digest computed from what Jinja2's own loader lists and reads (the reference)."""
    loader = jinja2.FileSystemLoader([str(d) for d in search_dirs])
    env = jinja2.Environment(loader=loader)
    digest = hashlib.sha256()
    for name in sorted(loader.list_templates()):
        if name.endswith(".j2"):
            source, _, _ = loader.get_source(env, name)
            digest.update(name.encode() + b"\0" + source.encode() + b"\0")
    return digest.hexdigest()


def test_template_digest_equals_the_renderers(tmp_path: Path) -> None:
    override = tmp_path / "repo" / ".reviewbot" / "prompts"
    override.mkdir(parents=True)
    (override / "review_user.j2").write_text("custom {{ files }}\r\n", encoding="utf-8")
    (override / "notes.txt").write_text("not a template", encoding="utf-8")
    config = Config(prompt_dir=tmp_path / "more")
    (tmp_path / "more" / "partials").mkdir(parents=True)
    (tmp_path / "more" / "partials" / "extra.j2").write_text("x", encoding="utf-8")
    renderer = PromptRenderer.for_repo(tmp_path / "repo", config)
    dirs = prompt_dirs(tmp_path / "repo", config)
    assert dirs == list(renderer.search_dirs)
    assert template_digest(dirs) == renderer.template_digest() == jinja_digest(dirs)
    plain = [default_prompt_dir()]
    assert template_digest(plain) == PromptRenderer(plain).template_digest()
    assert template_digest(plain) == jinja_digest(plain)
    assert template_digest(plain) != template_digest(dirs)


def test_prompt_dirs_without_overrides_is_the_shipped_folder(tmp_path: Path) -> None:
    assert prompt_dirs(tmp_path, Config()) == [default_prompt_dir()]
    assert prompt_dirs(None, Config()) == [default_prompt_dir()]


def test_a_missing_prompt_dir_fails_the_cache_as_it_fails_a_review(tmp_path: Path) -> None:
    config = Config(prompt_dir=tmp_path / "absent", cache_dir=tmp_path / "c")
    expected = (
        f"prompt_dir {str(tmp_path / 'absent')!r} (from defaults) is not a directory; "
        "create it or remove the setting to use the default templates"
    )
    for build in (lambda: open_cache(config, None), lambda: PromptRenderer.for_repo(None, config)):
        with pytest.raises(ConfigError) as info:
            build()
        assert str(info.value) == expected
    assert not (tmp_path / "c").exists()  # failed before opening the database
