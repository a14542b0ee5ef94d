"""Thin wrappers over the ``git`` command line. Diffs come back as raw bytes.

Every call runs ``git`` without a shell, with ``--literal-pathspecs`` (a file named ``:x`` or
``*.py`` means that file, not a pattern) and inherits the environment, so ``GIT_INDEX_FILE`` set
by a hook is honoured. Diff output is forced into one shape whatever the user's configuration
says: a/ b/ prefixes, no colour, no external diff or textconv, renames detected, unquoted
non-ASCII paths, submodules as ``Subproject commit`` lines. Failures raise ``GitError``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from reviewbot.errors import GitError

_GIT = ("git", "--no-pager", "--literal-pathspecs", "-c", "core.quotePath=false")
_DIFF = (
    "diff",
    "--no-ext-diff",
    "--no-color",
    "--no-textconv",
    "-M",
    "--submodule=short",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)


def _run(repo: Path, args: Sequence[str]) -> bytes:
    """Run ``git ARGS`` in ``repo``; stdout as bytes. Raises GitError naming the command."""
    if not repo.is_dir():
        raise GitError(f"cannot run git in {repo}: not a directory; pass the repository's path")
    try:
        proc = subprocess.run([*_GIT, *args], cwd=repo, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise GitError("git was not found on PATH; install git or fix PATH") from exc
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", "replace").strip()
        shown = " ".join(args)
        raise GitError(f"`git {shown}` failed in {repo} (exit {proc.returncode}): {stderr}")
    return proc.stdout


def _paths(paths: Sequence[str]) -> list[str]:
    return ["--", *paths] if paths else []


def repo_root(cwd: Path) -> Path:
    """The top directory of the work tree containing ``cwd``.

    Raises GitError when ``cwd`` is not inside a git work tree.
    """
    out = _run(cwd, ["rev-parse", "--show-toplevel"])
    return Path(os.fsdecode(out.rstrip(b"\n")))


def rev_parse(repo: Path, rev: str) -> str:
    """The full object id of ``rev`` (any revision expression git accepts).

    Raises GitError "unknown revision" when git cannot resolve it.
    """
    return _resolve(repo, rev, rev)


def _commit(repo: Path, rev: str) -> str:
    return _resolve(repo, f"{rev}^{{commit}}", rev)


def _resolve(repo: Path, expression: str, rev: str) -> str:
    try:
        out = _run(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", expression])
    except GitError as exc:
        raise GitError(
            f"unknown revision {rev!r} in {repo}: check the branch, tag or commit name"
            " (and fetch it if it lives on a remote)"
        ) from exc
    return out.decode("ascii").strip()


def merge_base(repo: Path, a: str, b: str) -> str:
    """The best common ancestor of commits ``a`` and ``b`` (one id when there are several).

    Raises GitError for unknown revisions or histories with no common ancestor.
    """
    ids = [_commit(repo, a), _commit(repo, b)]
    try:
        out = _run(repo, ["merge-base", *ids])
    except GitError as exc:
        raise GitError(
            f"{a!r} and {b!r} have no common ancestor in {repo}; use {a}..{b} to diff them directly"
        ) from exc
    return out.decode("ascii").strip()


def staged_diff(repo: Path, paths: Sequence[str] = ()) -> bytes:
    """``git diff --cached`` of the index against HEAD (or against nothing before the first commit).

    paths: literal file or directory names limiting the diff; empty means all.
    """
    return _run(repo, [*_DIFF, "--cached", *_paths(paths)])


def _parent_or_empty_tree(repo: Path, commit: str) -> str:
    try:
        return _commit(repo, f"{commit}^1")
    except GitError:
        # a root commit: compare with the empty tree, whose id depends on the hash algorithm
        out = _run(repo, ["hash-object", "-t", "tree", os.devnull])
        return out.decode("ascii").strip()


def range_diff(repo: Path, spec: str, paths: Sequence[str] = ()) -> bytes:
    """The diff a revision range introduces.

    spec: ``A..B`` (diff of A against B), ``A...B`` (the merge base of A and B against B, as
    a pull request shows it), or one commit ``A`` (that commit against its first parent, or
    against nothing for a root commit). An empty side means HEAD (``main..``).
    Raises GitError for unknown revisions, naming the one that failed.
    """
    if "..." in spec:
        left, right = (side or "HEAD" for side in spec.split("...", 1))
        old, new = merge_base(repo, left, right), _commit(repo, right)
    elif ".." in spec:
        left, right = (side or "HEAD" for side in spec.split("..", 1))
        old, new = _commit(repo, left), _commit(repo, right)
    else:
        new = _commit(repo, spec)
        old = _parent_or_empty_tree(repo, new)
    return _run(repo, [*_DIFF, old, new, *_paths(paths)])


def show_blob(repo: Path, rev: str, path: str) -> bytes:
    """The bytes of ``path`` at revision ``rev``; ``rev=""`` reads the staged (index) version.

    Raises GitError when the revision or the file does not exist there.
    """
    try:
        return _run(repo, ["cat-file", "blob", f"{rev}:{path}"])
    except GitError as exc:
        where = f"revision {rev!r}" if rev else "the index"
        raise GitError(f"no file {path!r} at {where} in {repo}: {exc}") from exc


def ls_files(repo: Path, paths: Sequence[str] = ()) -> list[str]:
    """Tracked files (index entries), repository-relative, ``/``-separated, sorted by git.

    paths: literal file or directory names to list under; empty means the whole repository.
    Names that are not valid UTF-8 are decoded the way the file system does (``os.fsdecode``).
    """
    out = _run(repo, ["ls-files", "-z", *_paths(paths)])
    return [os.fsdecode(name) for name in out.split(b"\0") if name]


def git_path(repo: Path, name: str) -> Path:
    """``git rev-parse --git-path NAME``: where git keeps NAME for this work tree (``hooks``
    honours ``core.hooksPath``). Raises GitError outside a repository."""
    out = _run(repo, ["rev-parse", "--git-path", name])
    return repo / os.fsdecode(out.rstrip(b"\n"))  # relative to repo, or absolute


def common_dir(repo: Path) -> Path:
    """``git rev-parse --git-common-dir``: the main ``.git``, even from a linked worktree.
    Raises GitError outside a repository."""
    out = _run(repo, ["rev-parse", "--git-common-dir"])
    return repo / os.fsdecode(out.rstrip(b"\n"))


def ls_tree(repo: Path, rev: str, path: str) -> list[str] | None:
    """Entry names (files and folders, not recursive) of the directory ``path`` at ``rev``, as
    repository-relative paths; None when ``rev`` has no such directory."""
    try:
        out = _run(repo, ["ls-tree", "-z", "--name-only", "--full-name", f"{rev}:{path}"])
    except GitError:
        return None
    names = [os.fsdecode(n) for n in out.split(b"\0") if n]
    return [f"{path}/{name}" if path else name for name in names]


def log(repo: Path, *args: str) -> str:
    """``git log ARGS`` output as text (UTF-8, undecodable bytes replaced). Raises GitError."""
    return _run(repo, ["log", *args]).decode("utf-8", "replace")
