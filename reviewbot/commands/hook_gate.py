"""The hook's first look: is there anything to do at all?

Imported before anything heavy (no config, dataclasses, git, HTTP or templates), so that a commit
touching only lockfiles or vendored files, or a run with ``REVIEWBOT_SKIP=1``, costs about as
much as starting Python. Config-dependent rules (include/exclude) come later, in ``hook``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

from reviewbot.path_rules import name_reason

SKIP_WORDS = frozenset({"1", "true", "yes"})  # REVIEWBOT_SKIP values that skip, as hooks/ read it
MAX_NAMED = 3  # files named in one hook line; the rest are counted


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
    generated, minified), e.g. ``nothing to review (poetry.lock: lockfile)``. When only some are
    not, says which in one ``skipped: poetry.lock (lockfile)`` line and returns False.
    ranged: a pre-push range review (named files do not apply)."""
    if environ.get("REVIEWBOT_SKIP", "").strip().lower() in SKIP_WORDS:
        say(err, "skipped (REVIEWBOT_SKIP is set)")
        return True
    if ranged or not paths:
        return False
    unreviewable = [(p, reason) for p in paths if (reason := name_reason(p)) is not None]
    if len(unreviewable) == len(paths):
        say(err, f"nothing to review ({_named(f'{p}: {why}' for p, why in unreviewable)})")
        return True
    if unreviewable:
        say(err, f"skipped: {_named(f'{p} ({why})' for p, why in unreviewable)}")
    return False


def _named(items: Iterable[str]) -> str:
    """The first MAX_NAMED of ``items`` joined, the rest counted: one line, however many
    files pre-commit passes."""
    listed = list(items)
    shown = "; ".join(listed[:MAX_NAMED])
    rest = len(listed) - MAX_NAMED
    return shown if rest <= 0 else f"{shown}; and {rest} more"
