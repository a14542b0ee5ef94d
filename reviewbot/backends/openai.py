"""The ``openai`` backend: any OpenAI-compatible server on the local network.

Works with llama.cpp's server, vLLM, TabbyAPI, LM Studio, Ollama's /v1 and ``reviewbot serve``.
Only the configured endpoint is ever contacted (no telemetry, no cloud fallback): the local-only
guard runs before the first connection, proxies from the environment are ignored (they could
carry code off the network) and redirects are not followed.

Requests run on a thread pool of ``CONCURRENCY`` so servers with continuous batching (vLLM,
llama.cpp with ``--parallel``) can work on several chunks at once; results keep request order.
"""

from __future__ import annotations

import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import httpx

from reviewbot.backends import serverinfo
from reviewbot.backends.structured import (
    AUTO_ORDER,
    check_style,
    is_schema_rejection,
    schema_fields,
)
from reviewbot.config import Config
from reviewbot.errors import BackendTimeout, BackendUnavailable
from reviewbot.network import Resolver, check_local_endpoint
from reviewbot.types import Completion, Request

log = logging.getLogger(__name__)

CONCURRENCY = 4  # requests in flight at once; local servers queue the rest themselves
CONNECT_TIMEOUT = 5.0  # seconds; a local server accepts at once or is not running
# Seconds of read timeout added per prompt token: prompt processing of a 30B model on a
# laptop CPU runs at roughly 50 tokens/s, so 0.02 s/token keeps slow machines inside the limit.
SECONDS_PER_PROMPT_TOKEN = 0.02
BACKOFF_SECONDS = 0.5  # first retry delay; doubles each retry
# Longest wait a server's Retry-After may ask for before we try again (a busy reviewbot serve
# asks for 1 s; a longer wait is better reported than sat through inside a commit).
MAX_RETRY_AFTER = 30.0
# Seconds to wait for the small endpoints (models, props, tokenize), which answer at once.
PROBE_TIMEOUT = 10.0
# Code tokenizes at about 3.5-4 characters per token, so estimates overcount on purpose.
CHARS_PER_TOKEN = 3
# 429 and 5xx mean "try again later" (llama.cpp and reviewbot serve answer 503 with
# Retry-After while loading a model; a probe still answered 503 raises BackendUnavailable).
_RETRY_STATUSES = frozenset({429})
_START_HINT = (
    "Is the server running? Start one with `reviewbot serve --model MODEL.gguf` or llama.cpp's "
    "`llama-server -m MODEL.gguf --port 8080`, and check base_url"
)


def estimate_tokens(text: str) -> int:
    """Conservative token estimate: one token per CHARS_PER_TOKEN characters, rounded up."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _retry_delay(previous: object, attempt: int) -> float:
    """Seconds before retry ``attempt`` (1-based): the server's ``Retry-After`` (seconds form)
    on a 429 or 503, capped at MAX_RETRY_AFTER; otherwise exponential back-off."""
    backoff = float(BACKOFF_SECONDS * 2 ** (attempt - 1))
    if not isinstance(previous, httpx.Response) or previous.status_code not in (429, 503):
        return backoff
    try:
        asked = float(previous.headers.get("retry-after", ""))
    except ValueError:
        return backoff
    return min(max(asked, 0.0), MAX_RETRY_AFTER)


def read_timeout(config: Config, prompt_chars: int) -> float:
    """Seconds to wait for an answer to a prompt of ``prompt_chars`` characters:
    ``min(timeout_cap, timeout + SECONDS_PER_PROMPT_TOKEN * estimate_tokens(prompt))``."""
    tokens = math.ceil(prompt_chars / CHARS_PER_TOKEN)  # estimate_tokens, from the length
    return min(config.timeout_cap, config.timeout + SECONDS_PER_PROMPT_TOKEN * tokens)


class OpenAIBackend:
    """An OpenAI-compatible chat-completions server.

    Construction checks the endpoint is local (PrivacyError otherwise) but opens no connection.
    ``model`` and ``context_window`` are asked of the server on first use and cached; assigning
    either overrides it. Those first uses raise BackendUnavailable when the server is down.
    ``name`` is ``openai:<config.model>`` (``openai`` when the server picks the model), fixed at
    construction so that reading it never touches the network.
    """

    def __init__(
        self,
        config: Config,
        *,
        resolve: Resolver = socket.getaddrinfo,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_local_endpoint(config.base_url, config.allow_remote, resolve)
        check_style(config.structured_output)
        self._config = config
        self._sleep = sleep
        self.base_url = config.base_url.rstrip("/")
        self.root_url = serverinfo.server_root(self.base_url)
        self.name = f"openai:{config.model}" if config.model else "openai"
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        # trust_env=False: an HTTP(S)_PROXY from the environment could carry code off the network.
        self._client = httpx.Client(headers=headers, trust_env=False, follow_redirects=False)
        self._lock = threading.Lock()
        self._model = config.model
        self._context_window = config.context_window
        self._listing: list[dict[str, object]] | None = None
        self._tokenizer: str | None = None  # "llama" | "vllm" | "none" once detected
        self._auto_level = 0  # index into AUTO_ORDER while structured_output is "auto"

    @classmethod
    def from_config(cls, config: Config) -> OpenAIBackend:
        return cls(config)

    def close(self) -> None:
        self._client.close()

    @property
    def model(self) -> str:
        """The model name sent with each request: config.model, else the server's first model."""
        with self._lock:
            if self._model is None:
                ids = [str(entry["id"]) for entry in self._models() if "id" in entry]
                if not ids:
                    raise BackendUnavailable(
                        f"the server at {self.base_url} lists no models (GET /models); "
                        "set model = NAME under [tool.reviewbot]"
                    )
                self._model = ids[0]
            return self._model

    @model.setter
    def model(self, value: str) -> None:
        self._model = value

    @property
    def context_window(self) -> int:
        """Tokens for prompt + answer: config.context_window, else what the server says, else 4096.

        See ``serverinfo`` for which fields of which servers are read.
        """
        if self._context_window is None:
            model = self.model
            with self._lock:
                self._context_window = self._discover_context(model)
        return self._context_window

    @context_window.setter
    def context_window(self, value: int) -> None:
        self._context_window = value

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` by the server's own tokenizer (llama.cpp or vLLM ``/tokenize``),
        else ``estimate_tokens``. The server's flavour is detected on the first call."""
        if not text:
            return 0
        if self._tokenizer is None:
            self._tokenizer, count = self._detect_tokenizer(text)
        elif self._tokenizer != "none":
            count = self._tokenize(self._tokenizer, text)
            if count is None:
                log.warning("tokenizing at %s/tokenize failed; estimating", self.root_url)
        else:
            count = None
        return estimate_tokens(text) if count is None else count

    def complete(self, requests: Sequence[Request]) -> list[Completion]:
        """One Completion per request, in order; see ``Backend`` for the error contract.

        Raises BackendUnavailable when the server cannot be reached after ``config.retries``
        retries, BackendTimeout when a request gets no answer within its timeout.
        """
        if not requests:
            return []
        model = self.model  # resolve once, before the threads start
        workers = min(CONCURRENCY, len(requests))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reviewbot-http") as pool:
            return list(pool.map(lambda request: self._complete_one(model, request), requests))

    # -- one request ------------------------------------------------------------------------

    def _complete_one(self, model: str, request: Request) -> Completion:
        url = f"{self.base_url}/chat/completions"
        timeout = self._timeout(sum(len(m.content) for m in request.messages))
        started = time.monotonic()
        style = self._style()
        response = self._send("POST", url, self._body(model, request, style), timeout)
        while (
            self._config.structured_output == "auto"
            and style != "none"
            and request.json_schema is not None
            and is_schema_rejection(response.status_code, response.text)
        ):
            style = self._reject(style, url, response)
            response = self._send("POST", url, self._body(model, request, style), timeout)
        self._check_authorized(response, url)
        return serverinfo.completion_from_response(response, time.monotonic() - started)

    def _style(self) -> str:
        if self._config.structured_output != "auto":
            return self._config.structured_output
        return AUTO_ORDER[self._auto_level]

    def _reject(self, style: str, url: str, response: httpx.Response) -> str:
        """Move ``auto`` past a style the server refused (once for all threads); the next one."""
        with self._lock:
            level = AUTO_ORDER.index(style) + 1
            if level > self._auto_level:
                self._auto_level = level
                log.warning(
                    "%s rejected the %s way of sending a JSON schema (HTTP %d: %s); trying %s. "
                    "Set structured_output to the style your server takes (structured_outputs "
                    "for vLLM, json_schema for llama.cpp server) to skip this.",
                    url,
                    style,
                    response.status_code,
                    response.text[:200],
                    AUTO_ORDER[level],
                )
            return AUTO_ORDER[max(level, self._auto_level)]

    def _body(self, model: str, request: Request, style: str) -> dict[str, object]:
        body: dict[str, object] = {
            "model": model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": request.max_new_tokens,
            "temperature": request.temperature,
            "seed": request.seed,
            "stream": False,
        }
        if request.stop:
            body["stop"] = list(request.stop)
        body.update(schema_fields(style, request.json_schema))
        return body

    def _timeout(self, prompt_chars: int) -> httpx.Timeout:
        read = read_timeout(self._config, prompt_chars)
        return httpx.Timeout(read, connect=min(CONNECT_TIMEOUT, read))

    def _send(
        self, method: str, url: str, body: dict[str, object] | None, timeout: httpx.Timeout
    ) -> httpx.Response:
        """One HTTP exchange with bounded retries on connection errors, 429 and 5xx.

        Returns the last response (any status). Raises BackendTimeout on a read timeout (not
        retried: the server is likely still busy with it), BackendUnavailable when no
        connection could be made.
        """
        attempts = self._config.retries + 1
        outcome: httpx.Response | httpx.TransportError | None = None
        for attempt in range(attempts):
            if attempt:
                self._sleep(_retry_delay(outcome, attempt))
            try:
                outcome = self._client.request(method, url, json=body, timeout=timeout)
            except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout) as exc:
                raise BackendTimeout(
                    f"no answer from {url} (model {self._model or 'chosen by the server'}) within "
                    f"{timeout.read:.1f} s; the model may be too slow for this prompt on this "
                    "machine: raise timeout / timeout_cap, or review a smaller change"
                ) from exc
            except httpx.TransportError as exc:
                outcome = exc
                continue
            status = outcome.status_code
            if status < 500 and status not in _RETRY_STATUSES:
                return outcome
        if isinstance(outcome, httpx.Response):
            return outcome
        model = self._model or "chosen by the server"
        raise BackendUnavailable(
            f"cannot reach the model server at {url} (model {model}) "
            f"after {attempts} attempt(s): {outcome}. {_START_HINT} ({self.base_url})."
        )

    # -- what the server says about itself --------------------------------------------------

    def _check_authorized(self, response: httpx.Response, url: str) -> None:
        """Raises BackendUnavailable on 401/403: every request would fail the same way."""
        if response.status_code in (401, 403):
            raise BackendUnavailable(
                f"the model server at {self.base_url} refused the request (HTTP "
                f"{response.status_code} on {url}): it needs an API key; set REVIEWBOT_API_KEY "
                "to the server's key (for reviewbot serve, its REVIEWBOT_SERVE_API_KEY)"
            )

    def _check_ready(self, response: httpx.Response, request: str) -> None:
        """Raises BackendUnavailable on 503 (still so after ``_send``'s retries): the server is
        up but cannot answer yet (reviewbot serve and llama.cpp's server while loading the
        model), so every request would fail the same way; not "the server lacks this endpoint",
        which would leave a wrong guess (the default context window, estimated token counts)."""
        if response.status_code != 503:
            return
        raise BackendUnavailable(
            f"the model server at {self.base_url} is not ready (HTTP 503 on {request}: "
            f"{serverinfo.error_message(response)}); it is probably still loading its model: "
            f"try again once {self.root_url}/health answers 200"
        )

    def _probe(self, method: str, url: str, body: dict[str, object] | None = None) -> object:
        """JSON of a 200 answer, else None (the server lacks this endpoint).

        Raises BackendTimeout when the server accepts the connection but does not answer within
        PROBE_TIMEOUT seconds (these endpoints answer at once on a healthy server), and
        BackendUnavailable on 401/403 (a key is needed) and on 503 (not ready: loading)."""
        read = min(PROBE_TIMEOUT, self._config.timeout)
        try:
            response = self._send(method, url, body, httpx.Timeout(read, connect=CONNECT_TIMEOUT))
        except BackendTimeout:
            raise BackendTimeout(
                f"the model server accepted the connection but did not answer {method} {url} "
                f"within {read:g} s; is it stuck or overloaded? Check the server's log, or "
                f"restart it ({self.base_url})"
            ) from None
        self._check_authorized(response, url)
        self._check_ready(response, f"{method} {url}")
        if response.status_code != 200:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    def _models(self) -> list[dict[str, object]]:
        if self._listing is None:
            self._listing = serverinfo.model_entries(self._probe("GET", f"{self.base_url}/models"))
        return self._listing

    def _discover_context(self, model: str) -> int:
        entry = serverinfo.find_entry(self._models(), model)
        found = serverinfo.context_from_entry(entry)
        if found is None or serverinfo.is_llamacpp(entry):
            props = serverinfo.context_from_props(self._probe("GET", f"{self.root_url}/props"))
            found = serverinfo.smaller(props, found)
        if found is None:
            loaded = self._probe("GET", f"{self.base_url}/model")
            found = serverinfo.context_from_entry(loaded if isinstance(loaded, dict) else {})
        if found is None:
            show = self._probe("POST", f"{self.root_url}/api/show", {"model": model})
            found = serverinfo.context_from_ollama(show, model)
        if found is None:
            log.warning(
                "the server at %s does not say its context length; assuming %d tokens. "
                "Set context_window under [tool.reviewbot] to the server's real value.",
                self.base_url,
                serverinfo.DEFAULT_CONTEXT_WINDOW,
            )
            return serverinfo.DEFAULT_CONTEXT_WINDOW
        return found

    def _detect_tokenizer(self, text: str) -> tuple[str, int | None]:
        """(flavour, count of ``text``); flavour "none" when the server cannot tokenize."""
        # llama.cpp's body first: vLLM rejects it (no "prompt"), while llama.cpp would answer
        # vLLM's body with an empty token list.
        for style in ("llama", "vllm"):
            count = self._tokenize(style, text)
            if count:
                return style, count
        log.info(
            "%s has no /tokenize endpoint; estimating tokens as characters / %d",
            self.root_url,
            CHARS_PER_TOKEN,
        )
        return "none", None

    def _tokenize(self, style: str, text: str) -> int | None:
        if style == "llama":
            body: dict[str, object] = {"content": text}
        else:
            body = {"model": self.model, "prompt": text}
        return serverinfo.token_count(self._probe("POST", f"{self.root_url}/tokenize", body))
