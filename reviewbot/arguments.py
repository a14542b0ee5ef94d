"""The command-line grammar: one parser function per command.

``build_parser(command)`` builds the top-level parser with only that command's sub-parser (all
of them for ``--help`` or an unknown command): ``reviewbot hook`` on a commit that touches
nothing reviewable must cost about as much as starting Python, so nothing here imports more
than argparse.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from reviewbot import __version__

FORMATS = ("terminal", "json", "sarif", "rdjsonl", "markdown")
SEVERITIES = ("info", "warning", "error", "critical")
# The options that override configuration; each is a Config field name.
CONFIG_FLAGS = (
    "backend",
    "model",
    "base_url",
    "context_window",
    "max_new_tokens",
    "allow_remote",
    "format",
    "output",
    "fail_on",
)


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter without ``shutil``: argparse builds one per ``add_argument``
    (to check the metavar), and the stock one imports ``shutil`` (with bz2, lzma and zlib) for
    the terminal width, several ms of the hook's start-up. The width is found as
    ``shutil.get_terminal_size`` finds it: ``$COLUMNS``, else the terminal, else 80."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        if width is None:
            width = _columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


def _columns() -> int:
    import os
    import sys

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    stdout = sys.__stdout__
    try:
        return (stdout is not None and os.get_terminal_size(stdout.fileno()).columns) or 80
    except (AttributeError, ValueError, OSError):
        return 80


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser using ``_Formatter``; sub-parsers inherit the class (argparse makes them
    with ``type(parent)``), so every help text is formatted alike."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)


def path(text: str) -> object:
    """argparse type for file and directory options (pathlib is imported only when used)."""
    from pathlib import Path

    return Path(text)


def directory(text: str) -> object:
    """argparse type for ``-C DIR``: an existing directory."""
    from pathlib import Path

    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not a directory")
    return Path(text)


def port(text: str) -> int:
    """argparse type for ``--port``: 0 (any free port) to 65535."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{number} is not a port number (0 to 65535)")
    return number


def positive_int(text: str) -> int:
    """argparse type for counts that must be at least 1 (``--max-batch-size``, ``--max-queue``):
    argparse then exits 2 with a usage message, before anything binds or loads."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} is not allowed: give a whole number >= 1")
    return number


def config_flags(args: argparse.Namespace) -> dict[str, object]:
    """The options that override configuration (None = not given)."""
    return {name: getattr(args, name, None) for name in CONFIG_FLAGS}


def add_model_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model connection")
    group.add_argument(
        "--backend", help="openai (a local server), llamacpp, exllamav2, exllamav3, fake"
    )
    group.add_argument("--model", help="server model name, or path to a model file/directory")
    group.add_argument("--base-url", dest="base_url", help="OpenAI-compatible server URL (…/v1)")
    group.add_argument("--context-window", dest="context_window", type=int, metavar="TOKENS")
    group.add_argument("--max-new-tokens", dest="max_new_tokens", type=int, metavar="TOKENS")
    group.add_argument(
        "--allow-remote",
        dest="allow_remote",
        action="store_const",
        const=True,
        help="allow a model server outside loopback/private networks (code would leave them)",
    )


def add_output_options(
    parser: argparse.ArgumentParser, formats: Sequence[str] = FORMATS
) -> argparse._ArgumentGroup:
    group = parser.add_argument_group("output")
    group.add_argument("--format", choices=formats)
    group.add_argument("--output", type=path, metavar="FILE", help="write the report to FILE")
    group.add_argument(
        "--fail-on", dest="fail_on", choices=SEVERITIES, help="exit 1 on a finding this severe"
    )
    return group


def _review(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    review = sub.add_parser("review", help="review staged changes, a commit range or a patch")
    source = review.add_mutually_exclusive_group()
    source.add_argument(
        "--range", dest="rev_range", metavar="A..B", help="A..B, A...B or one commit"
    )
    source.add_argument(
        "--diff", dest="diff_file", metavar="FILE", help="a patch file, - for stdin"
    )
    review.add_argument("paths", nargs="*", help="restrict the review to these paths")
    add_model_options(review)
    add_output_options(review)


def _serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="OpenAI-compatible server over an in-process engine")
    add_model_options(serve)
    serve.add_argument(
        "--host", default="127.0.0.1", help="a non-loopback address needs an API key"
    )
    serve.add_argument("--port", type=port, default=8080, help="0 picks a free port")
    serve.add_argument(
        "--max-batch-size", dest="max_batch_size", type=positive_int, default=8, metavar="N"
    )
    serve.add_argument(
        "--max-queue",
        dest="max_queue",
        type=positive_int,
        default=64,
        metavar="N",
        help="429 beyond",
    )


def _hook(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    hook = sub.add_parser("hook", help="pre-commit/pre-push entry: review staged FILES or a range")
    hook.add_argument("paths", nargs="*", help="staged files to review (default: all staged)")
    hook.add_argument("--from-ref", dest="from_ref", metavar="REV", help="review REV...TO_REF")
    hook.add_argument("--to-ref", dest="to_ref", metavar="REV")
    hook.add_argument(
        "--push",
        action="store_true",
        help="pre-push: review the pushed range only (never the staged changes)",
    )
    hook.add_argument("--deadline", type=float, metavar="SECONDS", help="total model time")
    hook.add_argument("--on-unavailable", dest="on_unavailable", choices=("pass", "fail"))
    hook.add_argument("--cache-dir", dest="cache_dir", type=path, metavar="DIR")
    add_model_options(hook)
    add_output_options(hook)


def _install_hooks(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    install = sub.add_parser("install-hooks", help="install the plain git hooks (hooks/)")
    install.add_argument(
        "-t", "--hook-type", dest="hook_types", action="append", choices=("pre-commit", "pre-push")
    )
    install.add_argument("--force", action="store_true", help="replace hooks (keeps a backup)")


def _pr(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pr = sub.add_parser("pr", help="review a GitHub pull request and post one review")
    pr.add_argument("--repo", metavar="OWNER/NAME", help="outside Actions: the repository")
    pr.add_argument("--pr", dest="pr_number", type=int, metavar="N", help="the pull request")
    pr.add_argument("--dry-run", dest="dry_run", action="store_true", help="print, do not post")
    pr.add_argument(
        "--incremental", action="store_true", help="review only commits since the last review"
    )
    pr.add_argument("--sarif", type=path, metavar="FILE", help="also write the review as SARIF")
    pr.add_argument(
        "--review-drafts", dest="review_drafts", action="store_true", help="review draft PRs too"
    )
    pr.add_argument("--max-inline-comments", dest="max_inline_comments", type=int, metavar="N")
    pr.add_argument(
        "--fail-on", dest="fail_on", choices=SEVERITIES, help="exit 1 on a finding this severe"
    )
    add_model_options(pr)


def _webhook(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    webhook = sub.add_parser("webhook", help="serve GitHub webhooks; review pull requests")
    webhook.add_argument("--host", default="127.0.0.1")
    webhook.add_argument("--port", type=port, default=8090)
    webhook.add_argument("--concurrency", type=int, default=1, help="reviews at once")
    webhook.add_argument("--review-drafts", dest="review_drafts", action="store_true")
    add_model_options(webhook)


def _audit_output(parser: argparse.ArgumentParser) -> None:
    group = add_output_options(parser, (*FORMATS, "html"))
    group.add_argument("--min-severity", dest="min_severity", choices=SEVERITIES)


def _audit(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser("audit", help="audit whole files of the repository; resumable")
    audit.add_argument("paths", nargs="*", help="files or directories to audit (default: all)")
    audit.add_argument("--shard", metavar="I/N", help="audit share I of N (for N machines)")
    audit.add_argument("--concurrency", type=int, default=4, help="requests in flight/batch size")
    audit.add_argument("--state", type=path, metavar="FILE", help="audit state (SQLite) file")
    audit.add_argument("--max-unit-lines", dest="max_unit_lines", type=int, default=150)
    audit.add_argument(
        "--also-base-url",
        dest="base_urls",
        action="append",
        default=[],
        metavar="URL",
        help="another endpoint serving the same model (openai backend; repeatable)",
    )
    add_model_options(audit)
    _audit_output(audit)


def _report(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    merge = (
        sub.add_parser("report", help="work with audit reports")
        .add_subparsers(dest="report_command", metavar="ACTION", required=True)
        .add_parser("merge", help="merge the JSON reports of audit shards into one report")
    )
    merge.add_argument("files", nargs="+", type=path, help="JSON reports (--format json)")
    _audit_output(merge)


def _bench(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from reviewbot.commands import bench_args

    bench = sub.add_parser("bench", help="benchmark local models on cases from this repository")
    bench_args.add_arguments(bench)
    add_model_options(bench)


COMMANDS: dict[str, Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = {
    "review": _review,
    "hook": _hook,
    "install-hooks": _install_hooks,
    "serve": _serve,
    "pr": _pr,
    "webhook": _webhook,
    "audit": _audit,
    "report": _report,
    "bench": _bench,
}


def command_of(argv: Sequence[str]) -> str | None:
    """The command named in ``argv`` (the first word that is one, skipping the directory after
    ``-C``, which may be named like a command), or None."""
    words = iter(argv)
    for word in words:
        if word == "-C":
            next(words, None)
        elif word in COMMANDS:
            return word
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for ``command`` alone, or for every command when None."""
    parser: argparse.ArgumentParser = _Parser(
        prog="reviewbot", description="Code review with a local language model."
    )
    parser.add_argument("--version", action="version", version=f"reviewbot {__version__}")
    parser.add_argument(
        "-C", dest="cwd", type=directory, default=None, help="run as if started in DIR"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, add in COMMANDS.items():
        if command is None or name == command:
            add(sub)
    return parser
