"""Fingerprints: what they hash, key words, numbering repeats, carrying over rewordings."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from fractions import Fraction

from factories import finding

from reviewbot.fingerprint import (
    MIN_SIMILARITY,
    Posted,
    carry_over,
    fingerprint,
    key_words,
    likeness,
    next_fingerprint,
    normalize_code,
    number_repeats,
    similarity,
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


LEAK = "The file handle is never closed."
SPOT = "a" * 16


def test_similarity_is_the_jaccard_index_of_the_key_words() -> None:
    assert similarity(LEAK, "handle: file never closed") == 1
    # 4 shared of 5 and of 6 key words: the same finding said with more words.
    assert similarity(LEAK, "The file handle opened here is never closed.") == Fraction(4, 5)
    with_block = similarity(LEAK, "The file handle is never closed; use a `with` block.")
    assert with_block == Fraction(2, 3)
    # One word of five swapped: maybe another problem.
    flushed = similarity(LEAK, "The file handle is never flushed.")
    assert flushed == Fraction(3, 5)
    # Other problems on the same line, and a heavy rewording.
    assert similarity(LEAK, "`path` is never validated.") == Fraction(1, 6)
    assert similarity(LEAK, "Resource leak: open() result is not released.") == 0
    assert similarity("", "") == 0
    # The threshold lies between the two: adding words matches, swapping one does not.
    assert with_block >= MIN_SIMILARITY > flushed


def test_likeness_counts_the_same_suggestion_as_the_same_finding() -> None:
    fix = "with open(path) as handle:\n    return handle.read()"
    reworded = finding(message="Resource leak: open() result is not released.", suggestion=fix)
    # The posted suggestion was re-indented to the file: whitespace does not count.
    indented = "    with open(path) as handle:\n        return handle.read()"
    assert likeness(reworded, Posted(LEAK, indented)) == 1
    assert likeness(reworded, Posted(LEAK, "handle.close()")) == 0
    assert likeness(reworded, Posted(LEAK)) == 0
    # An empty suggestion (delete the lines) says nothing about the problem.
    deleting = finding(message=LEAK + " Really.", suggestion="")
    assert likeness(deleting, Posted(LEAK, "")) == Fraction(4, 5)


def test_carry_over_passes_a_posted_fingerprint_only_to_a_finding_saying_the_same() -> None:
    posted = {SPOT + "11111111": Posted(LEAK), "c" * 24: Posted("Unused import.")}
    light = finding(line=3, message="The file handle opened here is never closed.")
    light = replace(light, fingerprint=SPOT + "22222222")
    new = finding(line=3, message="`path` is never validated.", fingerprint=SPOT + "33333333")
    heavy = finding(line=3, message="Resource leak: open() result is not released.")
    heavy = replace(heavy, fingerprint=SPOT + "44444444")
    # The new finding sorts first, yet only the rewording takes the posted fingerprint.
    assert [f.fingerprint for f in carry_over([new, light], posted)] == [
        SPOT + "33333333",
        SPOT + "11111111",
    ]
    # Neither a new finding nor a heavy rewording takes it: both are posted.
    assert [f.fingerprint for f in carry_over([new, heavy], posted)] == [
        SPOT + "33333333",
        SPOT + "44444444",
    ]
    assert [f.fingerprint for f in carry_over([new], posted)] == [SPOT + "33333333"]


def test_carry_over_keeps_exact_matches_and_never_crosses_spots() -> None:
    kept = finding(line=3, message=LEAK, fingerprint=SPOT + "11111111")
    light = finding(line=3, message="file handle never closed!", fingerprint=SPOT + "22222222")
    elsewhere = finding(line=8, message=LEAK, fingerprint="b" * 16 + "33333333")
    posted = {SPOT + "11111111": Posted(LEAK), SPOT + "99999999": Posted("")}
    got = carry_over([elsewhere, kept, light], posted)
    assert [f.fingerprint for f in got] == [
        "b" * 16 + "33333333",  # no posted fingerprint on its spot
        SPOT + "11111111",  # posted as it is; not given to the alike ``light``
        SPOT + "22222222",  # the spot's spare comment could not be read back: no match
    ]
    assert carry_over([kept], {}) == [kept]


def test_carry_over_matches_the_most_alike_pairs_first() -> None:
    posted = {
        SPOT + "p1p1p1p1": Posted("alpha beta gamma delta"),
        SPOT + "p2p2p2p2": Posted("beta gamma"),
    }
    first = finding(line=3, message="alpha beta gamma", fingerprint=SPOT + "n1n1n1n1")
    second = finding(
        line=3, message="alpha beta gamma delta epsilon", fingerprint=SPOT + "n2n2n2n2"
    )
    # first~p1 3/4, first~p2 2/3, second~p1 4/5, second~p2 2/5. Taking pairs in the findings'
    # order would give p1 to ``first`` and leave ``second`` unmatched.
    got = carry_over([second, first], posted)
    assert [f.fingerprint for f in got] == [SPOT + "p1p1p1p1", SPOT + "p2p2p2p2"]
    # Each posted fingerprint once: a third alike finding keeps its own.
    third = finding(line=3, message="alpha beta gamma zeta", fingerprint=SPOT + "n3n3n3n3")
    got = carry_over([first, second, third], posted)
    assert [f.fingerprint for f in got] == [
        SPOT + "p2p2p2p2",
        SPOT + "p1p1p1p1",
        SPOT + "n3n3n3n3",
    ]
