"""The shared file lock: a second holder waits, told who holds it, and then gets the lock."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from reviewbot.filelock import exclusive

HOLDER = """
import sys, time
from pathlib import Path
from reviewbot.filelock import exclusive
lock, ready, release = map(Path, sys.argv[1:4])
with exclusive(lock):
    ready.touch()
    while not release.exists():
        time.sleep(0.01)
"""


def test_a_second_holder_waits_and_learns_who_holds_it(tmp_path: Path) -> None:
    lock, ready, release = tmp_path / "sub" / "x.lock", tmp_path / "ready", tmp_path / "release"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock), str(ready), str(release)])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert time.monotonic() < deadline and holder.poll() is None
            time.sleep(0.01)
        told: list[str] = []

        def waiting(who: str) -> None:
            told.append(who)
            release.touch()  # let the holder finish, so the wait below ends

        with exclusive(lock, on_wait=waiting):
            assert lock.read_text() == f"pid {os.getpid()} on {socket.gethostname()}\n"
        assert told == [f"pid {holder.pid} on {socket.gethostname()}"]
        assert holder.wait(timeout=30) == 0
    finally:
        holder.kill()


def test_an_uncontended_lock_calls_nobody(tmp_path: Path) -> None:
    told: list[str] = []
    with exclusive(tmp_path / "y.lock", on_wait=told.append):
        pass
    assert told == []
    assert (tmp_path / "y.lock").read_text() == ""
