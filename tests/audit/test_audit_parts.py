"""The state file, the progress lines, the HTML pieces and the shard arithmetic on their own."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from reviewbot.audit.html import bar_chart, html_page
from reviewbot.audit.meter import Meter
from reviewbot.audit.plan import Shard
from reviewbot.audit.progress import ProgressError, ProgressStore, UnitResult, unit_key
from reviewbot.audit.units import Unit
from reviewbot.errors import ConfigError
from reviewbot.types import Finding, Placement, Review, Severity, Side

FINDING = Finding(
    path="a.py",
    line=12,
    end_line=13,
    side=Side.RIGHT,
    severity=Severity.ERROR,
    category="bug",
    message="bad <thing>",
    suggestion=None,
    fingerprint="0123456789abcdef",
    placement=Placement.INLINE,
)


def unit(start: int, lines: tuple[str, ...] = ("x = 1", "y = 2")) -> Unit:
    return Unit("a.py", "python", start, start + len(lines) - 1, lines, (), lines[0])


def test_results_round_trip_and_errors_are_not_done(tmp_path: Path) -> None:
    ok = UnitResult("k1", "a.py", 10, 14, (FINDING,), prompt_tokens=5, seconds=1.5)
    bad = UnitResult("k2", "a.py", 15, 20, (), error="no JSON", raw="hello")
    with ProgressStore(tmp_path / "s.sqlite") as store:
        store.put(ok)
        store.put(bad)
    with ProgressStore(tmp_path / "s.sqlite") as store:
        assert store.done_keys() == {"k1"}
        assert store.results(["k1", "k2", "k3"]) == {"k1": ok, "k2": bad}


def test_a_moved_unit_shifts_its_findings() -> None:
    result = UnitResult("k", "a.py", 10, 14, (FINDING,))
    moved = result.moved_to(unit(20, ("a", "b", "c", "d", "e")))
    assert (moved.start, moved.end) == (20, 24)
    assert (moved.findings[0].line, moved.findings[0].end_line) == (22, 23)
    assert result.moved_to(unit(10, ("a", "b", "c", "d", "e"))) is result


def test_unit_key_ignores_position_but_not_content_or_settings() -> None:
    assert unit_key(unit(1), "s") == unit_key(unit(7), "s")
    assert unit_key(unit(1), "s") != unit_key(unit(1), "t")
    assert unit_key(unit(1), "s") != unit_key(unit(1, ("x = 1", "y = 3")), "s")


def test_a_file_that_is_not_a_state_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "s.sqlite").write_text("not a database" * 100)
    with pytest.raises(ProgressError, match="cannot open the audit state file"):
        ProgressStore(tmp_path / "s.sqlite")


def test_another_programs_database_is_not_taken_for_a_state_file(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "s.sqlite")
    with conn:
        conn.execute("CREATE TABLE results (id INTEGER)")
        conn.execute("PRAGMA user_version = 1")
    conn.close()
    with pytest.raises(ProgressError, match=r"s\.sqlite: no such column: key; delete it"):
        ProgressStore(tmp_path / "s.sqlite")


def test_shards_split_keys_without_overlap() -> None:
    keys = [unit_key(unit(1, (f"x = {i}",)), "s") for i in range(60)]
    shares = [[k for k in keys if Shard(i, 4).holds(k)] for i in (1, 2, 3, 4)]
    assert sorted(k for share in shares for k in share) == sorted(keys)
    assert all(share for share in shares)
    assert Shard.parse("2/4") == Shard(2, 4)
    for bad in ("0/4", "5/4", "x", "1/0"):
        with pytest.raises(ConfigError, match="is not I/N"):
            Shard.parse(bad)


def test_plain_progress_lines() -> None:
    now = [100.0]
    out = io.StringIO()
    meter = Meter(40, 10, 3, out, tty=False, clock=lambda: now[0])
    now[0] = 104.0
    meter.advance(1)  # a twentieth of 40 is 2 units: no line yet
    meter.advance(0)
    now[0] = 108.0
    meter.advance(2)
    meter.close()
    assert out.getvalue().splitlines() == [
        "reviewbot: audit: 12/40 units (30%), 4 findings, 0.50 units/s, 0:00:56 left",
        "reviewbot: audit: 13/40 units (32%), 6 findings, 0.38 units/s, 0:01:12 left",
    ]


def test_bar_chart_escapes_labels() -> None:
    svg = bar_chart("By <dir>", [("a<b>/", 3, "#123456"), ("c/", 1, "#123456")])
    assert "<b>" not in svg and "a&lt;b&gt;/" in svg
    assert 'width="200"' in svg  # the longest bar: 420 - 170 - 50 pixels
    assert 'width="67"' in svg  # a third of it


def test_page_escapes_findings_and_lists_problems() -> None:
    review = Review(findings=(FINDING,), reviewed_files=("a.py",))
    lines = {n: f"line {n} <x>" for n in range(1, 20)}

    def lookup(path: str, start: int, end: int) -> list[str] | None:
        return [lines[n] for n in range(start, end + 1)] if end < 20 else None

    page = html_page(review, lookup, title="T & <U>")
    assert "<title>T &amp; &lt;U&gt;</title>" in page
    assert "bad &lt;thing&gt;" in page
    rows = [f"<td>{n}</td><td>line {n} &lt;x&gt;</td>" for n in range(9, 17)]
    assert (
        "".join(
            f'<tr class="hit">{r}</tr>' if n in (12, 13) else f"<tr>{r}</tr>"
            for n, r in zip(range(9, 17), rows, strict=True)
        )
        in page
    )
