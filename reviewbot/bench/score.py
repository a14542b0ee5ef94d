"""Scores per profile from stored results: detection, precision, false positives, speed.

Definitions (the README's "Choosing a model" section explains them to users):

- A finding *hits* an answer line when it is on the same file and side within ``k`` lines
  (RIGHT findings are also compared with a removed line's anchor, the new-file line now in its
  place); a range finding counts its nearest line. Findings without a line never hit.
- Detection, on buggy cases (seeded and reversed fixes), at three levels: *file* (any finding
  on a file of the answer key, lines or not), *hunk* (a finding's lines inside the hunk of an
  answer line) and *line* (a hit). Any category counts: users read every finding.
- Precision: hits among all findings on buggy cases (all findings, as users see them all).
- A *bug-claiming* finding has category bug or security, or severity error or critical. False
  positives are the bug-claiming findings on clean cases: per clean case, and the share of clean
  cases with at least one.
- Parse rate: model calls whose answer could be used (parsed, not an engine error) among all.
- A case whose review failed as a whole (a timeout) counts as reviewed and nothing found.
- A case the review did not cover (status "not_reviewed": an answer-key line, or for a clean
  case any part, was left out for the context window or by the filters) is counted apart and
  left out of every rate and of latency: the model never saw what it would be scored on. Its
  model calls still count in the parse rate.
- Rates carry Wilson score 95% intervals (Wilson 1927; Brown, Cai & DasGupta 2001 recommend it
  for small counts, where the normal approximation fails).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from reviewbot.bench.benchdb import NOT_REVIEWED, CaseResult
from reviewbot.bench.casefile import AnswerLine, Case, CaseKind
from reviewbot.diff import parse_diff
from reviewbot.types import Finding, Hunk, Severity, Side

DEFAULT_TOLERANCE = 3  # lines either side of an answer line that still count as a hit
BUG_CATEGORIES = frozenset({"bug", "security"})
_Z95 = 1.959963984540054


def is_bug_claim(finding: Finding) -> bool:
    return finding.category in BUG_CATEGORIES or finding.severity.rank >= Severity.ERROR.rank


def wilson_interval(hits: int, total: int, z: float = _Z95) -> tuple[float, float]:
    """Wilson score interval of ``hits / total``; (0, 1) when ``total`` is 0."""
    if total == 0:
        return 0.0, 1.0
    p = hits / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Rate:
    hits: int
    total: int

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.hits, self.total)


@dataclass(frozen=True)
class ProfileScore:
    """Scores of one profile. latency: seconds per reviewed case; tokens_per_second: generated
    tokens over review seconds. per_class / per_operator: line detection of seeded cases.
    reviewed: cases scored (status "ok" or "failed"); missing: cases with no result;
    not_reviewed: cases the review did not cover, with the first reason in not_reviewed_reason
    ("" when none)."""

    profile: str
    reviewed: int
    missing: int
    failed: int
    not_reviewed: int
    detection_file: Rate
    detection_hunk: Rate
    detection_line: Rate
    precision: Rate
    clean_flagged: Rate
    clean_bug_findings: int
    parse: Rate
    latency_mean: float | None
    latency_median: float | None
    tokens_per_second: float | None
    by_kind: dict[str, Rate] = field(default_factory=dict)
    per_class: dict[str, Rate] = field(default_factory=dict)
    per_operator: dict[str, Rate] = field(default_factory=dict)
    not_reviewed_reason: str = ""

    @property
    def fp_per_clean(self) -> float | None:
        total = self.clean_flagged.total
        return self.clean_bug_findings / total if total else None


@dataclass(frozen=True)
class CaseOutcome:
    file: bool
    hunk: bool
    line: bool
    hits: int  # findings that hit an answer line
    findings: int


def judge(case: Case, findings: Sequence[Finding], k: int = DEFAULT_TOLERANCE) -> CaseOutcome:
    """How the findings of one buggy case fare against its answer key."""
    hunks = _answer_hunks(case)
    paths = {a.path for a in case.answer}
    hits = sum(any(_hits(f, a, k) for a in case.answer) for f in findings)
    return CaseOutcome(
        file=any(f.path in paths for f in findings),
        hunk=any(_in_hunk(f, a, h) for f in findings for a, h in hunks),
        line=hits > 0,
        hits=hits,
        findings=len(findings),
    )


def _hits(finding: Finding, answer: AnswerLine, k: int) -> bool:
    if finding.line is None or finding.path != answer.path:
        return False
    if finding.side is Side.RIGHT:
        target = answer.anchor
    elif answer.side is Side.LEFT:
        target = answer.line
    else:
        return False
    end = finding.end_line or finding.line
    return finding.line - k <= target <= end + k


def _answer_hunks(case: Case) -> list[tuple[AnswerLine, Hunk]]:
    files, _ = parse_diff(case.diff.encode("utf-8"))
    by_path = {f.path: f for f in files}
    found = []
    for answer in case.answer:
        file = by_path.get(answer.path)
        for hunk in file.hunks if file else ():
            if answer.side is Side.RIGHT:
                span = (hunk.new_start, hunk.new_start + max(hunk.new_len, 1) - 1)
            else:
                span = (hunk.old_start, hunk.old_start + max(hunk.old_len, 1) - 1)
            if span[0] <= answer.line <= span[1]:
                found.append((answer, hunk))
    return found


def _in_hunk(finding: Finding, answer: AnswerLine, hunk: Hunk) -> bool:
    if finding.line is None or finding.path != answer.path:
        return False
    end = finding.end_line or finding.line
    if finding.side is Side.RIGHT:
        low, high = hunk.new_start, hunk.new_start + max(hunk.new_len, 1) - 1
    else:
        low, high = hunk.old_start, hunk.old_start + max(hunk.old_len, 1) - 1
    return finding.line <= high and end >= low


def score_profile(
    profile: str,
    cases: Sequence[Case],
    results: Sequence[CaseResult],
    k: int = DEFAULT_TOLERANCE,
) -> ProfileScore:
    """Scores of ``profile`` on ``cases`` from its ``results`` (other profiles' are ignored)."""
    mine = {r.case_id: r for r in results if r.profile == profile}
    stored = [(c, mine[c.id]) for c in cases if c.id in mine]
    skipped = [r for _, r in stored if r.status == NOT_REVIEWED]
    reviewed = [(c, r) for c, r in stored if r.status != NOT_REVIEWED]
    buggy = [(c, r, judge(c, r.findings, k)) for c, r in reviewed if c.kind is not CaseKind.CLEAN]
    clean = [r for c, r in reviewed if c.kind is CaseKind.CLEAN]
    claims = [sum(is_bug_claim(f) for f in r.findings) for r in clean]
    ok = [r for _, r in reviewed if r.status == "ok"]
    seconds = [r.seconds for r in ok]
    made = sum(r.completion_tokens for r in ok)
    called = [*ok, *skipped]
    return ProfileScore(
        profile=profile,
        reviewed=len(reviewed),
        missing=len(cases) - len(stored),
        failed=len(reviewed) - len(ok),
        not_reviewed=len(skipped),
        not_reviewed_reason=next((r.errors[0] for r in skipped if r.errors), ""),
        detection_file=Rate(sum(o.file for _, _, o in buggy), len(buggy)),
        detection_hunk=Rate(sum(o.hunk for _, _, o in buggy), len(buggy)),
        detection_line=Rate(sum(o.line for _, _, o in buggy), len(buggy)),
        precision=Rate(sum(o.hits for _, _, o in buggy), sum(o.findings for _, _, o in buggy)),
        clean_flagged=Rate(sum(n > 0 for n in claims), len(clean)),
        clean_bug_findings=sum(claims),
        parse=Rate(sum(r.calls - r.failed_calls for r in called), sum(r.calls for r in called)),
        latency_mean=statistics.fmean(seconds) if seconds else None,
        latency_median=statistics.median(seconds) if seconds else None,
        tokens_per_second=made / sum(seconds) if made and sum(seconds) > 0 else None,
        by_kind=_grouped((_kind(c), o.line) for c, _, o in buggy),
        per_class=_grouped(
            (c.operator_class or "", o.line) for c, _, o in buggy if c.operator_class
        ),
        per_operator=_grouped((c.operator or "", o.line) for c, _, o in buggy if c.operator),
    )


def _kind(case: Case) -> str:
    if case.kind is CaseKind.FIX and case.deletion_only:
        return "fix (deletion only)"
    return case.kind.value


def _grouped(pairs: Iterable[tuple[str, bool]]) -> dict[str, Rate]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, hit in pairs:
        counts[key][0] += int(hit)
        counts[key][1] += 1
    return {key: Rate(h, n) for key, (h, n) in sorted(counts.items())}


def score_all(
    cases: Sequence[Case],
    results: Sequence[CaseResult],
    profiles: Sequence[str],
    k: int = DEFAULT_TOLERANCE,
) -> list[ProfileScore]:
    return [score_profile(p, cases, results, k) for p in profiles]
