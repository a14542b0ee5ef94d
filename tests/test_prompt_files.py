"""The prompt search path and template digest that the renderer and the cache share."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2
import pytest

from reviewbot.cache_settings import review_settings
from reviewbot.config import Config
from reviewbot.errors import ConfigError
from reviewbot.prompt_files import (
    SYSTEM_TEMPLATE,
    default_prompt_dir,
    prompt_dirs,
    template_digest,
)
from reviewbot.render import PromptRenderer


def overrides(tmp_path: Path) -> tuple[Path, Config]:
    override = tmp_path / "repo" / ".reviewbot" / "prompts"
    override.mkdir(parents=True)
    (override / "review_user.j2").write_text("custom {{ files }}\r\n", encoding="utf-8")
    (override / "notes.txt").write_text("not a template", encoding="utf-8")
    config = Config(prompt_dir=tmp_path / "more")
    (tmp_path / "more" / "partials").mkdir(parents=True)
    (tmp_path / "more" / "partials" / "extra.j2").write_text("x", encoding="utf-8")
    return tmp_path / "repo", config


def test_template_digest_is_the_renderers_and_covers_every_file_jinja_can_load(
    tmp_path: Path,
) -> None:
    repo, config = overrides(tmp_path)
    renderer = PromptRenderer.for_repo(repo, config)
    dirs = prompt_dirs(repo, config)
    assert dirs == list(renderer.search_dirs)
    before = template_digest(dirs)
    assert before == renderer.template_digest()
    assert template_digest([default_prompt_dir()]) != before
    loader = jinja2.FileSystemLoader([str(d) for d in dirs])
    names = loader.list_templates()
    assert {"review_user.j2", "notes.txt", "partials/extra.j2", SYSTEM_TEMPLATE} <= set(names)
    for name in names:  # the copy Jinja loads is the one hashed
        _, filename, _ = loader.get_source(jinja2.Environment(), name)
        path = Path(filename)
        original = path.read_bytes()
        path.write_bytes(original + b" ")
        assert template_digest(dirs) != before, name
        path.write_bytes(original)
    assert template_digest(dirs) == before


def test_an_included_file_of_any_suffix_counts(tmp_path: Path) -> None:
    repo, config = overrides(tmp_path)
    override = repo / ".reviewbot" / "prompts"
    system = (default_prompt_dir() / SYSTEM_TEMPLATE).read_text(encoding="utf-8")
    (override / SYSTEM_TEMPLATE).write_text(system + '\n{% include "house.md" %}\n')
    (override / "house.md").write_text("Rule one.\n")
    renderer = PromptRenderer.for_repo(repo, config)
    before = (
        template_digest(renderer.search_dirs),
        renderer.system_text(instructions="", schema_hint=None),
    )
    (override / "house.md").write_text("Rule two.\n")
    renderer = PromptRenderer.for_repo(repo, config)  # a new run
    after = (
        template_digest(renderer.search_dirs),
        renderer.system_text(instructions="", schema_hint=None),
    )
    assert "Rule one." in before[1] and "Rule two." in after[1]
    assert before[0] != after[0]


def test_linked_folders_are_followed_as_jinja_follows_them(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "rules.j2").write_text("one")
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "partials").symlink_to(shared)
    (prompts / "loop").symlink_to(prompts)  # a link loop ends
    before = template_digest([prompts])
    (shared / "rules.j2").write_text("two")
    assert template_digest([prompts]) != before


def test_unreadable_files_count_without_failing(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "old.j2").symlink_to(tmp_path / "nowhere")
    (prompts / "notes.j2").write_bytes(b"caf\xe9 {{ x }}\n")
    first = template_digest([prompts])
    assert template_digest([prompts]) == first
    (prompts / "notes.j2").write_bytes(b"caf\xe9 {{ y }}\n")
    assert template_digest([prompts]) != first


def test_prompt_dirs_without_overrides_is_the_shipped_folder(tmp_path: Path) -> None:
    assert prompt_dirs(tmp_path, Config()) == [default_prompt_dir()]
    assert prompt_dirs(None, Config()) == [default_prompt_dir()]


def test_a_missing_prompt_dir_fails_the_cache_as_it_fails_a_review(tmp_path: Path) -> None:
    config = Config(prompt_dir=tmp_path / "absent", cache_dir=tmp_path / "c")
    expected = (
        f"prompt_dir {str(tmp_path / 'absent')!r} (from defaults) is not a directory; "
        "create it or remove the setting to use the default templates"
    )
    for build in (
        lambda: review_settings(config, None),
        lambda: PromptRenderer.for_repo(None, config),
    ):
        with pytest.raises(ConfigError) as info:
            build()
        assert str(info.value) == expected
    assert not (tmp_path / "c").exists()  # failed before opening the database


def test_a_folder_that_cannot_be_listed_counts_without_failing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = tmp_path / "prompts"
    (prompts / "locked").mkdir(parents=True)
    (prompts / "locked" / "rules.j2").write_text("one")
    readable = template_digest([prompts])
    (prompts / "locked" / "rules.j2").unlink()
    empty = template_digest([prompts])  # what skipping the folder silently would give
    (prompts / "locked" / "rules.j2").write_text("one")
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:  # root lists any folder; this fakes "permission denied"
        if Path(path) == prompts / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    locked = template_digest([prompts])
    assert locked == template_digest([prompts])
    assert locked not in (readable, empty)
