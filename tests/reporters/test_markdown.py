from __future__ import annotations

import io

import pytest
from factories import finding
from markdown_it import MarkdownIt

from reviewbot.reporters.markdown import MarkdownReporter
from reviewbot.types import Placement, Review, Stats


def render(review: Review) -> str:
    out = io.StringIO()
    MarkdownReporter(out).report(review)
    return out.getvalue()


def test_full_review(review: Review) -> None:
    assert render(review) == (
        "## reviewbot review\n"
        "\n"
        "**5 findings** (1 critical, 1 error, 2 warnings, 1 info) in 2 files reviewed.\n"
        "\n"
        "> **Review incomplete:** 1 of 3 chunks failed; their files were not reviewed.\n"
        "\n"
        "> **Note:** 1 model output cut off at the token limit; findings may be missing.\n"
        "\n"
        "### `docs/guide ü.md`\n"
        "\n"
        "- **critical** [security] `docs/guide ü.md:3`: The example prints the token.\n"
        "\n"
        "  Suggested replacement for line 3:\n"
        "\n"
        "  ````\n"
        "  ```sh\n"
        "  echo done\n"
        "  ```\n"
        "  ````\n"
        "\n"
        "### `src/app.py`\n"
        "\n"
        "- **warning** [design] `src/app.py`: Parsing and I/O are mixed in one function.\n"
        "- **error** [bug] `src/app.py:12-13`: Off-by-one: the loop reads past the end.\n"
        "\n"
        "  Suggested replacement for lines 12-13:\n"
        "\n"
        "  ```\n"
        "  for i in range(n):\n"
        "      total += xs[i]\n"
        "  ```\n"
        "- **info** [style] `src/app.py` (removed line 30): "
        "The removed check guarded against None.\n"
        "  (note: moved from line 29, which is not in the diff)\n"
        "\n"
        "### General\n"
        "\n"
        "- **warning** [tests]: The change adds no tests.\n"
        "\n"
        "### Skipped files\n"
        "\n"
        "- `assets/logo.png`: binary file\n"
        "\n"
        "### Failed chunks\n"
        "\n"
        "- `src/db.py`, `src/api.py`: model output was not valid JSON\n"
    )


def code_blocks(markdown: str) -> list[str]:
    """The contents of the fenced code blocks, as a CommonMark parser reads them."""
    return [t.content for t in MarkdownIt("commonmark").parse(markdown) if t.type == "fence"]


def test_suggestions_parse_back_exactly(review: Review) -> None:
    assert code_blocks(render(review)) == [
        "```sh\necho done\n```\n",
        "for i in range(n):\n    total += xs[i]\n",
    ]


@pytest.mark.parametrize("body", ["`", "``x``", "a ```` b", "`````\n``````", "a\n\n    b"])
def test_fence_is_longer_than_any_backtick_run(body: str) -> None:
    item = finding(path="a.md", end_line=1, category="docs", suggestion=body)
    assert code_blocks(render(Review(findings=(item,), stats=Stats(calls=1)))) == [body + "\n"]


def test_paths_with_backticks_stay_code() -> None:
    item = finding(path="a`b.py", line=None, placement=Placement.FILE)
    text = render(Review(findings=(item,), stats=Stats(calls=1)))
    assert "### ``a`b.py``\n" in text
    tokens = MarkdownIt("commonmark").parseInline("``a`b.py``")[0].children or []
    assert [(t.type, t.content) for t in tokens] == [("code_inline", "a`b.py")]


def test_deletion_suggestion() -> None:
    item = finding(line=4, end_line=5, suggestion="")
    assert render(Review(findings=(item,), stats=Stats(calls=1))).endswith(
        "- **info** [c] `a.py:4-5`: m\n\n  Suggested: delete lines 4-5.\n"
    )


def test_all_chunks_failed(failed_review: Review) -> None:
    text = render(failed_review)
    assert text == (
        "## reviewbot review\n"
        "\n"
        "> **Review failed:** all 2 chunks failed; nothing was reviewed.\n"
        "\n"
        "### Failed chunks\n"
        "\n"
        "- `a.py`: backend timed out after 120 s\n"
        "- `b.py`: backend timed out after 120 s\n"
    )
    assert "no findings" not in text.lower()


def test_clean_review() -> None:
    review = Review(stats=Stats(calls=1), reviewed_files=("a.py",))
    assert render(review) == "## reviewbot review\n\nNo findings in 1 file reviewed.\n"
