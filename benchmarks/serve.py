"""Throughput of ``reviewbot serve`` at 1, 4 and 8 concurrent clients.

Starts a server on 127.0.0.1 (port 0) over an in-process engine, sends the same set of requests
one by one and then from 4 and 8 client threads, and prints requests/s, completion tokens/s,
the mean batch handed to ``Backend.complete`` and the speed-up over one by one.

    .venv/bin/python -m benchmarks.serve                      # tiny GGUF on CPU (built if needed)
    .venv/bin/python -m benchmarks.serve --backend exllamav2 --model /models/Qwen2.5-Coder-7B-exl2

Not part of the test run. llama.cpp runs a batch one request at a time, so expect a ratio near 1
there; engines with continuous batching (exllamav2/v3) are where concurrency pays.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from reviewbot.backends import create_backend
from reviewbot.backends.base import Backend
from reviewbot.config import Config
from reviewbot.serve import ReviewServer, ServeSettings, serve_until
from reviewbot.types import Completion, Request

SCHEMA = {
    "type": "object",
    "properties": {
        "findings": {
            "type": "array",
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {"line": {"type": "integer"}, "message": {"type": "string"}},
                "required": ["line", "message"],
            },
        }
    },
    "required": ["findings"],
}


class CountingBackend:
    """Passes calls through and records the size of each batch."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.context_window = inner.context_window
        self.batches: list[int] = []

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def complete(self, requests: Sequence[Request]) -> list[Completion]:
        self.batches.append(len(requests))
        return self.inner.complete(requests)


@dataclass(frozen=True)
class Result:
    clients: int
    seconds: float
    requests: int
    tokens: int
    mean_batch: float


def tiny_gguf() -> Path:
    """Build the tests' tiny random-weight GGUF into a temporary directory."""
    source = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tiny_model.py"
    spec = importlib.util.spec_from_file_location("tiny_model", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    gguf, _ = module.build(Path(tempfile.mkdtemp(prefix="reviewbot-bench-")))
    return Path(gguf)


def body(index: int, max_tokens: int) -> dict[str, object]:
    return {
        "messages": [
            {"role": "system", "content": "You review diffs. Answer with JSON findings."},
            {"role": "user", "content": f"+    total = sum(items[{index}:]) / len(items)"},
        ],
        "max_tokens": max_tokens,
        "response_format": {"type": "json_schema", "json_schema": {"schema": SCHEMA}},
    }


def measure(
    url: str, backend: CountingBackend, clients: int, total: int, max_tokens: int
) -> Result:
    """Send ``total`` requests from ``clients`` threads; each thread takes the next index."""
    backend.batches.clear()
    indices = iter(range(total))
    lock = threading.Lock()
    tokens: list[int] = []

    def client() -> None:
        with httpx.Client(trust_env=False, timeout=600) as http:
            while True:
                with lock:
                    index = next(indices, None)
                if index is None:
                    return
                answer = http.post(f"{url}/chat/completions", json=body(index, max_tokens))
                answer.raise_for_status()
                tokens.append(answer.json()["usage"]["completion_tokens"])

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    mean_batch = sum(backend.batches) / len(backend.batches) if backend.batches else 0.0
    return Result(clients, seconds, len(tokens), sum(tokens), mean_batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="llamacpp")
    parser.add_argument("--model", help="model path (default: the tests' tiny GGUF, built now)")
    parser.add_argument("--requests", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp CPU threads")
    args = parser.parse_args()
    model = args.model or str(tiny_gguf())
    config = Config(backend=args.backend, model=model, threads=args.threads)
    backend = CountingBackend(create_backend(config))
    server = ReviewServer(backend, ServeSettings(model_id=Path(model).name), "127.0.0.1", 0)
    stop = threading.Event()
    serving = threading.Thread(target=serve_until, args=(server, stop))
    serving.start()
    try:
        measure(server.url, backend, 1, 2, args.max_tokens)  # warm-up: load, caches
        results = [
            measure(server.url, backend, c, args.requests, args.max_tokens) for c in (1, 4, 8)
        ]
    finally:
        stop.set()
        serving.join()
    print(
        f"{args.backend} {Path(model).name}: {args.requests} requests, max_tokens {args.max_tokens}"
    )
    print(f"{'clients':>7} {'req/s':>8} {'tok/s':>9} {'mean batch':>10} {'vs 1-by-1':>9}")
    baseline = results[0].requests / results[0].seconds
    for r in results:
        rate = r.requests / r.seconds
        print(
            f"{r.clients:>7} {rate:>8.2f} {r.tokens / r.seconds:>9.1f} "
            f"{r.mean_batch:>10.2f} {rate / baseline:>8.2f}x"
        )


if __name__ == "__main__":
    main()
