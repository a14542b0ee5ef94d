"""``reviewbot review``'s exit codes: 1 is the review's verdict (findings at ``--fail-on``, an
incomplete review), 2 a command that could not do its job, so CI can tell them apart."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import gitrepo
import pytest
from test_review import CALC_V1, CALC_V2, answers, finding, run

BROKEN = b"diff --git a/b.py b/b.py\n--- a/b.py\n+++ b/b.py\n@@ -1,3 +1,3 @@\n-x\n+y\n"
BROKEN_REASON = (
    "could not parse this file's diff: hunk '@@ -1,3 +1,3 @@' (line {line}) has fewer lines "
    "than its header counts (header: 3 old, 3 new lines; found: 1 old, 1 new; it ends at line "
    "{end}); fix the counts in the @@ line or make the patch again"
)


@pytest.fixture
def patch(git_repo: Path, tmp_path: Path) -> bytes:
    """calc.py's change as a patch (a good file), the repository left clean."""
    gitrepo.write(git_repo, "calc.py", CALC_V1)
    gitrepo.commit(git_repo, "first")
    gitrepo.write(git_repo, "calc.py", CALC_V2)
    gitrepo.stage(git_repo)
    data = gitrepo.git(git_repo, "diff", "--cached")
    gitrepo.commit(git_repo, "second")
    return data


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_finding_at_fail_on_is_1_and_a_bad_revision_is_2(
    git_repo: Path, patch: bytes, tmp_path: Path
) -> None:
    model = answers(tmp_path, [finding()])
    code, _, _ = run(
        git_repo, "review", "--range", "HEAD~1..HEAD", "--backend", "fake", "--model", model,
        "--fail-on", "error",
    )  # fmt: skip
    assert code == 1
    code, out, err = run(git_repo, "review", "--range", "nonexistent..HEAD", "--fail-on", "error")
    assert (code, out) == (2, "")
    assert err.startswith("reviewbot: error: unknown revision 'nonexistent'")


def test_input_that_is_not_a_diff_is_2(git_repo: Path) -> None:
    code, out, err = run(git_repo, "review", "--diff", "-", stdin=b"hello\n")
    assert (code, out) == (2, "")
    assert err.startswith("reviewbot: error: input is not a unified diff")


def test_an_unreachable_model_is_2_not_a_failed_review(git_repo: Path, patch: bytes) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    code, out, err = run(
        git_repo, "review", "--diff", "-", "--backend", "openai", "--base-url", url, stdin=patch
    )
    assert (code, out) == (2, "")
    assert err.startswith(f"reviewbot: error: cannot reach the model server at {url[:-3]}")


@pytest.mark.parametrize(
    ("where", "problem"),
    [
        (
            "missing/out.sarif",
            "the directory {tmp}/missing does not exist; create it or choose another file",
        ),
        ("", "it is a directory; give a file name in it"),
        ("file.txt/out.sarif", "{tmp}/file.txt is not a directory; choose another file"),
    ],
)
def test_an_unwritable_output_fails_before_the_model_runs(
    git_repo: Path, patch: bytes, scripted_server: Any, tmp_path: Path, where: str, problem: str
) -> None:
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    target = tmp_path / where if where else tmp_path
    code, out, err = run(
        git_repo, "review", "--diff", "-", "--backend", "openai", "--base-url",
        scripted_server.base_url, "--format", "sarif", "--output", str(target), stdin=patch,
    )  # fmt: skip
    assert (code, out, scripted_server.requests) == (2, "", [])
    assert err == (
        f"reviewbot: error: cannot write the report to {target}: "
        f"{problem.format(tmp=tmp_path)} (--output / output)\n"
    )


def test_a_file_that_does_not_parse_makes_the_review_incomplete(
    git_repo: Path, patch: bytes, tmp_path: Path
) -> None:
    """The other files are reviewed; the broken one is listed with its reason, and the review
    is incomplete (exit 1, SARIF executionSuccessful false) even with no findings."""
    data = patch + BROKEN
    first = len(patch.splitlines())
    reason = BROKEN_REASON.format(line=first + 4, end=first + 6)
    code, out, _ = run(
        git_repo, "review", "--diff", "-", "--backend", "fake", "--model", answers(tmp_path, []),
        stdin=data,
    )  # fmt: skip
    assert code == 1
    assert out.splitlines() == [  # listed once, as the part not reviewed
        "chunk errors:",
        f"  b.py: {reason}",
        "review incomplete: 1 of 2 chunks failed; their files were not reviewed",
        "no findings in 1 file reviewed",
    ]
    code, out, _ = run(
        git_repo, "review", "--diff", "-", "--backend", "fake", "--model", answers(tmp_path, []),
        "--format", "sarif", stdin=data,
    )  # fmt: skip
    invocation = json.loads(out)["runs"][0]["invocations"][0]
    assert (code, invocation["executionSuccessful"]) == (1, False)
    code, out, _ = run(
        git_repo, "review", "--diff", "-", "--backend", "fake", "--model", answers(tmp_path, []),
        "--format", "json", stdin=data,
    )  # fmt: skip
    report = json.loads(out)
    assert (code, report["failed"], report["reviewed_files"]) == (1, False, ["calc.py"])


def test_a_diff_of_which_nothing_parses_is_an_input_error(git_repo: Path) -> None:
    code, out, err = run(git_repo, "review", "--diff", "-", "--backend", "fake", stdin=BROKEN)
    assert (code, out) == (2, "")
    assert err == (
        "reviewbot: error: no file of the diff could be parsed (b.py: "
        f"{BROKEN_REASON.format(line=4, end=6).split(': ', 1)[1]}); nothing in it can be "
        "reviewed\n"
    )


def test_a_file_that_does_not_parse_outside_the_paths_given_is_none_of_the_review(
    git_repo: Path, patch: bytes, tmp_path: Path
) -> None:
    """``review --diff - calc.py``: b.py is left out like any other file not named, so its
    broken hunk neither lists it nor makes the review of calc.py incomplete."""
    code, out, _ = run(
        git_repo, "review", "--diff", "-", "calc.py", "--backend", "fake", "--model",
        answers(tmp_path, []), stdin=patch + BROKEN,
    )  # fmt: skip
    assert (code, out.splitlines()) == (0, ["no findings in 1 file reviewed"])
