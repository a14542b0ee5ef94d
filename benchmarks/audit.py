"""Audit throughput on a real repository: our overhead, and scaling with concurrent requests.

Audits the source of a released PyPI package (an sdist fetched with
``pip download --no-binary :all:``) from an empty state file each time:

1. with the fake backend (answers at once): units per second of everything but the model
   (listing, filters, chunking, rendering, SQLite commits, parsing, anchoring, the report);
2. through the openai backend against a local test server on 127.0.0.1 that answers each
   request after ``DELAY`` seconds and works on at most ``SLOTS`` requests at once (like an
   engine with that many batch slots), at concurrency 1, 4 and 8, on the first ``SERVER_UNITS``
   units.

Prints units per second, our overhead as a share of a model answering in 1 s per unit, and each
concurrency's speed-up over concurrency 1 next to the ideal ``min(c, SLOTS)``.

    python benchmarks/audit.py                # downloads jinja2 3.1.4
    python benchmarks/audit.py SOURCE_DIR     # or any directory you have
Targets: overhead below 5% of 1 s per unit; throughput growing with concurrency up to SLOTS.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from reviewbot.backends.base import Backend
from reviewbot.backends.fake import FakeBackend
from reviewbot.backends.openai import OpenAIBackend
from reviewbot.commands.audit import AuditOptions, audit
from reviewbot.config import Config

PACKAGE, VERSION = "jinja2", "3.1.4"
DELAY = 0.2  # seconds per answer at the test server
SLOTS = 4  # requests the test server works on at once
SERVER_UNITS = 64
ANSWER = json.dumps({"findings": []})


def fetch_source(work: Path) -> Path:
    """Download and unpack the sdist with pip (PyPI only)."""
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps"),
            *("-d", str(work), "-q", f"{PACKAGE}=={VERSION}"),
        ],
        check=True,
    )
    archive = next(work.glob("*.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    return next(p for p in work.iterdir() if p.is_dir())


class _Handler(BaseHTTPRequestHandler):
    slots = threading.Semaphore(SLOTS)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._send({"object": "list", "data": [{"id": "bench", "max_model_len": 8192}]})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.slots:
            time.sleep(DELAY)
        message = {"role": "assistant", "content": ANSWER}
        self._send({"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})

    def _send(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def timed_audit(
    root: Path, config: Config, backend: Backend, concurrency: int, limit: int | None
) -> tuple[int, float]:
    """(units audited, seconds) of one audit of ``root`` from an empty state file."""
    with tempfile.TemporaryDirectory() as state:
        options = AuditOptions(concurrency=concurrency, state=Path(state) / "s.sqlite")
        paths = _first_files(root, config, limit) if limit else ()
        started = time.perf_counter()
        review, _ = audit(
            config, root, None, [backend], replace(options, paths=paths), stderr=io.StringIO()
        )
        return review.stats.calls, time.perf_counter() - started


def _first_files(root: Path, config: Config, limit: int) -> tuple[str, ...]:
    """The first files, in path order, holding about ``limit`` units."""
    with tempfile.TemporaryDirectory() as state:
        options = AuditOptions(state=Path(state) / "s.sqlite")
        _, selection = audit(config, root, None, [FakeBackend()], options, stderr=io.StringIO())
    chosen: list[str] = []
    for source in selection.files:
        chosen.append(source.path)
        if len(chosen) > 1 and _units(root, config, chosen) >= limit:
            break
    return tuple(chosen)


def _units(root: Path, config: Config, paths: list[str]) -> int:
    with tempfile.TemporaryDirectory() as state:
        options = AuditOptions(state=Path(state) / "s.sqlite", paths=tuple(paths))
        review, _ = audit(config, root, None, [FakeBackend()], options, stderr=io.StringIO())
    return review.stats.calls


def main(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory() as work:
        root = Path(argv[0]) if argv else fetch_source(Path(work))
        config = Config(backend="fake", context_window=8192)
        units, seconds = timed_audit(root, config, FakeBackend(context_window=8192), 8, None)
        rate = units / seconds
        print(f"{root.name}: {units} units")
        print(f"fake backend:   {rate:8.1f} units/s  ({seconds:.2f} s)")
        print(f"overhead per unit: {1000 / rate:.2f} ms = {100 / rate:.2f}% of a 1 s model answer")
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        http = Config(backend="openai", base_url=url, model="bench", context_window=8192)
        base = None
        for concurrency in (1, 4, 8):
            units, seconds = timed_audit(root, http, OpenAIBackend(http), concurrency, SERVER_UNITS)
            rate = units / seconds
            base = base or rate
            ideal = min(concurrency, SLOTS)
            print(
                f"server c={concurrency}:   {rate:8.2f} units/s  ({units} units, {seconds:.1f} s)"
                f"  x{rate / base:.2f} of c=1 (ideal x{ideal}; "
                f"{100 * rate * DELAY / ideal:.0f}% of the server's capacity)"
            )
        server.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
