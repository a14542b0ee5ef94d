"""Audit progress for people: a tqdm bar on a terminal, plain lines in CI logs.

Both show units done of the total, findings so far, the rate of this run and the time left.
Plain lines come every ``PLAIN_EVERY_SECONDS`` or every twentieth of the work, whichever is
first, so a long CI job shows it is alive without flooding the log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import NoReturn, TextIO

from tqdm import tqdm

PLAIN_EVERY_SECONDS = 30.0


class Meter:
    """Counts finished units. total: units of this run's share; done: those finished before."""

    def __init__(
        self,
        total: int,
        done: int,
        findings: int,
        stream: TextIO,
        *,
        tty: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self.done, self.findings = total, done, findings
        self._fresh = 0
        self._stream = stream
        self._clock = clock
        self._started = self._last = clock()
        self._step = max(1, -(-total // 20))  # a twentieth, rounded up
        self._bar: tqdm[NoReturn] | None = None
        if tty:
            bar: tqdm[NoReturn] = tqdm(
                total=total, initial=done, unit="unit", file=stream, dynamic_ncols=True
            )
            bar.set_postfix(findings=findings)
            self._bar = bar

    def advance(self, findings: int) -> None:
        """One unit finished with ``findings`` findings."""
        self.done += 1
        self._fresh += 1
        self.findings += findings
        if self._bar is not None:
            self._bar.set_postfix(findings=self.findings, refresh=False)
            self._bar.update(1)
            return
        now = self._clock()
        if self._fresh % self._step == 0 or now - self._last >= PLAIN_EVERY_SECONDS:
            self._last = now
            print(self.line(now), file=self._stream, flush=True)

    def line(self, now: float) -> str:
        """E.g. ``audit: 40/120 units (33%), 7 findings, 2.5 units/s, 0:00:32 left``."""
        elapsed = max(now - self._started, 1e-9)
        rate = self._fresh / elapsed
        percent = 100 * self.done // self.total if self.total else 100
        left = (self.total - self.done) / rate if rate else None
        eta = "time left unknown" if left is None else f"{timedelta(seconds=round(left))} left"
        return (
            f"reviewbot: audit: {self.done}/{self.total} units ({percent}%), "
            f"{self.findings} findings, {rate:.2f} units/s, {eta}"
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._fresh % self._step:
            print(self.line(self._clock()), file=self._stream, flush=True)
