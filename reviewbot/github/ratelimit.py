"""How long to wait before retrying a request GitHub refused for rate limits.

Per GitHub's REST docs ("Rate limits for the REST API"): a primary limit answers 403 or 429 with
``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset`` (epoch seconds); a secondary limit answers
403 or 429, with ``retry-after`` (seconds) when GitHub says how long, otherwise "wait at least
one minute".
"""

from __future__ import annotations

from collections.abc import Mapping

SECONDARY_DEFAULT_WAIT = 60.0


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return None


def rate_limit_wait(
    status: int, headers: Mapping[str, str], message: str, now: float
) -> float | None:
    """Seconds to wait before retrying, or None when the answer is not a rate limit.

    now: the current time in epoch seconds (for ``x-ratelimit-reset``).
    """
    if status not in (403, 429):
        return None
    retry_after = _header(headers, "retry-after")
    if retry_after is not None and retry_after.strip().isdigit():
        return float(retry_after.strip())
    remaining = _header(headers, "x-ratelimit-remaining")
    reset = _header(headers, "x-ratelimit-reset")
    if remaining == "0" and reset is not None and reset.strip().isdigit():
        return max(0.0, float(reset.strip()) - now) + 1.0  # +1: the reset second itself
    if status == 429 or "rate limit" in message.lower():
        return SECONDARY_DEFAULT_WAIT
    return None
