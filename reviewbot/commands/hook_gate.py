"""The hook's first look: is there anything to do at all?

Imported before anything heavy (no config, dataclasses, git, HTTP or templates), so that a commit
touching only lockfiles or vendored files, or a run with ``REVIEWBOT_SKIP=1``, costs about as
much as starting Python. Config-dependent rules (include/exclude) come later, in ``hook``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO

from reviewbot.path_rules import name_reason

SKIP_WORDS = frozenset({"1", "true", "yes"})  # REVIEWBOT_SKIP values that skip, as hooks/ read it


def say(err: TextIO, text: str) -> None:
    """One hook message line on ``err``."""
    print(f"reviewbot: {text}", file=err)


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def nothing_to_do(
    paths: Sequence[str], *, ranged: bool, environ: Mapping[str, str], err: TextIO
) -> bool:
    """True, after saying why in one line, when the hook can pass at once: REVIEWBOT_SKIP is
    set, or staged files were named and none is reviewable by name (lockfiles, vendored,
    generated, minified). ranged: a pre-push range review (named files do not apply)."""
    if environ.get("REVIEWBOT_SKIP", "").strip().lower() in SKIP_WORDS:
        say(err, "skipped (REVIEWBOT_SKIP is set)")
        return True
    if paths and not ranged and all(name_reason(p) is not None for p in paths):
        say(err, f"nothing to review ({plural(len(paths), 'file')} not reviewable)")
        return True
    return False
