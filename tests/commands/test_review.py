"""``reviewbot review`` end to end: real git repositories, the CLI entry point, real HTTP."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import gitrepo
import pytest
from factories import raw_finding

from reviewbot.cli import main

CALC_V1 = "def add(a, b):\n    return a + b\n\n\ndef main():\n    print(add(1, 2))\n"
CALC_V2 = (
    "def add(a, b):\n    return a - b\n\n\ndef main():\n"
    "    items = [1, 2]\n    for i in range(len(items) + 1):\n        print(items[i])\n"
)


def finding(**fields: Any) -> dict[str, Any]:
    """The model's finding on CALC_V2's line 2, with ``fields`` replaced."""
    calc = {"path": "calc.py", "line": 2, "end_line": 2, "quote": "return a - b"}
    return raw_finding(**{**calc, "message": "add() subtracts.", **fields})


def answers(tmp_path: Path, *replies: list[dict[str, Any]] | str) -> str:
    """A fake-backend answer file: each reply is a findings list or a raw text."""
    texts = [r if isinstance(r, str) else json.dumps({"findings": r}) for r in replies]
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(texts), encoding="utf-8")
    return str(path)


def run(repo: Path, *args: str, stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    import contextlib
    import sys

    fake_stdin = io.TextIOWrapper(io.BytesIO(stdin))
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        old_stdin = sys.stdin
        sys.stdin = fake_stdin
        try:
            code = main(["-C", str(repo), *args], environ={})
        finally:
            sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def calc_repo(git_repo: Path) -> Path:
    gitrepo.write(git_repo, "calc.py", CALC_V1)
    gitrepo.commit(git_repo, "first")
    gitrepo.write(git_repo, "calc.py", CALC_V2)
    gitrepo.stage(git_repo)
    return git_repo


def test_staged_changes_reviewed_on_the_right_lines(calc_repo: Path, tmp_path: Path) -> None:
    model = answers(
        tmp_path,
        [
            finding(suggestion="return a + b"),
            finding(line=9, end_line=None, quote="for i in range(len(items) + 1):", message="Off."),
        ],
    )
    code, out, _ = run(calc_repo, "review", "--backend", "fake", "--model", model)
    assert code == 0
    assert out.splitlines() == [
        "calc.py:2: error: [bug] add() subtracts.",
        "  suggested change to line 2:",
        "  -     return a - b",
        "  +     return a + b",
        "calc.py:7: error: [bug] Off.",
        "  note: moved from line 9: quoted code found at line 7",
        "",
        "2 findings (2 errors) in 1 file reviewed",
    ]


def test_the_directory_after_c_may_be_named_like_a_command(
    calc_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (calc_repo / "hook").mkdir()
    monkeypatch.chdir(calc_repo)
    model = answers(tmp_path, [finding()])
    code, out, _ = run(Path("hook"), "review", "--backend", "fake", "--model", model)
    assert (code, out.splitlines()[0]) == (0, "calc.py:2: error: [bug] add() subtracts.")


def test_a_symlink_named_on_the_command_line_is_the_link_not_its_target(
    git_repo: Path, tmp_path: Path
) -> None:
    gitrepo.write(git_repo, "a.py", "x = 1\n")
    (git_repo / "link.py").symlink_to("a.py")
    gitrepo.commit(git_repo, "base")
    (git_repo / "link.py").unlink()
    (git_repo / "link.py").symlink_to("b.py")
    gitrepo.stage(git_repo)
    model = answers(tmp_path, [])
    code, out, err = run(git_repo, "review", "--backend", "fake", "--model", model, "link.py")
    assert (code, err) == (0, "")
    assert out == "no findings in 1 file reviewed\n"


def test_fail_on_gives_exit_code_1(calc_repo: Path, tmp_path: Path) -> None:
    model = answers(tmp_path, [finding(severity="warning")])
    args = ("review", "--backend", "fake", "--model", model)
    assert run(calc_repo, *args, "--fail-on", "error")[0] == 0
    model = answers(tmp_path, [finding(severity="warning")])
    assert run(calc_repo, *args, "--fail-on", "warning")[0] == 1


def test_prompt_shows_new_file_numbers_and_removed_lines(calc_repo: Path, tmp_path: Path) -> None:
    model = answers(tmp_path, [])
    code, out, _ = run(
        calc_repo, "review", "--backend", "fake", "--model", model, "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["findings"] == []
    # The fake backend cannot be inspected from the CLI, so render what it was sent directly.
    from reviewbot.commands.review import read_diff
    from reviewbot.config import Config
    from reviewbot.diff import parse_diff
    from reviewbot.render import PromptRenderer

    files, _ = parse_diff(
        read_diff(calc_repo, rev_range=None, diff_file=None, paths=(), stdin=io.BytesIO())
    )
    _, user = PromptRenderer.for_repo(calc_repo, Config()).messages(
        files, instructions="", schema_hint=None
    )
    assert "2 + " in user.content and "return a - b" in user.content
    assert "L2 - " in user.content and "return a + b" in user.content
    assert user.content.rstrip().endswith("print(items[i])")


def test_range_two_and_three_dots(git_repo: Path, tmp_path: Path) -> None:
    gitrepo.write(git_repo, "a.py", "x = 1\n")
    base = gitrepo.commit(git_repo, "base")
    gitrepo.git(git_repo, "checkout", "-q", "-b", "feature")
    gitrepo.write(git_repo, "a.py", "x = 2\n")
    gitrepo.commit(git_repo, "feature")
    gitrepo.git(git_repo, "checkout", "-q", "main")
    gitrepo.write(git_repo, "b.py", "y = 1\n")
    gitrepo.commit(git_repo, "main moves on")
    model = answers(tmp_path, [finding(path="a.py", line=1, quote="x = 2", message="m")])
    fmt = ("--format", "json")
    # three dots: only the feature's own change (a.py), from the merge base
    code, out, _ = run(
        git_repo, "review", "--backend", "fake", "--model", model, "--range", "main...feature", *fmt
    )
    data = json.loads(out)
    assert code == 0
    assert data["reviewed_files"] == ["a.py"]
    assert [(f["path"], f["line"]) for f in data["findings"]] == [("a.py", 1)]
    # two dots: main against feature, so b.py (added on main) shows as deleted and is skipped
    model = answers(tmp_path, [])
    code, out, _ = run(
        git_repo, "review", "--backend", "fake", "--model", model, "--range", "main..feature", *fmt
    )
    data = json.loads(out)
    assert data["reviewed_files"] == ["a.py"]
    assert {"path": "b.py", "reason": "deleted"} in data["skipped"]
    assert base


def test_patch_file_and_stdin_and_path_restriction(calc_repo: Path, tmp_path: Path) -> None:
    gitrepo.write(calc_repo, "other.py", "z = 1\n")
    gitrepo.stage(calc_repo)
    patch = gitrepo.git(calc_repo, "diff", "--cached")
    patch_file = tmp_path / "change.patch"
    patch_file.write_bytes(patch)
    model = answers(tmp_path, [])
    fmt = ("--format", "json", "--backend", "fake", "--model", model)
    code, out, _ = run(calc_repo, "review", "--diff", str(patch_file), *fmt)
    assert sorted(json.loads(out)["reviewed_files"]) == ["calc.py", "other.py"]
    assert code == 0
    code, out, _ = run(calc_repo, "review", "--diff", "-", *fmt, "other.py", stdin=patch)
    assert (code, json.loads(out)["reviewed_files"]) == (0, ["other.py"])
    code, out, _ = run(calc_repo, "review", *fmt, "calc.py")
    assert (code, json.loads(out)["reviewed_files"]) == (0, ["calc.py"])


def test_nothing_staged_is_instant_and_clean(git_repo: Path) -> None:
    gitrepo.write(git_repo, "a.py", "x = 1\n")
    gitrepo.commit(git_repo)
    code, out, err = run(git_repo, "review", "--backend", "no-such-backend")
    assert (code, out) == (0, "")
    assert "nothing to review" in err


def test_unusable_answer_is_a_failed_review_never_no_findings(
    calc_repo: Path, tmp_path: Path
) -> None:
    model = answers(tmp_path, "I think the code looks fine overall!")
    code, out, _ = run(calc_repo, "review", "--backend", "fake", "--model", model)
    assert code == 1
    assert out.splitlines()[-1] == "review failed: all 1 chunk failed; nothing was reviewed"
    assert "0 findings" not in out


def test_sarif_written_to_output_file(calc_repo: Path, tmp_path: Path) -> None:
    model = answers(tmp_path, [finding()])
    target = tmp_path / "out.sarif"
    code, out, _ = run(
        calc_repo,
        "review",
        "--backend",
        "fake",
        "--model",
        model,
        "--format",
        "sarif",
        "--output",
        str(target),
    )
    assert (code, out) == (0, "")
    result = json.loads(target.read_text())["runs"][0]["results"][0]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (result["level"], region["startLine"], region["endLine"]) == ("error", 2, 2)


def test_openai_backend_against_a_local_server(calc_repo: Path, scripted_server: Any) -> None:
    scripted_server.reply(json.dumps({"findings": [finding()]}))
    code, out, err = run(
        calc_repo, "review", "--backend", "openai", "--base-url", scripted_server.base_url
    )
    assert code == 0, err
    assert out.splitlines()[0] == "calc.py:2: error: [bug] add() subtracts."
    [chat] = scripted_server.chat_requests
    body = chat.body
    assert body["response_format"]["type"] == "json_schema"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "return a - b" in body["messages"][1]["content"]


def test_public_endpoint_refused_before_any_connection(calc_repo: Path) -> None:
    code, _, err = run(
        calc_repo, "review", "--backend", "openai", "--base-url", "http://8.8.8.8/v1"
    )
    assert code == 2  # a configuration matter
    assert "8.8.8.8" in err and "allow_remote" in err.replace("-", "_")


def test_outside_git_without_patch_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "review", "--backend", "fake")
    assert code == 2  # the command could not do its job; 1 is a failing verdict
    assert "not inside a git repository" in err


def test_nothing_to_review_still_writes_the_requested_report(
    git_repo: Path, tmp_path: Path
) -> None:
    gitrepo.write(git_repo, "a.py", "x = 1\n")
    gitrepo.commit(git_repo)
    stale = tmp_path / "review.sarif"
    stale.write_text("STALE", encoding="utf-8")
    code, _, err = run(git_repo, "review", "--format", "sarif", "--output", str(stale))
    assert code == 0 and "nothing to review" in err
    report = json.loads(stale.read_text(encoding="utf-8"))
    assert report["runs"][0]["results"] == []


def test_a_path_that_names_no_change_is_warned_about(calc_repo: Path, tmp_path: Path) -> None:
    model = answers(tmp_path, [])
    code, _, err = run(
        calc_repo, "review", "--backend", "fake", "--model", model, "calc.py", "*.py"
    )
    assert code == 0
    assert err.splitlines() == [
        "reviewbot: warning: no changes under '*.py' (paths are literal, not patterns: use "
        "include/exclude globs in the configuration to filter by pattern)"
    ]
