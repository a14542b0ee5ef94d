"""The header of one file's section of a diff: paths, status markers, modes, binary.

Git's extended header lines and its C-style path quoting are described in git-diff(1),
"Generating patch text with -p". Paths come back repository-relative with the ``a/``/``b/``
prefix removed (also git's mnemonic ``i/ w/ c/ o/`` and ``--no-index`` ``1/ 2/`` prefixes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reviewbot.errors import DiffParseError

_PREFIX = re.compile(r"^[abciow12]/")
_INDEX = re.compile(r"index [0-9a-f]+\.\.[0-9a-f]+(?: (\d+))?")
_OCTAL = re.compile(r"[0-7]{3}")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_DEV_NULL = "/dev/null"


@dataclass
class Header:
    """What a section's header says. Paths are None where the header does not name them."""

    old_path: str | None = None
    new_path: str | None = None
    added: bool = False
    deleted: bool = False
    renamed: bool = False
    copied: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    binary: bool = False


@dataclass
class _Paths:
    """Candidate paths by source; the more specific source wins (rename/copy, ---/+++, diff)."""

    git_old: str | None = None
    git_new: str | None = None
    minus: str | None = None
    plus: str | None = None
    source: str | None = None  # "rename from" / "copy from"
    target: str | None = None


def parse_header(lines: Sequence[str], git: bool) -> Header:
    """Read the lines of a section before its first hunk.

    Raises DiffParseError on bad quoting or a malformed hunk header.
    """
    header, paths = Header(), _Paths()
    for raw in lines:
        line = raw.removesuffix("\r")  # a patch file saved with CR LF line ends
        if line.startswith("diff --git "):
            paths.git_old, paths.git_new = git_header_paths(line[len("diff --git ") :])
        elif line.startswith(("--- ", "+++ ")):
            _file_line(line, header, paths)
        elif line.startswith("@@"):
            # a valid one starts the hunks; this one would drop the changes under it unseen
            raise DiffParseError(f"malformed hunk header {line!r}; expected '@@ -A,B +C,D @@'")
        else:
            _extended_line(line, header, paths)
    header.old_path = paths.source or paths.minus or paths.git_old
    header.new_path = paths.target or paths.plus or paths.git_new
    if not git and (header.old_path or header.new_path) is None:
        raise DiffParseError("both sides of the diff are /dev/null")
    return header


def _file_line(line: str, header: Header, paths: _Paths) -> None:
    path = _header_path(line[4:])
    if line.startswith("---"):
        header.added = header.added or path is None
        paths.minus = path
    else:
        header.deleted = header.deleted or path is None
        paths.plus = path


def _extended_line(line: str, header: Header, paths: _Paths) -> None:
    key = line.split(" ", 1)[0]
    if line.startswith(("rename from ", "copy from ")):
        paths.source = _plain_path(line.split(" ", 2)[2])
        header.renamed, header.copied = key == "rename", key == "copy"
    elif line.startswith(("rename to ", "copy to ")):
        paths.target = _plain_path(line.split(" ", 2)[2])
    elif line.startswith("new file mode "):
        header.added, header.new_mode = True, line.rsplit(" ", 1)[1]
    elif line.startswith("deleted file mode "):
        header.deleted, header.old_mode = True, line.rsplit(" ", 1)[1]
    elif line.startswith("old mode "):
        header.old_mode = line.rsplit(" ", 1)[1]
    elif line.startswith("new mode "):
        header.new_mode = line.rsplit(" ", 1)[1]
    elif (match := _INDEX.fullmatch(line)) and match[1]:
        header.old_mode = header.old_mode or match[1]
        header.new_mode = header.new_mode or match[1]
    elif line.startswith("Binary files ") or line == "GIT binary patch":
        header.binary = True
        header.added = header.added or line.startswith(f"Binary files {_DEV_NULL} and ")
        header.deleted = header.deleted or line.endswith(f" and {_DEV_NULL} differ")


def _header_path(text: str) -> str | None:
    """The path of a ``---``/``+++`` line: None for /dev/null; a tab ends it (then a timestamp)."""
    value = unquote(text)[0] if text.startswith('"') else text.split("\t", 1)[0]
    return None if value == _DEV_NULL else _PREFIX.sub("", value, count=1)


def _plain_path(text: str) -> str:
    return unquote(text)[0] if text.startswith('"') else text


def git_header_paths(rest: str) -> tuple[str, str]:
    """The (old, new) paths of ``diff --git A B`` without prefixes.

    Unquoted names may contain spaces, so the split is ambiguous; git's own rule is used: both
    names are equal (renames name their paths again in ``rename from``/``rename to``).
    """
    if rest.startswith('"'):
        old, after = unquote(rest)
        new = after.removeprefix(" ")
    elif ' "' in rest:  # an unquoted name never holds a double quote
        old, _, new = rest.partition(' "')
        new = '"' + new
    else:
        old, new = _split_unquoted(rest)
    new = unquote(new)[0] if new.startswith('"') else new
    return _strip(old), _strip(new)


def _split_unquoted(rest: str) -> tuple[str, str]:
    mid = len(rest) // 2
    if len(rest) % 2 and rest[mid] == " " and _strip(rest[:mid]) == _strip(rest[mid + 1 :]):
        return rest[:mid], rest[mid + 1 :]
    cut = rest.rfind(" b/")
    cut = rest.find(" ") if cut < 0 else cut
    if cut < 0:
        raise DiffParseError(f"cannot split 'diff --git {rest}' into two paths")
    return rest[:cut], rest[cut + 1 :]


def _strip(path: str) -> str:
    return _PREFIX.sub("", path, count=1)


def unquote(text: str) -> tuple[str, str]:
    """Decode a C-quoted name at the start of ``text`` (``"a/\\303\\251.py"`` -> ``a/é.py``).

    Returns (name, the text after the closing quote). Octal escapes are bytes of a UTF-8 name
    (Latin-1 when they are not UTF-8). Raises DiffParseError on a bad escape or a missing quote.
    """
    out = bytearray()
    i = 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return _decode_name(bytes(out)), text[i + 1 :]
        if char != "\\":
            out += char.encode("utf-8")
            i += 1
        elif text[i + 1 : i + 2] in _ESCAPES:
            out.append(_ESCAPES[text[i + 1]])
            i += 2
        elif _OCTAL.match(text, i + 1) and int(text[i + 1 : i + 4], 8) < 256:
            out.append(int(text[i + 1 : i + 4], 8))
            i += 4
        else:
            raise DiffParseError(f"bad escape at offset {i} in quoted path {text!r}")
    raise DiffParseError(f"quoted path without a closing quote: {text!r}")


def _decode_name(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
