"""``reviewbot bench`` through the command line, on a real repository."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import gitrepo
import pytest

from reviewbot.bench.casefile import AnswerLine, Case, CaseKind, read_cases
from reviewbot.bench.cases import CaseOptions, generate_cases
from reviewbot.bench.oracles import FlagAllBackend
from reviewbot.cli import main
from reviewbot.diff import parse_diff
from reviewbot.diff_text import format_file_diff
from reviewbot.types import Side


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
    assert _bench(history_repo, "report") == 2  # every ReviewbotError exits 2 (errors.py)
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
    assert out[2].count("(0 missing, 0 failed, 0 not reviewed)") == 2
    parsed = next(line for line in out if line.startswith("outputs parsed"))
    assert parsed.count("%") == 2  # every profile made model calls and was scored on them
    page = (history_repo / "reviewbot-bench.html").read_text()
    assert page.count("<circle") == 2
    # a second run finds everything done and makes no model call
    assert _bench(history_repo, *args) == 0
    assert "tiny-3072: 0 of 5 cases to review" in capsys.readouterr().err


def _long_module() -> str:
    """A new 76-line Python file whose one mutable line, 60, is past the 50-finding cap."""
    lines = [f"# note {n}" for n in range(1, 59)]
    lines += ["def before(a, b):", "    return a < b"]
    lines += [f"# more {n}" for n in range(61, 77)]
    return "\n".join(lines) + "\n"


def test_self_check_passes_on_a_bug_past_line_fifty(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gitrepo.write(git_repo, "README.md", "# long\n")
    gitrepo.commit(git_repo, "Add readme")
    gitrepo.write(git_repo, "long.py", _long_module())
    gitrepo.commit(git_repo, "Add a long module")
    assert _bench(git_repo, "cases", "--cases", "2", "--out", "c.jsonl") == 0
    seeded, clean = read_cases(git_repo / "c.jsonl").cases
    assert seeded.answer == (AnswerLine("long.py", Side.RIGHT, 60, 60),)
    assert clean.kind is CaseKind.CLEAN and clean.diff.count("\n+") == 77  # header + 76 lines
    capsys.readouterr()
    assert _bench(git_repo, "--self-check", "--cases", "c.jsonl") == 0
    out = capsys.readouterr().out
    assert out.endswith("self-check passed: the harness scores known reviewers as expected\n")
    detection = next(line for line in out.splitlines() if line.startswith("detection, line"))
    assert detection.split()[-3:] == ["100%", "[21-100]", "1/1"]  # flag-all found line 60


def test_flag_all_flags_every_changed_line_within_the_findings_cap(git_repo: Path) -> None:
    gitrepo.write(git_repo, "README.md", "# long\n")
    gitrepo.commit(git_repo, "Add readme")
    gitrepo.write(git_repo, "long.py", _long_module())
    gitrepo.commit(git_repo, "Add a long module")
    [case] = generate_cases(git_repo, CaseOptions(count=1)).cases
    flag_all = FlagAllBackend()
    flag_all.begin_case(case)
    files, _ = parse_diff(case.diff.encode())
    prompt = format_file_diff(files[0])
    # 76 added lines do not fit 50 findings: one range over the run of added lines
    assert [(s.side, s.line, s.end_line) for s in flag_all.spots(prompt)] == [(Side.RIGHT, 1, 76)]
    small = "--- a/a.py\n+++ b/a.py\n@@ -1,3 +1,3 @@\n x\n-y\n+z\n w\n"
    flag_all.begin_case(Case("s", CaseKind.CLEAN, "0" * 40, small))
    [file] = parse_diff(small.encode())[0]
    assert [(s.side, s.line, s.end_line) for s in flag_all.spots(format_file_diff(file))] == [
        (Side.LEFT, 2, None),
        (Side.RIGHT, 2, None),
    ]
    assert flag_all.spots("a prompt without the hunk") == []
    # 30 one-line replacements: 60 lines and 60 runs are too many, 30 whole hunks fit
    many = "--- a/a.py\n+++ b/a.py\n" + "".join(
        f"@@ -{10 * i + 1},1 +{10 * i + 1},1 @@\n-a{i}\n+b{i}\n" for i in range(30)
    )
    flag_all.begin_case(Case("m", CaseKind.CLEAN, "0" * 40, many))
    [file] = parse_diff(many.encode())[0]
    assert [(s.side, s.line, s.end_line) for s in flag_all.spots(format_file_diff(file))] == [
        (Side.RIGHT, 10 * i + 1, 10 * i + 1) for i in range(30)
    ]


def test_a_missing_model_file_names_the_profiles_file_and_the_resolved_path(
    history_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = history_repo / "bench"
    gitrepo.write(history_repo, "bench/answers/ok.json", '["{\\"findings\\": []}"]')
    gitrepo.write(
        history_repo,
        "bench/p.toml",
        '[[profile]]\nname = "gone"\nbackend = "fake"\nmodel = "answers/missing.json"\n'
        '[[profile]]\nname = "here"\nbackend = "fake"\nmodel = "answers/ok.json"\n',
    )
    args = ("run", "--cases", "3", "--profiles", "bench/p.toml")
    assert _bench(history_repo, *args) == 2
    err = capsys.readouterr().err
    assert err == (
        f"reviewbot: error: {folder / 'p.toml'}: profile 'gone': the file of scripted answers "
        f"{folder.resolve() / 'answers' / 'missing.json'} does not exist (model = "
        f"'answers/missing.json' in the profile, resolved against {folder}); set the profile's "
        "model to the path of a file of scripted answers, absolute or relative to the profiles "
        "file\n"
    )
    # a profile whose model is in place runs when chosen (its path is not the cwd's)
    assert _bench(history_repo, *args, "--profile", "here") == 0
    assert "here: 3 of 3 cases to review" in capsys.readouterr().err


def test_cases_in_a_repository_without_commits(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _bench(git_repo, "cases") == 2
    assert capsys.readouterr().err == (
        f"reviewbot: error: the repository {git_repo} has no commits yet; bench builds cases "
        "from its history: commit some work first, or run bench in a repository with history\n"
    )
    gitrepo.write(git_repo, "a.py", "x = 1\n")
    gitrepo.commit(git_repo, "Add a")
    assert _bench(git_repo, "cases", "--rev", "nope") == 2
    assert "`git log --no-merges" in capsys.readouterr().err  # other failures keep git's words


def test_a_real_model_whose_context_fits_no_case_reviews_none(
    history_repo: Path, tiny_gguf: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("llama_cpp")
    (history_repo / "p.toml").write_text(
        f'[[profile]]\nname = "tiny"\nbackend = "llamacpp"\nmodel = "{tiny_gguf}"\n'
        "settings = { context_window = 1750, max_new_tokens = 96, threads = 2 }\n"
    )
    assert _bench(history_repo, "--cases", "10", "--profiles", "p.toml") == 1
    captured = capsys.readouterr()
    table = captured.out.splitlines()
    assert table[2] == "cases reviewed                0 (0 missing, 0 failed, 10 not reviewed)"
    assert table[3] == "detection, line ±3            -"
    assert captured.err.count(" not_reviewed\n") == 10
    assert captured.err.splitlines()[-1] == (
        "reviewbot: warning: profile 'tiny' reviewed none of its 10 cases, so its scores leave "
        "them out (e.g. web/app.js: hunk @@ -0,0 +1,15 @@ does not fit the context window (314 "
        "tokens > 53 available); not reviewed); give it a larger context_window or lower its "
        "max_new_tokens"
    )
