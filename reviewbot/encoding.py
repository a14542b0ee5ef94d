"""Bytes of source code -> text, one file at a time, so one odd file never breaks the others."""

from __future__ import annotations

# cp1252 first: it is what most non-UTF-8 source files are; latin-1 decodes any byte at all.
FALLBACK_ENCODINGS = ("cp1252", "latin-1")


def decode_source(data: bytes, *, strip_bom: bool = False) -> tuple[str, str | None]:
    """(text, note): UTF-8 when valid, else the first fallback that decodes, with a note such as
    ``"not valid UTF-8; decoded as cp1252"`` (None for UTF-8). strip_bom: drop a leading UTF-8
    byte-order mark (whole files; a diff section starts with its header instead)."""
    try:
        return data.decode("utf-8-sig" if strip_bom else "utf-8"), None
    except UnicodeDecodeError:
        pass
    *tried, last = FALLBACK_ENCODINGS
    for encoding in tried:
        try:
            return data.decode(encoding), f"not valid UTF-8; decoded as {encoding}"
        except UnicodeDecodeError:
            continue
    return data.decode(last), f"not valid UTF-8; decoded as {last}"
