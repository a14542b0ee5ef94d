from __future__ import annotations

from collections import Counter

import pytest

from reviewbot.budget import available_tokens, make_chunks
from reviewbot.diff_text import format_file_diff
from reviewbot.errors import ConfigError
from reviewbot.types import DiffLine, FileDiff, FileStatus, Hunk, LineKind

# 1000 - 100 (answer) - 48 (prompt) - 52 (margin: 32 + 2% of 1000) = 800 tokens for the diff.
WINDOW = {"context_window": 1000, "reserve_output": 100, "prompt_overhead": 48}
AVAILABLE = 800


def words(text: str) -> int:
    """A whitespace tokenizer: every word is one token. Deterministic, so counts are exact."""
    return len(text.split())


def hunk(start: int, added: int) -> Hunk:
    """A hunk of ``added`` one-word added lines: 4 header tokens + 3 tokens per line."""
    lines = tuple(DiffLine(LineKind.ADD, None, start + i, f"w{i}") for i in range(added))
    return Hunk(start, 0, start, added, "", lines)


def file(path: str, *sizes: int) -> FileDiff:
    """A file whose header is 4 tokens ("## File: PATH (modified)"), with hunks of ``sizes``."""
    hunks = tuple(hunk(1000 * (i + 1), n) for i, n in enumerate(sizes))
    return FileDiff(path, None, FileStatus.MODIFIED, hunks)


def test_available_subtracts_answer_prompt_and_margin() -> None:
    assert available_tokens(**WINDOW) == AVAILABLE
    assert available_tokens(context_window=32768, reserve_output=1024, prompt_overhead=900) == (
        32768 - 1024 - 900 - (32 + 655)
    )


def test_whole_files_are_packed_greedily_in_input_order() -> None:
    # each file: 4 header + 4 hunk header + 3*100 lines + 2 join = 310 tokens
    files = [file("a.py", 100), file("b.py", 100), file("c.py", 100), file("d.py", 10)]
    assert words(format_file_diff(files[0])) == 308
    chunks, skipped = make_chunks(files, count_tokens=words, **WINDOW)
    assert skipped == []
    assert [[f.path for f in c.files] for c in chunks] == [["a.py", "b.py"], ["c.py", "d.py"]]
    assert [c.token_count for c in chunks] == [620, 310 + 40]
    assert chunks[0].files[0] is files[0]  # whole files pass through untouched


def test_a_file_too_big_for_one_chunk_is_split_at_hunk_boundaries() -> None:
    # 5 hunks of 4 + 3*60 + 2 = 186 tokens each; header 4 + 2 = 6; whole file 936 > 800
    small = file("small.py", 50)  # 4 + 4 + 150 + 2 = 160 tokens
    big = file("big.py", 60, 60, 60, 60, 60)
    chunks, skipped = make_chunks([small, big], count_tokens=words, **WINDOW)
    assert skipped == []
    layout = [[(f.path, [h.new_start for h in f.hunks]) for f in c.files] for c in chunks]
    assert layout == [
        [("small.py", [1000]), ("big.py", [1000, 2000, 3000])],  # 160 + 6 + 3*186 = 724
        [("big.py", [4000, 5000])],  # 6 + 2*186 = 378
    ]
    assert [c.token_count for c in chunks] == [724, 378]
    assert all(c.token_count <= AVAILABLE for c in chunks)
    assert chunks[1].files[0].status is FileStatus.MODIFIED


def test_a_hunk_that_cannot_fit_alone_is_skipped_with_the_reason() -> None:
    f = file("huge.py", 10, 300, 10)  # the middle hunk: 6 + 4 + 900 + 2 = 912 > 800
    chunks, skipped = make_chunks([f], count_tokens=words, **WINDOW)
    assert [s.path for s in skipped] == ["huge.py"]
    assert skipped[0].reason == (
        "hunk @@ -2000,0 +2000,300 @@ does not fit the context window "
        "(912 tokens > 800 available); not reviewed"
    )
    assert [[h.new_start for h in c.files[0].hunks] for c in chunks] == [[1000, 3000]]


def test_every_hunk_appears_exactly_once_across_chunks_and_skipped() -> None:
    files = [
        file("a.py", 5, 90, 7),
        file("b.py", 250, 20),  # 824 tokens: split into two pieces
        file("c.py", 400),
        FileDiff("logo.png", None, FileStatus.ADDED, is_binary=True),
        file("d.py", 100, 100, 100, 100, 3),
        file("e.py", 1),
    ]
    chunks, skipped = make_chunks(files, count_tokens=words, **WINDOW)
    placed = Counter((f.path, h) for c in chunks for f in c.files for h in f.hunks)
    by_header = {
        (f.path, f"hunk @@ -{h.old_start},{h.old_len} +{h.new_start},{h.new_len} @@"): h
        for f in files
        for h in f.hunks
    }
    lost = Counter((s.path, by_header[s.path, s.reason.split(" does not")[0]]) for s in skipped)
    assert placed + lost == Counter((f.path, h) for f in files for h in f.hunks)
    assert max(placed.values()) == 1
    assert [s.path for s in skipped] == ["c.py"]
    assert [f.path for c in chunks for f in c.files].count("b.py") == 2
    assert [f.path for c in chunks for f in c.files if not f.hunks] == ["logo.png"]
    assert all(c.token_count <= AVAILABLE for c in chunks)
    order = [f.path for c in chunks for f in c.files]
    assert order == sorted(order, key=lambda p: [f.path for f in files].index(p))


def test_no_room_for_the_diff_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        make_chunks(
            [file("a.py", 1)],
            count_tokens=words,
            context_window=2048,
            reserve_output=1024,
            prompt_overhead=960,
        )
    assert str(info.value) == (
        "the context window of 2048 tokens leaves no room for the diff: 1024 are reserved for "
        "the answer (max_new_tokens), 960 are taken by the prompt and 72 are kept as a safety "
        "margin; use a model or server with a larger context (context_window) or lower "
        "max_new_tokens"
    )


def test_counting_is_linear_whole_files_once_hunks_only_when_splitting() -> None:
    calls: list[str] = []

    def counting(text: str) -> int:
        calls.append(text)
        return words(text)

    files = [file("a.py", 10), file("big.py", 60, 60, 60, 60, 60)]
    make_chunks(files, count_tokens=counting, **WINDOW)
    # a.py once; big.py once whole, then its header and each of its 5 hunks
    assert len(calls) == 1 + 1 + 1 + 5
