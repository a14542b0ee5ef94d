"""Which reviewbot code is running, for cache keys.

The version string does not change between the commits of a development or git install (a
pre-commit ``rev:`` bump installs a new commit as the same "0.1.0"), yet a change to how answers
are parsed, placed or reported changes what a cached result should be. So keys name the code
by what identifies an installed copy cheaply: the version and every module file's name, size
and modification time (set when the file is installed or edited).
"""

from __future__ import annotations

import hashlib
import os

import reviewbot

_cached: str | None = None


def build_id() -> str:
    """16 hex characters of sha256 over ``reviewbot.__version__`` and the ``/``-separated name,
    size (bytes) and modification time (ns) of every ``.py`` file of the package, in name
    order. Computed once per process (one ``stat`` per module, about a millisecond)."""
    global _cached
    if _cached is None:
        entries: list[str] = []
        _scan(os.path.dirname(os.path.abspath(reviewbot.__file__)), "", entries)
        text = "\n".join([reviewbot.__version__, *sorted(entries)])
        _cached = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return _cached


def _scan(directory: str, prefix: str, entries: list[str]) -> None:
    with os.scandir(directory) as found:
        for entry in found:
            if entry.name.endswith(".py") and entry.is_file():
                info = entry.stat()
                entries.append(f"{prefix}{entry.name}\0{info.st_size}\0{info.st_mtime_ns}")
            elif entry.is_dir() and entry.name != "__pycache__":
                _scan(entry.path, f"{prefix}{entry.name}/", entries)
