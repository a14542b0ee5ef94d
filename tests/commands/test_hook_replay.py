from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reviewbot.commands.hook_replay import REPLAY_PREFIX, Replay, lookup, record, replay_key
from reviewbot.config import Config
from reviewbot.severity import Severity
from reviewbot.store import Store

CONFIG = Config(color=False)


def key(config: Config = CONFIG, **change: object) -> str:
    args: dict[str, object] = {
        "settings": "s" * 64,
        "paths": ("app.py",),
        "action": "commit",
        "diff": b"diff --git a/app.py b/app.py\n",
    }
    args.update(change)
    return replay_key(config, **args)  # type: ignore[arg-type]


def test_the_key_changes_with_everything_that_decides_the_output() -> None:
    keys = [
        key(),
        key(replace(CONFIG, fail_on=Severity.ERROR)),
        key(replace(CONFIG, color=True)),
        key(replace(CONFIG, exclude=("*.md",))),
        key(settings="t" * 64),
        key(paths=("app.py", "lib.py")),
        key(paths=()),
        key(action="push"),
        key(diff=b"diff --git a/app.py b/app.py\n+x\n"),
    ]
    assert len(set(keys)) == len(keys)
    assert key() == key()
    assert all(k.startswith(REPLAY_PREFIX) and len(k) == len(REPLAY_PREFIX) + 64 for k in keys)


def test_a_record_reads_back(tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite3") as store:
        assert lookup(store, key()) is None
        record(store, key(), Replay("app.py:2: error: x\n", 1, 2))
        assert lookup(store, key()) == Replay("app.py:2: error: x\n", 1, 2)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"stdout": "x", "code": 1}',
        '{"stdout": 1, "code": 1, "files": 1}',
        '{"stdout": "x", "code": 7, "files": 1}',
        '{"stdout": "x", "code": 0, "files": "one"}',
        '{"stdout": "x", "code": true, "files": 1}',
    ],
)
def test_a_record_that_cannot_be_read_is_a_miss(tmp_path: Path, text: str) -> None:
    with Store(tmp_path / "db.sqlite3") as store:
        store.put_result(key(), text)
        assert lookup(store, key()) is None
