"""Token budgeting: pack files into chunks that fit the model's context, list what does not fit.

Per the field's lesson (reserve output tokens and list what did not fit): a chunk never exceeds
the room left after the answer and the prompt, and nothing is cut silently. Whole files are kept
together when they fit; a larger file is split at hunk boundaries; a hunk that cannot fit even
alone is reported as skipped.

Tokens are counted with the backend's own tokenizer (``Backend.count_tokens``) on the same text
the model will see (``diff_text``), never guessed from characters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from reviewbot.diff_text import file_header, format_file_diff, format_hunk, hunk_range
from reviewbot.errors import ConfigError
from reviewbot.types import Chunk, FileDiff, Hunk, Skipped

# Pieces are counted separately but sent joined (and wrapped by the chat template); BPE merges
# across a boundary and the template's role markers are not in ``prompt_overhead``. The margin
# absorbs that: a fixed part for the role markers plus 2% of the window for tokenizer drift.
SAFETY_MARGIN_TOKENS = 32
SAFETY_MARGIN_FRACTION = 0.02
# The user template puts a blank line between files; format_file_diff one between hunks.
FILE_JOIN_TOKENS = 2
HUNK_JOIN_TOKENS = 2


def available_tokens(*, context_window: int, reserve_output: int, prompt_overhead: int) -> int:
    """Tokens left for diff text: window - answer - prompt - safety margin.

    Raises ConfigError when nothing is left, naming the numbers involved.
    """
    margin = SAFETY_MARGIN_TOKENS + int(context_window * SAFETY_MARGIN_FRACTION)
    available = context_window - reserve_output - prompt_overhead - margin
    if available <= 0:
        raise ConfigError(
            f"the context window of {context_window} tokens leaves no room for the diff: "
            f"{reserve_output} are reserved for the answer (max_new_tokens), {prompt_overhead} "
            f"are taken by the prompt and {margin} are kept as a safety margin; use a model or "
            "server with a larger context (context_window) or lower max_new_tokens"
        )
    return available


def make_chunks(
    files: Sequence[FileDiff],
    *,
    count_tokens: Callable[[str], int],
    context_window: int,
    reserve_output: int,
    prompt_overhead: int,
) -> tuple[list[Chunk], list[Skipped]]:
    """Pack ``files`` greedily, in input order, into chunks of at most the available tokens.

    context_window, reserve_output, prompt_overhead: tokens (prompt_overhead = the rendered system
    message plus the user message's framing, counted by the caller with the backend's tokenizer;
    see ``PromptRenderer.overhead_text``). A file that fits a chunk is never split; a file that
    fits no chunk is split into partial FileDiffs (same path, a subset of hunks), filling the
    current chunk first. Every hunk ends up in exactly one chunk or in the skipped list.
    ``Chunk.token_count`` is the sum of the counted pieces, including join allowances.
    Raises ConfigError when no tokens are available at all.
    """
    available = available_tokens(
        context_window=context_window,
        reserve_output=reserve_output,
        prompt_overhead=prompt_overhead,
    )
    packer = _Packer(available)
    skipped: list[Skipped] = []
    for f in files:
        tokens = count_tokens(format_file_diff(f)) + FILE_JOIN_TOKENS
        if tokens <= available:
            packer.add_file(f, tokens)
        elif not f.hunks:
            skipped.append(Skipped(f.path, _too_big("file header", tokens, available)))
        else:
            skipped.extend(_split_file(f, packer, count_tokens))
    return packer.finish(), skipped


@dataclass
class _Packer:
    """The chunks built so far and the one being filled."""

    available: int
    chunks: list[Chunk] = field(default_factory=list)
    files: list[FileDiff] = field(default_factory=list)
    tokens: int = 0

    def room(self) -> int:
        return self.available - self.tokens

    def add_file(self, f: FileDiff, tokens: int) -> None:
        if tokens > self.room():
            self.flush()
        self.files.append(f)
        self.tokens += tokens

    def flush(self) -> None:
        if self.files:
            self.chunks.append(Chunk(files=tuple(self.files), token_count=self.tokens))
        self.files, self.tokens = [], 0

    def finish(self) -> list[Chunk]:
        self.flush()
        return self.chunks


def _split_file(f: FileDiff, packer: _Packer, count_tokens: Callable[[str], int]) -> list[Skipped]:
    """Add ``f``'s hunks to ``packer`` as partial FileDiffs; return the hunks that cannot fit."""
    header = count_tokens(file_header(f)) + FILE_JOIN_TOKENS
    skipped: list[Skipped] = []
    pending: list[Hunk] = []
    pending_tokens = header

    def emit() -> None:
        nonlocal pending, pending_tokens
        if pending:
            packer.add_file(replace(f, hunks=tuple(pending)), pending_tokens)
        pending, pending_tokens = [], header

    for hunk in f.hunks:
        tokens = count_tokens(format_hunk(hunk)) + HUNK_JOIN_TOKENS
        if header + tokens > packer.available:
            what = f"hunk {hunk_range(hunk)}"
            skipped.append(Skipped(f.path, _too_big(what, header + tokens, packer.available)))
            continue
        if pending_tokens + tokens > packer.room():
            emit()
            packer.flush()
        pending.append(hunk)
        pending_tokens += tokens
    emit()
    return skipped


def _too_big(what: str, tokens: int, available: int) -> str:
    return (
        f"{what} does not fit the context window ({tokens} tokens > {available} available); "
        "not reviewed"
    )
