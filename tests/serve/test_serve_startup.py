"""``reviewbot serve`` listens before it loads: a real llama.cpp engine on the tiny GGUF, whose
load waits on an event the test sets (a fake of time only), a real server on 127.0.0.1, and
reviewbot's own ``openai`` client probing it while it loads."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from reviewbot.backends import create_backend
from reviewbot.backends.base import Backend
from reviewbot.backends.openai import OpenAIBackend
from reviewbot.commands.serve import run
from reviewbot.config import Config
from reviewbot.errors import BackendUnavailable
from reviewbot.types import FinishReason, Message, Request

if TYPE_CHECKING:
    from conftest import WaitFor

SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"enum": ["ok", "bug"]}},
    "required": ["verdict"],
    "additionalProperties": False,
}
REQUEST = Request(
    messages=(Message("system", "Answer with JSON."), Message("user", "+ x = 1")),
    max_new_tokens=30,
    json_schema=SCHEMA,
)


class SlowLoad:
    """A backend factory that loads the real engine once ``gate`` is set; ``started`` is set
    when the load begins."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()

    def __call__(self, config: Config) -> Backend:
        self.started.set()
        if not self.gate.wait(60):
            raise AssertionError("the test never let the model load")
        return create_backend(config)


@dataclass
class Serving:
    """``run`` on a thread: what it printed, its exit code or its exception, and its URL."""

    out: io.StringIO = field(default_factory=io.StringIO)
    stop: threading.Event = field(default_factory=threading.Event)
    codes: list[int] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)
    url: str = ""

    @property
    def root(self) -> str:
        return self.url.removesuffix("/v1")

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].removesuffix("/v1"))


@pytest.fixture
def llama_config(tiny_gguf: Path) -> Config:
    pytest.importorskip("llama_cpp")
    return Config(backend="llamacpp", model=str(tiny_gguf), threads=2)


@pytest.fixture
def slow() -> Iterator[SlowLoad]:
    loader = SlowLoad()
    yield loader
    loader.gate.set()  # a failed test must not leave the loader waiting


def start(config: Config, loader: SlowLoad, wait_for: WaitFor) -> tuple[Serving, threading.Thread]:
    """``run`` on a thread, returned once the model load has begun."""
    serving = Serving()

    def target() -> None:
        try:
            code = run(
                config, "127.0.0.1", 0, environ={}, stdout=serving.out, stderr=io.StringIO(),
                stop=serving.stop, backend_factory=loader,
            )  # fmt: skip
            serving.codes.append(code)
        except BaseException as exc:  # handed to the test, which asserts on it
            serving.failures.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    wait_for(lambda: loader.started.is_set() or not thread.is_alive(), "the model load to begin")
    found = re.search(r"http://127\.0\.0\.1:\d+/v1", serving.out.getvalue())
    assert found is not None, serving.out.getvalue()
    serving.url = found[0]
    return serving, thread


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def test_a_slow_load_answers_503_then_serves_the_real_engine(
    llama_config: Config, slow: SlowLoad, wait_for: WaitFor
) -> None:
    serving, thread = start(llama_config, slow, wait_for)
    try:
        printed_while_loading = serving.out.getvalue()
        health = httpx.get(f"{serving.root}/health", trust_env=False)
        client = OpenAIBackend(Config(base_url=serving.url, retries=0))
        with pytest.raises(BackendUnavailable) as caught:
            client.count_tokens("x = 1")
        slow.gate.set()
        wait_for(lambda: "ready:" in serving.out.getvalue(), "the model to load")
        ready = httpx.get(f"{serving.root}/health", trust_env=False)
        window = httpx.get(f"{serving.url}/models", trust_env=False).json()["data"][0]
        [answer] = OpenAIBackend(Config(base_url=serving.url, retries=0)).complete([REQUEST])
    finally:
        serving.stop.set()
        thread.join(60)
    assert printed_while_loading == (
        f"reviewbot serve: listening on {serving.url} (this machine only; Ctrl-C to stop)\n"
        "reviewbot serve: loading llamacpp model tiny.gguf; requests get 503 until it is ready\n"
    )
    assert (health.status_code, health.headers["Retry-After"], health.json()) == (
        503,
        "5",
        {"status": "loading", "message": "model tiny.gguf is still loading; retry in 5 s"},
    )
    assert str(caught.value) == (
        f"the model server at {serving.url} is not ready (HTTP 503 on POST "
        f"{serving.root}/tokenize: model tiny.gguf is still loading; retry in 5 s); it is "
        f"probably still loading its model: try again once {serving.root}/health answers 200"
    )
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})
    assert (answer.finish_reason, sorted(json.loads(answer.text))) == (
        FinishReason.STOP,
        ["verdict"],
    )
    assert (serving.codes, serving.failures) == ([0], [])
    assert serving.out.getvalue() == printed_while_loading + (
        f"reviewbot serve: ready: llamacpp model tiny.gguf, context window "
        f"{window['max_model_len']} tokens, batches of up to 8\n"
        "reviewbot serve: stopped\n"
    )


def test_a_client_with_retries_waits_out_the_load(
    llama_config: Config, slow: SlowLoad, wait_for: WaitFor
) -> None:
    serving, thread = start(llama_config, slow, wait_for)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # the wait the server asked for: the model loads in it
        sleeps.append(seconds)
        slow.gate.set()
        wait_for(lambda: "ready:" in serving.out.getvalue(), "the model to load")

    try:
        client = OpenAIBackend(Config(base_url=serving.url, retries=2), sleep=sleep)
        model, window = client.model, client.context_window
        [answer] = client.complete([REQUEST])
    finally:
        serving.stop.set()
        thread.join(60)
    assert (model, sleeps, answer.finish_reason) == ("tiny.gguf", [5.0], FinishReason.STOP)
    assert f"context window {window} tokens" in serving.out.getvalue()


def test_a_model_that_fails_to_load_stops_the_server(
    tmp_path: Path, slow: SlowLoad, wait_for: WaitFor
) -> None:
    pytest.importorskip("llama_cpp")
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF this is not a model")
    serving, thread = start(Config(backend="llamacpp", model=str(bad)), slow, wait_for)
    try:
        health = httpx.get(f"{serving.root}/health", trust_env=False)
        slow.gate.set()
        thread.join(60)
    finally:
        serving.stop.set()
        thread.join(60)
    assert health.status_code == 503
    assert serving.codes == []
    [failure] = serving.failures
    assert isinstance(failure, BackendUnavailable)
    assert str(failure).startswith(f"llama.cpp could not load {bad}: ")
    assert refuses_connections(serving.port)  # no server left up without a model
    assert "ready:" not in serving.out.getvalue()


# -- the command line: exit codes through the error handler ---------------------------------


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWBOT")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    return subprocess.run(
        [sys.executable, "-m", "reviewbot", "serve", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_busy_port_fails_at_once_naming_it(tmp_path: Path, tiny_gguf: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = cli(
            tmp_path, "--backend", "llamacpp", "--model", str(tiny_gguf), "--port", str(port)
        )
    assert (proc.returncode, proc.stdout) == (2, "")  # nothing printed: the model never loaded
    assert proc.stderr == (
        f"reviewbot: error: cannot listen on 127.0.0.1:{port}: the port is already in use "
        "(another server, perhaps another reviewbot serve, is listening there); pick another "
        "port with --port (--port 0 picks a free one) or stop the other server\n"
    )


def test_a_load_failure_ends_the_command_with_its_error(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF this is not a model")
    proc = cli(tmp_path, "--backend", "llamacpp", "--model", str(bad), "--port", "0")
    lines = proc.stdout.splitlines()
    assert proc.returncode == 2  # the command could not do its job (1 is a failing review)
    assert re.fullmatch(
        r"reviewbot serve: listening on http://127\.0\.0\.1:\d+/v1 \(this machine only; "
        r"Ctrl-C to stop\)",
        lines[0],
    )
    assert lines[1:] == [
        "reviewbot serve: loading llamacpp model broken.gguf; requests get 503 until it is ready"
    ]
    assert proc.stderr.startswith(f"reviewbot: error: llama.cpp could not load {bad}: ")
    assert proc.stderr.count("\n") == 1
