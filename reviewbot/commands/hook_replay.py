"""The hook's replay of a cache hit: ccache's "direct mode" for reviews.

A cache hit makes no model call, yet it still parses the diff, keys and looks up every file,
and formats the report; most of its time is loading that machinery. So every run that ends
with every file's result in the cache also records what a cache hit on that diff prints and
its exit code, under a key of the raw diff and of everything else that decides that output. A
later run with the same key prints the record without parsing anything: re-running the hook
after an aborted commit, an amend or a rebase costs little more than starting Python.

The key is the SHA-256 of:

- ``REPLAY_FORMAT`` (bump it when what a hook prints for a review changes meaning);
- ``cache_settings.review_settings``: backend, model, server, generation settings, every file
  of the prompt folders, the running reviewbot code (``build_id``);
- the whole configuration (``repr`` of the frozen ``Config``: filters, ``fail_on``, format,
  ``on_unavailable``, colour as decided for this run...) and the run's target (file names,
  commit or push);
- the raw bytes of the diff git gave (the staged diff, or the pushed range's).

What is recorded is always a cache hit's output, never a model run's (which carries that run's
statistics): after a model run the hook renders the hit from the results just cached. So a
replay prints exactly what a hit prints. A run that writes its report to a file (``output``)
is neither recorded nor replayed. Records live in the result
cache's table (``store``), under keys starting with ``REPLAY_PREFIX``, so they share its size
bound and least-recently-used eviction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from reviewbot.commands.hook_gate import plural, say
from reviewbot.config import Config
from reviewbot.store import DEFAULT_CACHE_BYTES, Store, StoreError

REPLAY_FORMAT = 1
REPLAY_PREFIX = "replay-"


@dataclass(frozen=True)
class Replay:
    """What a cache-hit run printed. stdout: the report text; code: its exit code; files: how
    many files it found in the cache (for the hook's "N files from the cache" line)."""

    stdout: str
    code: int
    files: int


def replay_key(
    config: Config, settings: str, *, paths: Sequence[str], action: str, diff: bytes
) -> str:
    """``REPLAY_PREFIX`` + the sha256 hex of what decides a hook run's output (module doc).

    config: with ``color`` decided (True or False, not None); settings: its
    ``cache_settings.review_settings``; paths: the repository-relative file names the run was
    given; action: "commit" or "push"; diff: the raw diff git gave.
    """
    head = {
        "format": REPLAY_FORMAT,
        "settings": settings,
        "config": repr(config),
        "paths": list(paths),
        "action": action,
    }
    digest = hashlib.sha256(json.dumps(head, sort_keys=True).encode("utf-8") + b"\0")
    digest.update(diff)
    return REPLAY_PREFIX + digest.hexdigest()


def lookup(store: Store, key: str) -> Replay | None:
    """The record under ``key``, or None when there is none or it cannot be read (the run then
    goes the usual way and records it anew). Raises StoreError when the database fails."""
    text = store.get_result(key)
    if text is None:
        return None
    try:
        data = json.loads(text)
        replay = Replay(stdout=data["stdout"], code=data["code"], files=data["files"])
    except (ValueError, KeyError, TypeError):
        return None
    exact_ints = all(type(n) is int for n in (replay.code, replay.files))  # no bools
    valid = exact_ints and isinstance(replay.stdout, str) and replay.code in (0, 1)
    return replay if valid else None


def record(store: Store, key: str, replay: Replay, *, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
    """Store ``replay`` under ``key`` (``store.put_result``'s size bound). Raises StoreError."""
    text = json.dumps(
        {"stdout": replay.stdout, "code": replay.code, "files": replay.files}, ensure_ascii=False
    )
    store.put_result(key, text, max_bytes=max_bytes)


def replay(store: Store, key: str, out: TextIO, err: TextIO) -> int | None:
    """Print the record under ``key`` as the hit printed it (the "from the cache" line on
    ``err``, the report on ``out``) and return its exit code; None when there is none, or when
    the database fails (after a one-line warning: the run then goes the usual way)."""
    try:
        found = lookup(store, key)
    except StoreError as exc:
        say(err, f"warning: reviewing without the result cache: {exc}")
        return None
    if found is None:
        return None
    say(err, f"{plural(found.files, 'file')} from the cache, no model call")
    out.write(found.stdout)
    return found.code


def remember(store: Store, key: str, hit: Replay, err: TextIO) -> None:
    """``record``, with a one-line warning instead of an error when the database fails."""
    try:
        record(store, key, hit)
    except StoreError as exc:
        say(err, f"warning: results not cached: {exc}")
