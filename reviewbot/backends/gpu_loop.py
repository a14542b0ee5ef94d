"""The request loop shared by the exllamav2 and exllamav3 backends (``GpuBackend``).

Both engines' dynamic generators take jobs and are iterated until every job ends; only making a
job differs, which each backend's ``_new_job`` does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reviewbot.backends import engine
from reviewbot.chat_template import ChatTemplate, Segment
from reviewbot.types import Completion, FinishReason, Request


@dataclass(frozen=True)
class Prepared:
    """One request ready for an engine job.

    identifier: the request's index. input_ids: the engine's tensor, shape (1, prompt_tokens).
    stop: end-of-turn token ids, then stop strings (the jobs' ``stop_conditions``).
    """

    identifier: int
    request: Request
    input_ids: Any
    prompt_tokens: int
    stop: tuple[int | str, ...]
    sampling: engine.Sampling


def finish_reason(eos_reason: object) -> FinishReason:
    """The generators' ``eos_reason`` -> FinishReason: only "max_new_tokens" is LENGTH; a stop
    token, stop string or completed JSON filter ("end_filter") is STOP."""
    return FinishReason.LENGTH if eos_reason == "max_new_tokens" else FinishReason.STOP


class GpuBackend:
    """The request loop shared by the exllamav2 and exllamav3 backends.

    Subclasses set ``name`` and implement ``_new_job(prepared) -> job``. The prompt is the chat
    template's rendering, with special tokens recognised in its markup only (never in reviewed
    code) and no extra BOS (templates write their own BOS, as transformers'
    ``apply_chat_template`` assumes). A request that does not fit the
    context window, or whose job the engine refuses, gets a Completion with finish_reason ERROR.
    """

    name = "gpu"

    def __init__(
        self,
        *,
        model: Any,
        generator: Any,
        tokenizer: Any,
        template: ChatTemplate,
        context_window: int,
        eos_ids: Sequence[int],
    ) -> None:
        self._model = model
        self._generator = generator
        self._tokenizer = tokenizer
        self.template = template
        self.context_window = context_window
        self._eos_ids = tuple(dict.fromkeys(eos_ids))
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` by the model's tokenizer (special tokens as text, no BOS)."""
        if not text:
            return 0
        return int(self._tokenizer.encode(text, encode_special_tokens=False).shape[-1])

    def close(self) -> None:
        """Free the model's GPU memory (``Model.unload()`` in both engines)."""
        self._model.unload()

    def complete(self, requests: Sequence[Request]) -> list[Completion]:
        """One Completion per request, in order, all requests batched in the generator.

        seconds: from the start of this call to the end of that request. Raises TemplateError
        when the chat template cannot render a request's messages (before any job is queued).
        """
        prepared = [self._prepare(index, request) for index, request in enumerate(requests)]
        with self._lock:  # one generator: calls from several threads (serve) take turns
            started = time.perf_counter()
            answers, jobs = self._enqueue(prepared, started)
            try:
                answers.update(self._run(jobs, started))
            finally:  # never leave jobs behind for the next call
                if self._generator.num_remaining_jobs():
                    self._generator.clear_queue()
        return [answers[i] for i in range(len(requests))]

    def _enqueue(
        self, prepared: Sequence[Prepared], started: float
    ) -> tuple[dict[int, Completion], dict[int, Prepared]]:
        """Queue a job per request that fits; the others are answered with ERROR at once."""
        answers: dict[int, Completion] = {}
        jobs: dict[int, Prepared] = {}
        for job in prepared:
            if job.prompt_tokens + job.request.max_new_tokens > self.context_window:
                answers[job.identifier] = engine.too_long_completion(
                    job.prompt_tokens,
                    job.request.max_new_tokens,
                    self.context_window,
                    fix="raise context_window / cache_size or review a smaller change",
                )
                continue
            try:  # exllama asserts on jobs it cannot take; llguidance raises ValueError
                self._generator.enqueue(self._new_job(job))
            except (AssertionError, ValueError) as exc:
                answers[job.identifier] = engine.error_completion(
                    exc, time.perf_counter() - started
                )
                continue
            jobs[job.identifier] = job
        return answers, jobs

    def _prepare(self, index: int, request: Request) -> Prepared:
        ids = self._encode(self.template.render_segments(request.messages))
        strings = engine.stop_strings(self.template, request)
        token_ids = engine.stop_token_ids(strings, self._tokenizer.single_id)
        stop: tuple[int | str, ...] = (*dict.fromkeys((*self._eos_ids, *token_ids)), *strings)
        return Prepared(index, request, ids, int(ids.shape[-1]), stop, engine.sampling_for(request))

    def _encode(self, segments: Sequence[Segment]) -> Any:
        """Token ids (a 1 x N tensor) with special tokens recognised in template markup only,
        so reviewed code containing e.g. ``<|im_end|>`` cannot end the turn."""
        parts = [
            self._tokenizer.encode(s.text, add_bos=False, encode_special_tokens=s.markup)
            for s in segments
        ]
        return self._join(parts)

    def _join(self, parts: list[Any]) -> Any:
        """Concatenate 1 x N id tensors along the sequence."""
        import torch  # loaded already: both engines import it

        return torch.cat(parts, dim=-1)

    def _new_job(self, prepared: Prepared) -> Any:
        raise NotImplementedError

    def _run(self, jobs: Mapping[int, Prepared], started: float) -> dict[int, Completion]:
        """Iterate the generator until every job ended; text is the streamed pieces joined, as
        the engines' own ``generate()`` builds it."""
        texts: dict[int, list[str]] = {index: [] for index in jobs}
        done: dict[int, Completion] = {}
        try:
            while self._generator.num_remaining_jobs():
                for result in self._generator.iterate():
                    if result.get("stage") != "streaming":
                        continue
                    index = int(result["identifier"])
                    texts[index].append(str(result.get("text", "")))
                    if result.get("eos"):
                        done[index] = _completion(
                            "".join(texts[index]), result, jobs[index], started
                        )
        # A CUDA error or out-of-memory (RuntimeError) or a failed engine check (AssertionError)
        # ends this batch; requests already answered keep their answers.
        except (RuntimeError, AssertionError) as exc:
            failed = engine.error_completion(exc, time.perf_counter() - started)
            done.update({i: failed for i in jobs if i not in done})
        return done


def _completion(text: str, result: Mapping[str, Any], job: Prepared, started: float) -> Completion:
    return Completion(
        text=text,
        finish_reason=finish_reason(result.get("eos_reason")),
        prompt_tokens=int(result.get("prompt_tokens", job.prompt_tokens)),
        completion_tokens=int(result.get("new_tokens", 0)),
        seconds=time.perf_counter() - started,
    )
