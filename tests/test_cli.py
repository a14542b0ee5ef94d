"""The command-line wiring: the parser-free ``hook FILE...`` path and the help formatter."""

from __future__ import annotations

import argparse
from pathlib import Path

import gitrepo
import pytest

from reviewbot import arguments
from reviewbot.arguments import _Formatter, build_parser
from reviewbot.cli import main


def test_hook_with_file_names_only_leaves_every_option_unset() -> None:
    # cli.main runs `hook FILE...` without the parser, as if every option were unset: a new
    # hook option, or a default other than None (False for a switch), must be handled there.
    args = build_parser("hook").parse_args(["hook", "app.py", "src/a b.py"])
    assert vars(args) == {
        "cwd": None,
        "command": "hook",
        "paths": ["app.py", "src/a b.py"],
        "from_ref": None,
        "to_ref": None,
        "push": False,
        "deadline": None,
        "on_unavailable": None,
        "cache_dir": None,
        "backend": None,
        "model": None,
        "base_url": None,
        "context_window": None,
        "max_new_tokens": None,
        "allow_remote": None,
        "format": None,
        "output": None,
        "fail_on": None,
    }


@pytest.mark.parametrize(
    "argv",
    [
        ["hook", "app.py", "poetry.lock"],
        ["hook", "--", "app.py", "poetry.lock"],  # through the parser
    ],
)
def test_hook_with_and_without_the_parser_agree(
    git_repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    gitrepo.write(git_repo, "app.py", "x = 1\n")
    gitrepo.stage(git_repo)
    monkeypatch.chdir(git_repo)
    code = main(argv, environ={"REVIEWBOT_EXCLUDE": "*.py"})
    assert (code, capsys.readouterr()) == (
        0,
        (
            "",
            "reviewbot: skipped: poetry.lock (lockfile)\n"
            "reviewbot: nothing to review (no file given is matched by include/exclude)\n",
        ),
    )


@pytest.mark.parametrize("columns", ["", "50", "200", "0", "wide"])
def test_help_is_as_wide_as_argparse_makes_it(
    monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    # argparse's own formatter finds the width with shutil.get_terminal_size
    monkeypatch.setenv("COLUMNS", columns)
    stock = argparse.HelpFormatter("reviewbot")
    ours = _Formatter("reviewbot")
    assert (ours._width, ours._max_help_position) == (stock._width, stock._max_help_position)


@pytest.mark.parametrize("command", [None, "hook", "audit"])
def test_help_reads_as_with_argparse_s_own_formatter(
    monkeypatch: pytest.MonkeyPatch, command: str | None
) -> None:
    monkeypatch.setenv("COLUMNS", "64")
    ours = build_parser(command)
    monkeypatch.setattr(arguments, "_Formatter", argparse.HelpFormatter)
    stock = build_parser(command)
    assert ours.format_help() == stock.format_help()
    assert max(len(line) for line in ours.format_help().splitlines()) <= 62
