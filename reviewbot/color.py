"""Whether terminal output is coloured: its own module, light, because the hook's replay must
decide it (colour is part of what it replays) without loading the reporters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

from reviewbot.config import Config


def use_color(config: Config, stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Colour on a TTY unless NO_COLOR is set (https://no-color.org); config.color overrides."""
    if config.color is not None:
        return config.color
    return stream.isatty() and "NO_COLOR" not in environ
