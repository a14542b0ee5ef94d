"""The one place that turns errors into messages and exit codes.

Exit codes: 0 ok; 1 an expected error (ReviewbotError) or findings at/above ``--fail-on``;
2 usage or configuration error; 3 unexpected error (traceback written to a log file);
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from reviewbot.errors import ReviewbotError

if TYPE_CHECKING:
    from pathlib import Path

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
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
        return EXIT_FAIL
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
