"""The local-only guard: reviewbot sends code only to hosts inside the user's network.

A host is local when every address it resolves to is loopback, private (10/8, 172.16/12,
192.168/16, fc00::/7, per RFC 1918 and RFC 4193), link-local (169.254/16, fe80::/10) or the
unspecified address (``0.0.0.0`` / ``::``, which Linux and macOS connect to this machine).
Unix-socket URLs (``unix:`` / ``http+unix:``) never leave the machine.

Known gap: the name is resolved here and again by the HTTP client, so a DNS answer that changes
in between (DNS rebinding) is not caught; pin the address in ``base_url`` if that matters.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from reviewbot.errors import BackendUnavailable, ConfigError, PrivacyError

log = logging.getLogger(__name__)

# The signature of socket.getaddrinfo, loosely: (host, port, family, type, ...) -> 5-tuples.
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Spelled out rather than ``is_private``, which also admits documentation and benchmark ranges.
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)

_UNIX_SCHEMES = ("unix", "http+unix", "https+unix")
_ALLOW_HINT = (
    "If you trust this server with your code, set allow_remote = true in .reviewbot.toml or "
    "under [tool.reviewbot] (or REVIEWBOT_ALLOW_REMOTE=1, or --allow-remote); otherwise point "
    "base_url at a server on your network."
)


def is_local_address(address: IPAddress) -> bool:
    """True for loopback, private, link-local and unspecified addresses (see module docstring)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback or address.is_link_local or address.is_unspecified:
        return True
    return any(address in net for net in PRIVATE_NETWORKS if net.version == address.version)


def check_local_endpoint(
    url: str, allow_remote: bool, resolve: Resolver = socket.getaddrinfo
) -> None:
    """Refuse ``url`` unless its host is inside the local network.

    resolve: ``socket.getaddrinfo`` or a stand-in with its signature (tests inject one so no
    public name is ever looked up). IP literals are checked without resolving.

    Raises PrivacyError when any resolved address is outside the local network and
    ``allow_remote`` is False; BackendUnavailable when the host cannot be resolved;
    ConfigError when ``url`` has no host or does not parse (a bad port, an unclosed ``[``).
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(
            f"base_url {url!r} is not a valid URL: {exc}; expected e.g. http://127.0.0.1:8080/v1"
        ) from None
    if parts.scheme in _UNIX_SCHEMES:
        return
    if parts.scheme not in ("http", "https"):
        raise ConfigError(
            f"base_url {url!r} is not an http:// or https:// URL; expected e.g. "
            "http://127.0.0.1:8080/v1"
        )
    host = parts.hostname
    if not host:
        raise ConfigError(f"base_url {url!r} has no host; expected e.g. http://127.0.0.1:8080/v1")
    if allow_remote:
        log.info("allow_remote is set: not checking that %s is on the local network", host)
        return
    addresses = _addresses(host, port, resolve)
    outside = [a for a in addresses if not is_local_address(a)]
    if outside:
        shown = ", ".join(str(a) for a in addresses)
        raise PrivacyError(
            f"refusing to send code to {host} (resolves to {shown}): outside your local network: "
            f"{', '.join(str(a) for a in outside)} (not loopback, private or link-local), "
            "so your code would leave your network. " + _ALLOW_HINT
        )


def _addresses(host: str, port: int | None, resolve: Resolver) -> list[IPAddress]:
    """The host's addresses: itself when it is an IP literal, else what ``resolve`` answers."""
    literal = _parse_ip(host)
    if literal is not None:
        return [literal]
    try:
        infos = resolve(host, port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BackendUnavailable(
            f"cannot resolve host {host!r}: {exc}; check base_url and your DNS or /etc/hosts"
        ) from exc
    addresses = [a for a in (_parse_ip(str(info[4][0])) for info in infos) if a is not None]
    if not addresses:
        raise BackendUnavailable(f"cannot resolve host {host!r}: no IP addresses returned")
    return addresses


def _parse_ip(text: str) -> IPAddress | None:
    # IPv6 link-local answers carry a zone ("fe80::1%eth0") that ip_address rejects.
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
