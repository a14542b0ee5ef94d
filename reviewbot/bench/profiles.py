"""Model profiles: the backends and settings a benchmark compares, several in one run.

A profiles file is TOML::

    [[profile]]
    name = "qwen32b"
    backend = "openai"
    model = "Qwen2.5-Coder-32B-Instruct"
    base_url = "http://127.0.0.1:8000/v1"

    [[profile]]
    name = "tiny-2k"
    backend = "llamacpp"
    model = "models/tiny.gguf"          # relative to the profiles file
    settings = { context_window = 2048, threads = 4 }

Each profile's Config is built like every other command's (defaults < the repository's config
file < ``REVIEWBOT_*`` environment < command-line flags), with the profile's own values applied
last, so a profile wins over ``--model`` and the like. ``settings`` takes any Config key.
Without a profiles file there is one profile: the configured model, named ``backend:model``.
A profile's relative ``model`` path is resolved against the profiles file's folder; for the
backends that load a file or folder (``MODEL_PATHS``) it must exist when the profile is chosen.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from reviewbot.config import Config
from reviewbot.config_load import FIELDS, load_config
from reviewbot.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

_PROFILE_KEYS = frozenset({"name", "backend", "model", "base_url", "settings"})
# Backends whose ``model`` is a path (what ``from_config`` loads), and what to call it.
MODEL_PATHS: dict[str, str] = {
    "llamacpp": "GGUF file",
    "exllamav2": "model directory",
    "exllamav3": "model directory",
    "fake": "file of scripted answers",
}


@dataclass(frozen=True)
class Profile:
    """name: unique label in reports. settings: what the profile set (shown in reports)."""

    name: str
    config: Config
    settings: Mapping[str, object] = field(default_factory=dict)
    origin: Path | None = None  # the profiles file it came from


def default_profile(config: Config) -> Profile:
    model = Path(config.model).name if config.model else "default"
    return Profile(f"{config.backend}:{model}", config, {})


def load_profiles(
    path: Path,
    *,
    repo: Path | None,
    environ: Mapping[str, str],
    flags: Mapping[str, object],
    names: Sequence[str] = (),
    warnings: list[str] | None = None,
) -> list[Profile]:
    """The profiles of ``path`` (all, or those named in ``names``, in that order).

    Raises ConfigError for an unreadable or malformed file, a duplicate or unknown name, an
    unknown key, a bad value (naming the profile and key), or a chosen profile's model path that
    does not exist (naming the profile and the path as resolved).
    """
    tables = _tables(path)
    profiles: dict[str, Profile] = {}
    for number, table in enumerate(tables, start=1):
        profile = _profile(path, number, table, repo, environ, flags, warnings)
        if profile.name in profiles:
            raise ConfigError(f"{path}: profile name {profile.name!r} is used twice")
        profiles[profile.name] = profile
    missing = [n for n in names if n not in profiles]
    if missing:
        raise ConfigError(
            f"{path} has no profile {', '.join(map(repr, missing))}; it has: {', '.join(profiles)}"
        )
    chosen = [profiles[n] for n in names] if names else list(profiles.values())
    for profile in chosen:
        _check_model(path, profile)
    return chosen


def _tables(path: Path) -> list[dict[str, object]]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read the profiles file {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:  # TOML files are UTF-8
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    tables = data.get("profile")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(
            f"{path} has no [[profile]] tables; write one per model, e.g. "
            '[[profile]] name = "a" backend = "openai" model = "m"'
        )
    return tables


def _profile(
    path: Path,
    number: int,
    table: Mapping[str, object],
    repo: Path | None,
    environ: Mapping[str, str],
    flags: Mapping[str, object],
    warnings: list[str] | None,
) -> Profile:
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f'{path}: profile #{number} needs a name = "..."')
    unknown = sorted(set(table) - _PROFILE_KEYS)
    if unknown:
        allowed = ", ".join(sorted(_PROFILE_KEYS))
        raise ConfigError(
            f"{path}: profile {name!r} has unknown keys {unknown}; allowed: {allowed}"
        )
    settings = table.get("settings", {})
    if not isinstance(settings, dict):
        raise ConfigError(f"{path}: profile {name!r}: settings must be a table")
    values = {k: v for k, v in table.items() if k not in ("name", "settings")}
    values.update({k.replace("-", "_"): v for k, v in settings.items()})
    bad = sorted(k for k in values if k not in FIELDS or k == "api_key")
    if bad:
        raise ConfigError(
            f"{path}: profile {name!r}: {bad} are not settings (api_key comes from the "
            "environment only)"
        )
    merged = {**{k: v for k, v in flags.items() if v is not None}, **values}
    try:
        config, found = load_config(repo, environ=environ, flags=merged, cwd=path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: profile {name!r}: {exc}") from None
    if warnings is not None:
        warnings.extend(found)
    model = values.get("model")
    if isinstance(model, str) and not Path(model).expanduser().is_absolute():
        resolved = (path.parent / model).resolve()
        # a server's model name stays a name; a path the backend loads is the profiles file's
        if config.backend in MODEL_PATHS or resolved.exists():
            config = replace(config, model=str(resolved))
    return Profile(name, config, values, origin=path)


def _check_model(path: Path, profile: Profile) -> None:
    """Raise ConfigError when the profile's backend loads a model path that does not exist."""
    config = profile.config
    kind = MODEL_PATHS.get(config.backend)
    if kind is None or not config.model or Path(config.model).expanduser().exists():
        return
    given = profile.settings.get("model")
    where = (
        f"model = {given!r} in the profile, resolved against {path.parent}"
        if isinstance(given, str)
        else f"model from {config.source}"
    )
    raise ConfigError(
        f"{path}: profile {profile.name!r}: the {kind} {Path(config.model).expanduser()} does "
        f"not exist ({where}); set the profile's model to the path of a {kind}, absolute or "
        "relative to the profiles file"
    )
