"""Command-line wiring only: parse options, build typed inputs, call ``reviewbot.commands``.

Heavy modules (HTTP clients, templates, engines, GitHub) are imported inside the command
functions so that ``reviewbot hook`` with nothing to review starts fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reviewbot import __version__
from reviewbot.error_handler import EXIT_USAGE, run_guarded

FORMATS = ("terminal", "json", "sarif", "rdjsonl", "markdown")
SEVERITIES = ("info", "warning", "error", "critical")


def _add_model_options(parser: argparse.ArgumentParser) -> None:
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


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output")
    group.add_argument("--format", choices=FORMATS)
    group.add_argument("--output", type=Path, metavar="FILE", help="write the report to FILE")
    group.add_argument(
        "--fail-on", dest="fail_on", choices=SEVERITIES, help="exit 1 on a finding this severe"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reviewbot", description="Code review with a local language model."
    )
    parser.add_argument("--version", action="version", version=f"reviewbot {__version__}")
    parser.add_argument("-C", dest="cwd", type=Path, default=None, help="run as if started in DIR")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    review = sub.add_parser("review", help="review staged changes, a commit range or a patch")
    source = review.add_mutually_exclusive_group()
    source.add_argument(
        "--range", dest="rev_range", metavar="A..B", help="A..B, A...B or one commit"
    )
    source.add_argument(
        "--diff", dest="diff_file", metavar="FILE", help="a patch file, - for stdin"
    )
    review.add_argument("paths", nargs="*", help="restrict the review to these paths")
    _add_model_options(review)
    _add_output_options(review)

    serve = sub.add_parser("serve", help="OpenAI-compatible server over an in-process engine")
    _add_model_options(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    return parser


_CONFIG_FLAGS = (
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


def config_flags(args: argparse.Namespace) -> dict[str, object]:
    """The options that override configuration (None = not given)."""
    return {name: getattr(args, name, None) for name in _CONFIG_FLAGS}


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    cwd = (args.cwd or Path.cwd()).resolve()
    return run_guarded(lambda: _dispatch(args, cwd, env))


def _dispatch(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    handler: Any = _COMMANDS[args.command]
    result: int = handler(args, cwd, environ)
    return result


def _review(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    from reviewbot.commands import review

    return review.run_cli(
        cwd=cwd,
        flags=config_flags(args),
        environ=environ,
        rev_range=args.rev_range,
        diff_file=args.diff_file,
        paths=tuple(args.paths),
    )


def _serve(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    from reviewbot.commands import serve
    from reviewbot.commands.setup import load_for

    config, _repo = load_for(cwd, config_flags(args), environ)
    return serve.run(config, args.host, args.port, environ=environ)


_COMMANDS = {"review": _review, "serve": _serve}
