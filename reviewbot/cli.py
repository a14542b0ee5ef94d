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
    serve.add_argument(
        "--host", default="127.0.0.1", help="a non-loopback address needs an API key"
    )
    serve.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    serve.add_argument("--max-batch-size", dest="max_batch_size", type=int, default=8)
    serve.add_argument("--max-queue", dest="max_queue", type=int, default=64, help="429 beyond")

    hook = sub.add_parser("hook", help="pre-commit/pre-push entry: review staged FILES or a range")
    hook.add_argument("paths", nargs="*", help="staged files to review (default: all staged)")
    hook.add_argument("--from-ref", dest="from_ref", metavar="REV", help="review REV...TO_REF")
    hook.add_argument("--to-ref", dest="to_ref", metavar="REV")
    hook.add_argument("--deadline", type=float, metavar="SECONDS", help="total model time")
    hook.add_argument("--on-unavailable", dest="on_unavailable", choices=("pass", "fail"))
    hook.add_argument("--cache-dir", dest="cache_dir", type=Path, metavar="DIR")
    _add_model_options(hook)
    _add_output_options(hook)

    install = sub.add_parser("install-hooks", help="install the plain git hooks (hooks/)")
    install.add_argument(
        "-t", "--hook-type", dest="hook_types", action="append", choices=("pre-commit", "pre-push")
    )
    install.add_argument("--force", action="store_true", help="replace hooks (keeps a backup)")

    pr = sub.add_parser("pr", help="review a GitHub pull request and post one review")
    pr.add_argument("--repo", metavar="OWNER/NAME", help="outside Actions: the repository")
    pr.add_argument("--pr", dest="pr_number", type=int, metavar="N", help="the pull request")
    pr.add_argument("--dry-run", dest="dry_run", action="store_true", help="print, do not post")
    pr.add_argument(
        "--incremental", action="store_true", help="review only commits since the last review"
    )
    pr.add_argument("--sarif", type=Path, metavar="FILE", help="also write the review as SARIF")
    pr.add_argument("--max-inline-comments", dest="max_inline_comments", type=int, metavar="N")
    pr.add_argument(
        "--fail-on", dest="fail_on", choices=SEVERITIES, help="exit 1 on a finding this severe"
    )
    _add_model_options(pr)

    webhook = sub.add_parser("webhook", help="serve GitHub webhooks; review pull requests")
    webhook.add_argument("--host", default="127.0.0.1")
    webhook.add_argument("--port", type=int, default=8090)
    webhook.add_argument("--concurrency", type=int, default=1, help="reviews at once")
    webhook.add_argument("--review-drafts", dest="review_drafts", action="store_true")
    _add_model_options(webhook)
    _add_audit_parsers(sub)
    _add_bench_parser(sub)
    return parser


def _add_audit_parsers(sub: Any) -> None:
    audit = sub.add_parser("audit", help="audit whole files of the repository; resumable")
    audit.add_argument("paths", nargs="*", help="files or directories to audit (default: all)")
    audit.add_argument("--shard", metavar="I/N", help="audit share I of N (for N machines)")
    audit.add_argument("--concurrency", type=int, default=4, help="requests in flight/batch size")
    audit.add_argument("--state", type=Path, metavar="FILE", help="audit state (SQLite) file")
    audit.add_argument("--max-unit-lines", dest="max_unit_lines", type=int, default=150)
    audit.add_argument(
        "--also-base-url",
        dest="base_urls",
        action="append",
        default=[],
        metavar="URL",
        help="another endpoint serving the same model (openai backend; repeatable)",
    )
    _add_model_options(audit)
    merge = (
        sub.add_parser("report", help="work with audit reports")
        .add_subparsers(dest="report_command", metavar="ACTION", required=True)
        .add_parser("merge", help="merge the JSON reports of audit shards into one report")
    )
    merge.add_argument("files", nargs="+", type=Path, help="JSON reports (--format json)")
    for parser in (audit, merge):
        group = parser.add_argument_group("output")
        group.add_argument("--format", choices=(*FORMATS, "html"))
        group.add_argument("--output", type=Path, metavar="FILE", help="write the report to FILE")
        group.add_argument("--fail-on", dest="fail_on", choices=SEVERITIES)
        group.add_argument("--min-severity", dest="min_severity", choices=SEVERITIES)


def _add_bench_parser(sub: Any) -> None:
    from reviewbot.commands import bench_args

    bench = sub.add_parser("bench", help="benchmark local models on cases from this repository")
    bench_args.add_arguments(bench)
    _add_model_options(bench)


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
    return serve.run(
        config,
        args.host,
        args.port,
        environ=environ,
        max_batch_size=args.max_batch_size,
        max_queue=args.max_queue,
    )


def _hook(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    from reviewbot.commands import hook_gate

    ranged = bool(args.from_ref or environ.get("PRE_COMMIT_FROM_REF"))
    if hook_gate.nothing_to_do(args.paths, ranged=ranged, environ=environ, err=sys.stderr):
        return 0
    from reviewbot.commands import hook

    flags = config_flags(args)
    flags.update(
        deadline=args.deadline, on_unavailable=args.on_unavailable, cache_dir=args.cache_dir
    )
    target = hook.target_from(args.paths, args.from_ref, args.to_ref, environ)
    return hook.run(target, cwd=cwd, flags=flags, environ=environ, abandon=hook.hard_exit)


def _install_hooks(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    from reviewbot.commands import install_hooks

    kinds = tuple(args.hook_types or install_hooks.HOOK_TYPES)
    return install_hooks.run(cwd, kinds, force=args.force)


def _pr(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    from reviewbot.commands import pr

    flags = {**config_flags(args), "max_inline_comments": args.max_inline_comments}
    options = pr.PrArgs(
        repo=args.repo,
        number=args.pr_number,
        dry_run=args.dry_run,
        incremental=args.incremental,
        sarif=args.sarif,
    )
    return pr.run(options, cwd=cwd, flags=flags, environ=environ)


def _webhook(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    from reviewbot.commands import webhook

    options = webhook.WebhookArgs(
        host=args.host,
        port=args.port,
        concurrency=args.concurrency,
        review_drafts=args.review_drafts,
    )
    return webhook.run(options, environ=environ, flags=config_flags(args))


def _audit_options(args: argparse.Namespace) -> tuple[dict[str, object], Any]:
    from reviewbot.audit.plan import Shard
    from reviewbot.commands.audit import HTML, AuditOptions
    from reviewbot.types import Severity

    flags = config_flags(args)
    html = flags.get("format") == HTML
    flags["format"] = None if html else flags.get("format")
    shard = getattr(args, "shard", None)
    return flags, AuditOptions(
        paths=tuple(getattr(args, "paths", ())),
        shard=Shard.parse(shard) if shard else None,
        concurrency=getattr(args, "concurrency", 4),
        state=getattr(args, "state", None),
        min_severity=Severity(args.min_severity) if args.min_severity else None,
        report_format=HTML if html else None,
        base_urls=tuple(getattr(args, "base_urls", ())),
        max_unit_lines=getattr(args, "max_unit_lines", 150),
    )


def _audit(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    from reviewbot.commands import audit

    flags, options = _audit_options(args)
    return audit.run_cli(cwd=cwd, flags=flags, environ=environ, options=options)


def _report(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    from reviewbot.commands import audit

    flags, options = _audit_options(args)
    return audit.merge_cli(
        cwd=cwd, flags=flags, environ=environ, files=tuple(args.files), options=options
    )


def _bench(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    from reviewbot.commands import bench, bench_args

    options = bench_args.from_namespace(args)
    return bench.run(options, cwd=cwd, flags=config_flags(args), environ=environ)


_COMMANDS = {
    "audit": _audit,
    "bench": _bench,
    "report": _report,
    "review": _review,
    "serve": _serve,
    "hook": _hook,
    "install-hooks": _install_hooks,
    "pr": _pr,
    "webhook": _webhook,
}
