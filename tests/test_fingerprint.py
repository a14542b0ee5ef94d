"""Fingerprints: what they hash, key words, numbering repeats, carrying over rewordings."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from factories import finding

from reviewbot.fingerprint import (
    carry_over,
    fingerprint,
    key_words,
    next_fingerprint,
    normalize_code,
    number_repeats,
    spot_of,
)
from reviewbot.types import Severity, Side

WINDOW = ["def load(path):", "    handle = open(path)", "    return handle.read()"]


def test_fingerprint_is_a_spot_part_and_a_message_part() -> None:
    got = fingerprint("app.py", "bug", Side.RIGHT, WINDOW, "The handle is never closed.")
    head = ["reviewbot-fp-2", "app.py", "bug", "RIGHT"]
    spot = "\0".join([*head, "def load(path):", "handle = open(path)", "return handle.read()"])
    words = "reviewbot-fp-2\0closed handle never"
    assert got == (
        hashlib.sha256(spot.encode()).hexdigest()[:16]
        + hashlib.sha256(words.encode()).hexdigest()[:8]
    )
    assert got == "14b37687383cd9a58307ab3b"
    assert spot_of(got) == got[:16]


def test_whitespace_does_not_count_but_every_other_input_does() -> None:
    base = fingerprint("app.py", "bug", Side.RIGHT, WINDOW, "m")
    spaced = ["def  load(path):", "\thandle =   open(path)", "    return handle.read()\n"]
    assert fingerprint("app.py", "bug", Side.RIGHT, spaced, "m") == base
    others = {
        fingerprint("lib.py", "bug", Side.RIGHT, WINDOW, "m"),
        fingerprint("app.py", "style", Side.RIGHT, WINDOW, "m"),
        fingerprint("app.py", "bug", Side.LEFT, WINDOW, "m"),
        fingerprint("app.py", "bug", Side.RIGHT, ["", *WINDOW[1:]], "m"),
        fingerprint("app.py", "bug", Side.RIGHT, WINDOW, "other"),
    }
    assert base not in others and len(others) == 5
    assert normalize_code("  a \t b\n c ") == "a b c"


def test_key_words_survive_light_rewording_but_not_a_new_meaning() -> None:
    assert key_words("The file handle is never closed.") == "closed file handle never"
    assert key_words("file handles: never closed!") == "closed file handle never"
    assert key_words("Never closed: the `file` handle") == "closed file handle never"
    assert key_words("The file handle is not closed.") == "closed file handle not"
    assert key_words("Class access is ok") == "access class ok"  # "ss" is not a plural
    assert key_words("") == ""


def test_number_repeats_keeps_unique_fingerprints_and_chains_shared_ones() -> None:
    a = finding(line=5, message="b text", fingerprint="s" * 16 + "aaaaaaaa")
    b = finding(line=5, message="a text", fingerprint="s" * 16 + "aaaaaaaa")
    severe = replace(b, message="z", severity=Severity.CRITICAL)
    c = finding(line=9, fingerprint="t" * 24)
    numbered = number_repeats([a, b, c, severe])
    first = "s" * 16 + "aaaaaaaa"
    second = next_fingerprint(first)
    # Order: most severe, then message: severe, b ("a text"), a ("b text").
    assert [f.fingerprint for f in numbered] == [
        next_fingerprint(second),
        second,
        "t" * 24,
        first,
    ]
    assert spot_of(second) == "s" * 16
    assert number_repeats(numbered) == numbered


def test_carry_over_gives_a_reworded_finding_the_posted_fingerprint_of_its_spot() -> None:
    spot = "a" * 16
    kept = finding(line=3, message="kept", fingerprint=spot + "11111111")
    reworded = finding(line=3, message="said anew", fingerprint=spot + "22222222")
    elsewhere = finding(line=8, message="new", fingerprint="b" * 16 + "33333333")
    posted = {spot + "11111111", spot + "99999999", "c" * 24}
    got = carry_over([elsewhere, kept, reworded], posted)
    assert [f.fingerprint for f in got] == [
        "b" * 16 + "33333333",  # no posted fingerprint on its spot: new
        spot + "11111111",  # posted as it is
        spot + "99999999",  # takes the spot's unclaimed posted fingerprint
    ]
    # Each posted fingerprint is taken once, by the first newcomer in message order.
    extra = finding(line=3, message="another", fingerprint=spot + "44444444")
    again = carry_over([kept, reworded, extra], posted)
    assert [f.fingerprint for f in again] == [
        spot + "11111111",
        spot + "22222222",
        spot + "99999999",
    ]
    assert carry_over([kept], set()) == [kept]
