"""GitHub's webhook signature: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>``
over the raw request body ("Validating webhook deliveries", GitHub docs)."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(secret: bytes, body: bytes) -> str:
    """The header value GitHub sends for ``body``."""
    return PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str | None) -> bool:
    """True when ``header`` is the signature of ``body``; compared in constant time."""
    if not header or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(
        sign(secret, body).encode("ascii"), header.strip().encode("ascii", "replace")
    )
