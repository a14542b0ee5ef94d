"""``reviewbot bench`` through the command line, on a real repository."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from reviewbot.bench.casefile import read_cases
from reviewbot.cli import main


def _bench(repo: Path, *args: str) -> int:
    return main(["-C", str(repo), "bench", *args], environ={})


def test_cases_then_self_check(history_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _bench(history_repo, "cases", "--cases", "10", "--seed", "1", "--out", "c.jsonl") == 0
    made = read_cases(history_repo / "c.jsonl")
    assert len(made.cases) == 10 and made.seed == 1
    err = capsys.readouterr().err
    assert f"reviewbot: 10 cases written to {history_repo / 'c.jsonl'}" in err
    assert _bench(history_repo, "--self-check", "--cases", "c.jsonl") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["oracle", "silent", "flag-all"]
    assert out.endswith("self-check passed: the harness scores known reviewers as expected\n")


def test_run_with_the_configured_model_then_report_without_it(
    history_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _bench(history_repo, "cases", "--cases", "10", "--seed", "1", "--out", "c.jsonl")
    assert _bench(history_repo, "run", "--cases", "c.jsonl", "--backend", "fake") == 0
    assert "fake:default: 10 of 10 cases to review" in capsys.readouterr().err
    assert _bench(history_repo, "report", "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    [profile] = report["profiles"]
    assert profile["profile"] == "fake:default"
    assert profile["detection"]["line"]["hits"] == 0
    assert profile["detection"]["line"]["total"] == 6
    assert profile["parse"]["total"] == 10
    assert _bench(history_repo, "report", "--format", "html", "--output", "r.html") == 0
    assert (history_repo / "r.html").read_text().startswith("<!DOCTYPE html>")


def test_profile_names_need_a_profiles_file(
    history_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _bench(history_repo, "--cases", "5", "--profile", "A") == 2
    assert "--profile needs a profiles file" in capsys.readouterr().err


def test_bad_profiles_are_named(history_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (history_repo / "p.toml").write_text(
        '[[profile]]\nname = "a"\nbackend = "fake"\ncolour = "red"\n'
    )
    assert _bench(history_repo, "run", "--cases", "3", "--profiles", "p.toml") == 2
    assert "profile 'a' has unknown keys ['colour']" in capsys.readouterr().err
    (history_repo / "p.toml").write_text(
        '[[profile]]\nname = "a"\nbackend = "fake"\nsettings = { max_new_tokens = 0 }\n'
    )
    assert _bench(history_repo, "run", "--cases", "3", "--profiles", "p.toml") == 2
    err = capsys.readouterr().err
    assert "profile 'a': " in err and "max_new_tokens" in err
    (history_repo / "p.toml").write_text('[[profile]]\nname = "a"\nbackend = "fake"\n')
    assert _bench(history_repo, "--cases", "3", "--profiles", "p.toml", "--profile", "b") == 2
    err = capsys.readouterr().err
    assert "has no profile 'b'; it has: a" in err
    assert "cases written" not in err  # profiles are checked before any work
    (history_repo / "p.toml").write_bytes(b'\xff[[profile]]\nname = "a"\n')
    assert _bench(history_repo, "run", "--cases", "3", "--profiles", "p.toml") == 2
    assert "p.toml is not valid TOML: 'utf-8' codec can't decode" in capsys.readouterr().err


def test_a_damaged_database_is_named(
    history_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _bench(history_repo, "run", "--cases", "3", "--backend", "fake") == 0
    conn = sqlite3.connect(history_repo / "reviewbot-bench.sqlite")
    with conn:
        conn.execute("UPDATE results SET findings = '[{'")
    conn.close()
    capsys.readouterr()
    assert _bench(history_repo, "report") == 1
    err = capsys.readouterr().err
    assert "is unreadable (Expecting property name" in err and "use a new --db file" in err


def test_end_to_end_with_llamacpp_two_profiles(
    history_repo: Path, tiny_gguf: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("llama_cpp")
    profiles = history_repo / ".reviewbot-bench.toml"
    profiles.write_text(
        "".join(
            f'[[profile]]\nname = "tiny-{n}"\nbackend = "llamacpp"\nmodel = "{tiny_gguf}"\n'
            f"settings = {{ context_window = {n}, max_new_tokens = 96, threads = 2 }}\n"
            for n in (2048, 3072)
        )
    )
    args = ("--cases", "5", "--seed", "3", "--profile", "tiny-3072", "--profile", "tiny-2048")
    assert _bench(history_repo, *args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["tiny-3072", "tiny-2048"]
    assert out[2].split()[:3] == ["cases", "reviewed", "5"]
    assert out[2].count("(0 missing, 0 failed)") == 2
    parsed = next(line for line in out if line.startswith("outputs parsed"))
    assert parsed.count("%") == 2  # every profile made model calls and was scored on them
    page = (history_repo / "reviewbot-bench.html").read_text()
    assert page.count("<circle") == 2
    # a second run finds everything done and makes no model call
    assert _bench(history_repo, *args) == 0
    assert "tiny-3072: 0 of 5 cases to review" in capsys.readouterr().err
