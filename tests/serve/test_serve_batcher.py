"""Batching: concurrent requests reach Backend.complete together; answers and errors route back."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

import httpx
import pytest

from reviewbot.backends.engine import too_long_completion
from reviewbot.errors import BackendError
from reviewbot.serve import Batcher, BatcherClosed, PromptTooLong, QueueFull
from reviewbot.types import Completion, FinishReason, Message, Request

if TYPE_CHECKING:
    from conftest import GatedBackend, ServerFactory, WaitFor

    from reviewbot.serve import ReviewServer


def queued(server: ReviewServer) -> int:
    """Requests waiting in the server's batcher."""
    assert server.engine is not None
    return server.engine.batcher.queued


def request(text: str) -> Request:
    return Request(messages=(Message("user", text),), max_new_tokens=8)


def concurrent_posts(url: str, count: int) -> tuple[list[threading.Thread], list[httpx.Response]]:
    answers: list[httpx.Response] = []

    def client(index: int) -> None:
        body = {"messages": [{"role": "user", "content": f"chunk {index}"}]}
        answers.append(httpx.post(f"{url}/chat/completions", json=body, trust_env=False))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    return threads, answers


@pytest.mark.parametrize(("max_batch_size", "sizes"), [(8, [1, 7]), (4, [1, 4, 3])])
def test_concurrent_requests_share_complete_calls(
    serve: ServerFactory,
    gated: GatedBackend,
    wait_for: WaitFor,
    max_batch_size: int,
    sizes: list[int],
) -> None:
    with serve(gated, max_batch_size=max_batch_size) as server:
        first, first_answer = concurrent_posts(server.url, 1)
        wait_for(gated.entered.is_set, "the first request to reach the backend")
        others, answers = concurrent_posts(server.url, 7)
        wait_for(lambda: queued(server) == 7, "seven requests to queue")
        gated.release.set()
        for thread in first + others:
            thread.join()
    assert [len(batch) for batch in gated.batches] == sizes
    assert [a.status_code for a in first_answer + answers] == [200] * 8
    sent = {m.content for batch in gated.batches[1:] for r in batch for m in r.messages}
    assert sent == {f"chunk {i}" for i in range(7)}


class Echo:
    """Answers each request with its own text, so routing mistakes show."""

    name = "echo"
    context_window = 64

    def __init__(self, drop_one: bool = False) -> None:
        self.drop_one = drop_one

    def count_tokens(self, text: str) -> int:
        return len(text)

    def complete(self, requests: Sequence[Request]) -> list[Completion]:
        answers = [Completion(r.messages[0].content, FinishReason.STOP) for r in requests]
        return answers[1:] if self.drop_one else answers


def test_results_go_back_to_their_own_request() -> None:
    batcher = Batcher(Echo(), max_wait_s=0.05)
    futures = [batcher.submit(request(f"r{i}")) for i in range(20)]
    texts = [future.result(30).text for future in futures]
    batcher.close()
    assert texts == [f"r{i}" for i in range(20)]


def test_wrong_number_of_completions_fails_the_batch() -> None:
    batcher = Batcher(Echo(drop_one=True))
    future = batcher.submit(request("lost"))
    with pytest.raises(BackendError, match="returned 0 completions for 1 requests"):
        future.result(30)
    batcher.close()


def test_close_finishes_queued_requests_then_refuses(
    gated: GatedBackend, wait_for: WaitFor
) -> None:
    batcher = Batcher(gated, max_batch_size=1)
    futures: list[Future[Completion]] = [batcher.submit(request("a"))]
    wait_for(gated.entered.is_set, "the first batch")
    futures.append(batcher.submit(request("b")))
    closing = threading.Thread(target=batcher.close)
    closing.start()
    wait_for(lambda: not batcher.accepting, "close to start")
    with pytest.raises(BatcherClosed):
        batcher.submit(request("c"))
    gated.release.set()
    closing.join()
    assert [f.result(0).text for f in futures] == ["answer 1", "answer 1"]


def test_queue_limit(gated: GatedBackend, wait_for: WaitFor) -> None:
    batcher = Batcher(gated, max_batch_size=1, max_queue=2)
    batcher.submit(request("running"))
    wait_for(gated.entered.is_set, "the first batch")
    batcher.submit(request("waits 1"))
    batcher.submit(request("waits 2"))
    with pytest.raises(QueueFull, match=r"2 requests already waiting \(limit 2\)"):
        batcher.submit(request("one too many"))
    gated.release.set()
    batcher.close()


class Templated:
    """Counts a word per token and, like the in-process engines, adds its chat template's
    TEMPLATE_TOKENS per message and refuses a prompt that leaves no room for the answer."""

    name = "templated"
    context_window = 100
    TEMPLATE_TOKENS = 5

    def __init__(self) -> None:
        self.requests: list[Request] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def complete(self, requests: Sequence[Request]) -> list[Completion]:
        self.requests += requests
        return [self._answer(r) for r in requests]

    def _answer(self, request: Request) -> Completion:
        prompt = sum(self.count_tokens(m.content) + self.TEMPLATE_TOKENS for m in request.messages)
        if prompt + request.max_new_tokens > self.context_window:
            return too_long_completion(prompt, request.max_new_tokens, 100, fix="shorten it")
        return Completion("ok", FinishReason.STOP, prompt, 1)


def words(count: int, max_new_tokens: int) -> Request:
    return Request(messages=(Message("user", "w " * count),), max_new_tokens=max_new_tokens)


def test_default_max_tokens_shrinks_again_to_the_engines_exact_count() -> None:
    backend = Templated()
    batcher = Batcher(backend)
    answer = batcher.submit(words(60, 1024), fit_window=True).result(30)
    batcher.close()
    assert (answer.text, answer.prompt_tokens) == ("ok", 65)
    # 40 from the messages' 60 tokens; 35 once the engine counted the template's 5 as well
    assert [r.max_new_tokens for r in backend.requests] == [40, 35]


@pytest.mark.parametrize(
    ("request_", "fit_window", "message"),
    [
        (
            words(60, 40),
            False,
            "this model's context window is 100 tokens, but the request needs 105: 65 in the "
            "messages and 40 for the answer (max_tokens)",
        ),
        (
            words(98, 1024),
            True,
            "this model's context window is 100 tokens, but the request needs 104: 103 in the "
            "messages and 1 for the answer (max_tokens)",
        ),
    ],
    ids=["asked", "default"],
)
def test_prompt_the_engine_refuses_as_too_long_is_prompt_too_long(
    request_: Request, fit_window: bool, message: str
) -> None:
    """Not an ERROR completion (a 500 that clients retry), but the 400 the estimate gives."""
    batcher = Batcher(Templated())
    future = batcher.submit(request_, fit_window=fit_window)
    with pytest.raises(PromptTooLong) as caught:
        future.result(30)
    batcher.close()
    assert str(caught.value).startswith(message)
