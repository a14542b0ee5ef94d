"""The one place that turns errors into messages and exit codes.

Exit codes, so that CI can tell a review's verdict from a typo:

- 0 the review passes (or the command did its job: nothing to review, a server stopped);
- 1 the review's verdict fails: a finding at or above ``fail_on``, or a review that is
  incomplete or failed (a chunk's answer unusable, a file of the diff unparsable, an audit unit
  not done): an incomplete review never passes as clean. The hook also exits 1 when there is
  no review and ``on_unavailable = "fail"`` (it catches an unavailable model itself);
- 2 the command could not do its job: usage (argparse), configuration, git, unreadable or
  malformed input, a model that is unreachable or fails to load, GitHub API errors, I/O; every
  ``ReviewbotError`` (``exit_code``) and a broken pipe;
- 3 an unexpected error (a bug): the traceback is written to a log file;
- 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from reviewbot.errors import ReviewbotError

if TYPE_CHECKING:
    from pathlib import Path

EXIT_OK = 0
EXIT_FAIL = 1  # the review's verdict fails
EXIT_ERROR = 2  # the command could not do its job
EXIT_USAGE = EXIT_ERROR  # argparse's own status for a usage error
EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130


def _crash_log_path() -> Path:
    # imported here: the hook's fast path never needs them
    import tempfile
    from pathlib import Path

    from platformdirs import user_log_dir

    try:
        directory = Path(user_log_dir("reviewbot"))
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        directory = Path(tempfile.gettempdir())
    return directory / "reviewbot-crash.log"


def run_guarded(func: Callable[[], int], *, stderr: TextIO | None = None) -> int:
    """Run one command; print ``reviewbot: error: ...`` and pick the exit code on failure."""
    err = stderr if stderr is not None else sys.stderr
    try:
        return func()
    except ReviewbotError as exc:
        print(f"reviewbot: error: {exc}", file=err)
        return exc.exit_code
    except KeyboardInterrupt:
        print("reviewbot: interrupted", file=err)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (``| head``): the report was not delivered whole, an I/O error
        return EXIT_ERROR
    except Exception as exc:
        import traceback

        log = _crash_log_path()
        log.write_text(traceback.format_exc(), encoding="utf-8")
        print(
            f"reviewbot: unexpected error: {type(exc).__name__}: {exc}\n"
            f"reviewbot: the traceback is in {log}; please include it in a bug report",
            file=err,
        )
        return EXIT_UNEXPECTED
