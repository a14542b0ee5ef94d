"""Hidden HTML-comment markers that make re-runs idempotent.

Every comment the bot writes carries ``<!-- reviewbot:fp=FINGERPRINT bot=ID -->``; the summary
comment carries ``<!-- reviewbot:summary bot=ID head=SHA -->`` (the last reviewed head, for
``--incremental``). GitHub renders neither. ``ID`` tells two bots sharing a token apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_BOT_ID = "reviewbot"
_FP = re.compile(r"<!-- reviewbot:fp=([0-9a-f]{1,64}) bot=([\w.-]+) -->")
_SUMMARY = re.compile(r"<!-- reviewbot:summary bot=([\w.-]+) head=([0-9a-f]{4,64}) -->")
_REVIEW = re.compile(r"<!-- reviewbot:review bot=([\w.-]+) -->")


@dataclass(frozen=True)
class SummaryMarker:
    bot: str
    head: str


def fingerprint_marker(fingerprint: str, bot: str = DEFAULT_BOT_ID) -> str:
    """``<!-- reviewbot:fp=<fingerprint> bot=<bot> -->``."""
    return f"<!-- reviewbot:fp={fingerprint} bot={bot} -->"


def summary_marker(head: str, bot: str = DEFAULT_BOT_ID) -> str:
    """``<!-- reviewbot:summary bot=<bot> head=<head sha> -->``."""
    return f"<!-- reviewbot:summary bot={bot} head={head} -->"


def review_marker(bot: str = DEFAULT_BOT_ID) -> str:
    """Opens every review body the bot posts, so its reviews can be told from people's."""
    return f"<!-- reviewbot:review bot={bot} -->"


def fingerprints_in(text: str, bot: str = DEFAULT_BOT_ID) -> list[str]:
    """The fingerprints of ``bot``'s markers in ``text``, in order."""
    return [fp for fp, who in _FP.findall(text) if who == bot]


def summary_in(text: str, bot: str = DEFAULT_BOT_ID) -> SummaryMarker | None:
    """The summary marker of ``bot`` in ``text``, or None."""
    for who, head in _SUMMARY.findall(text):
        if who == bot:
            return SummaryMarker(who, head)
    return None


def is_bot_review(text: str, bot: str = DEFAULT_BOT_ID) -> bool:
    return any(who == bot for who in _REVIEW.findall(text))
