"""reviewbot: code review with a local language model. No code leaves your network."""

from __future__ import annotations

__version__ = "0.1.0"
