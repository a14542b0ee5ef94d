"""Command-line wiring only: parse options, build typed inputs, call ``reviewbot.commands``.

Heavy modules (HTTP clients, templates, engines, GitHub) are imported inside the command
functions so that ``reviewbot hook`` with nothing to review starts fast; ``hook FILE...``, as
pre-commit runs it, does not even build the argument parser.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from reviewbot.error_handler import EXIT_USAGE, run_guarded

if TYPE_CHECKING:
    import argparse
    from pathlib import Path


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    words = sys.argv[1:] if argv is None else list(argv)
    if _plain_hook(words):
        return run_guarded(lambda: _run_hook(words[1:], env))
    from reviewbot.arguments import build_parser, command_of

    parser = build_parser(command_of(words))
    args = parser.parse_args(words)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return run_guarded(lambda: _COMMANDS[args.command](args, env))


def _plain_hook(words: Sequence[str]) -> bool:
    """``hook FILE...`` without options: how pre-commit runs the hook on every commit. It needs
    no parser (argparse and building it cost several ms of a hook that should be instant); the
    parser would give the same, every hook option unset (tests/test_cli.py checks)."""
    return bool(words) and words[0] == "hook" and not any(w.startswith("-") for w in words[1:])


def _cwd(args: argparse.Namespace) -> Path:
    return _resolved(args.cwd)


def _resolved(cwd: Path | None) -> Path:
    from pathlib import Path

    return (cwd or Path.cwd()).resolve()


def _review(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from reviewbot.arguments import config_flags
    from reviewbot.commands import review

    return review.run_cli(
        cwd=_cwd(args),
        flags=config_flags(args),
        environ=environ,
        rev_range=args.rev_range,
        diff_file=args.diff_file,
        paths=tuple(args.paths),
    )


def _serve(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from reviewbot.arguments import config_flags
    from reviewbot.commands import serve
    from reviewbot.commands.setup import load_for

    config, _repo = load_for(_cwd(args), config_flags(args), environ)
    return serve.run(
        config,
        args.host,
        args.port,
        environ=environ,
        max_batch_size=args.max_batch_size,
        max_queue=args.max_queue,
    )


def _hook(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from reviewbot.arguments import config_flags

    flags = config_flags(args)
    flags.update(
        deadline=args.deadline, on_unavailable=args.on_unavailable, cache_dir=args.cache_dir
    )
    return _run_hook(
        args.paths,
        environ,
        from_ref=args.from_ref,
        to_ref=args.to_ref,
        push=args.push,
        flags=flags,
        cwd=args.cwd,
    )


def _run_hook(
    paths: Sequence[str],
    environ: Mapping[str, str],
    *,
    from_ref: str | None = None,
    to_ref: str | None = None,
    push: bool = False,
    flags: Mapping[str, object] | None = None,
    cwd: Path | None = None,
) -> int:
    """``reviewbot hook``; the defaults are the unset options."""
    from reviewbot.commands import hook_gate

    ranged = bool(from_ref or environ.get("PRE_COMMIT_FROM_REF"))
    if hook_gate.nothing_to_do(paths, ranged=ranged, environ=environ, err=sys.stderr):
        return 0
    from reviewbot.commands import hook
    from reviewbot.commands.hook_deadline import hard_exit

    target = hook.target_from(paths, from_ref, to_ref, environ)
    if push and target.from_ref is None:
        return hook.push_without_range(sys.stderr)
    return hook.run(
        target, cwd=_resolved(cwd), flags=flags or {}, environ=environ, abandon=hard_exit
    )


def _install_hooks(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from reviewbot.commands import install_hooks

    kinds = tuple(args.hook_types or install_hooks.HOOK_TYPES)
    return install_hooks.run(_cwd(args), kinds, force=args.force)


def _pr(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from reviewbot.arguments import config_flags
    from reviewbot.commands import pr

    flags = {**config_flags(args), "max_inline_comments": args.max_inline_comments}
    options = pr.PrArgs(
        repo=args.repo,
        number=args.pr_number,
        dry_run=args.dry_run,
        incremental=args.incremental,
        sarif=args.sarif,
        review_drafts=args.review_drafts,
    )
    return pr.run(options, cwd=_cwd(args), flags=flags, environ=environ)


def _webhook(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from reviewbot.arguments import config_flags
    from reviewbot.commands import webhook

    options = webhook.WebhookArgs(
        host=args.host,
        port=args.port,
        concurrency=args.concurrency,
        review_drafts=args.review_drafts,
    )
    return webhook.run(options, environ=environ, flags=config_flags(args))


def _audit_options(args: argparse.Namespace) -> tuple[dict[str, object], Any]:
    from reviewbot.arguments import config_flags
    from reviewbot.audit.plan import Shard
    from reviewbot.commands.audit import HTML, AuditOptions
    from reviewbot.types import Severity

    flags = config_flags(args)
    html = flags.get("format") == HTML
    flags["format"] = None if html else flags.get("format")
    shard = getattr(args, "shard", None)
    return flags, AuditOptions(
        paths=tuple(getattr(args, "paths", ())),
        shard=Shard.parse(shard) if shard is not None else None,
        concurrency=getattr(args, "concurrency", 4),
        state=getattr(args, "state", None),
        min_severity=Severity(args.min_severity) if args.min_severity else None,
        report_format=HTML if html else None,
        base_urls=tuple(getattr(args, "base_urls", ())),
        max_unit_lines=getattr(args, "max_unit_lines", 150),
    )


def _audit(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from reviewbot.commands import audit

    flags, options = _audit_options(args)
    return audit.run_cli(cwd=_cwd(args), flags=flags, environ=environ, options=options)


def _report(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from reviewbot.commands import audit

    flags, options = _audit_options(args)
    return audit.merge_cli(
        cwd=_cwd(args), flags=flags, environ=environ, files=tuple(args.files), options=options
    )


def _bench(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from reviewbot.arguments import config_flags
    from reviewbot.commands import bench, bench_args

    options = bench_args.from_namespace(args)
    return bench.run(options, cwd=_cwd(args), flags=config_flags(args), environ=environ)


_COMMANDS: dict[str, Callable[[argparse.Namespace, Mapping[str, str]], int]] = {
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
