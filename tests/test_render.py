from __future__ import annotations

from pathlib import Path

import pytest

import reviewbot
from reviewbot.config import Config
from reviewbot.errors import ConfigError, TemplateError
from reviewbot.render import PromptRenderer, default_prompt_dir
from reviewbot.types import DiffLine, FileDiff, FileStatus, Hunk, LineKind

SOURCE_PROMPTS = Path(reviewbot.__file__).resolve().parent.parent / "prompts"

HUNK = Hunk(
    3,
    2,
    3,
    3,
    "def main():",
    (
        DiffLine(LineKind.CTX, 3, 3, "    x = load()"),
        DiffLine(LineKind.DEL, 4, None, "    return x"),
        DiffLine(LineKind.ADD, None, 4, "    if x:"),
        DiffLine(LineKind.ADD, None, 5, "        return x[0]"),
    ),
)
APP = FileDiff("src/app.py", None, FileStatus.MODIFIED, (HUNK,), language="python")
README = FileDiff(
    "README.md",
    None,
    FileStatus.ADDED,
    (Hunk(0, 0, 1, 1, "", (DiffLine(LineKind.ADD, None, 1, "# Demo"),)),),
)

GOLDEN_USER = """\
Review the following diff. Answer with the JSON object only.

## File: src/app.py (modified, python)

@@ -3,2 +3,3 @@ def main():
 3       x = load()
L4 -     return x
 4 +     if x:
 5 +         return x[0]

## File: README.md (added)

@@ -0,0 +1,1 @@
 1 + # Demo"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def defaults() -> PromptRenderer:
    return PromptRenderer([default_prompt_dir()])


def test_default_dir_is_the_source_tree_prompts_in_an_editable_checkout() -> None:
    assert default_prompt_dir() == SOURCE_PROMPTS


def test_user_message_golden(defaults: PromptRenderer) -> None:
    _, user = defaults.messages([APP, README], instructions="", schema_hint=None)
    assert user.role == "user"
    assert user.content == GOLDEN_USER


def test_system_message_explains_line_numbers_severities_and_answer_shape(
    defaults: PromptRenderer,
) -> None:
    system, _ = defaults.messages([APP], instructions="", schema_hint=None)
    assert system.role == "system"
    text = system.content
    assert (
        "  12 + code    an added line: line 12 of the new file\n"
        "  13   code    an unchanged context line: line 13 of the new file\n"
        " L12 - code    a removed line: line 12 of the old file\n"
        "\n"
        'To comment on an added or context line, use "side": "RIGHT" and the number shown.\n'
        'To comment on a removed line, use "side": "LEFT" and the number after "L".\n'
    ) in text
    assert "## Severity (lowest to highest: info < warning < error < critical)" in text
    assert (
        "Use one of: bug, security, performance, maintainability, style, documentation, testing."
        in text
    )
    assert text.endswith('When there is nothing to report, answer {"findings": []}.')
    assert "\r" not in text


def test_instructions_and_schema_go_at_the_end_of_the_system_part(
    defaults: PromptRenderer,
) -> None:
    system, user = defaults.messages(
        [APP],
        instructions="  Never use print() in library code.\n",
        schema_hint='{"type": "object"}',
    )
    assert system.content.endswith(
        'When there is nothing to report, answer {"findings": []}.\n'
        "\n"
        "The answer must validate against this JSON Schema:\n"
        '{"type": "object"}\n'
        "\n"
        "## Project review rules\n"
        "\n"
        "These come from the repository's configuration and refine the rules above:\n"
        "Never use print() in library code."
    )
    assert "print()" not in user.content


def test_system_text_is_identical_across_chunks_and_user_framing_is_a_shared_prefix(
    defaults: PromptRenderer,
) -> None:
    s1, u1 = defaults.messages([APP], instructions="rule", schema_hint=None)
    s2, u2 = defaults.messages([README], instructions="rule", schema_hint=None)
    assert s1 == s2
    overhead = defaults.overhead_text(instructions="rule", schema_hint=None)
    framing = "Review the following diff. Answer with the JSON object only."
    assert overhead == s1.content + "\n" + framing
    assert u1.content.startswith(framing + "\n\n## File: src/app.py")
    assert u2.content.startswith(framing + "\n\n## File: README.md")


def test_undefined_variable_names_template_file_line_and_variable(tmp_path: Path) -> None:
    write(tmp_path / "review_user.j2", "Files:\n{{ chunk_title }}\n")
    renderer = PromptRenderer([tmp_path, default_prompt_dir()])
    with pytest.raises(TemplateError) as info:
        renderer.user_text([APP])
    assert str(info.value) == (
        f"{tmp_path / 'review_user.j2'}:2: undefined variable in prompt template: "
        "'chunk_title' is undefined; available variables: files"
    )


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path / "review_system.j2", "ok\n{% if instructions %}\nno endif\n")
    renderer = PromptRenderer([tmp_path, default_prompt_dir()])
    with pytest.raises(TemplateError) as info:
        renderer.system_text(instructions="", schema_hint=None)
    assert str(info.value) == (
        f"{tmp_path / 'review_system.j2'}:3: syntax error in prompt template: Unexpected end of "
        "template. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. "
        "The innermost block that needs to be closed is 'if'."
    )


def test_sandbox_blocks_python_internals_in_override_templates(tmp_path: Path) -> None:
    write(tmp_path / "review_user.j2", "{{ files.__class__.__mro__ }}\n")
    renderer = PromptRenderer([tmp_path, default_prompt_dir()])
    with pytest.raises(TemplateError) as info:
        renderer.user_text([APP])
    assert str(info.value) == (
        f"{tmp_path / 'review_user.j2'}:1: prompt template failed: "
        "access to attribute '__class__' of 'list' object is unsafe."
    )


def test_missing_template_lists_search_dirs(tmp_path: Path) -> None:
    write(tmp_path / "review_system.j2", '{% include "partials/nope.j2" %}\n')
    renderer = PromptRenderer([tmp_path, default_prompt_dir()])
    with pytest.raises(TemplateError) as info:
        renderer.system_text(instructions="", schema_hint=None)
    assert str(info.value) == (
        f"{tmp_path / 'review_system.j2'}:1: prompt template 'partials/nope.j2' not found in: "
        f"{tmp_path}, {default_prompt_dir()}; restore it or remove the override folder"
    )


def test_override_precedence_repo_over_config_dir_over_defaults(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write(repo / ".reviewbot" / "prompts" / "review_user.j2", "REPO USER {{ files | length }}\n")
    config_dir = tmp_path / "team-prompts"
    write(config_dir / "review_user.j2", "TEAM USER\n")
    write(config_dir / "review_system.j2", "TEAM SYSTEM {{ instructions }}\n")
    renderer = PromptRenderer.for_repo(repo, Config(prompt_dir=config_dir))
    assert renderer.search_dirs == (
        repo / ".reviewbot" / "prompts",
        config_dir,
        default_prompt_dir(),
    )
    system, user = renderer.messages([APP, README], instructions="be kind", schema_hint=None)
    assert system.content == "TEAM SYSTEM be kind"
    assert user.content == "REPO USER 2"


def test_overriding_only_the_user_template_keeps_the_default_system(
    tmp_path: Path, defaults: PromptRenderer
) -> None:
    write(tmp_path / ".reviewbot" / "prompts" / "review_user.j2", "{{ files[0].path }}\n")
    renderer = PromptRenderer.for_repo(tmp_path, Config())
    system, user = renderer.messages([APP], instructions="", schema_hint=None)
    assert user.content == "src/app.py"
    assert system == defaults.messages([APP], instructions="", schema_hint=None)[0]


def test_overriding_a_partial_changes_the_default_system_template(tmp_path: Path) -> None:
    write(tmp_path / "partials" / "line_numbers.j2", "NUMBERS ARE SHOWN")
    renderer = PromptRenderer.for_repo(None, Config(prompt_dir=tmp_path))
    text = renderer.system_text(instructions="", schema_hint=None)
    assert "taste.\n\nNUMBERS ARE SHOWN\n\n## Rules\n" in text


def test_repo_without_override_folder_uses_defaults(tmp_path: Path) -> None:
    renderer = PromptRenderer.for_repo(tmp_path, Config())
    assert renderer.search_dirs == (default_prompt_dir(),)


def test_missing_prompt_dir_is_a_config_error(tmp_path: Path) -> None:
    config = Config(prompt_dir=tmp_path / "absent", source="/r/.reviewbot.toml")
    with pytest.raises(ConfigError) as info:
        PromptRenderer.for_repo(None, config)
    assert str(info.value) == (
        f"prompt_dir {str(tmp_path / 'absent')!r} (from /r/.reviewbot.toml) is not a directory; "
        "create it or remove the setting to use the default templates"
    )


def test_template_digest_follows_the_winning_template_text(tmp_path: Path) -> None:
    base = PromptRenderer([default_prompt_dir()]).template_digest()
    assert base == PromptRenderer([default_prompt_dir()]).template_digest()
    assert len(base) == 64
    empty = tmp_path / "empty"
    empty.mkdir()
    assert PromptRenderer([empty, default_prompt_dir()]).template_digest() == base
    write(tmp_path / "o" / "review_user.j2", "custom\n")
    custom = PromptRenderer([tmp_path / "o", default_prompt_dir()]).template_digest()
    assert custom != base
    write(tmp_path / "o" / "review_user.j2", "custom 2\n")
    assert PromptRenderer([tmp_path / "o", default_prompt_dir()]).template_digest() != custom
