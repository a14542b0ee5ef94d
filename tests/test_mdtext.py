from __future__ import annotations

from reviewbot.mdtext import ZERO_WIDTH_SPACE, neutralize


def test_html_and_mentions_are_defused_in_prose() -> None:
    text = "Ping @octocat <details><summary>x</summary></details> <!-- reviewbot:fp=1 -->"
    assert neutralize(text) == (
        f"Ping @{ZERO_WIDTH_SPACE}octocat &lt;details>&lt;summary>x&lt;/summary>&lt;/details> "
        "&lt;!-- reviewbot:fp=1 -->"
    )


def test_code_spans_and_fences_stay_exact() -> None:
    text = "Use `a < b` and ``x @y`` here:\n```py\nif a < b: f(@dec)\n```\nthen <b>"
    assert neutralize(text) == (
        "Use `a < b` and ``x @y`` here:\n```py\nif a < b: f(@dec)\n```\nthen &lt;b>"
    )


def test_email_like_and_lone_at_signs() -> None:
    assert neutralize("mail a@b.c, costs 3 @ 5") == f"mail a@{ZERO_WIDTH_SPACE}b.c, costs 3 @ 5"
