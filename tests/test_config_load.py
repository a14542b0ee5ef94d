from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.config import Config
from reviewbot.config_load import load_config
from reviewbot.errors import ConfigError
from reviewbot.types import Severity


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_no_environment_no_flags_gives_the_defaults(tmp_path: Path) -> None:
    config, warnings = load_config(tmp_path, environ={"HOME": "/x"}, flags={"model": None})
    assert config == Config()
    assert config.source == "defaults"
    assert warnings == []


def test_each_layer_overrides_the_one_below(tmp_path: Path) -> None:
    dot = write(
        tmp_path / ".reviewbot.toml",
        'model = "file-model"\nbase_url = "http://10.0.0.2:8000/v1"\ntimeout = 30\n'
        'max_new_tokens = 700\nfail_on = "warning"\n',
    )
    environ = {
        "REVIEWBOT_MODEL": "env-model",
        "REVIEWBOT_TIMEOUT": "45.5",
        "REVIEWBOT_FAIL_ON": "ERROR",
        "PATH": "/bin",
    }
    flags: dict[str, object] = {"model": "flag-model", "fail_on": None, "max_inline_comments": 5}
    config, warnings = load_config(tmp_path, environ=environ, flags=flags, cwd=tmp_path)
    assert warnings == []
    assert config.model == "flag-model"  # flag > environment > file
    assert config.timeout == 45.5  # environment > file
    assert config.fail_on is Severity.ERROR  # environment; the flag was not given (None)
    assert config.base_url == "http://10.0.0.2:8000/v1"  # file > default
    assert config.max_new_tokens == 700
    assert config.max_inline_comments == 5
    assert config.retries == 2  # default
    assert config.source == (
        f"defaults < {dot} < environment (REVIEWBOT_FAIL_ON, REVIEWBOT_MODEL, REVIEWBOT_TIMEOUT)"
        " < flags (--model, --max-inline-comments)"
    )


def test_environment_values_are_parsed_by_field_type(tmp_path: Path) -> None:
    environ = {
        "REVIEWBOT_ALLOW_REMOTE": "yes",
        "REVIEWBOT_COLOR": "0",
        "REVIEWBOT_CONTEXT_WINDOW": "32768",
        "REVIEWBOT_INCLUDE": "src/**/*.py, lib/*.c,",
        "REVIEWBOT_CACHE_DIR": "cache",
        "REVIEWBOT_STRUCTURED_OUTPUT": "Response_Format",
        "REVIEWBOT_ON_UNAVAILABLE": "fail",
        "REVIEWBOT_DEADLINE": "12",
        "REVIEWBOT_API_KEY": "sk-local",
        "REVIEWBOT_BACKEND": "llamacpp",
        "REVIEWBOT_THREADS": "",  # empty counts as unset
    }
    config, _ = load_config(None, environ=environ, flags={}, cwd=tmp_path)
    assert config.allow_remote is True
    assert config.color is False
    assert config.context_window == 32768
    assert config.include == ("src/**/*.py", "lib/*.c")
    assert config.cache_dir == tmp_path / "cache"
    assert config.structured_output == "response_format"
    assert config.on_unavailable == "fail"
    assert config.deadline == 12.0
    assert config.api_key == "sk-local"
    assert config.backend == "llamacpp"
    assert config.threads is None


def test_none_and_auto_words_clear_optional_values(tmp_path: Path) -> None:
    write(
        tmp_path / ".reviewbot.toml", 'fail_on = "critical"\ncolor = true\ncontext_window = 4096\n'
    )
    environ = {"REVIEWBOT_FAIL_ON": "none", "REVIEWBOT_COLOR": "auto"}
    config, _ = load_config(tmp_path, environ=environ, flags={"context_window": "None"})
    assert (config.fail_on, config.color, config.context_window) == (None, None, None)


def test_paths_in_the_file_are_relative_to_the_file(tmp_path: Path) -> None:
    write(
        tmp_path / ".reviewbot.toml",
        'prompt_dir = "review/prompts"\nchat_template = "/abs/t.jinja"\nexclude = ["*.lock"]\n',
    )
    config, _ = load_config(
        tmp_path, environ={}, flags={"output": Path("out.sarif")}, cwd=Path("/w")
    )
    assert config.prompt_dir == tmp_path / "review/prompts"
    assert config.chat_template == Path("/abs/t.jinja")
    assert config.exclude == ("*.lock",)
    assert config.output == Path("/w/out.sarif")


def test_pyproject_tool_table_is_read(tmp_path: Path) -> None:
    pyproject = write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.reviewbot]\nmodel = "qwen"\nmax-file-bytes = 2048\n',
    )
    config, warnings = load_config(tmp_path, environ={}, flags={})
    assert (config.model, config.max_file_bytes) == ("qwen", 2048)
    assert config.source == f"defaults < {pyproject} [tool.reviewbot]"
    assert warnings == []


def test_pyproject_without_tool_table_means_no_file(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    config, warnings = load_config(tmp_path, environ={}, flags={})
    assert (config, warnings) == (Config(), [])


def test_dot_reviewbot_toml_wins_over_pyproject_with_a_warning(tmp_path: Path) -> None:
    pyproject = write(tmp_path / "pyproject.toml", '[tool.reviewbot]\nmodel = "from-pyproject"\n')
    dot = write(tmp_path / ".reviewbot.toml", '[tool.reviewbot]\nmodel = "from-dotfile"\n')
    config, warnings = load_config(tmp_path, environ={}, flags={})
    assert config.model == "from-dotfile"
    assert config.source == f"defaults < {dot} [tool.reviewbot]"
    assert warnings == [f"{pyproject}: [tool.reviewbot] is ignored because {dot} exists"]


def test_unknown_keys_warn_with_a_suggestion(tmp_path: Path) -> None:
    dot = write(tmp_path / ".reviewbot.toml", 'modle = "x"\nfail-onn = "error"\nzzz = 1\n')
    config, warnings = load_config(tmp_path, environ={"REVIEWBOT_BACKNED": "fake"}, flags={})
    assert config == Config(source=f"defaults < {dot}")
    assert warnings == [
        f"{dot}: unknown key 'modle' (did you mean 'model'?); ignored",
        f"{dot}: unknown key 'fail-onn' (did you mean 'fail_on'?); ignored",
        f"{dot}: unknown key 'zzz'; ignored",
        "environment: unknown variable REVIEWBOT_BACKNED (did you mean 'REVIEWBOT_BACKEND'?); "
        "ignored",
    ]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            'fail_on = "fatal"',
            "invalid value 'fatal' for fail_on; expected one of info, warning, error, critical "
            "or none",
        ),
        (
            'format = "xml"',
            "invalid value 'xml' for format; "
            "expected one of terminal, json, sarif, rdjsonl, markdown",
        ),
        (
            "allow-remote = 1",
            "invalid value 1 for allow-remote; expected true or false (also 1/0, yes/no, on/off)",
        ),
        (
            "cache_size = 300",
            "invalid value 300 for cache_size; expected a positive multiple of 256 tokens or none",
        ),
        (
            "timeout = -1",
            "invalid value -1 for timeout; expected a number of seconds > 0 and at most 86400 "
            "(a day)",
        ),
        (
            "deadline = 1e12",
            "invalid value 1000000000000.0 for deadline; expected a number of seconds > 0 and "
            "at most 86400 (a day)",
        ),
        (
            "temperature = 5",
            "invalid value 5 for temperature; expected a number from 0 to 2 (0 = greedy)",
        ),
        (
            "temperature = -0.5",
            "invalid value -0.5 for temperature; expected a number from 0 to 2 (0 = greedy)",
        ),
        (
            "seed = 4294967295",
            "invalid value 4294967295 for seed; expected a whole number from 0 to 4294967294",
        ),
        ('include = "*.py"', None),  # a single string is one pattern: valid
        (
            "include = [1]",
            "invalid value [1] for include; expected a list of glob patterns "
            "(comma-separated in the environment)",
        ),
        (
            'max_new_tokens = "many"',
            "invalid value 'many' for max_new_tokens; expected a whole number of tokens >= 1",
        ),
    ],
)
def test_bad_file_values_name_file_key_value_and_what_is_allowed(
    tmp_path: Path, toml: str, message: str | None
) -> None:
    dot = write(tmp_path / ".reviewbot.toml", toml + "\n")
    if message is None:
        assert load_config(tmp_path, environ={}, flags={})[0].include == ("*.py",)
        return
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, environ={}, flags={})
    assert str(info.value) == f"{dot}: {message}"


@pytest.mark.parametrize(
    ("toml", "name", "value"),
    [
        ("temperature = 2", "temperature", 2.0),
        ("temperature = 0", "temperature", 0.0),
        ("seed = 4294967294", "seed", 4294967294),
        ("timeout = 86400\ntimeout_cap = 86400", "timeout_cap", 86400.0),
    ],
)
def test_range_ends_are_allowed(tmp_path: Path, toml: str, name: str, value: object) -> None:
    write(tmp_path / ".reviewbot.toml", toml + "\n")
    assert getattr(load_config(tmp_path, environ={}, flags={})[0], name) == value


def test_every_numeric_setting_has_a_range() -> None:
    """A number no engine takes must fail at load, not as an HTTP 400 on every request."""
    from reviewbot import config_load

    numeric = {
        name for name in config_load.FIELDS if config_load._field_kind(name)[0] in ("int", "float")
    }
    assert numeric == set(config_load.RANGES)


def test_bad_environment_and_flag_values_name_their_origin() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, environ={"REVIEWBOT_CONTEXT_WINDOW": "32k"}, flags={})
    assert str(info.value) == (
        "environment REVIEWBOT_CONTEXT_WINDOW: invalid value '32k' for context_window; "
        "expected a whole number of tokens >= 1 or none"
    )
    with pytest.raises(ConfigError) as info:
        load_config(None, environ={}, flags={"on_unavailable": "retry"})
    assert str(info.value) == (
        "flag --on-unavailable: invalid value 'retry' for on_unavailable; "
        "expected one of pass, fail"
    )


def test_api_key_in_a_config_file_is_refused(tmp_path: Path) -> None:
    dot = write(tmp_path / ".reviewbot.toml", 'api-key = "sk-123"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, environ={"REVIEWBOT_API_KEY": "ok"}, flags={})
    assert str(info.value) == (
        f"{dot}: api-key must not be in a config file (it would be committed with the code); "
        "remove it and set REVIEWBOT_API_KEY in the environment instead"
    )


def test_api_key_as_a_flag_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^flag --api-key is not accepted: .*REVIEWBOT_API_KEY"):
        load_config(None, environ={}, flags={"api_key": "sk-123"})


def test_unknown_flag_name_is_a_wiring_error() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, environ={}, flags={"modle": "x"})
    assert str(info.value) == (
        "flag --modle does not name a configuration setting (did you mean 'model'?)"
    )


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    dot = write(tmp_path / ".reviewbot.toml", "model = \n")
    with pytest.raises(ConfigError, match=rf"^{dot} is not valid TOML: .*line 1.*; fix the file$"):
        load_config(tmp_path, environ={}, flags={})


def test_a_config_file_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    dot = tmp_path / ".reviewbot.toml"
    dot.write_bytes(b'model = "caf\xe9"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, environ={}, flags={})
    assert str(info.value) == f"{dot} is not valid UTF-8 (byte 12); save it as UTF-8"


def test_tool_reviewbot_must_be_a_table(tmp_path: Path) -> None:
    pyproject = write(tmp_path / "pyproject.toml", '[tool]\nreviewbot = "on"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, environ={}, flags={})
    assert str(info.value) == f"{pyproject}: tool.reviewbot must be a table, not 'on'"


def test_timeout_cap_below_timeout_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, environ={"REVIEWBOT_TIMEOUT": "1000"}, flags={})
    assert str(info.value) == (
        "timeout_cap (900.0) is below timeout (1000.0) (from defaults < environment "
        "(REVIEWBOT_TIMEOUT)); raise timeout_cap or lower timeout"
    )


def test_variables_read_by_other_parts_are_not_unknown_settings(tmp_path: Path) -> None:
    environ = {
        "REVIEWBOT_SKIP": "1",
        "REVIEWBOT_SERVE_API_KEY": "k",
        "REVIEWBOT_WEBHOOK_SECRET": "s",
    }
    _config, warnings = load_config(tmp_path, environ=environ, flags={})
    assert warnings == []


def test_a_gguf_model_implies_the_llamacpp_backend_unless_one_is_set(tmp_path: Path) -> None:
    config, _ = load_config(tmp_path, environ={}, flags={"model": "/m/coder.Q4_K_M.gguf"})
    assert config.backend == "llamacpp"
    flags = {"model": "/m/coder.gguf", "backend": "fake"}
    assert load_config(tmp_path, environ={}, flags=flags)[0].backend == "fake"
    assert load_config(tmp_path, environ={}, flags={"model": "qwen"})[0].backend == "openai"


def test_every_settable_field_has_a_converter_and_a_description() -> None:
    """The loader reads Config's annotations as text: every one must be 'T' or 'T | None' with
    a known T, so no field is left without conversion or message."""
    from reviewbot import config_load

    kinds = {name: config_load._field_kind(name) for name in config_load.FIELDS}
    assert {kind for kind, _ in kinds.values()} == set(config_load._CONVERTERS)
    assert kinds["fail_on"] == ("Severity", True)
    assert kinds["include"] == ("tuple", False)
    assert kinds["chat_template"] == ("Path", True)
    assert kinds["temperature"] == ("float", False)
    assert all(kind in config_load._DESCRIPTIONS for kind, _ in kinds.values())
