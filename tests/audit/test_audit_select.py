from __future__ import annotations

from pathlib import Path

import pytest
from auditrepo import JS_UTIL, PY_APP

from reviewbot.audit.select import list_paths, select_files, whole_file_diff
from reviewbot.config import Config
from reviewbot.errors import ConfigError
from reviewbot.path_filter import skip_reason_for_path
from reviewbot.types import FileStatus, LineKind, Skipped


def test_selection_and_skips_in_a_real_repository(polyglot: Path) -> None:
    names = list_paths(polyglot, polyglot)
    selection = select_files(polyglot, names, Config(exclude=("docs/",)))

    assert [(f.path, f.language) for f in selection.files] == [
        ("cmd/main.go", "go"),
        ("src/app.py", "python"),
        ("web/util.js", "javascript"),
    ]
    assert selection.skipped == (
        Skipped("README.md", "not code (markdown)"),
        Skipped("docs/skip.py", "excluded by pattern docs/"),
        Skipped("empty.py", "empty file"),
        Skipped("gen/api_pb2.py", "generated (*_pb2.py)"),
        Skipped("gen/schema.py", "generated (marker '@generated')"),
        Skipped("logo.png", "binary file"),  # NUL bytes in its head, as git tests
        Skipped("node_modules/left/index.js", "vendored (node_modules/)"),
        Skipped("notes.txt", "not code (unknown language)"),
        Skipped("yarn.lock", "lockfile"),
    )
    app = selection.files[1]
    assert app.lines == tuple(PY_APP.rstrip("\n").split("\n"))


def test_binary_files_of_unknown_language_are_called_binary(tmp_path: Path) -> None:
    (tmp_path / "bin.dat").write_bytes(b"\x01\x02" * 5000 + b"\0")  # NUL at byte 10,000
    (tmp_path / "head.dat").write_bytes(b"abc\0def")
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "data.json").write_bytes(b'{"a": "\0"}')
    selection = select_files(tmp_path, list_paths(tmp_path, None), Config(max_file_bytes=10))

    assert selection.skipped == (
        Skipped("bin.dat", "not code (unknown language)"),  # git looks at 8,000 bytes only
        Skipped("data.json", "binary file"),
        Skipped("head.dat", "binary file"),
        Skipped("notes.txt", "not code (unknown language)"),
    )


def test_a_path_that_matches_no_file_is_a_config_error(tmp_path: Path, polyglot: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"cannot audit nonexist\.py: no tracked file"):
        list_paths(polyglot, polyglot, ["src", "nonexist.py"])
    with pytest.raises(ConfigError, match=r"cannot audit untracked\.py: no tracked file"):
        list_paths(polyglot, polyglot, ["untracked.py"])
    with pytest.raises(ConfigError, match="cannot audit empty: no file matches it"):
        list_paths(tmp_path, None, ["empty"])


def test_binary_crlf_latin1_and_size_limit(tmp_path: Path) -> None:
    (tmp_path / "bin.c").write_bytes(b"int x;\0\0")
    (tmp_path / "win.js").write_bytes(b"a();\r\nb();\r\n")
    (tmp_path / "old.py").write_bytes(b"s = '\xe9'\n")
    (tmp_path / "big.py").write_text("x = 1\n" * 100)
    names = list_paths(tmp_path, None)
    selection = select_files(tmp_path, names, Config(max_file_bytes=500))

    assert names == ["big.py", "bin.c", "old.py", "win.js"]
    assert selection.skipped == (
        Skipped("big.py", "too large (600 bytes > 500)"),
        Skipped("bin.c", "binary file"),
    )
    old, win = selection.files
    assert old.lines == ("s = 'é'",)
    assert old.encoding_note == "not valid UTF-8; decoded as cp1252"
    assert (win.lines, win.eol) == (("a();", "b();"), "crlf")


def test_directory_walk_outside_git_skips_vcs_dirs(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.py").write_text("x = 1\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("a = 1\n")
    (tmp_path / "b.py").write_text("b = 1\n")

    assert list_paths(tmp_path, None) == ["b.py", "pkg/a.py"]
    assert list_paths(tmp_path, None, ["pkg"]) == ["pkg/a.py"]
    with pytest.raises(ConfigError, match="no such file or directory"):
        list_paths(tmp_path, None, ["nope"])


def test_git_listing_limited_to_paths(polyglot: Path) -> None:
    assert list_paths(polyglot, polyglot, ["web", "cmd/main.go"]) == [
        "cmd/main.go",
        "web/util.js",
    ]


def test_whole_file_diff_is_an_added_file_with_real_numbers(polyglot: Path) -> None:
    selection = select_files(polyglot, ["web/util.js"], Config())
    diff = whole_file_diff(selection.files[0], 5, 7)

    assert diff.status is FileStatus.ADDED
    (hunk,) = diff.hunks
    assert (hunk.new_start, hunk.new_len) == (5, 3)
    assert [(ln.kind, ln.new_lineno, ln.text) for ln in hunk.lines] == [
        (LineKind.ADD, 5, "function read(name) {"),
        (LineKind.ADD, 6, '  const full = path.join("/data", name);'),
        (LineKind.ADD, 7, '  return fs.readFileSync(full, "utf8");'),
    ]
    assert JS_UTIL.split("\n")[4] == "function read(name) {"


@pytest.mark.parametrize(
    ("path", "config", "reason"),
    [
        ("src/a.py", Config(), None),
        ("vendor/x/a.go", Config(), "vendored (vendor/)"),
        ("poetry.lock", Config(), "lockfile"),
        ("build/out.js", Config(), "generated (build/)"),
        ("static/app.min.js", Config(), "minified (*.min.js)"),
        ("src/a.py", Config(include=("lib/**",)), "not matched by include"),
        ("src/a.py", Config(exclude=("*.py",)), "excluded by pattern *.py"),
    ],
)
def test_skip_reason_for_path(path: str, config: Config, reason: str | None) -> None:
    assert skip_reason_for_path(path, config) == reason
