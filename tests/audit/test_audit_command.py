"""``reviewbot audit`` end to end against a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from auditrepo import GO_MAIN
from gitrepo import write
from pydantic_sarif.model import (  # type: ignore[import-untyped]
    StaticAnalysisResultsFormatSarifVersion210JsonSchema as SarifLog,
)

from reviewbot.audit.plan import Shard
from reviewbot.commands import audit
from reviewbot.commands.audit import AuditOptions
from reviewbot.errors import ConfigError

UNITS = 12  # app.py 6, util.js 3, main.go 2, docs/skip.py 1 at --max-unit-lines 8
_FILE = re.compile(r"^## File: (\S+)", re.MULTILINE)
_LINES = re.compile(r"^### Lines (\d+)-(\d+)", re.MULTILINE)


def answer(body: Any, delay: float = 0.0) -> str:
    """One finding on the first line of the unit asked about; severity by line parity."""
    time.sleep(delay)
    user = body["messages"][1]["content"]
    path, start = _FILE.search(user)[1], int(_LINES.search(user)[1])  # type: ignore[index]
    finding = {
        "path": path,
        "line": start,
        "end_line": start,
        "side": "RIGHT",
        "severity": "error" if start % 2 else "warning",
        "category": "bug",
        "quote": None,
        "message": f"problem <b>&</b> at {path}:{start}",
        "suggestion": None,
    }
    return json.dumps({"findings": [finding]})


def run_audit(
    repo: Path, server: Any, out: Path, state: Path | None, fmt: str = "sarif", **options: Any
) -> int:
    flags = {"backend": "openai", "base_url": server.base_url, "format": fmt, "output": out}
    if fmt == "html":
        flags["format"] = None
        options["report_format"] = "html"
    return audit.run_cli(
        cwd=repo,
        flags=flags,
        environ={},
        options=AuditOptions(**{"state": state, "max_unit_lines": 8, **options}),
        stderr=io.StringIO(),
    )


def stored_keys(state: Path) -> list[str]:
    with sqlite3.connect(state) as conn:
        return [row[0] for row in conn.execute("SELECT key FROM results ORDER BY key")]


def without_seconds(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    data["stats"].pop("seconds")
    return data


def test_audit_writes_a_valid_sarif_report(polyglot: Path, scripted_server: Any) -> None:
    scripted_server.responder = answer
    out, state = polyglot.parent / "audit.sarif", polyglot.parent / "state.sqlite"

    assert run_audit(polyglot, scripted_server, out, state) == 0

    log = json.loads(out.read_text())
    SarifLog.model_validate(log)
    results = log["runs"][0]["results"]
    places = [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["level"],
        )
        for r in results
    ]
    assert places == [
        ("cmd/main.go", 1, "error"),
        ("cmd/main.go", 5, "error"),
        ("docs/skip.py", 1, "error"),
        ("src/app.py", 1, "error"),
        ("src/app.py", 9, "error"),
        ("src/app.py", 15, "error"),
        ("src/app.py", 21, "error"),
        ("src/app.py", 28, "warning"),
        ("src/app.py", 35, "error"),
        ("web/util.js", 1, "error"),
        ("web/util.js", 4, "warning"),
        ("web/util.js", 10, "warning"),
    ]
    fingerprints = [r["partialFingerprints"]["reviewbot/v2"] for r in results]
    assert all(len(fp) == 24 for fp in fingerprints) and len(set(fingerprints)) == len(results)
    assert len(scripted_server.chat_requests) == UNITS
    assert len(stored_keys(state)) == UNITS


def test_rerun_sends_nothing_and_min_severity_filters(polyglot: Path, scripted_server: Any) -> None:
    scripted_server.responder = answer
    state = polyglot.parent / "state.sqlite"
    run_audit(polyglot, scripted_server, polyglot.parent / "a.json", state, fmt="json")
    out = polyglot.parent / "b.json"

    run_audit(polyglot, scripted_server, out, state, fmt="json", min_severity=_error())

    assert len(scripted_server.chat_requests) == UNITS
    report = json.loads(out.read_text())
    assert [(f["path"], f["line"]) for f in report["findings"]] == [
        ("cmd/main.go", 1),
        ("cmd/main.go", 5),
        ("docs/skip.py", 1),
        ("src/app.py", 1),
        ("src/app.py", 9),
        ("src/app.py", 15),
        ("src/app.py", 21),
        ("src/app.py", 35),
        ("web/util.js", 1),
    ]
    assert report["stats"]["calls"] == UNITS


def _error() -> Any:
    from reviewbot.types import Severity

    return Severity.ERROR


def test_incremental_rerun_sends_only_the_changed_unit(
    polyglot: Path, scripted_server: Any
) -> None:
    scripted_server.responder = answer
    state = polyglot.parent / "state.sqlite"
    run_audit(polyglot, scripted_server, polyglot.parent / "a.json", state, fmt="json")
    app = (polyglot / "src/app.py").read_text()
    write(polyglot, "src/app.py", app.replace("total = a + b", "total = a + b + 0"))
    go = (polyglot / "cmd/main.go").read_text()
    write(polyglot, "cmd/main.go", "// Command demo.\n" + go)
    out = polyglot.parent / "b.json"

    run_audit(polyglot, scripted_server, out, state, fmt="json")

    again = scripted_server.chat_requests[UNITS:]
    users = [r.body["messages"][1]["content"] for r in again]
    asked = sorted((_FILE.search(u)[1], _LINES.search(u)[0]) for u in users)  # type: ignore[index]
    # add() changed, and main.go's first unit; its second unit only moved down a line
    assert asked == [("cmd/main.go", "### Lines 1-5"), ("src/app.py", "### Lines 9-14")]
    report = json.loads(out.read_text())
    assert [(f["path"], f["line"]) for f in report["findings"]][:2] == [
        ("cmd/main.go", 1),
        ("cmd/main.go", 6),  # the stored finding, shifted with its unit
    ]
    assert report["findings"][1]["message"] == "problem <b>&</b> at cmd/main.go:5"


def test_shards_are_disjoint_and_merge_to_the_whole(polyglot: Path, scripted_server: Any) -> None:
    scripted_server.responder = answer
    base = polyglot.parent
    run_audit(polyglot, scripted_server, base / "whole.json", base / "whole.sqlite", fmt="json")
    keys: list[str] = []
    for index in (1, 2, 3):
        shard = Shard(index, 3)
        run_audit(
            polyglot,
            scripted_server,
            base / f"s{index}.json",
            base / f"s{index}.sqlite",
            fmt="json",
            shard=shard,
        )
        keys += stored_keys(base / f"s{index}.sqlite")

    assert sorted(keys) == stored_keys(base / "whole.sqlite")  # union = whole, no overlap
    assert len(set(keys)) == len(keys) == UNITS
    assert len(scripted_server.chat_requests) == 2 * UNITS
    merged = base / "merged.json"
    code = audit.merge_cli(
        cwd=polyglot,
        flags={"format": "json", "output": merged},
        environ={},
        files=[base / f"s{i}.json" for i in (1, 2, 3)],
        options=AuditOptions(),
    )
    assert code == 0
    assert without_seconds(merged) == without_seconds(base / "whole.json")


def test_html_report_escapes_and_highlights(polyglot: Path, scripted_server: Any) -> None:
    scripted_server.responder = answer
    out = polyglot.parent / "audit.html"

    run_audit(polyglot, scripted_server, out, polyglot.parent / "s.sqlite", fmt="html")

    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "problem &lt;b&gt;&amp;&lt;/b&gt; at src/app.py:9" in page
    assert "<b>" not in page
    assert '<tr class="hit"><td>9</td><td># Adds numbers.</td></tr>' in page
    assert "src=" not in page and 'href="http' not in page  # no external assets
    assert page.count("<svg") == 3


def _audit_process(repo: Path, server: Any, out: Path, state: Path) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "reviewbot", "-C", str(repo), "audit", "--backend", "openai"]
    args += ["--base-url", server.base_url, "--concurrency", "2", "--max-unit-lines", "8"]
    args += ["--format", "sarif", "--output", str(out), "--state", str(state)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWBOT_")}
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _count(state: Path) -> int:
    try:
        with sqlite3.connect(state) as conn:
            return int(conn.execute("SELECT count(*) FROM results").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not created yet


@pytest.mark.slow
def test_killed_audit_resumes_without_repeating_or_losing_units(
    polyglot: Path, scripted_server: Any
) -> None:
    scripted_server.responder = lambda body: answer(body, delay=0.25)
    base = polyglot.parent
    first = _audit_process(polyglot, scripted_server, base / "r.sarif", base / "r.sqlite")
    deadline = time.monotonic() + 60
    while _count(base / "r.sqlite") < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    kept = _count(base / "r.sqlite")
    sent = len(scripted_server.chat_requests)
    assert first.returncode == -signal.SIGKILL
    assert 4 <= kept < UNITS and not (base / "r.sarif").exists()

    second = _audit_process(polyglot, scripted_server, base / "r.sarif", base / "r.sqlite")
    assert second.wait(60) == 0, second.stderr.read() if second.stderr else ""
    resent = len(scripted_server.chat_requests) - sent
    assert resent == UNITS - kept  # only the units without a committed answer
    assert len(stored_keys(base / "r.sqlite")) == UNITS

    whole = _audit_process(polyglot, scripted_server, base / "w.sarif", base / "w.sqlite")
    assert whole.wait(60) == 0
    assert (base / "r.sarif").read_text() == (base / "w.sarif").read_text()


def test_a_failed_unit_makes_the_audit_fail(polyglot: Path, scripted_server: Any) -> None:
    def answer_but_one(body: Any) -> str:
        user = body["messages"][1]["content"]
        return "no JSON here" if "### Lines 9-14" in user else answer(body)

    scripted_server.responder = answer_but_one
    out = polyglot.parent / "a.json"

    assert run_audit(polyglot, scripted_server, out, polyglot.parent / "s.sqlite", "json") == 1

    report = json.loads(out.read_text())
    assert [(e["paths"], e["reason"][:15]) for e in report["errors"]] == [
        (["src/app.py"], "lines 9-14: no ")
    ]
    assert len(report["findings"]) == UNITS - 1 and report["failed"] is False


def test_the_default_state_file_is_one_per_repository(polyglot: Path, scripted_server: Any) -> None:
    scripted_server.responder = answer
    (polyglot.parent / "rep").mkdir()

    run_audit(polyglot, scripted_server, polyglot.parent / "a.json", None, "json")
    out = polyglot.parent / "rep" / "audit.html"
    run_audit(polyglot, scripted_server, out, None, "html")

    assert len(scripted_server.chat_requests) == UNITS  # the second run sent nothing
    assert len(stored_keys(polyglot / ".git" / "reviewbot-audit.sqlite")) == UNITS
    assert "problem &lt;b&gt;&amp;&lt;/b&gt; at src/app.py:9" in out.read_text()


def test_outside_git_the_state_file_is_in_the_cache_dir(
    tmp_path: Path, scripted_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    tree = tmp_path / "tree"
    write(tree, "cmd/main.go", GO_MAIN)
    scripted_server.responder = answer

    run_audit(tree, scripted_server, tmp_path / "a.sarif", None)
    run_audit(tree, scripted_server, tmp_path / "b.json", None, "json")

    assert len(scripted_server.chat_requests) == 2
    state, lock = sorted((tmp_path / "cache" / "reviewbot" / "audit").iterdir())
    assert re.fullmatch(r"[0-9a-f]{16}\.sqlite", state.name)
    assert lock.name == state.name + ".lock"  # one audit at a time on it
    assert len(stored_keys(state)) == 2


def test_a_path_that_matches_no_file_is_an_error(polyglot: Path, scripted_server: Any) -> None:
    out = polyglot.parent / "a.json"
    with pytest.raises(ConfigError, match=r"cannot audit nonexist\.py: no tracked file") as caught:
        run_audit(polyglot, scripted_server, out, out.with_suffix(".db"), paths=("nonexist.py",))
    assert caught.value.exit_code == 2
    assert scripted_server.chat_requests == [] and not out.exists()


def _shards(repo: Path, server: Any, count: int, **options: Any) -> list[Path]:
    reports = []
    for index in range(1, count + 1):
        out = repo.parent / f"s{index}of{count}.json"
        state = repo.parent / f"s{index}of{count}.sqlite"
        run_audit(repo, server, out, state, "json", shard=Shard(index, count), **options)
        reports.append(out)
    return reports


def _merge(repo: Path, files: list[Path], err: io.StringIO) -> int:
    return audit.merge_cli(
        cwd=repo,
        flags={"format": "json", "output": repo.parent / "merged.json"},
        environ={},
        files=files,
        options=AuditOptions(),
        stderr=err,
    )


def test_each_shard_report_says_which_shard_and_settings(
    polyglot: Path, scripted_server: Any
) -> None:
    scripted_server.responder = answer
    one, two = _shards(polyglot, scripted_server, 2)

    first, second = json.loads(one.read_text())["audit"], json.loads(two.read_text())["audit"]
    assert (first["shard"], second["shard"]) == ("1/2", "2/2")
    assert first["settings"] == second["settings"]
    assert re.fullmatch(r"[0-9a-f]{64}", first["settings"])


def test_merge_reports_a_missing_shard(polyglot: Path, scripted_server: Any) -> None:
    scripted_server.responder = answer
    one, _, three = _shards(polyglot, scripted_server, 3)
    err = io.StringIO()

    assert _merge(polyglot, [one, three], err) == 1

    assert "reviewbot: warning: shard 2/3 missing: its units are not in the merged report" in (
        err.getvalue()
    )
    merged = json.loads((polyglot.parent / "merged.json").read_text())
    assert merged["errors"][0] == {
        "paths": [],
        "reason": "shard 2/3: no report merged; not audited",
        "raw": "",
    }


def test_merge_refuses_a_repeated_shard_or_other_settings(
    polyglot: Path, scripted_server: Any
) -> None:
    scripted_server.responder = answer
    one, two = _shards(polyglot, scripted_server, 2)
    (other,) = _shards(polyglot, scripted_server, 1, max_unit_lines=150)
    err = io.StringIO()

    with pytest.raises(ConfigError, match=r"s1of2.json and \S+s1of2.json hold the same shard"):
        _merge(polyglot, [one, two, one], err)
    with pytest.raises(ConfigError, match=r"s1of2.json and \S+s1of1.json were audited with diff"):
        _merge(polyglot, [one, two, other], err)
    data = json.loads(other.read_text())
    data["audit"]["settings"] = json.loads(one.read_text())["audit"]["settings"]
    other_copy = polyglot.parent / "s1of1b.json"  # a whole audit with the shards' settings
    other_copy.write_text(json.dumps(data))
    with pytest.raises(
        ConfigError, match=r"s1of2.json \(a shard of 2\) and \S+s1of1b.json \(a whole audit\)"
    ):
        _merge(polyglot, [one, two, other_copy], err)


def _import_finding(body: Any) -> str:
    """Every unit of src/app.py flags its import of os (line 3, shown to all as context)."""
    user = body["messages"][1]["content"]
    if _FILE.search(user)[1] != "src/app.py":  # type: ignore[index]
        return json.dumps({"findings": []})
    finding = {"path": "src/app.py", "line": 3, "side": "RIGHT", "severity": "warning"}
    finding |= {"category": "maintainability", "message": "os is imported but never used"}
    return json.dumps({"findings": [finding]})


def test_a_finding_on_an_import_line_outside_the_unit_is_reported_once_on_that_line(
    polyglot: Path, scripted_server: Any
) -> None:
    scripted_server.responder = _import_finding
    state = polyglot.parent / "s.sqlite"
    out = polyglot.parent / "a.json"

    run_audit(polyglot, scripted_server, out, state, "json", paths=("src",))

    shown = [
        (f["line"], f["placement"], f["note"]) for f in json.loads(out.read_text())["findings"]
    ]
    assert shown == [(3, "inline", None)]  # six units said it; one finding, on the import line

    # A line inserted below the imports: every unit after it moves, the imports do not.
    app = (polyglot / "src/app.py").read_text()
    write(polyglot, "src/app.py", app.replace(")\n\n", ")\n# spacer\n\n", 1))
    scripted_server.responder = lambda body: json.dumps({"findings": []})
    run_audit(polyglot, scripted_server, out, state, "json", paths=("src",))

    (finding,) = json.loads(out.read_text())["findings"]
    assert (finding["line"], finding["placement"], finding["note"]) == (
        3,
        "inline",
        "line 3 is outside the audited unit (lines 10-15)",
    )


class _Watched(io.StringIO):
    """A stderr that sets ``seen`` once a line containing ``word`` is written."""

    def __init__(self, word: str, seen: threading.Event) -> None:
        super().__init__()
        self._word, self._seen = word, seen

    def write(self, text: str) -> int:
        if self._word in text:
            self._seen.set()
        return super().write(text)


def test_a_second_run_on_the_same_state_file_waits_and_sends_nothing(
    polyglot: Path, scripted_server: Any
) -> None:
    waiting = threading.Event()
    # The first run's answers are held until the second run says it is waiting (bounded, so
    # a run that does not wait fails the test instead of hanging it).
    scripted_server.responder = lambda body: answer(body) if waiting.wait(15) else ""
    state = polyglot.parent / "s.sqlite"
    reports = [polyglot.parent / "first.sarif", polyglot.parent / "second.sarif"]
    codes: list[int] = []
    first = threading.Thread(
        target=lambda: codes.append(run_audit(polyglot, scripted_server, reports[0], state))
    )
    first.start()
    while not scripted_server.chat_requests and first.is_alive():
        time.sleep(0.01)  # the first run holds the state file once it sends
    err = _Watched("waiting", waiting)
    flags = {"backend": "openai", "base_url": scripted_server.base_url, "output": reports[1]}

    second = audit.run_cli(
        cwd=polyglot,
        flags={**flags, "format": "sarif"},
        environ={},
        options=AuditOptions(state=state, max_unit_lines=8),
        stderr=err,
    )
    first.join()

    assert (codes, second) == ([0], 0)
    assert len(scripted_server.chat_requests) == UNITS  # each unit sent once, by the first run
    assert err.getvalue().splitlines()[:2] == [
        f"reviewbot: audit: another audit is running on the state file {state} "
        f"(pid {os.getpid()} on {socket.gethostname()}); waiting for it to finish",
        f"reviewbot: audit: 4 files (8 skipped), 12 units: {UNITS} done before, 0 to send",
    ]
    assert reports[0].read_text() == reports[1].read_text()


def test_an_unwritable_output_fails_before_any_unit_is_sent(
    polyglot: Path, scripted_server: Any
) -> None:
    scripted_server.responder = answer
    out = polyglot.parent / "no-such-dir" / "audit.sarif"
    state = polyglot.parent / "s.sqlite"
    with pytest.raises(ConfigError) as caught:
        run_audit(polyglot, scripted_server, out, state)
    assert str(caught.value) == (
        f"cannot write the report to {out}: the directory {out.parent} does not exist; create "
        "it or choose another file (--output / output)"
    )
    assert (caught.value.exit_code, scripted_server.requests, state.exists()) == (2, [], False)
