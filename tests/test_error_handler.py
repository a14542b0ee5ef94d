"""The one error handler: messages and exit codes (0 pass, 1 the review's verdict fails, 2 the
command could not do its job, 3 a bug, 130 Ctrl-C)."""

from __future__ import annotations

import importlib
import io
from pathlib import Path

import pytest

from reviewbot.error_handler import (
    EXIT_ERROR,
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNEXPECTED,
    run_guarded,
)
from reviewbot.errors import BackendUnavailable, GitError, ReviewbotError

# every module that defines a ReviewbotError subclass
MODULES = (
    "reviewbot.errors",
    "reviewbot.store",
    "reviewbot.audit.progress",
    "reviewbot.bench.benchdb",
    "reviewbot.serve.batcher",
    "reviewbot.serve.protocol",
    "reviewbot.github.errors",
    "reviewbot.commands.hook_deadline",
)


def subclasses(cls: type[ReviewbotError]) -> set[type[ReviewbotError]]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= subclasses(sub)
    return found


def test_the_codes() -> None:
    assert (EXIT_OK, EXIT_FAIL, EXIT_ERROR, EXIT_UNEXPECTED, EXIT_INTERRUPTED) == (0, 1, 2, 3, 130)


def test_every_reviewbot_error_exits_2_never_1() -> None:
    """1 is a failing review (findings at fail_on, an incomplete review): an error that exited 1
    would read as findings to CI."""
    for name in MODULES:
        importlib.import_module(name)
    errors = subclasses(ReviewbotError)
    names = {e.__name__ for e in errors}
    assert {"ConfigError", "DiffParseError", "BackendUnavailable", "DeadlineExceeded"} <= names
    assert {"GitHubPermissionError", "StoreError", "ProgressError", "QueueFull"} <= names
    assert {e.__name__: e.exit_code for e in errors if e.exit_code != 2} == {}
    assert ReviewbotError.exit_code == 2


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (GitError("unknown revision 'x'"), 2, "reviewbot: error: unknown revision 'x'\n"),
        (BackendUnavailable("cannot reach"), 2, "reviewbot: error: cannot reach\n"),
        (KeyboardInterrupt(), 130, "reviewbot: interrupted\n"),
        (BrokenPipeError(), 2, ""),
    ],
)
def test_errors_become_one_line_and_a_code(error: BaseException, code: int, message: str) -> None:
    def fail() -> int:
        raise error

    err = io.StringIO()
    assert (run_guarded(fail, stderr=err), err.getvalue()) == (code, message)


def test_a_result_code_passes_through() -> None:
    assert run_guarded(lambda: 1, stderr=io.StringIO()) == 1


def test_an_unexpected_error_is_3_with_a_crash_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))

    def crash() -> int:
        raise ValueError("max_batch_size=0")

    err = io.StringIO()
    assert run_guarded(crash, stderr=err) == 3
    first, second = err.getvalue().splitlines()
    assert first == "reviewbot: unexpected error: ValueError: max_batch_size=0"
    log = Path(second.split(" is in ", 1)[1].split(";", 1)[0])
    assert log.is_relative_to(tmp_path)
    assert "ValueError: max_batch_size=0" in log.read_text(encoding="utf-8")
