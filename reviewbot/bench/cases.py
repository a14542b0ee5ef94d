"""Make benchmark cases from a repository's recent history, reproducibly from a seed.

Of ``count`` cases, about half are seeded bugs, a fifth reversed fixes (``reviewbot.bench.fixes``;
seeded bugs make up any shortfall) and the rest clean diffs: half of those are the seeded commits
without their mutation (the same code, so a model's false alarms and its detections are measured
on the same text), half ordinary commits. A seeded case is one file of a real commit with one
mutation (``reviewbot.bench.mutate``) on a line the commit added; operators are drawn so that
each is used about as often as the others. The same repository state, seed and options give the
same cases.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reviewbot import git
from reviewbot.bench.casefile import AnswerLine, Case, CaseKind, CaseSet, case_id
from reviewbot.bench.fixes import MAX_CHANGED_LINES, find_fix_cases
from reviewbot.bench.history import Commit, recent_commits
from reviewbot.bench.mutate import FileMutator, Mutation
from reviewbot.bench.sources import CaseSources, diff_lines, diff_text
from reviewbot.errors import ConfigError, DiffParseError, GitError
from reviewbot.types import FileDiff, LineKind, Side

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass(frozen=True)
class CaseOptions:
    """count: cases wanted. max_commits: history searched (newest first). max_diff_lines: hunk
    lines per case at most (what fits a small model's context). max_fix_lines: changed lines."""

    count: int = 50
    seed: int = 0
    rev: str = "HEAD"
    max_commits: int = 300
    max_diff_lines: int = 400
    max_fix_lines: int = MAX_CHANGED_LINES


@dataclass(frozen=True)
class _Spot:
    file: FileDiff
    lineno: int
    mutation: Mutation
    mutator: FileMutator


def quotas(count: int) -> tuple[int, int, int]:
    """(seeded, fixes, clean) for ``count`` cases."""
    seeded, fixes = count // 2, count // 5
    return seeded, fixes, count - seeded - fixes


def generate_cases(repo: Path, options: CaseOptions) -> CaseSet:
    """Cases from the history of ``options.rev`` in ``repo``.

    Raises ConfigError for a count below 1, GitError when git fails (not a repository, unknown
    revision, no commits).
    """
    if options.count < 1:
        raise ConfigError(f"case count {options.count} is below 1; ask for at least one case")
    commits = recent_commits(repo, options.max_commits, options.rev)
    rng = random.Random(options.seed)
    n_seeded, n_fixes, n_clean = quotas(options.count)
    sources = CaseSources(repo)
    all_fixes = find_fix_cases(
        repo, commits, max_changed_lines=options.max_fix_lines, case_sources=sources
    )
    fixes = rng.sample(all_fixes, min(n_fixes, len(all_fixes)))
    fix_commits = {c.commit for c in all_fixes}
    pool = [c for c in commits if c.parents and c.sha not in fix_commits]
    rng.shuffle(pool)
    wanted = n_seeded + n_fixes - len(fixes)
    seeded, twins, used = _seed(repo, sources, pool, rng, wanted, options)
    n_clean = options.count - len(seeded) - len(fixes)
    ordinary = _clean(repo, sources, [c for c in pool if c.sha not in used], n_clean, options)
    half = (n_clean + 1) // 2
    clean = [*twins[:half], *ordinary][:n_clean]
    clean += twins[half : half + n_clean - len(clean)]
    notes = _notes(options, len(seeded), len(fixes), len(clean), len(all_fixes))
    head = git.rev_parse(repo, options.rev)
    return CaseSet(options.seed, head, tuple([*seeded, *fixes, *clean]), notes)


def _seed(
    repo: Path,
    sources: CaseSources,
    pool: list[Commit],
    rng: random.Random,
    wanted: int,
    options: CaseOptions,
) -> tuple[list[Case], list[Case], set[str]]:
    """(seeded cases, their unmutated twins, commits used)."""
    seeded: list[Case] = []
    twins: list[Case] = []
    used: set[str] = set()
    usage: Counter[str] = Counter()
    for commit in pool:
        if len(seeded) >= wanted:
            break
        made = _seed_commit(repo, sources(commit.sha), commit, rng, usage, options.max_diff_lines)
        if made is not None:
            seeded.append(made[0])
            twins.append(made[1])
            used.add(commit.sha)
    return seeded, twins, used


def _seed_commit(
    repo: Path,
    files: Sequence[FileDiff],
    commit: Commit,
    rng: random.Random,
    usage: Counter[str],
    max_lines: int,
) -> tuple[Case, Case] | None:
    spots = _spots(repo, files, commit, max_lines)
    while spots:
        least = min(usage[name] for name in spots)
        name = rng.choice(sorted(n for n in spots if usage[n] == least))
        spot = rng.choice(spots[name])
        if spot.mutator.accepts(spot.lineno, spot.mutation):
            text = diff_text(repo, commit.sha, [spot.file.path])
            if text is not None:
                usage[name] += 1
                return _seeded_case(commit, spot, text), _twin(commit, text)
        spots[name].remove(spot)
        if not spots[name]:
            del spots[name]
    return None


def _spots(
    repo: Path, files: Sequence[FileDiff], commit: Commit, max_lines: int
) -> dict[str, list[_Spot]]:
    """Operator name -> every place in the commit's added lines (of ``files``, its case
    sources) it can mutate."""
    spots: dict[str, list[_Spot]] = {}
    for file in files:
        if diff_lines([file]) > max_lines or file.language is None:
            continue
        try:
            text = git.show_blob(repo, commit.sha, file.path).decode("utf-8")
        except (GitError, UnicodeDecodeError):
            continue
        mutator = FileMutator(file.language, text)
        if not mutator.usable:
            continue
        for hunk in file.hunks:
            for line in hunk.lines:
                if line.kind is not LineKind.ADD or line.new_lineno is None:
                    continue
                for name, mutants in mutator.candidates(line.new_lineno).items():
                    places = spots.setdefault(name, [])
                    places += [_Spot(file, line.new_lineno, m, mutator) for m in mutants]
    return spots


def _seeded_case(commit: Commit, spot: _Spot, text: str) -> Case:
    mutated = replace_added_line(text, spot.lineno, spot.mutation.mutated)
    path, m = spot.file.path, spot.mutation
    return Case(
        id=case_id(CaseKind.SEEDED, commit.sha, mutated),
        kind=CaseKind.SEEDED,
        commit=commit.sha,
        diff=mutated,
        answer=(AnswerLine(path, Side.RIGHT, spot.lineno, spot.lineno),),
        operator=m.operator,
        operator_class=m.cls,
        language=spot.file.language,
        note=f"{path}:{spot.lineno}: {m.original.strip()!r} -> {m.mutated.strip()!r}",
    )


def _twin(commit: Commit, text: str) -> Case:
    return Case(
        id=case_id(CaseKind.CLEAN, commit.sha, text),
        kind=CaseKind.CLEAN,
        commit=commit.sha,
        diff=text,
        note=f"seeded commit without its mutation: {commit.subject}",
    )


def _clean(
    repo: Path, sources: CaseSources, pool: list[Commit], wanted: int, options: CaseOptions
) -> list[Case]:
    clean: list[Case] = []
    for commit in pool:
        if len(clean) >= wanted:
            break
        files = sources(commit.sha)
        if not files or diff_lines(files) > options.max_diff_lines:
            continue
        text = diff_text(repo, commit.sha, [f.path for f in files])
        if text is None:
            continue
        clean.append(
            Case(
                id=case_id(CaseKind.CLEAN, commit.sha, text),
                kind=CaseKind.CLEAN,
                commit=commit.sha,
                diff=text,
                language=files[0].language,
                note=f"commit: {commit.subject}",
            )
        )
    return clean


def replace_added_line(diff: str, lineno: int, new_text: str) -> str:
    """``diff`` (one file) with its added line numbered ``lineno`` (new file) reading
    ``new_text`` instead; a ``\\r`` ending is kept. Raises DiffParseError when there is no such
    added line."""
    lines = diff.split("\n")
    number: int | None = None
    for i, line in enumerate(lines):
        header = _HUNK.match(line)
        if header:
            number = int(header.group(1))
        elif number is not None and line[:1] in ("+", " "):
            if line.startswith("+") and number == lineno:
                lines[i] = "+" + new_text + ("\r" if line.endswith("\r") else "")
                return "\n".join(lines)
            number += 1
    raise DiffParseError(f"the diff has no added line {lineno} to mutate")


def _notes(
    options: CaseOptions, seeded: int, fixes: int, clean: int, fixes_found: int
) -> tuple[str, ...]:
    notes = [
        f"{seeded} seeded, {fixes} reversed fixes ({fixes_found} fix commits found), "
        f"{clean} clean, from the last {options.max_commits} commits of {options.rev} "
        f"with seed {options.seed}"
    ]
    made = seeded + fixes + clean
    if made < options.count:
        notes.append(
            f"only {made} of {options.count} cases could be made: the history has too few small "
            "commits changing source files; search more history with a larger --max-commits"
        )
    return tuple(notes)
