"""Model-written text made safe to put in Markdown that GitHub (or another forge) renders.

A model's message is untrusted text: raw HTML could hide or restyle a review (``<details>``,
``<!-- -->`` forging the bot's hidden markers) and ``@name`` would notify people. Outside code
spans and fences, ``<`` becomes ``&lt;`` and a mention gets a zero-width space after the ``@``;
code stays exactly as written, since forges render neither HTML nor mentions inside it.
"""

from __future__ import annotations

import re

# a run of backticks, then anything up to the same run: an inline code span or a fence
_CODE = re.compile(r"(`+)(?:.+?)\1", re.DOTALL)
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
ZERO_WIDTH_SPACE = "\u200b"


def neutralize(text: str) -> str:
    """``text`` with HTML and @-mentions defused outside code (see the module docstring)."""
    out: list[str] = []
    position = 0
    for code in _CODE.finditer(text):
        out += [_defuse(text[position : code.start()]), code.group(0)]
        position = code.end()
    out.append(_defuse(text[position:]))
    return "".join(out)


def _defuse(prose: str) -> str:
    return _MENTION.sub("@" + ZERO_WIDTH_SPACE, prose.replace("<", "&lt;"))
