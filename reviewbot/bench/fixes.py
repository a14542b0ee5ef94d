"""Reversed bug fixes: a fix commit applied backwards is a diff that brings the bug back.

A commit counts as a fix when its message says so (``FIX_MESSAGE``: fix, bug, crash,
regression, ...; not "fix typo/docs/lint/tests") or, failing that, when its content does: a
small change that adds a null or bounds guard (``GUARD``). It must change at most
``max_changed_lines`` lines of source files (``reviewbot.bench.sources``); its test and docs
changes are left out of the case, and a commit with no source change at all is not used.

The case diff is ``git diff <fix> <fix>^ -- <source files>``. Its answer key is every line the
fix touched, as the reversed diff shows them: the fix's removed lines are added lines there
(RIGHT), and its added lines are removed lines (LEFT, anchored at the new-file line now in their
place). A fix that only added lines (a guard) gives a reversed diff that only deletes:
``deletion_only`` is set, since reviewers find missing code much harder to point at.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from reviewbot.bench.casefile import AnswerLine, Case, CaseKind, case_id
from reviewbot.bench.history import Commit
from reviewbot.bench.sources import CaseSources, changed_lines, diff_text
from reviewbot.diff import parse_diff
from reviewbot.types import FileDiff, LineKind, Side

MAX_CHANGED_LINES = 20
GUARD_MAX_CHANGED_LINES = 6
FIX_MESSAGE = re.compile(
    r"\b(fix(e[sd]|ing)?|bug(s|fix)?|crash(es|ed|ing)?|regression|broken|incorrect|wrong|"
    r"off[- ]by[- ]one|null ?pointer|npe|segfault|overflow|underflow|leak|race|hotfix)\b",
    re.IGNORECASE,
)
NOT_A_FIX = re.compile(
    r"\bfix(e[sd]|ing)?\s+(typos?|docs?|documentation|readme|lint(ing)?|format(ting)?|style|"
    r"whitespace|spelling|comments?|tests?|ci|build)\b",
    re.IGNORECASE,
)
GUARD = re.compile(
    r"\bif\b.*(\bis (not )?None\b|[!=]==? ?(null|nil|NULL|nullptr|undefined)\b|"
    r"(<|<=|>|>=) ?(len\(|\w+\.(length|size\(\)|len\(\))))"
)


def fix_reason(commit: Commit, files: Sequence[FileDiff]) -> str | None:
    """``"message"``, ``"content"`` (adds a guard in a tiny change), or None: not a fix."""
    if FIX_MESSAGE.search(commit.message) and not NOT_A_FIX.search(commit.message):
        return "message"
    added = [
        line.text for f in files for h in f.hunks for line in h.lines if line.kind is LineKind.ADD
    ]
    if changed_lines(files) <= GUARD_MAX_CHANGED_LINES and any(GUARD.search(t) for t in added):
        return "content"
    return None


def fix_case(
    repo: Path,
    commit: Commit,
    *,
    max_changed_lines: int = MAX_CHANGED_LINES,
    case_sources: CaseSources | None = None,
) -> Case | None:
    """The reversed-fix case of ``commit``, or None when it is no fix or does not qualify.

    case_sources: the commits' source files, shared with the other kinds of case.
    Raises GitError when git fails on the commit.
    """
    if not commit.parents:
        return None
    sources = (case_sources or CaseSources(repo))(commit.sha)
    if not sources or changed_lines(sources) > max_changed_lines:
        return None
    reason = fix_reason(commit, sources)
    if reason is None:
        return None
    paths = [f.path for f in sources]
    text = diff_text(repo, f"{commit.sha}..{commit.parents[0]}", paths)
    if text is None:
        return None
    reversed_files, _ = parse_diff(text.encode("utf-8"))
    answer = answer_key(reversed_files)
    if not answer:
        return None
    return Case(
        id=case_id(CaseKind.FIX, commit.sha, text),
        kind=CaseKind.FIX,
        commit=commit.sha,
        diff=text,
        answer=answer,
        language=sources[0].language,
        deletion_only=all(a.side is Side.LEFT for a in answer),
        note=f"reversed fix ({reason}): {commit.subject}",
    )


def find_fix_cases(
    repo: Path,
    commits: Sequence[Commit],
    *,
    max_changed_lines: int = MAX_CHANGED_LINES,
    case_sources: CaseSources | None = None,
) -> list[Case]:
    """Reversed-fix cases of ``commits``, in the order given."""
    sources = case_sources or CaseSources(repo)
    found = (
        fix_case(repo, c, max_changed_lines=max_changed_lines, case_sources=sources)
        for c in commits
    )
    return [case for case in found if case is not None]


def answer_key(files: Sequence[FileDiff]) -> tuple[AnswerLine, ...]:
    """Every added (RIGHT) and removed (LEFT) line of ``files``, in diff order."""
    answer: list[AnswerLine] = []
    for file in files:
        for hunk in file.hunks:
            cursor = hunk.new_start  # the new-file line the next kept/added line will have
            for line in hunk.lines:
                if line.kind is LineKind.DEL and line.old_lineno is not None:
                    answer.append(AnswerLine(file.path, Side.LEFT, line.old_lineno, max(cursor, 1)))
                elif line.new_lineno is not None:
                    if line.kind is LineKind.ADD:
                        answer.append(
                            AnswerLine(file.path, Side.RIGHT, line.new_lineno, line.new_lineno)
                        )
                    cursor = line.new_lineno + 1
    return tuple(answer)
