from __future__ import annotations

from reviewbot.encoding import decode_source


def test_utf8_has_no_note() -> None:
    assert decode_source("é = 1\n".encode()) == ("é = 1\n", None)


def test_cp1252_fallback_is_noted() -> None:
    assert decode_source(b"caf\xe9 = '\x93'\n") == (
        "café = '\u201c'\n",
        "not valid UTF-8; decoded as cp1252",
    )


def test_bytes_cp1252_lacks_fall_back_to_latin1() -> None:
    assert decode_source(b"\x81\xe9") == ("\x81é", "not valid UTF-8; decoded as latin-1")


def test_bom_is_stripped_only_when_asked() -> None:
    data = b"\xef\xbb\xbfx = 1\n"
    assert decode_source(data, strip_bom=True) == ("x = 1\n", None)
    assert decode_source(data) == ("\ufeffx = 1\n", None)
