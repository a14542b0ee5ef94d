"""Benchmark cases and the JSONL file that holds them (shareable, re-runnable).

File shape (``FORMAT`` / ``VERSION`` 1), one JSON object per line::

    {"format": "reviewbot-bench-cases", "version": 1, "seed": 7, "head": "<sha>", "notes": [...]}
    {"id": "seeded-1a2b3c4d5e-9f8e7d6c", "kind": "seeded"|"fix"|"clean", "commit": "<sha>",
     "diff": "<unified diff text>", "answer": [{"path", "side": "RIGHT"|"LEFT", "line", "anchor"}],
     "operator": "relational-boundary"|null, "operator_class": "relational"|null,
     "language": "python"|null, "deletion_only": false, "note": "..."}

A case's ``diff`` is what the reviewer is shown (parsed with ``reviewbot.diff.parse_diff``, like
any other diff). ``answer`` is empty for clean cases.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pydantic

from reviewbot.errors import ConfigError, SerializeError
from reviewbot.types import Side

FORMAT = "reviewbot-bench-cases"
VERSION = 1


class CaseKind(str, enum.Enum):
    SEEDED = "seeded"  # a real commit with one mutated added line
    FIX = "fix"  # a bug-fix commit applied in reverse
    CLEAN = "clean"  # a commit as it was: any bug-claiming finding is a false positive


@dataclass(frozen=True)
class AnswerLine:
    """A line the bug is on. line: numbering of ``side``; anchor: the new-file (RIGHT) line at
    that spot (``line`` itself for RIGHT; for a removed line, the line now in its place)."""

    path: str
    side: Side
    line: int
    anchor: int


@dataclass(frozen=True)
class Case:
    id: str
    kind: CaseKind
    commit: str
    diff: str
    answer: tuple[AnswerLine, ...] = ()
    operator: str | None = None
    operator_class: str | None = None
    language: str | None = None
    deletion_only: bool = False
    note: str = ""


@dataclass(frozen=True)
class CaseSet:
    """Cases plus how they were made. notes: shortfalls and skips worth telling the user."""

    seed: int
    head: str
    cases: tuple[Case, ...]
    notes: tuple[str, ...] = ()


_CASE = pydantic.TypeAdapter(Case)


def case_id(kind: CaseKind, commit: str, diff: str) -> str:
    """Stable id from what the case is: ``<kind>-<commit[:10]>-<sha256(diff)[:8]>``."""
    digest = hashlib.sha256(diff.encode("utf-8")).hexdigest()[:8]
    return f"{kind.value}-{commit[:10]}-{digest}"


def case_to_json(case: Case) -> str:
    return json.dumps(_CASE.dump_python(case, mode="json"), ensure_ascii=False, sort_keys=True)


def case_from_json(text: str, *, source: str) -> Case:
    """Raises SerializeError naming ``source`` when ``text`` is not a case."""
    try:
        return _CASE.validate_json(text)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SerializeError(f"{source} is not a benchmark case: {problems}") from None


def write_cases(path: Path, cases: CaseSet) -> None:
    """Write the header line and one line per case (UTF-8, ``\\n``). Raises ConfigError."""
    header = {
        "format": FORMAT,
        "version": VERSION,
        "seed": cases.seed,
        "head": cases.head,
        "notes": list(cases.notes),
    }
    lines = [json.dumps(header, sort_keys=True), *(case_to_json(c) for c in cases.cases)]
    try:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the cases file {path}: {exc.strerror}") from exc


def read_cases(path: Path) -> CaseSet:
    """Inverse of ``write_cases``.

    Raises ConfigError when the file cannot be read, SerializeError when it is not a cases file
    of this version (the message names the file and line).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the cases file {path}: {exc}") from exc
    header = _header(path, lines)
    cases = tuple(
        case_from_json(line, source=f"{path}:{number}")
        for number, line in enumerate(lines[1:], start=2)
        if line.strip()
    )
    _check_unique(path, cases)
    seed, head, notes = header.get("seed"), header.get("head"), header.get("notes", [])
    return CaseSet(
        seed=seed if isinstance(seed, int) else 0,
        head=head if isinstance(head, str) else "",
        cases=cases,
        notes=tuple(str(n) for n in notes) if isinstance(notes, list) else (),
    )


def _header(path: Path, lines: Sequence[str]) -> dict[str, object]:
    try:
        header = json.loads(lines[0]) if lines else None
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise SerializeError(
            f"{path}:1 is not a reviewbot bench cases file (no {FORMAT!r} header line); "
            "make one with `reviewbot bench cases --out FILE`"
        )
    if header.get("version") != VERSION:
        raise SerializeError(
            f"{path}: cases file version {header.get('version')!r} is not {VERSION}; "
            "regenerate it with this reviewbot (`reviewbot bench cases`)"
        )
    return header


def _check_unique(path: Path, cases: Sequence[Case]) -> None:
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise SerializeError(f"{path}: case id {case.id!r} appears twice; ids must be unique")
        seen.add(case.id)
