"""Which paths are not reviewed, by their names alone: the include/exclude globs of the config,
then lockfiles, vendored, generated and minified names (``path_rules``).

Needs no parsed diff, so the hook asks it about the file names pre-commit passes before running
git, and the audit about files before reading them. ``filters.filter_files`` applies the same
rules, with the same reasons, to parsed files. Globs follow .gitignore conventions
(``compile_glob``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from reviewbot.config import Config
from reviewbot.path_rules import name_reason


def skip_reason_for_path(path: str, config: Config) -> str | None:
    """Why ``path`` (repository-relative, ``/``-separated) is not reviewed, judging by its name
    alone, or None: the include/exclude globs, lockfiles, vendored, generated and minified names,
    with the same reasons ``filter_files`` gives. Content rules (binary, markers, size) need the
    file itself and are not applied. For many paths, build the rule once with ``path_skipper``."""
    return path_skipper(config)(path)


def path_skipper(config: Config) -> Callable[[str], str | None]:
    """``skip_reason_for_path`` with ``config``'s globs compiled once."""
    by_globs = glob_reason(config)

    def reason(path: str) -> str | None:
        return by_globs(path) or name_reason(path)

    return reason


def glob_reason(config: Config) -> Callable[[str], str | None]:
    """path -> why ``config.include`` / ``config.exclude`` leave it out (``"not matched by
    include"``, ``"excluded by pattern vendor/"``), or None."""
    include = [compile_glob(pattern) for pattern in config.include]
    exclude = [(pattern, compile_glob(pattern)) for pattern in config.exclude]

    def reason(path: str) -> str | None:
        if include and not any(regex.fullmatch(path) for regex in include):
            return "not matched by include"
        for pattern, regex in exclude:
            if regex.fullmatch(path):
                return f"excluded by pattern {pattern}"
        return None

    return reason


def compile_glob(pattern: str) -> re.Pattern[str]:
    """A glob over repository-relative paths -> a regex to ``fullmatch``, as in .gitignore.

    ``*`` and ``?`` never cross ``/``; ``**`` as a whole segment spans any number of
    directories (``src/**/*.py`` matches ``src/a.py`` and ``src/x/y/a.py``); ``[abc]``,
    ``[!abc]`` are classes. A pattern without a ``/`` (except a trailing one) matches at any
    depth (``*.py``, ``vendor/``); otherwise it is anchored at the root (a leading ``/`` only
    anchors). A pattern that names a directory also matches everything under it.
    """
    anchored = "/" in pattern.rstrip("/")
    body = pattern.strip("/") if anchored else pattern.rstrip("/")
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(prefix + _translate(body) + "(?:/.*)?")


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        segment_start = i == 0 or pattern[i - 1] == "/"
        if pattern.startswith("**", i) and segment_start and pattern[i + 2 : i + 3] in ("", "/"):
            out.append("(?:.*/)?" if i + 2 < n else ".*")
            i += 3
        elif char == "*":
            while i < n and pattern[i] == "*":  # "**" inside a segment is a plain "*"
                i += 1
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            regex, i = _char_class(pattern, i)
            out.append(regex)
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


def _char_class(pattern: str, start: int) -> tuple[str, int]:
    """``[...]`` at ``start`` -> (regex, index after it); an unclosed ``[`` is literal."""
    j = start + 1
    if pattern[j : j + 1] == "!":
        j += 1
    if pattern[j : j + 1] == "]":  # a "]" first in the class is a member
        j += 1
    end = pattern.find("]", j)
    if end < 0:
        return re.escape("["), start + 1
    members = pattern[start + 1 : end].replace("\\", "\\\\")
    if members.startswith("!"):
        return f"[^/{members[1:]}]", end + 1
    if members.startswith("^"):
        members = "\\" + members
    return f"[{members}]", end + 1
