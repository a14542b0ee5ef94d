"""Build the frozen Config: defaults < config file < REVIEWBOT_* environment < flags.

The config file is ``.reviewbot.toml`` at the repository root (its keys at the top level or under
``[tool.reviewbot]``), else ``[tool.reviewbot]`` in ``pyproject.toml``. Keys are Config field
names; ``-`` may be written for ``_``. Every Config field ``name`` can also be set with the
environment variable ``REVIEWBOT_<NAME>`` (empty values count as unset, as CI systems expand
missing variables to ""). Lists in the environment are comma-separated.

Secrets are read from the environment only (``REVIEWBOT_API_KEY``): a key in a file lands in
version control, a flag in the process list.
"""

from __future__ import annotations

import math
import sys
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from reviewbot.config import Config
from reviewbot.errors import ConfigError
from reviewbot.severity import Severity

ENV_PREFIX = "REVIEWBOT_"
DAY = 86_400  # seconds
MAX_SEED = 2**32 - 2
SECRETS = frozenset({"api_key"})
# REVIEWBOT_* variables that are not settings (hooks, serve and webhook secrets): no warning.
NOT_SETTINGS = frozenset({"REVIEWBOT_SKIP", "REVIEWBOT_SERVE_API_KEY", "REVIEWBOT_WEBHOOK_SECRET"})
# Settable fields and their annotations as config.py writes them ("int | None", "Path | None",
# "tuple[str, ...]": strings, under ``from __future__ import annotations``; read as text, since
# evaluating them with typing.get_type_hints costs the hook's fast path milliseconds).
# ``source`` is set by the loader, not by users.
FIELDS: dict[str, str] = {f.name: str(f.type) for f in fields(Config) if f.name != "source"}
CHOICES: dict[str, tuple[str, ...]] = {
    "structured_output": (
        "auto",
        "response_format",
        "structured_outputs",
        "json_schema",
        "json_object",
        "none",
    ),
    "on_unavailable": ("pass", "fail"),
    "format": ("terminal", "json", "sarif", "rdjsonl", "markdown"),
}
# name -> (test, what is allowed): every numeric setting has one, so a value no engine or server
# takes fails at load, naming the file, not as an HTTP 400 on every request (which the hook would
# pass as "no usable review").
_SECONDS = (lambda v: 0 < v <= DAY, f"a number of seconds > 0 and at most {DAY} (a day)")
RANGES: dict[str, tuple[Callable[[float], bool], str]] = {
    "context_window": (lambda v: v >= 1, "a whole number of tokens >= 1"),
    "max_new_tokens": (lambda v: v >= 1, "a whole number of tokens >= 1"),
    # OpenAI's API takes 0 to 2 and OpenAI-compatible servers answer 400 outside it
    "temperature": (lambda v: 0 <= v <= 2, "a number from 0 to 2 (0 = greedy)"),
    # llama.cpp's seeds are 32-bit and its largest, 4294967295, means "a random seed"
    "seed": (lambda v: 0 <= v <= MAX_SEED, f"a whole number from 0 to {MAX_SEED}"),
    # beyond a day is a mistake, and far beyond it overflows threading's and sockets' waits
    "timeout": _SECONDS,
    "timeout_cap": _SECONDS,
    "deadline": _SECONDS,
    "retries": (lambda v: v >= 0, "a whole number >= 0"),
    "n_gpu_layers": (lambda v: v >= -1, "a whole number >= -1 (-1 = all layers)"),
    "threads": (lambda v: v >= 1, "a whole number >= 1"),
    "cache_size": (lambda v: v >= 256 and v % 256 == 0, "a positive multiple of 256 tokens"),
    "max_file_bytes": (lambda v: v >= 1, "a whole number of bytes >= 1"),
    "max_inline_comments": (lambda v: v >= 0, "a whole number >= 0"),
}
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class _Setting:
    """One raw value and where it came from, for conversion and messages."""

    key: str  # as the user wrote it
    raw: object
    where: str  # "/repo/.reviewbot.toml", "environment REVIEWBOT_X", "flag --x"
    base_dir: Path  # relative paths are resolved against this


def load_config(
    repo: Path | None,
    *,
    environ: Mapping[str, str],
    flags: Mapping[str, object],
    cwd: Path | None = None,
) -> tuple[Config, list[str]]:
    """Merge all layers and validate once. Returns (config, warnings for the CLI to print).

    repo: repository root holding the config file, or None for no file.
    flags: Config field name -> already-parsed CLI value; None means "not given".
    cwd: base of relative paths from the environment and flags (default: the current directory).
    Raises ConfigError for an unreadable file, a bad value (naming key, value, what is allowed
    and where it came from), a secret outside the environment, or an unknown flag name.
    """
    base = cwd if cwd is not None else Path.cwd()
    warnings: list[str] = []
    settings: dict[str, _Setting] = {}
    sources = ["defaults"]
    found = _find_file(repo, warnings)
    if found is not None:
        where, table, base_dir = found
        settings.update(_file_settings(table, where, base_dir, warnings))
        sources.append(where)
    env = _env_settings(environ, base, warnings)
    if env:
        sources.append(f"environment ({', '.join(ENV_PREFIX + n.upper() for n in env)})")
    settings.update(env)
    given = _flag_settings(flags, base)
    if given:
        sources.append(f"flags ({', '.join('--' + n.replace('_', '-') for n in given)})")
    settings.update(given)
    values = {name: _convert(name, s) for name, s in settings.items()}
    if "backend" not in values and str(values.get("model", "")).lower().endswith(".gguf"):
        # a GGUF file can only be run in process: no need to say --backend llamacpp as well
        values["backend"] = "llamacpp"
    config = Config(**typing.cast("dict[str, Any]", values), source=" < ".join(sources))
    if config.timeout_cap < config.timeout:
        raise ConfigError(
            f"timeout_cap ({config.timeout_cap}) is below timeout ({config.timeout}) "
            f"(from {config.source}); raise timeout_cap or lower timeout"
        )
    return config, warnings


def _find_file(
    repo: Path | None, warnings: list[str]
) -> tuple[str, dict[str, object], Path] | None:
    """(description, table, directory) of the config file in ``repo``, or None."""
    if repo is None:
        return None
    dot, pyproject = repo / ".reviewbot.toml", repo / "pyproject.toml"
    py_table = _tool_table(_read_toml(pyproject), pyproject) if pyproject.is_file() else None
    if dot.is_file():
        data = _read_toml(dot)
        if py_table is not None:
            warnings.append(f"{pyproject}: [tool.reviewbot] is ignored because {dot} exists")
        table = _tool_table(data, dot)
        if table is not None:
            return f"{dot} [tool.reviewbot]", table, repo
        return str(dot), data, repo
    if py_table is not None:
        return f"{pyproject} [tool.reviewbot]", py_table, repo
    return None


def _read_toml(path: Path) -> dict[str, object]:
    # imported here: most hook runs read no config file, and tomllib costs the hook ~8 ms
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}; fix the file") from None
    except UnicodeDecodeError as exc:  # TOML files are UTF-8 by definition
        raise ConfigError(
            f"{path} is not valid UTF-8 (byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def _tool_table(data: Mapping[str, object], path: Path) -> dict[str, object] | None:
    tool = data.get("tool")
    table = tool.get("reviewbot") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: tool.reviewbot must be a table, not {table!r}")
    return table


def _file_settings(
    table: Mapping[str, object], where: str, base_dir: Path, warnings: list[str]
) -> dict[str, _Setting]:
    out: dict[str, _Setting] = {}
    for key, raw in table.items():
        name = key.replace("-", "_")
        if name in SECRETS:
            raise ConfigError(
                f"{where}: {key} must not be in a config file (it would be committed with the "
                f"code); remove it and set {ENV_PREFIX}{name.upper()} in the environment instead"
            )
        if name not in FIELDS:
            warnings.append(f"{where}: unknown key {key!r}{_suggest(name, FIELDS)}; ignored")
            continue
        out[name] = _Setting(key, raw, where, base_dir)
    return out


def _env_settings(
    environ: Mapping[str, str], base: Path, warnings: list[str]
) -> dict[str, _Setting]:
    known = {ENV_PREFIX + name.upper() for name in FIELDS}
    out: dict[str, _Setting] = {}
    for var in sorted(environ):
        if not var.startswith(ENV_PREFIX) or var in NOT_SETTINGS or environ[var] == "":
            continue
        if var not in known:
            warnings.append(f"environment: unknown variable {var}{_suggest(var, known)}; ignored")
            continue
        name = var[len(ENV_PREFIX) :].lower()
        out[name] = _Setting(name, environ[var], f"environment {var}", base)
    return out


def _flag_settings(flags: Mapping[str, object], base: Path) -> dict[str, _Setting]:
    out: dict[str, _Setting] = {}
    for name, raw in flags.items():
        if raw is None:
            continue
        flag = "--" + name.replace("_", "-")
        if name in SECRETS:
            raise ConfigError(
                f"flag {flag} is not accepted: command lines are visible to other users; "
                f"set {ENV_PREFIX}{name.upper()} in the environment instead"
            )
        if name not in FIELDS:
            raise ConfigError(
                f"flag {flag} does not name a configuration setting{_suggest(name, FIELDS)}"
            )
        out[name] = _Setting(name, raw, f"flag {flag}", base)
    return out


def _suggest(name: str, choices: typing.Iterable[str]) -> str:
    import difflib  # only for a misspelt name

    close = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _convert(name: str, s: _Setting) -> object:
    """The typed value of one setting. Raises ConfigError naming key, value, allowed and origin."""
    kind, optional = _field_kind(name)
    raw = s.raw
    if isinstance(raw, str) and raw.strip().lower() in _none_words(kind, optional):
        return None
    try:
        value = _CONVERTERS[kind](raw, s.base_dir)
    except (ValueError, TypeError):
        value = _INVALID
    if isinstance(value, str) and name in CHOICES:
        value = value.strip().lower()
        if value not in CHOICES[name]:
            value = _INVALID
    check = RANGES.get(name)
    if check is not None and isinstance(value, (int, float)) and not check[0](value):
        value = _INVALID
    if value is _INVALID:
        raise ConfigError(
            f"{s.where}: invalid value {raw!r} for {s.key}; expected {_allowed(name)}"
        )
    return value


_INVALID = object()


def _field_kind(name: str) -> tuple[str, bool]:
    """(the name of the field's type without None: "int", "Path", "tuple"..., whether None is
    allowed), from its annotation. Raises ValueError for an annotation of another shape (a
    test reads every field)."""
    parts = [part.strip() for part in FIELDS[name].split("|")]
    kinds = [part for part in parts if part != "None"]
    if len(kinds) != 1 or len(parts) - len(kinds) > 1:
        raise ValueError(f"Config.{name}: annotation {FIELDS[name]!r} is not 'T' or 'T | None'")
    kind = "tuple" if kinds[0].startswith("tuple[") else kinds[0]
    return kind, len(parts) > 1


def _none_words(kind: str, optional: bool) -> frozenset[str]:
    """Strings meaning None; not for strings and paths, where "none" may be a real value."""
    if not optional or kind in ("str", "Path"):
        return frozenset()
    return frozenset({"none", "auto"}) if kind == "bool" else frozenset({"none"})


def _allowed(name: str) -> str:
    kind, optional = _field_kind(name)
    if name in CHOICES:
        text = "one of " + ", ".join(CHOICES[name])
    elif name in RANGES:
        text = RANGES[name][1]
    else:
        text = _DESCRIPTIONS[kind]
    words = sorted(_none_words(kind, optional))
    return text + (f" or {'/'.join(words)}" if words else "")


def _to_bool(raw: object, _: Path) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise ValueError(raw)


def _to_int(raw: object, _: Path) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        return int(raw.strip())
    raise TypeError(raw)


def _to_float(raw: object, _: Path) -> float:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = float(raw)
    elif isinstance(raw, str):
        value = float(raw.strip())
    else:
        raise TypeError(raw)
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def _to_str(raw: object, _: Path) -> str:
    if not isinstance(raw, str):
        raise TypeError(raw)
    return raw


def _to_path(raw: object, base_dir: Path) -> Path:
    if not isinstance(raw, (str, Path)) or str(raw) == "":
        raise TypeError(raw)
    path = Path(raw).expanduser()
    return path if path.is_absolute() else base_dir / path


def _to_severity(raw: object, _: Path) -> Severity:
    if isinstance(raw, Severity):
        return raw
    if not isinstance(raw, str):
        raise TypeError(raw)
    return Severity(raw.strip().lower())


def _to_patterns(raw: object, _: Path) -> tuple[str, ...]:
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
        raise TypeError(raw)
    return tuple(i.strip() for i in items if i.strip())


_CONVERTERS: dict[str, Callable[[object, Path], object]] = {
    "bool": _to_bool,
    "int": _to_int,
    "float": _to_float,
    "str": _to_str,
    "Path": _to_path,
    "Severity": _to_severity,
    "tuple": _to_patterns,
}
_DESCRIPTIONS = {
    "bool": "true or false (also 1/0, yes/no, on/off)",
    "int": "a whole number",
    "float": "a number",
    "str": "a string",
    "Path": "a path",
    "Severity": "one of " + ", ".join(s.value for s in Severity),
    "tuple": "a list of glob patterns (comma-separated in the environment)",
}
