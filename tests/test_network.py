from __future__ import annotations

import socket
from typing import Any

import pytest

from reviewbot.errors import BackendUnavailable, ConfigError, PrivacyError
from reviewbot.network import check_local_endpoint


def resolver(*addresses: str) -> Any:
    """A stand-in for socket.getaddrinfo: answers ``addresses`` and records the lookups."""
    calls: list[tuple[Any, ...]] = []

    def resolve(host: str, port: Any, *rest: Any) -> list[tuple[Any, ...]]:
        calls.append((host, port, *rest))
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


def unresolvable(host: str, *rest: Any) -> list[tuple[Any, ...]]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_public_address_is_refused_with_an_explanation() -> None:
    with pytest.raises(PrivacyError) as caught:
        check_local_endpoint("https://api.example.com/v1", False, resolver("8.8.8.8"))
    assert str(caught.value) == (
        "refusing to send code to api.example.com (resolves to 8.8.8.8): outside your local "
        "network: 8.8.8.8 (not loopback, private or link-local), so your code would leave your "
        "network. If you trust this server with your code, set allow_remote = true in "
        ".reviewbot.toml or under [tool.reviewbot] (or REVIEWBOT_ALLOW_REMOTE=1, or "
        "--allow-remote); otherwise point base_url at a server on your network."
    )


def test_one_public_address_among_local_ones_is_refused() -> None:
    with pytest.raises(PrivacyError, match=r"outside your local network: 203\.0\.113\.9 "):
        check_local_endpoint("http://gpu-box:8000/v1", False, resolver("10.0.0.5", "203.0.113.9"))


def test_resolver_is_asked_for_the_host_and_port() -> None:
    resolve = resolver("192.168.1.20")
    check_local_endpoint("http://gpu-box.lan:8000/v1", False, resolve)
    assert resolve.calls == [("gpu-box.lan", 8000, 0, socket.SOCK_STREAM)]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.3.4.5",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.254",
        "192.168.0.7",
        "169.254.10.10",
        "0.0.0.0",
        "::1",
        "fd12:3456::1",
        "fe80::1%eth0",
        "::ffff:192.168.1.1",
    ],
)
def test_local_addresses_are_accepted(address: str) -> None:
    check_local_endpoint("http://model-server:8080/v1", False, resolver(address))


@pytest.mark.parametrize("address", ["172.32.0.1", "100.64.0.1", "192.0.2.1", "2001:db8::1"])
def test_near_misses_are_refused(address: str) -> None:
    with pytest.raises(PrivacyError):
        check_local_endpoint("http://model-server:8080/v1", False, resolver(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/v1",
        "http://10.0.0.2/v1",
        "http://192.168.1.5:11434",
        "http://[::1]:8080",
    ],
)
def test_ip_literals_need_no_lookup(url: str) -> None:
    check_local_endpoint(url, False, unresolvable)


def test_public_ip_literal_is_refused_without_lookup() -> None:
    with pytest.raises(PrivacyError, match=r"refusing to send code to 8\.8\.4\.4 "):
        check_local_endpoint("http://8.8.4.4:80/v1", False, unresolvable)


def test_allow_remote_lets_a_public_host_through_without_lookup() -> None:
    resolve = resolver("8.8.8.8")
    check_local_endpoint("https://api.example.com/v1", True, resolve)
    assert resolve.calls == []


def test_unresolvable_host_is_unavailable_not_private() -> None:
    with pytest.raises(BackendUnavailable) as caught:
        check_local_endpoint("http://no-such-host.invalid:8080/v1", False, unresolvable)
    assert str(caught.value).startswith("cannot resolve host 'no-such-host.invalid': ")


def test_unix_socket_url_is_local() -> None:
    check_local_endpoint("http+unix://%2Frun%2Fllama.sock/v1", False, unresolvable)


def test_url_without_host_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="has no host"):
        check_local_endpoint("http:///v1", False, unresolvable)


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "ftp://x/v1", "localhost/v1"])
def test_url_that_is_not_http_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="is not an http:// or https:// URL"):
        check_local_endpoint(url, False, unresolvable)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:99999/v1", "Port out of range 0-65535"),
        ("http://127.0.0.1:abc/v1", "Port could not be cast to integer value as 'abc'"),
        ("http://[::1/v1", "Invalid IPv6 URL"),
    ],
)
def test_url_that_does_not_parse_is_a_config_error(url: str, problem: str) -> None:
    for allow_remote in (False, True):
        with pytest.raises(ConfigError) as caught:
            check_local_endpoint(url, allow_remote, unresolvable)
        assert str(caught.value) == (
            f"base_url {url!r} is not a valid URL: {problem}; expected e.g. "
            "http://127.0.0.1:8080/v1"
        )
