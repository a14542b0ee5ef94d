"""Clients that leave early or lie about their body: one log line each, never a traceback."""

from __future__ import annotations

import json
import logging
import re
import socket
import struct
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import GatedBackend, ServerFactory, WaitFor

BODY = json.dumps({"messages": [{"role": "user", "content": "review"}]}).encode()
STOPPING = "stopping: no new connections; finishing the requests in flight"


def raw_post(port: int, body: bytes, length: int) -> socket.socket:
    """A socket that has sent a chat request claiming ``length`` body bytes."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"
    sock.sendall(head.encode() + body)
    return sock


def logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    records = [r for r in caplog.records if r.name == "reviewbot.serve"]
    assert [r.exc_info for r in records] == [None] * len(records)  # no tracebacks
    return [r.getMessage() for r in records]


def test_client_leaving_before_its_answer_is_one_line(
    serve: ServerFactory,
    gated: GatedBackend,
    wait_for: WaitFor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="reviewbot.serve")
    with serve(gated) as server:
        sock = raw_post(server.server_address[1], BODY, len(BODY))
        wait_for(gated.entered.is_set, "the request to reach the backend")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # linger 0: a reset, as a killed client leaves it
        gated.release.set()
        wait_for(lambda: len(caplog.records) == 2, "the server to try to answer")
    lines = logged(caplog)
    assert len(lines) == 3
    assert re.fullmatch(r"POST /v1/chat/completions 200 in=3 out=2 \d+\.\d{3}s", lines[0])
    assert re.fullmatch(
        r"POST /v1/chat/completions: client disconnected, no answer sent: "
        r"\[Errno (32|104)\] (Broken pipe|Connection reset by peer)",
        lines[1],
    )
    assert lines[2] == STOPPING


def test_body_shorter_than_content_length_is_400(
    serve: ServerFactory, gated: GatedBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="reviewbot.serve")
    with serve(gated) as server:
        sock = raw_post(server.server_address[1], BODY, len(BODY) + 100)
        sock.shutdown(socket.SHUT_WR)  # the body ends here, short of its Content-Length
        with sock, sock.makefile("rb") as answer:
            status = answer.readline()
            body = json.loads(answer.read().split(b"\r\n\r\n", 1)[1])
    assert status == b"HTTP/1.0 400 Bad Request\r\n"
    assert body["error"] == {
        "message": f"request body ended after {len(BODY)} of {len(BODY) + 100} bytes; send a "
        "Content-Length that matches the body",
        "type": "invalid_request_error",
        "code": "length",
    }
    lines = logged(caplog)
    assert re.fullmatch(r"POST /v1/chat/completions 400 in=0 out=0 \d+\.\d{3}s", lines[0])
    assert lines[1:] == [STOPPING]
    assert gated.batches == []


def test_connection_reset_while_reading_headers_is_one_line(
    serve: ServerFactory,
    gated: GatedBackend,
    wait_for: WaitFor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="reviewbot.serve")
    with serve(gated) as server:
        sock = socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=30)
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\n")  # headers never finish
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        wait_for(lambda: len(caplog.records) > 0, "the server to notice")
    lines = logged(caplog)
    assert len(lines) == 2
    assert re.fullmatch(
        r"connection from 127\.0\.0\.1:\d+ closed early: \[Errno 104\] Connection reset by peer",
        lines[0],
    )
    assert lines[1] == STOPPING
