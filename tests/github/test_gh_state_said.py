"""What each posted finding said, read back from the comments and review bodies the payload
builder writes (``state.inline_said``, ``state.item_said``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reviewbot.diff import parse_diff
from reviewbot.fingerprint import Posted
from reviewbot.github.payload import PayloadOptions, ReviewPayload, build_payload
from reviewbot.github.state import inline_said, item_said
from reviewbot.types import Finding, Placement, Review, Severity, Side

HEAD = "def f(x):\n    total = x\n    return total\n"
DIFF = (
    b"diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -0,0 +1,3 @@\n"
    b"+def f(x):\n+    total = x\n+    return total\n"
)
# Model text with what neutralize escapes ("<", "@name"), a code span, and a second line.
MESSAGE = "`total` shadows <nothing> but @alice asked for `sum(x)`.\nSecond line."


def _finding(line: int | None, fp: str, **fields: Any) -> Finding:
    base = Finding(
        "a.py", line, None, Side.RIGHT, Severity.WARNING, "bug", MESSAGE, None, fp,
        Placement.INLINE if line else Placement.FILE,
    )  # fmt: skip
    return replace(base, **fields)


def _payload(*findings: Finding) -> ReviewPayload:
    files, _ = parse_diff(DIFF)
    review = Review(findings=findings, reviewed_files=("a.py",))
    options = PayloadOptions(max_inline=1)
    return build_payload(review, {f.path: f for f in files}, "f" * 40, lambda _: HEAD, options)


def test_an_inline_comment_gives_back_its_message_and_suggestion() -> None:
    inline = _finding(2, "aa", suggestion="total = sum(x)", note="moved from line 3")
    [comment] = _payload(inline).comments
    assert "&lt;nothing&gt;" not in comment["body"] and "&lt;nothing>" in comment["body"]
    # The suggestion was re-indented to the file before it was posted.
    assert inline_said(comment["body"], "aa", "reviewbot") == Posted(MESSAGE, "    total = sum(x)")
    assert inline_said(comment["body"], "aa", "other-bot") == Posted("")
    assert inline_said(comment["body"], "bb", "reviewbot") == Posted("")


def test_review_body_items_give_back_their_messages_and_suggestions() -> None:
    inline = _finding(3, "aa", severity=Severity.ERROR, message="Severe.")
    over = _finding(2, "bb", suggestion="total = sum(x)", note="moved from line 3")
    whole_file = _finding(None, "cc", message="No tests for `f`.")
    payload = _payload(inline, over, whole_file)
    assert payload.inline_fingerprints == ("aa",)
    assert "```diff\n-    total = x\n+    total = sum(x)\n```" in payload.body.replace("\n  ", "\n")
    # A diff block's new side is the suggestion.
    assert item_said(payload.body, "bb", "reviewbot") == Posted(MESSAGE, "    total = sum(x)")
    assert item_said(payload.body, "cc", "reviewbot") == Posted("No tests for `f`.")
    assert item_said(payload.body, "aa", "reviewbot") == Posted("")


def test_text_of_another_shape_reads_back_as_nothing() -> None:
    body = "Someone edited this.\n\n<!-- reviewbot:fp=aa bot=reviewbot -->"
    assert inline_said(body, "aa", "reviewbot") == Posted("")
    assert item_said(
        "- plain item\n  <!-- reviewbot:fp=aa bot=reviewbot -->", "aa", "reviewbot"
    ) == (Posted(""))
