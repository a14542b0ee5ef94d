"""The openai backend against a real HTTP server on 127.0.0.1 (tests/httpserver.py)."""

from __future__ import annotations

import dataclasses
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from reviewbot.backends import create_backend
from reviewbot.backends.openai import OpenAIBackend, read_timeout
from reviewbot.config import Config
from reviewbot.errors import BackendTimeout, BackendUnavailable, ConfigError, PrivacyError
from reviewbot.types import Completion, FinishReason, Message, Request

SCHEMA = {"type": "object", "properties": {"findings": {"type": "array"}}, "required": ["findings"]}
SCHEMA_KEYS = ("response_format", "structured_outputs", "json_schema")
REQUEST = Request(
    messages=(Message("system", "You review code."), Message("user", "+ x = 1\n+ y = x / 0")),
    max_new_tokens=512,
    json_schema=SCHEMA,
    stop=("</answer>",),
    seed=7,
    temperature=0.0,
)


def backend_for(server: Any, sleeps: list[float] | None = None, **changes: Any) -> OpenAIBackend:
    """A backend for ``server``; sleeps records the retry back-off instead of sleeping."""
    fields: dict[str, Any] = {"base_url": server.base_url, "model": "test-model", "retries": 2}
    fields.update(changes)
    recorded = [] if sleeps is None else sleeps
    return OpenAIBackend(Config(**fields), sleep=recorded.append)


def untimed(completion: Completion) -> Completion:
    return dataclasses.replace(completion, seconds=0.0)


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A base_url on 127.0.0.1 whose port is bound but not listening: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


# -- what the server receives ---------------------------------------------------------------


def test_sends_messages_limits_seed_stop_and_auth(scripted_server: Any) -> None:
    scripted_server.reply('{"findings": []}', prompt_tokens=40, completion_tokens=5)
    backend = backend_for(scripted_server, api_key="sekret", structured_output="response_format")
    [completion] = backend.complete([REQUEST])
    assert untimed(completion) == Completion('{"findings": []}', FinishReason.STOP, 40, 5)
    [received] = scripted_server.chat_requests
    assert received.headers["Authorization"] == "Bearer sekret"
    assert received.body == {
        "model": "test-model",
        "messages": [
            {"role": "system", "content": "You review code."},
            {"role": "user", "content": "+ x = 1\n+ y = x / 0"},
        ],
        "max_tokens": 512,
        "temperature": 0.0,
        "seed": 7,
        "stream": False,
        "stop": ["</answer>"],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "review_findings", "schema": SCHEMA, "strict": True},
        },
    }


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        (
            "auto",
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "review_findings", "schema": SCHEMA, "strict": True},
                }
            },
        ),
        ("structured_outputs", {"structured_outputs": {"json": SCHEMA}}),
        ("json_schema", {"json_schema": SCHEMA}),
        ("none", {}),
    ],
)
def test_schema_in_each_server_style(
    scripted_server: Any, style: str, expected: dict[str, Any]
) -> None:
    backend_for(scripted_server, structured_output=style).complete([REQUEST])
    body = scripted_server.chat_requests[0].body
    assert {key: body[key] for key in SCHEMA_KEYS if key in body} == expected


def test_no_schema_sends_no_schema_field(scripted_server: Any) -> None:
    backend_for(scripted_server).complete([dataclasses.replace(REQUEST, json_schema=None, stop=())])
    body = scripted_server.chat_requests[0].body
    assert [key for key in (*SCHEMA_KEYS, "stop") if key in body] == []
    assert "Authorization" not in scripted_server.chat_requests[0].headers


def test_results_keep_request_order(scripted_server: Any) -> None:
    scripted_server.responder = lambda body: body["messages"][-1]["content"].upper()
    requests = [
        dataclasses.replace(REQUEST, messages=(Message("user", f"r{i}"),)) for i in range(7)
    ]
    answers = backend_for(scripted_server).complete(requests)
    assert [a.text for a in answers] == [f"R{i}" for i in range(7)]
    assert len(scripted_server.chat_requests) == 7


def test_empty_batch_sends_nothing(scripted_server: Any) -> None:
    assert backend_for(scripted_server, model=None).complete([]) == []
    assert scripted_server.requests == []


def test_proxy_environment_is_ignored(
    scripted_server: Any, monkeypatch: Any, refused_url: str
) -> None:
    proxy = refused_url.removesuffix("/v1")
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    [completion] = backend_for(scripted_server).complete([REQUEST])
    assert completion.finish_reason is FinishReason.STOP


# -- model and context window -------------------------------------------------------------


def test_model_defaults_to_the_first_listed_and_is_asked_once(scripted_server: Any) -> None:
    scripted_server.models = [{"id": "qwen-coder"}, {"id": "other"}]
    backend = backend_for(scripted_server, model=None)
    assert scripted_server.requests == []  # constructing talks to nobody
    backend.complete([REQUEST])
    backend.complete([REQUEST])
    assert [r.body["model"] for r in scripted_server.chat_requests] == ["qwen-coder", "qwen-coder"]
    assert scripted_server.paths.count("GET /v1/models") == 1


def test_no_models_listed_and_none_configured(scripted_server: Any) -> None:
    scripted_server.models = None
    with pytest.raises(
        BackendUnavailable, match=r"lists no models \(GET /models\); set model = NAME"
    ):
        backend_for(scripted_server, model=None).complete([REQUEST])


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"id": "test-model", "max_model_len": 32768}, 32768),  # vLLM
        ({"id": "test-model", "context_length": 16000}, 16000),  # LM Studio and others
        ({"id": "test-model", "parameters": {"max_seq_len": 12288}}, 12288),  # TabbyAPI card
    ],
)
def test_context_window_from_the_models_listing(
    scripted_server: Any, entry: dict[str, Any], expected: int
) -> None:
    scripted_server.models = [{"id": "other", "max_model_len": 1}, entry]
    assert backend_for(scripted_server).context_window == expected
    assert scripted_server.paths == ["GET /v1/models"]


def test_llamacpp_slot_context_from_props_beats_training_length(scripted_server: Any) -> None:
    scripted_server.models = [{"id": "test-model", "meta": {"n_ctx_train": 32768}}]
    scripted_server.props = {"default_generation_settings": {"n_ctx": 8192}}
    assert backend_for(scripted_server).context_window == 8192
    assert scripted_server.paths == ["GET /v1/models", "GET /props"]


def test_tabbyapi_loaded_model_card(scripted_server: Any) -> None:
    scripted_server.models = [{"id": "test-model"}]
    scripted_server.model_card = {"id": "test-model", "parameters": {"max_seq_len": 24576}}
    assert backend_for(scripted_server).context_window == 24576
    assert scripted_server.paths == ["GET /v1/models", "GET /props", "GET /v1/model"]


def test_ollama_num_ctx_capped_by_training_length(scripted_server: Any) -> None:
    scripted_server.models = [{"id": "test-model", "owned_by": "library"}]
    scripted_server.ollama_show = {
        "model_info": {"qwen2.context_length": 32768},
        "parameters": 'stop "<|im_end|>"\nnum_ctx                        8192',
    }
    backend = backend_for(scripted_server)
    assert backend.context_window == 8192
    assert scripted_server.requests[-1].body == {"model": "test-model"}


def test_ollama_without_num_ctx_assumes_its_default(scripted_server: Any, caplog: Any) -> None:
    scripted_server.models = [{"id": "test-model"}]
    scripted_server.ollama_show = {"model_info": {"llama.context_length": 131072}}
    with caplog.at_level(logging.WARNING):
        assert backend_for(scripted_server).context_window == 2048
    assert "sets no num_ctx" in caplog.text


def test_context_window_unknown_falls_back_to_4096_with_a_warning(
    scripted_server: Any, caplog: Any
) -> None:
    scripted_server.models = [{"id": "test-model"}]
    with caplog.at_level(logging.WARNING):
        assert backend_for(scripted_server).context_window == 4096
    assert "does not say its context length; assuming 4096 tokens" in caplog.text


def test_configured_context_window_wins_without_asking(scripted_server: Any) -> None:
    assert backend_for(scripted_server, context_window=12345).context_window == 12345
    assert scripted_server.requests == []


# -- token counting -------------------------------------------------------------------------


def test_llamacpp_tokenizer_detected_once(scripted_server: Any) -> None:
    scripted_server.tokenizer = "llama"
    backend = backend_for(scripted_server)
    assert [backend.count_tokens("a b c"), backend.count_tokens("d e")] == [3, 2]
    assert scripted_server.paths == ["POST /tokenize", "POST /tokenize"]
    assert scripted_server.requests[0].body == {"content": "a b c"}


def test_vllm_tokenizer_detected_once(scripted_server: Any) -> None:
    scripted_server.tokenizer = "vllm"
    backend = backend_for(scripted_server)
    assert [backend.count_tokens("a b c"), backend.count_tokens("d e")] == [3, 2]
    assert scripted_server.paths == ["POST /tokenize"] * 3
    assert scripted_server.requests[1].body == {"model": "test-model", "prompt": "a b c"}


def test_no_tokenizer_estimates_a_token_per_three_characters(
    scripted_server: Any, caplog: Any
) -> None:
    backend = backend_for(scripted_server)
    with caplog.at_level(logging.INFO):
        counts = [
            backend.count_tokens("abcdefg"),
            backend.count_tokens("abc"),
            backend.count_tokens(""),
        ]
    assert counts == [3, 1, 0]
    assert scripted_server.paths == ["POST /tokenize", "POST /tokenize"]  # detection only
    assert caplog.text.count("no /tokenize endpoint") == 1


# -- failures -------------------------------------------------------------------------------


def test_server_error_is_retried_then_an_error_completion(scripted_server: Any) -> None:
    for _ in range(3):
        scripted_server.fail(500, "model crashed" + "!" * 300)
    sleeps: list[float] = []
    [completion] = backend_for(scripted_server, sleeps).complete([REQUEST])
    assert untimed(completion) == Completion(
        "",
        FinishReason.ERROR,
        error=f"HTTP 500 from {scripted_server.base_url}/chat/completions: model crashed"
        + "!" * 187,
    )
    assert len(scripted_server.chat_requests) == 3
    assert sleeps == [0.5, 1.0]


def test_server_error_then_success(scripted_server: Any) -> None:
    scripted_server.fail(503, "loading model")
    scripted_server.reply('{"findings": [1]}')
    [completion] = backend_for(scripted_server).complete([REQUEST])
    assert (completion.text, completion.finish_reason) == ('{"findings": [1]}', FinishReason.STOP)
    assert len(scripted_server.chat_requests) == 2


def test_client_error_is_not_retried_and_others_go_on(scripted_server: Any) -> None:
    scripted_server.fail(400, '{"error": "temperature must be a number"}')
    sleeps: list[float] = []
    answers = backend_for(scripted_server, sleeps).complete([REQUEST])
    assert [untimed(a) for a in answers] == [
        Completion(
            "",
            FinishReason.ERROR,
            error=f"HTTP 400 from {scripted_server.base_url}/chat/completions: "
            '{"error": "temperature must be a number"}',
        )
    ]
    assert (len(scripted_server.chat_requests), sleeps) == (1, [])


def test_one_failing_request_does_not_stop_the_batch(scripted_server: Any) -> None:
    scripted_server.fail(422, "bad request")
    scripted_server.reply("second")
    backend = backend_for(scripted_server)
    backend_one_at_a_time = [backend.complete([REQUEST])[0], backend.complete([REQUEST])[0]]
    assert [a.finish_reason for a in backend_one_at_a_time] == [
        FinishReason.ERROR,
        FinishReason.STOP,
    ]


def test_html_answer_is_an_error_completion(scripted_server: Any) -> None:
    scripted_server.html("<html><body>Web UI</body></html>")
    [completion] = backend_for(scripted_server).complete([REQUEST])
    assert completion.finish_reason is FinishReason.ERROR
    assert completion.error == (
        f"the server at {scripted_server.base_url}/chat/completions did not answer JSON "
        "(text/html: '<html><body>Web UI</body></html>'); is base_url right? "
        "OpenAI-compatible servers usually need it to end in /v1"
    )


def test_not_found_hints_at_the_base_url(scripted_server: Any) -> None:
    backend = backend_for(scripted_server, base_url=scripted_server.url)  # no /v1
    [completion] = backend.complete([REQUEST])
    assert completion.error == (
        f"HTTP 404 from {scripted_server.url}/chat/completions: Not Found "
        "(wrong base_url? does it need /v1?)"
    )


def test_hanging_server_times_out_without_retry(scripted_server: Any) -> None:
    scripted_server.hang(30)
    backend = backend_for(scripted_server, timeout=0.2, timeout_cap=0.2)
    with pytest.raises(BackendTimeout) as caught:
        backend.complete([REQUEST])
    assert str(caught.value).startswith(
        f"no answer from {scripted_server.base_url}/chat/completions (model test-model) "
        "within 0.2 s;"
    )
    assert len(scripted_server.chat_requests) == 1


def test_answer_cut_at_the_token_limit(scripted_server: Any) -> None:
    scripted_server.reply('{"findings": [{"path": "a.py"', finish_reason="length")
    [completion] = backend_for(scripted_server).complete([REQUEST])
    assert (completion.text, completion.finish_reason, completion.error) == (
        '{"findings": [{"path": "a.py"',
        FinishReason.LENGTH,
        None,
    )


def test_unknown_finish_reason_is_an_error(scripted_server: Any) -> None:
    scripted_server.reply("partial", finish_reason="abort")
    [completion] = backend_for(scripted_server).complete([REQUEST])
    assert (completion.text, completion.finish_reason, completion.error) == (
        "partial",
        FinishReason.ERROR,
        "server finish_reason 'abort'",
    )


def test_connection_refused_says_what_to_check(refused_url: str) -> None:
    sleeps: list[float] = []
    backend = OpenAIBackend(
        Config(base_url=refused_url, model="qwen", retries=2), sleep=sleeps.append
    )
    with pytest.raises(BackendUnavailable) as caught:
        backend.complete([REQUEST])
    message = str(caught.value)
    assert message.startswith(
        f"cannot reach the model server at {refused_url}/chat/completions (model qwen) "
        "after 3 attempt(s): "
    )
    assert message.endswith(
        "Is the server running? Start one with `reviewbot serve --model MODEL.gguf` or llama.cpp's "
        f"`llama-server -m MODEL.gguf --port 8080`, and check base_url ({refused_url})."
    )
    assert sleeps == [0.5, 1.0]


def test_auto_moves_to_the_next_style_once_when_the_schema_is_rejected(
    scripted_server: Any, caplog: Any
) -> None:
    scripted_server.fail(400, '{"error": "unknown field: response_format"}')
    backend = backend_for(scripted_server, structured_output="auto")
    with caplog.at_level(logging.WARNING):
        first = backend.complete([REQUEST])
        second = backend.complete([REQUEST])
    assert [a.finish_reason for a in first + second] == [FinishReason.STOP, FinishReason.STOP]
    formats = [r.body.get("response_format", {}).get("type") for r in scripted_server.chat_requests]
    assert formats == ["json_schema", "json_object", "json_object"]
    assert scripted_server.chat_requests[1].body["response_format"]["schema"] == SCHEMA
    assert caplog.text.count("rejected the response_format way") == 1


def test_auto_ends_without_a_schema_when_every_style_is_rejected(scripted_server: Any) -> None:
    # llama-cpp-python's server answers a refused field with a 500 validation error
    refusal = '{"error": {"message": "response_format: Input should be \'text\'"}}'
    scripted_server.fail(500, refusal)
    scripted_server.fail(400, '{"error": "response_format json_object: unknown schema"}')
    backend = backend_for(scripted_server, structured_output="auto", retries=0)
    [answer] = backend.complete([REQUEST])
    assert answer.finish_reason is FinishReason.STOP
    sent = [[key for key in SCHEMA_KEYS if key in r.body] for r in scripted_server.chat_requests]
    assert sent == [["response_format"], ["response_format"], []]


def test_explicit_style_does_not_fall_back(scripted_server: Any) -> None:
    scripted_server.fail(400, '{"error": "unknown field: json_schema"}')
    [completion] = backend_for(scripted_server, structured_output="json_schema").complete([REQUEST])
    assert completion.finish_reason is FinishReason.ERROR
    assert len(scripted_server.chat_requests) == 1


# -- privacy and configuration ------------------------------------------------------------


def test_public_base_url_is_refused_before_connecting(scripted_server: Any) -> None:
    # "localhost" really is this machine, so a broken guard would show up as a request below.
    def claims_public(host: str, port: Any, *rest: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.8.8", port))]

    config = Config(base_url=f"http://localhost:{scripted_server.port}/v1", model="m")
    with pytest.raises(PrivacyError, match=r"refusing to send code to localhost"):
        OpenAIBackend(config, resolve=claims_public).complete([REQUEST])
    assert scripted_server.requests == []


def test_registry_builds_it_from_config(scripted_server: Any) -> None:
    backend = create_backend(Config(base_url=scripted_server.base_url, model="m"))
    assert isinstance(backend, OpenAIBackend)
    assert backend.name == "openai:m"


def test_unknown_structured_output_style_is_a_config_error(scripted_server: Any) -> None:
    with pytest.raises(ConfigError, match=r"structured_output = 'guided_json' is not one of"):
        backend_for(scripted_server, structured_output="guided_json")


def test_read_timeout_grows_with_the_prompt_up_to_the_cap() -> None:
    config = Config(timeout=120.0, timeout_cap=900.0)
    assert [read_timeout(config, n) for n in (0, 30_000, 3_000_000)] == [120.0, 320.0, 900.0]


def test_json_without_a_message_is_an_error_completion(scripted_server: Any) -> None:
    scripted_server.fail(200, '{"choices": []}')
    [completion] = backend_for(scripted_server).complete([REQUEST])
    assert untimed(completion) == Completion(
        "",
        FinishReason.ERROR,
        error=f"the server at {scripted_server.base_url}/chat/completions answered without "
        'choices[0].message.content: {"choices": []}',
    )


def test_a_server_that_never_answers_its_model_list_times_out_with_a_clear_message() -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        config = Config(base_url=f"http://127.0.0.1:{port}/v1", timeout=0.5, retries=0)
        with pytest.raises(BackendTimeout) as caught:
            OpenAIBackend(config).complete([REQUEST])
    assert str(caught.value) == (
        "the model server accepted the connection but did not answer GET "
        f"http://127.0.0.1:{port}/v1/models within 0.5 s; is it stuck or overloaded? Check the "
        f"server's log, or restart it (http://127.0.0.1:{port}/v1)"
    )


def test_retry_after_of_a_busy_server_is_honoured(scripted_server: Any) -> None:
    reply_type = type(scripted_server.default_reply)
    busy = reply_type(status=429, body='{"error": "queue full"}', headers=(("Retry-After", "2"),))
    scripted_server.enqueue(busy, busy)
    sleeps: list[float] = []
    [answer] = backend_for(scripted_server, sleeps).complete([REQUEST])
    assert answer.finish_reason is FinishReason.STOP
    assert sleeps == [2.0, 2.0]


def test_a_server_that_wants_a_key_says_so(scripted_server: Any) -> None:
    scripted_server.api_key = "s3cret"
    with pytest.raises(BackendUnavailable) as caught:
        backend_for(scripted_server, model=None).complete([REQUEST])
    assert str(caught.value) == (
        f"the model server at {scripted_server.base_url} refused the request (HTTP 401 on "
        f"{scripted_server.base_url}/chat/completions): it needs an API key; set "
        "REVIEWBOT_API_KEY to the server's key (for reviewbot serve, its REVIEWBOT_SERVE_API_KEY)"
    )
