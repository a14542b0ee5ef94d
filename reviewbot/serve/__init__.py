"""``reviewbot serve``: an OpenAI-compatible HTTP server over an in-process engine.

Concurrent requests are gathered by a ``Batcher`` into one ``Backend.complete`` call. The
address is bound before the model loads; until ``ReviewServer.ready`` the server answers 503.
"""

from __future__ import annotations

from reviewbot.serve.app import (
    API_KEY_VARIABLE,
    Engine,
    ReviewServer,
    ServeSettings,
    check_bind_address,
    describe_listening,
    serve_until,
    serving,
    wait_until,
)
from reviewbot.serve.batcher import Batcher, BatcherClosed, PromptTooLong, QueueFull
from reviewbot.serve.protocol import RequestRejected, parse_chat_request

__all__ = [
    "API_KEY_VARIABLE",
    "Batcher",
    "BatcherClosed",
    "Engine",
    "PromptTooLong",
    "QueueFull",
    "RequestRejected",
    "ReviewServer",
    "ServeSettings",
    "check_bind_address",
    "describe_listening",
    "parse_chat_request",
    "serve_until",
    "serving",
    "wait_until",
]
