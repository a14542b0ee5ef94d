"""Benchmark reports: profiles side by side as a terminal table or JSON (HTML: report_html).

JSON shape (``REPORT_VERSION`` 1)::

    {"report_version": 1, "tolerance": k, "cases": {"seeded": n, "fix": n, "clean": n},
     "profiles": [{"profile", "reviewed", "missing", "failed", "not_reviewed",
                   "detection": {"file"|"hunk"|"line": RATE}, "precision": RATE,
                   "clean_flagged": RATE, "fp_per_clean": float|null, "parse": RATE,
                   "latency_mean_s", "latency_median_s", "tokens_per_second",
                   "by_kind": {kind: RATE}, "per_class": {cls: RATE}, "per_operator": {op: RATE}}]}
    RATE = {"hits", "total", "value": float|null, "low", "high"}   (Wilson 95% interval)
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from reviewbot.bench.casefile import Case
from reviewbot.bench.score import ProfileScore, Rate

REPORT_VERSION = 1


def rate_to_dict(rate: Rate) -> dict[str, Any]:
    low, high = rate.interval
    return {
        "hits": rate.hits,
        "total": rate.total,
        "value": rate.value,
        "low": round(low, 4),
        "high": round(high, 4),
    }


def score_to_dict(s: ProfileScore) -> dict[str, Any]:
    return {
        "profile": s.profile,
        "reviewed": s.reviewed,
        "missing": s.missing,
        "failed": s.failed,
        "not_reviewed": s.not_reviewed,
        "detection": {
            "file": rate_to_dict(s.detection_file),
            "hunk": rate_to_dict(s.detection_hunk),
            "line": rate_to_dict(s.detection_line),
        },
        "precision": rate_to_dict(s.precision),
        "clean_flagged": rate_to_dict(s.clean_flagged),
        "fp_per_clean": s.fp_per_clean,
        "parse": rate_to_dict(s.parse),
        "latency_mean_s": s.latency_mean,
        "latency_median_s": s.latency_median,
        "tokens_per_second": s.tokens_per_second,
        "by_kind": {k: rate_to_dict(v) for k, v in s.by_kind.items()},
        "per_class": {k: rate_to_dict(v) for k, v in s.per_class.items()},
        "per_operator": {k: rate_to_dict(v) for k, v in s.per_operator.items()},
    }


def report_dict(scores: Sequence[ProfileScore], cases: Sequence[Case], k: int) -> dict[str, Any]:
    kinds = Counter(c.kind.value for c in cases)
    return {
        "report_version": REPORT_VERSION,
        "tolerance": k,
        "cases": {kind: kinds.get(kind, 0) for kind in ("seeded", "fix", "clean")},
        "profiles": [score_to_dict(s) for s in scores],
    }


def report_json(scores: Sequence[ProfileScore], cases: Sequence[Case], k: int) -> str:
    return json.dumps(report_dict(scores, cases, k), indent=2) + "\n"


def format_rate(rate: Rate) -> str:
    """``"62% [41-79] 10/16"``; ``"-"`` when nothing was counted."""
    if rate.value is None:
        return "-"
    low, high = rate.interval
    return f"{rate.value:.0%} [{low * 100:.0f}-{high * 100:.0f}] {rate.hits}/{rate.total}"


def _number(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"


Row = tuple[str, Callable[[ProfileScore], str]]


def table_rows(scores: Sequence[ProfileScore], k: int) -> list[Row]:
    rows: list[Row] = [
        ("cases reviewed", _counts),
        (f"detection, line ±{k}", lambda s: format_rate(s.detection_line)),
        ("detection, hunk", lambda s: format_rate(s.detection_hunk)),
        ("detection, file", lambda s: format_rate(s.detection_file)),
        (f"precision, line ±{k}", lambda s: format_rate(s.precision)),
        ("bug claims per clean diff", lambda s: _number(s.fp_per_clean, digits=2)),
        ("clean diffs with a bug claim", lambda s: format_rate(s.clean_flagged)),
        ("outputs parsed", lambda s: format_rate(s.parse)),
        ("latency per case, median", lambda s: _number(s.latency_median, " s", 2)),
        ("latency per case, mean", lambda s: _number(s.latency_mean, " s", 2)),
        ("tokens per second", lambda s: _number(s.tokens_per_second, digits=0)),
    ]
    for title, attr in (("kind", "by_kind"), ("class", "per_class")):
        keys = sorted({key for s in scores for key in getattr(s, attr)})
        rows += [(f"line detection, {title} {key}", _lookup(attr, key)) for key in keys]
    return rows


def _counts(s: ProfileScore) -> str:
    return f"{s.reviewed} ({s.missing} missing, {s.failed} failed, {s.not_reviewed} not reviewed)"


def coverage_warnings(scores: Sequence[ProfileScore]) -> list[str]:
    """One line per profile with cases its reviews did not cover, saying how many and why."""
    lines = []
    for s in scores:
        if not s.not_reviewed:
            continue
        total = s.reviewed + s.not_reviewed
        if s.reviewed == 0:
            head = f"profile {s.profile!r} reviewed none of its {total} cases"
        else:
            head = f"profile {s.profile!r}: {s.not_reviewed} of {total} cases were not reviewed"
        if "context window" in s.not_reviewed_reason:
            fix = "give it a larger context_window or lower its max_new_tokens"
        else:
            fix = "check its include, exclude and max_file_bytes settings"
        lines.append(f"{head}, so its scores leave them out (e.g. {s.not_reviewed_reason}); {fix}")
    return lines


def _lookup(attr: str, key: str) -> Callable[[ProfileScore], str]:
    def cell(s: ProfileScore) -> str:
        rate = getattr(s, attr).get(key)
        return format_rate(rate) if rate is not None else "-"

    return cell


def report_terminal(scores: Sequence[ProfileScore], cases: Sequence[Case], k: int) -> str:
    """A plain-text table: one row per measure, one column per profile."""
    rows = table_rows(scores, k)
    table = [["", *(s.profile for s in scores)]]
    table += [[label, *(cell(s) for s in scores)] for label, cell in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = ["  ".join(text.ljust(w) for text, w in zip(row, widths, strict=True)) for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    kinds = Counter(c.kind.value for c in cases)
    summary = ", ".join(f"{kinds.get(kind, 0)} {kind}" for kind in ("seeded", "fix", "clean"))
    footer = f"cases: {summary}; rates with Wilson 95% intervals [low-high] and counts"
    return "\n".join([*(line.rstrip() for line in lines), "", footer]) + "\n"
