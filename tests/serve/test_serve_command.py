"""``reviewbot serve`` as a command: bind checks, printed URL, and stopping on signals."""

from __future__ import annotations

import errno
import io
import os
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
from reviewbot.commands.serve import bind_error, in_process_engine, run
from reviewbot.config import Config
from reviewbot.errors import ConfigError
from reviewbot.serve import ServeSettings, check_bind_address, describe_listening
from reviewbot.serve.app import check_host

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


@pytest.mark.parametrize(
    ("host", "line"),
    [
        ("127.0.0.1", "http://127.0.0.1:8080/v1"),
        ("192.168.1.5", "http://192.168.1.5:8080/v1"),
        ("::1", "http://[::1]:8080/v1"),
        (
            "0.0.0.0",
            "all interfaces (0.0.0.0) port 8080: http://127.0.0.1:8080/v1 on this machine, "
            "http://gpu-box:8080/v1 or this machine's IP address from others",
        ),
        (
            "::",
            "all interfaces (::) port 8080: http://[::1]:8080/v1 on this machine, "
            "http://gpu-box:8080/v1 or this machine's IP address from others",
        ),
    ],
)
def test_the_startup_line_says_where_it_listens(host: str, line: str) -> None:
    # Tests bind 127.0.0.1 only, so the wildcard wording is checked without binding.
    assert describe_listening(host, 8080, hostname="gpu-box") == line


def test_run_refuses_a_public_bind_before_loading_the_model() -> None:
    with pytest.raises(ConfigError, match="Set REVIEWBOT_SERVE_API_KEY in the environment"):
        run(FAKE, "0.0.0.0", 0, environ={}, backend_factory=never_built)
    with pytest.raises(ConfigError, match="refusing"):  # an empty key is no key
        run(
            FAKE, "0.0.0.0", 0, environ={"REVIEWBOT_SERVE_API_KEY": ""}, backend_factory=never_built
        )


def no_lookup(*args: object, **kwargs: object) -> object:
    raise AssertionError("an address-shaped host must not be looked up")


@pytest.mark.parametrize(
    ("host", "what"),
    [
        ("256.1.1.1", "not an IPv4 address (four numbers from 0 to 255, e.g. 192.168.1.5)"),
        ("1.2.3", "not an IPv4 address (four numbers from 0 to 255, e.g. 192.168.1.5)"),
        ("", "not an IPv4 address (four numbers from 0 to 255, e.g. 192.168.1.5)"),
        ("::g", "not an IPv6 address (::1)"),
        ("[fe80::1::2]", "not an IPv6 address (::1)"),
    ],
)
def test_a_malformed_address_is_named_without_a_lookup(host: str, what: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_host(host, no_lookup)
    assert str(caught.value) == (
        f"cannot listen on {host!r}: {what}; use --host 127.0.0.1 (this machine only), "
        "0.0.0.0 (all interfaces) or a name it resolves"
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0", "::", "[::1]", "192.168.1.5"])
def test_ip_addresses_are_accepted_without_a_lookup(host: str) -> None:
    check_host(host, no_lookup)


def test_a_name_must_resolve() -> None:
    asked: list[object] = []

    def unknown(host: str, port: object, **kwargs: object) -> object:
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(ConfigError) as caught:
        check_host("gpu-box.invalid", unknown)
    assert asked == ["gpu-box.invalid"]
    assert str(caught.value) == (
        "cannot listen on 'gpu-box.invalid': not an IP address, and the name does not resolve "
        "(Name or service not known); use --host 127.0.0.1 (this machine only), 0.0.0.0 (all "
        "interfaces) or a name it resolves"
    )
    check_host("localhost")  # the real resolver: /etc/hosts


def test_run_names_an_invalid_host_before_asking_for_an_api_key() -> None:
    with pytest.raises(ConfigError, match=r"^cannot listen on '256\.1\.1\.1': not an IPv4"):
        run(FAKE, "256.1.1.1", 0, environ={}, backend_factory=never_built)


def test_serve_settings_refuse_empty_batches_before_binding() -> None:
    """The library's guard; the CLI refuses these values in argparse first."""
    with pytest.raises(ValueError, match="max_batch_size=0 and max_queue=64 must be >= 1"):
        ServeSettings(model_id="m", max_batch_size=0)
    with pytest.raises(ValueError, match="max_batch_size=8 and max_queue=0 must be >= 1"):
        run(FAKE, "127.0.0.1", 0, environ={}, max_queue=0, backend_factory=never_built)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--max-batch-size", "0"],
            "reviewbot serve: error: argument --max-batch-size: 0 is not allowed: give a whole "
            "number >= 1",
        ),
        (
            ["--max-queue", "-3"],
            "reviewbot serve: error: argument --max-queue: -3 is not allowed: give a whole "
            "number >= 1",
        ),
        (
            ["--max-queue", "many"],
            "reviewbot serve: error: argument --max-queue: 'many' is not a whole number",
        ),
    ],
)
def test_the_cli_refuses_counts_below_one_with_a_usage_message(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from reviewbot.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["serve", "--backend", "fake", *args], environ={})
    err = capsys.readouterr().err
    assert caught.value.code == 2
    assert err.startswith("usage: reviewbot serve ")
    assert err.splitlines()[-1] == message


def test_the_cli_names_an_invalid_host_not_the_api_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reviewbot.cli import main

    code = main(["-C", str(tmp_path), "serve", "--host", "256.1.1.1"], environ={})
    assert (code, capsys.readouterr().err) == (
        2,
        "reviewbot: error: cannot listen on '256.1.1.1': not an IPv4 address (four numbers "
        "from 0 to 255, e.g. 192.168.1.5); use --host 127.0.0.1 (this machine only), 0.0.0.0 "
        "(all interfaces) or a name it resolves\n",
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
    wait_for(lambda: "ready:" in out.getvalue(), "the server to start")
    url = re.search(r"http://127\.0\.0\.1:(\d+)/v1", out.getvalue())
    assert url is not None
    models = httpx.get(f"{url[0]}/models", headers={"Authorization": "Bearer k"}, trust_env=False)
    stop.set()
    thread.join(30)
    assert codes == [0]
    assert models.json()["data"][0]["id"] == "tiny.gguf"
    assert out.getvalue() == (
        f"reviewbot serve: listening on {url[0]} (clients send 'Authorization: Bearer "
        "$REVIEWBOT_SERVE_API_KEY'; Ctrl-C to stop)\n"
        "reviewbot serve: loading fake model tiny.gguf; requests get 503 until it is ready\n"
        "reviewbot serve: ready: fake model tiny.gguf, context window 2048 tokens, batches of "
        "up to 8\n"
        "reviewbot serve: stopped\n"
    )
    logged = [line.split(" ", 3)[3] for line in err.getvalue().splitlines()]  # drop the time
    assert re.fullmatch(r"GET /v1/models 200 in=0 out=0 \d+\.\d{3}s", logged[0])
    assert logged[1:] == ["stopping: no new connections; finishing the requests in flight"]


def test_a_busy_port_fails_before_loading_the_model() -> None:
    out = io.StringIO()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as caught:
            run(FAKE, "127.0.0.1", port, environ={}, stdout=out, backend_factory=never_built)
    assert str(caught.value) == (
        f"cannot listen on 127.0.0.1:{port}: the port is already in use (another server, "
        "perhaps another reviewbot serve, is listening there); pick another port with --port "
        "(--port 0 picks a free one) or stop the other server"
    )
    assert out.getvalue() == ""


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            OSError(errno.EACCES, "Permission denied"),
            "cannot listen on 10.0.0.7:80: permission denied (ports below 1024 need "
            "privileges); pick a port above 1023 with --port",
        ),
        (
            OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address"),
            "cannot listen on 10.0.0.7:80: 10.0.0.7 is not an address of this machine (Cannot "
            "assign requested address); use --host 127.0.0.1, 0.0.0.0 (all interfaces) or one "
            "of this machine's addresses",
        ),
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            "cannot listen on 10.0.0.7:80: 10.0.0.7 is not an address of this machine (Name or "
            "service not known); use --host 127.0.0.1, 0.0.0.0 (all interfaces) or one of this "
            "machine's addresses",
        ),
        (
            OSError(errno.EMFILE, "Too many open files"),
            "cannot listen on 10.0.0.7:80: Too many open files; pick another --host or --port",
        ),
    ],
    ids=["EACCES", "EADDRNOTAVAIL", "gaierror", "other"],
)
def test_bind_errors_say_how_to_fix_them(error: OSError, message: str) -> None:
    # Built, not provoked: tests bind nothing but 127.0.0.1, and root may bind port 80.
    assert bind_error("10.0.0.7", 80, error) == message


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
        url = re.search(r"http://127\.0\.0\.1:(\d+)/v1", process.stdout.readline())
        assert url is not None
        while not process.stdout.readline().startswith("reviewbot serve: ready:"):
            pass
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


def start_server(
    script_args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], re.Match[str]]:
    """A server process and the URL it printed, once it says its model is ready."""
    process = subprocess.Popen(
        [sys.executable, *script_args], cwd=cwd, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    url = re.search(r"http://127\.0\.0\.1:(\d+)/v1", process.stdout.readline())
    assert url is not None
    while not process.stdout.readline().startswith("reviewbot serve: ready:"):
        pass
    return process, url


def test_the_cli_logs_each_request_once(tmp_path: Path) -> None:
    # The CLI sets up root logging for warnings; request lines must not reach it as well.
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWBOT")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    args = ["-m", "reviewbot", "serve", "--backend", "fake", "--port", "0"]
    process, url = start_server(args, tmp_path, env)
    try:
        models = httpx.get(f"{url[0]}/models", trust_env=False)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert (models.status_code, process.returncode, stdout) == (
        200,
        0,
        "reviewbot serve: stopped\n",
    )
    lines = [line.split(" ", 2)[2] for line in stderr.splitlines()]  # drop the date and time
    assert len(lines) == 2, stderr
    assert re.fullmatch(r"INFO GET /v1/models 200 in=0 out=0 \d+\.\d{3}s", lines[0])
    assert lines[1] == "INFO stopping: no new connections; finishing the requests in flight"


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_second_signal_stops_at_once(
    tmp_path: Path, wait_for: WaitFor, signum: int, status: int
) -> None:
    started, release = tmp_path / "started", tmp_path / "release"
    process, url = start_server(["-c", SERVER_SCRIPT, str(started), str(release)], REPO)
    failures: list[Exception] = []

    def client() -> None:
        body = {"messages": [{"role": "user", "content": "x"}]}
        try:
            httpx.post(f"{url[0]}/chat/completions", json=body, trust_env=False, timeout=60)
        except httpx.HTTPError as exc:
            failures.append(exc)

    thread = threading.Thread(target=client)
    try:
        thread.start()
        wait_for(started.exists, "the request to reach the engine")
        process.send_signal(signum)
        assert process.stderr is not None
        while "stopping: no new connections" not in process.stderr.readline():
            pass
        process.send_signal(signum)  # the engine still holds the request: release never comes
        assert process.wait(30) == status
        assert process.stderr.read() == (
            "reviewbot serve: stopping now, without finishing the requests in flight\n"
        )
        thread.join(60)
    finally:
        release.touch()
        process.kill()
        process.communicate()
    assert [type(failure) for failure in failures] == [httpx.RemoteProtocolError]


# A server process whose model never finishes loading, run through the CLI's error handler.
LOADING_SCRIPT = """
import time
from reviewbot.commands.serve import run
from reviewbot.config import Config
from reviewbot.error_handler import run_guarded

def load(config):
    while True:  # Python code, as exllamav2's layer-by-layer load is: a signal interrupts it
        time.sleep(0.01)

config = Config(backend="slow", model="m.gguf")
raise SystemExit(run_guarded(lambda: run(config, "127.0.0.1", 0, backend_factory=load)))
"""


def test_ctrl_c_while_loading_stops_at_once_and_closes_the_port(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", LOADING_SCRIPT], cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = re.search(r"http://127\.0\.0\.1:(\d+)/v1", process.stdout.readline())
        assert url is not None
        loading = process.stdout.readline()
        health = httpx.get(f"http://127.0.0.1:{url[1]}/health", trust_env=False)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert (
        loading
        == "reviewbot serve: loading slow model m.gguf; requests get 503 until it is ready\n"
    )
    assert health.status_code == 503
    assert (process.returncode, stdout) == (130, "")
    assert stderr.endswith("reviewbot: interrupted\n")
    assert refuses_connections(int(url[1]))
