"""Fingerprints of findings: one finding keeps its fingerprint across re-runs, two findings of
one review never share one.

Fingerprints mark posted pull-request comments (``github.markers``: a re-run skips what is
already posted and deletes what is gone), are SARIF ``partialFingerprints`` (code scanning
tracks an alert across commits by them) and key the merging of repeats (``anchor``).

A fingerprint is 24 hex characters: a spot part (16) and a message part (8).

- Spot: path, category, side and the code the finding sits on: its first line with
  ``CONTEXT_LINES`` lines either side, from the same version of the file, whitespace-normalized.
  No line numbers or commit SHAs: they move on every push and rebase, and code inserted above a
  finding must not make it new (GitHub's re-run practice). The neighbours tell the same text at
  two places apart (``return None``, ``}``), as GitHub code scanning hashes a line with the text
  after it. One line each side, not more: an edit next to a finding makes it new (the model
  judged new surroundings), an edit further away does not. A range's last line is left out: it
  is the least stable part of a model's answer. A finding not on a line (FILE, SUMMARY) has no
  code there; its spot hashes the code it quoted, if any.
- Message: the set of the message's key words (lowercased, filler words dropped, a plural ``s``
  dropped, order ignored). Two different problems on one line are described with different
  words, so both are posted; a light rewording ("The handle is never closed." / "handle never
  closed") keeps the set, so it is not posted again.

Two alternatives were rejected. Spot alone, with an ordinal among findings sharing a spot, is
stable under any rewording, but when a second finding appears on a commented line, either of
the two may take the ordinal that is already posted: the old text is posted again and the new
one never. The message's full text is distinct but changes with every rewording, and duplicate
comments on every push are the failure reviewers report most.

Rewordings beyond the key words are absorbed where the previous run is known, but only when
the new text says what the posted one said: ``carry_over`` gives a finding whose fingerprint was
not posted the unclaimed posted fingerprint of the same spot whose message's key words are most
alike (``similarity``: Jaccard of the two sets at least ``MIN_SIMILARITY``), or whose suggestion
is the same code; the most alike pairs are matched first, each fingerprint once. Being on the
same spot is never enough: a new problem found on a commented line (beside the old one, or
after the old one was fixed elsewhere) would take the posted fingerprint and never be posted.
The price is that a heavy rewording ("The file handle is never closed." / "Resource leak:
open() result is not released.", no key word shared) is posted again and its old comment,
unanswered, deleted: one comment replaced, where the alternative hides a finding nobody has
seen. Findings that still share a fingerprint (same spot, same key words, different text) are
numbered (``number_repeats``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from reviewbot.types import Finding, Side

CONTEXT_LINES = 1  # lines of code hashed on each side of a finding's first line
SPOT_CHARS = 16  # the spot part's length at the start of a fingerprint
# Two thirds: 4 key words kept of 6 ("The file handle is never closed." / "... closed; use a
# `with` block.") is the same finding; one word of 5 swapped ("never closed" / "never
# flushed", 3 of 5) may be another one, so it is posted. The findings of one line rarely share
# more than a word or two ("never"), so different problems stay far below.
MIN_SIMILARITY = Fraction(2, 3)
_FORMAT = "reviewbot-fp-2"  # changes whenever what is hashed changes
_WORD = re.compile(r"[a-z0-9_]+")
# Words that carry no finding's meaning (articles, forms of "be", prepositions, modals).
_FILLER_WORDS = """a an the this that these those it its is are was were be been being of to in
on at for by with from as and or but so than then here there which who what when where why how
can could should would may might will do does did has have had also just very"""
_FILLER = frozenset(_FILLER_WORDS.split())


def normalize_code(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) made one space, ends stripped."""
    return " ".join(text.split())


def key_words(message: str) -> str:
    """The message's key words, sorted and space-separated: lowercased, filler words (articles,
    forms of "be", prepositions) dropped, a plural ``s`` dropped. Negations stay."""
    words = {_singular(w) for w in _WORD.findall(message.lower()) if w not in _FILLER}
    return " ".join(sorted(words))


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def fingerprint(path: str, category: str, side: Side, window: Sequence[str], message: str) -> str:
    """24 lowercase hex characters: a truncated SHA-256 of path, category, side and the
    whitespace-normalized texts of ``window`` (16), then one of ``key_words(message)`` (8).

    window: for a finding on a line, the ``CONTEXT_LINES`` lines before its first line, that
    line, and the lines after ("" for a line the diff does not show); for one that is not on a
    line, its quoted code alone, or nothing.
    """
    spot = "\0".join((_FORMAT, path, category, side.value, *(normalize_code(t) for t in window)))
    return _digest(spot)[:SPOT_CHARS] + _digest(f"{_FORMAT}\0{key_words(message)}")[:8]


def spot_of(fingerprint: str) -> str:
    """The spot part of ``fingerprint`` (what it was placed on, without the message)."""
    return fingerprint[:SPOT_CHARS]


def next_fingerprint(fingerprint: str) -> str:
    """The fingerprint after ``fingerprint`` for another finding with the same one: same spot."""
    return spot_of(fingerprint) + _digest(f"{_FORMAT}\0next\0{fingerprint}")[:8]


def number_repeats(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` in their order, their fingerprints made unique within each path (every
    fingerprint hashes its path): of findings of one path that share one, the first in (side,
    line, end line, most severe, message) order keeps it, each later one takes the next free one
    after it (``next_fingerprint``).

    Unique fingerprints stay as they are, so numbering numbered findings changes nothing.
    """
    items = list(findings)
    taken: set[tuple[str, str]] = set()
    for index in sorted(range(len(items)), key=lambda i: _order(items[i])):
        path, current = items[index].path, items[index].fingerprint
        while (path, current) in taken:
            current = next_fingerprint(current)
        taken.add((path, current))
        if current != items[index].fingerprint:
            items[index] = replace(items[index], fingerprint=current)
    return items


@dataclass(frozen=True)
class Posted:
    """What a posted comment said, as read back from it: its message (the text the model wrote,
    "" when it could not be read back) and its suggestion's code (None when there was none)."""

    message: str
    suggestion: str | None = None


def similarity(message: str, other: str) -> Fraction:
    """Jaccard similarity of the messages' ``key_words`` sets: shared words / all words, from 0
    (none shared, or both empty) to 1 (the same set)."""
    words, others = set(key_words(message).split()), set(key_words(other).split())
    union = words | others
    return Fraction(len(words & others), len(union)) if union else Fraction(0)


def likeness(finding: Finding, posted: Posted) -> Fraction:
    """How surely ``finding`` says what ``posted`` said: 1 when both suggest the same non-empty
    code (whitespace aside: the posted one was re-indented to the file), else the messages'
    ``similarity``."""
    if finding.suggestion is not None and posted.suggestion is not None:
        code = normalize_code(finding.suggestion)
        if code and code == normalize_code(posted.suggestion):
            return Fraction(1)
    return similarity(finding.message, posted.message)


def carry_over(findings: Iterable[Finding], previous: Mapping[str, Posted]) -> list[Finding]:
    """``findings`` in their order, a reworded one given the fingerprint it was posted under.

    previous: the last run's posted fingerprints -> what each comment said. A finding whose
    fingerprint is not posted and a posted fingerprint of its spot that no finding has are a
    pair when their ``likeness`` is at least ``MIN_SIMILARITY``; pairs are taken most alike
    first (ties in ``number_repeats``'s order, then fingerprint order), each finding and each
    fingerprint once. A finding left unpaired keeps its own fingerprint: it is new, posted."""
    items = list(findings)
    spare: dict[str, list[str]] = {}
    for old in sorted(set(previous) - {f.fingerprint for f in items}):
        spare.setdefault(spot_of(old), []).append(old)
    pairs: list[tuple[Fraction, int, str, int]] = []
    ranked = sorted(range(len(items)), key=lambda i: _order(items[i]))
    for rank, index in enumerate(ranked):
        if items[index].fingerprint in previous:
            continue
        for old in spare.get(spot_of(items[index].fingerprint), ()):
            score = likeness(items[index], previous[old])
            if score >= MIN_SIMILARITY:
                pairs.append((-score, rank, old, index))
    taken: set[str] = set()
    done: set[int] = set()
    for _score, _rank, old, index in sorted(pairs):
        if old not in taken and index not in done:
            items[index] = replace(items[index], fingerprint=old)
            taken.add(old)
            done.add(index)
    return items


def _order(finding: Finding) -> tuple[object, ...]:
    # Line numbers order repeats of one text relatively, which rebases do not change.
    return (
        finding.path,
        finding.side.value,
        finding.line or 0,
        finding.end_line or 0,
        -finding.severity.rank,
        normalize_code(finding.message).lower(),
    )


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
