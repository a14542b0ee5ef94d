"""``reviewbot serve`` as a command: bind checks, printed URL, and stopping on signals."""

from __future__ import annotations

import io
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from reviewbot.backends.base import Backend
from reviewbot.backends.fake import FakeBackend
from reviewbot.commands.serve import in_process_engine, run
from reviewbot.config import Config
from reviewbot.errors import ConfigError
from reviewbot.serve import check_bind_address

if TYPE_CHECKING:
    from conftest import WaitFor

REPO = Path(__file__).resolve().parents[2]
FAKE = Config(backend="fake", model="/models/tiny.gguf")


def never_built(config: Config) -> Backend:
    raise AssertionError("the backend must not load before the address is checked")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_needs_no_key(host: str) -> None:
    check_bind_address(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "build-box.lan"])
def test_other_addresses_need_a_key(host: str) -> None:
    with pytest.raises(ConfigError, match=f"refusing to listen on '{re.escape(host)}' without"):
        check_bind_address(host, None)
    check_bind_address(host, "k")


def test_run_refuses_a_public_bind_before_loading_the_model() -> None:
    with pytest.raises(ConfigError, match="Set REVIEWBOT_SERVE_API_KEY in the environment"):
        run(FAKE, "0.0.0.0", 0, environ={}, backend_factory=never_built)
    with pytest.raises(ConfigError, match="refusing"):  # an empty key is no key
        run(
            FAKE, "0.0.0.0", 0, environ={"REVIEWBOT_SERVE_API_KEY": ""}, backend_factory=never_built
        )


def test_run_refuses_the_openai_backend() -> None:
    with pytest.raises(ConfigError, match="backend 'openai' would only forward"):
        run(Config(backend="openai"), "127.0.0.1", 0, environ={}, backend_factory=never_built)


def test_a_gguf_model_needs_no_backend_option() -> None:
    config = in_process_engine(Config(backend="openai", model="/models/Tiny.GGUF"))
    assert (config.backend, config.model) == ("llamacpp", "/models/Tiny.GGUF")
    assert in_process_engine(FAKE) is FAKE


def test_run_prints_the_url_and_serves_until_stopped(wait_for: WaitFor) -> None:
    out, err, stop = io.StringIO(), io.StringIO(), threading.Event()
    codes: list[int] = []

    def serve() -> None:
        backend = FakeBackend(context_window=2048)
        codes.append(
            run(FAKE, "127.0.0.1", 0, environ={"REVIEWBOT_SERVE_API_KEY": "k"}, stdout=out,
                stderr=err, stop=stop, backend_factory=lambda config: backend)
        )  # fmt: skip

    thread = threading.Thread(target=serve)
    thread.start()
    wait_for(lambda: "listening on" in out.getvalue(), "the server to start")
    url = re.search(r"http://127\.0\.0\.1:(\d+)/v1", out.getvalue())
    assert url is not None
    models = httpx.get(f"{url[0]}/models", headers={"Authorization": "Bearer k"}, trust_env=False)
    stop.set()
    thread.join(30)
    assert codes == [0]
    assert models.json()["data"][0]["id"] == "tiny.gguf"
    assert out.getvalue() == (
        "reviewbot serve: fake model tiny.gguf, context window 2048 tokens, batches of up to 8\n"
        f"reviewbot serve: listening on {url[0]} (clients send 'Authorization: Bearer "
        "$REVIEWBOT_SERVE_API_KEY'; Ctrl-C to stop)\n"
        "reviewbot serve: stopped\n"
    )
    logged = [line.split(" ", 3)[3] for line in err.getvalue().splitlines()]  # drop the time
    assert re.fullmatch(r"GET /v1/models 200 in=0 out=0 \d+\.\d{3}s", logged[0])
    assert logged[1:] == ["stopping: no new connections; finishing the requests in flight"]


def test_port_in_use_is_a_config_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}: "):
            run(FAKE, "127.0.0.1", port, environ={}, backend_factory=lambda c: FakeBackend())


# A server process whose engine holds its one request until the file RELEASE exists.
SERVER_SCRIPT = """
import sys, time
from pathlib import Path
from reviewbot.commands.serve import run
from reviewbot.config import Config
from reviewbot.types import Completion, FinishReason

started, release = Path(sys.argv[1]), Path(sys.argv[2])

class Held:
    name = "held"
    context_window = 512
    def count_tokens(self, text):
        return 1
    def complete(self, requests):
        started.touch()
        while not release.exists():
            time.sleep(0.01)
        return [Completion("finished", FinishReason.STOP, 1, 1) for _ in requests]

config = Config(backend="held", model="m.gguf")
raise SystemExit(run(config, "127.0.0.1", 0, backend_factory=lambda c: Held()))
"""


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_drains_in_flight_requests_and_exits_0(
    tmp_path: Path, wait_for: WaitFor, signum: int
) -> None:
    started, release = tmp_path / "started", tmp_path / "release"
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER_SCRIPT, str(started), str(release)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()  # model line
        url = re.search(r"http://127\.0\.0\.1:(\d+)/v1", process.stdout.readline())
        assert url is not None
        answers: list[httpx.Response] = []
        body = {"messages": [{"role": "user", "content": "x"}]}
        client = threading.Thread(
            target=lambda: answers.append(
                httpx.post(f"{url[0]}/chat/completions", json=body, trust_env=False, timeout=60)
            )
        )
        client.start()
        wait_for(started.exists, "the request to reach the engine")
        process.send_signal(signum)
        wait_for(lambda: refuses_connections(int(url[1])), "the server to stop accepting")
        release.touch()
        client.join(60)
        assert process.wait(60) == 0
        assert process.stdout.read() == "reviewbot serve: stopped\n"
    finally:
        process.kill()
        process.communicate()
    assert answers[0].status_code == 200
    assert answers[0].json()["choices"][0]["message"]["content"] == "finished"
