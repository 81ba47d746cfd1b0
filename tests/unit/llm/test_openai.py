"""hexr_llm with the real openai client against the fake LLM server."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Sequence
from typing import Any

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from hexr import hexr_agent, hexr_llm
from hexr.llm import LLMCallInfo, register_llm_hooks, unregister_llm_hooks
from tests.fixtures.fakellm import FakeLLM
from tests.fixtures.otel import OtelCapture

MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}]
REPLY = "Hello from hexr-fakellm. You said: hi there"
SCOPE = {"otel_scope_name": "hexr", "otel_scope_version": "0.1.0", "otel_scope_schema_url": ""}


def _model() -> str:
    # A fresh model name per test keeps cumulative metrics independent between tests.
    return f"fake-gpt-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def client(fake_llm: FakeLLM) -> openai.OpenAI:
    return hexr_llm(openai.OpenAI(base_url=fake_llm.base_url, api_key="sk-test", max_retries=0))


@pytest.fixture
def aclient(fake_llm: FakeLLM) -> openai.AsyncOpenAI:
    raw = openai.AsyncOpenAI(base_url=fake_llm.base_url, api_key="sk-test", max_retries=0)
    return hexr_llm(raw)


def _base_labels(model: str, otel: OtelCapture) -> dict[str, str]:
    # Outside an agent, LLM metrics carry the process's agent and tenant.
    settings = otel.handle.settings
    return {
        **SCOPE,
        "gen_ai_system": "openai",
        "gen_ai_request_model": model,
        "tenant": settings.tenant or "",
        "agent_name": settings.agent_name or "",
    }


def test_chat_span_attributes_and_metrics(otel: OtelCapture, client: openai.OpenAI) -> None:
    model = _model()
    resp = client.chat.completions.create(
        model=model, messages=MESSAGES, max_tokens=50, temperature=0.2
    )
    assert resp.choices[0].message.content == REPLY
    (span,) = otel.spans("hexr.llm.chat")
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes or {}) == {
        "hexr.spiffe_id": otel.handle.spiffe_id,
        "tenant": otel.handle.settings.tenant,
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "openai",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.response.model": model,
        "gen_ai.response.id": resp.id,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 4,
        "gen_ai.usage.output_tokens": 7,
        # A model missing from the price table: cost is not guessed.
        "hexr.llm.unpriced": True,
    }
    labels = _base_labels(model, otel)
    assert otel.metric("hexr_llm_calls_total", **labels) == 1.0
    assert otel.metric("hexr_llm_input_tokens_total", **labels) == 4.0
    assert otel.metric("hexr_llm_output_tokens_total", **labels) == 7.0
    assert otel.metric("hexr_llm_call_duration_seconds_count", **labels) == 1.0
    assert otel.metric("hexr_llm_call_errors_total", **labels) == 0.0
    genai = {**SCOPE, "gen_ai_operation_name": "chat", "gen_ai_system": "openai",
             "gen_ai_request_model": model}
    assert otel.metric("gen_ai_client_token_usage_sum", **genai, gen_ai_token_type="input") == 4
    assert otel.metric("gen_ai_client_token_usage_sum", **genai, gen_ai_token_type="output") == 7
    assert otel.metric("gen_ai_client_operation_duration_seconds_count", **genai) == 1.0


def test_genai_histograms_use_the_spec_buckets(otel: OtelCapture, client: openai.OpenAI) -> None:
    model = _model()
    client.chat.completions.create(model=model, messages=MESSAGES)
    token_bounds = {
        float(labels["le"])
        for labels, _ in otel.samples("gen_ai_client_token_usage_bucket")
        if labels["gen_ai_request_model"] == model
    }
    assert token_bounds == {
        *(float(b) for b in (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576,
                             4194304, 16777216, 67108864)),
        float("inf"),
    }
    duration_bounds = {
        float(labels["le"])
        for labels, _ in otel.samples("gen_ai_client_operation_duration_seconds_bucket")
        if labels["gen_ai_request_model"] == model
    }
    assert duration_bounds == {
        *(0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92),
        float("inf"),
    }


def test_call_inside_agent_is_a_child_with_agent_labels(
    otel: OtelCapture, client: openai.OpenAI
) -> None:
    model = _model()

    @hexr_agent(name="writer", tenant="acme")
    def agent() -> str:
        resp = client.chat.completions.create(model=model, messages=MESSAGES)
        return resp.choices[0].message.content or ""

    assert agent() == REPLY
    (llm,) = otel.spans("hexr.llm.chat")
    (parent,) = otel.spans("hexr.agent.invoke")
    assert llm.parent is not None
    assert llm.parent.span_id == parent.context.span_id
    assert llm.attributes is not None
    assert llm.attributes["agent_name"] == "writer"
    assert llm.attributes["tenant"] == "acme"
    labels = {**_base_labels(model, otel), "tenant": "acme", "agent_name": "writer"}
    assert otel.metric("hexr_llm_calls_total", **labels) == 1.0


def test_stream_keeps_type_and_ends_span_at_last_chunk(
    otel: OtelCapture, client: openai.OpenAI
) -> None:
    model = _model()
    stream = client.chat.completions.create(
        model=model, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    assert isinstance(stream, openai.Stream)
    pieces = []
    for chunk in stream:
        assert otel.spans("hexr.llm.chat") == []  # still open while chunks arrive
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
    assert "".join(pieces) == REPLY
    (span,) = otel.spans("hexr.llm.chat")
    attrs = dict(span.attributes or {})
    assert attrs["hexr.llm.streaming"] is True
    assert attrs["gen_ai.usage.input_tokens"] == 4
    assert attrs["gen_ai.usage.output_tokens"] == 7
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert str(attrs["gen_ai.response.id"]).startswith("chatcmpl-")
    ttft = attrs["hexr.llm.time_to_first_chunk"]
    assert isinstance(ttft, float)
    assert span.end_time is not None
    assert span.start_time is not None
    assert 0 < ttft * 1e9 <= span.end_time - span.start_time
    genai = {**SCOPE, "gen_ai_operation_name": "chat", "gen_ai_system": "openai",
             "gen_ai_request_model": model}
    assert otel.metric("hexr_llm_time_to_first_chunk_seconds_count", **genai) == 1.0
    assert otel.metric("hexr_llm_output_tokens_total", **_base_labels(model, otel)) == 7.0


def test_stream_without_usage_records_no_tokens(otel: OtelCapture, client: openai.OpenAI) -> None:
    model = _model()
    kwargs: dict[str, Any] = {"model": model, "messages": MESSAGES, "stream": True}
    chunks = list(client.chat.completions.create(**kwargs))
    assert kwargs == {"model": model, "messages": MESSAGES, "stream": True}  # request untouched
    assert all(chunk.usage is None for chunk in chunks)
    (span,) = otel.spans("hexr.llm.chat")
    assert "gen_ai.usage.input_tokens" not in (span.attributes or {})
    assert otel.metric("hexr_llm_input_tokens_total", **_base_labels(model, otel)) == 0.0
    assert otel.metric("hexr_llm_calls_total", **_base_labels(model, otel)) == 1.0


def test_stream_context_manager_early_exit_ends_span(
    otel: OtelCapture, client: openai.OpenAI
) -> None:
    with client.chat.completions.create(model=_model(), messages=MESSAGES, stream=True) as s:
        assert isinstance(s, openai.Stream)
        first = next(iter(s))
        assert first.choices[0].delta.role == "assistant"
    (span,) = otel.spans("hexr.llm.chat")
    assert span.status.status_code is StatusCode.UNSET
    assert "hexr.llm.time_to_first_chunk" in (span.attributes or {})


def test_api_error_is_reraised_and_recorded(otel: OtelCapture, client: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="fake-error-429", messages=MESSAGES)
    assert caught.value.status_code == 429
    (span,) = otel.spans("hexr.llm.chat")
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "RateLimitError"
    assert span.attributes is not None
    assert span.attributes["error.type"] == "RateLimitError"
    labels = _base_labels("fake-error-429", otel)
    assert otel.metric("hexr_llm_call_errors_total", **labels, error_type="RateLimitError") >= 1


def test_midstream_error_ends_span_with_error(otel: OtelCapture, client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="fake-error-midstream", messages=MESSAGES, stream=True
    )
    with pytest.raises(openai.APIError, match="stream broke"):
        for _ in stream:
            pass
    (span,) = otel.spans("hexr.llm.chat")
    assert span.status.status_code is StatusCode.ERROR


def test_raw_response_passes_through(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model=_model(), messages=MESSAGES)
    assert raw.http_response.status_code == 200
    assert raw.parse().choices[0].message.content == REPLY


def test_other_resources_and_options_pass_through(
    otel: OtelCapture, client: openai.OpenAI
) -> None:
    assert isinstance(client, openai.OpenAI)
    assert [m.id for m in client.models.list()] == ["fake-gpt"]
    derived = client.with_options(timeout=5.0)
    assert hexr_llm(derived) is derived
    derived.chat.completions.create(model=_model(), messages=MESSAGES)
    assert len(otel.spans("hexr.llm.chat")) == 1


async def test_async_create_and_stream(otel: OtelCapture, aclient: openai.AsyncOpenAI) -> None:
    model = _model()
    resp = await aclient.chat.completions.create(model=model, messages=MESSAGES)
    assert resp.choices[0].message.content == REPLY
    stream = await aclient.chat.completions.create(
        model=model, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    assert isinstance(stream, openai.AsyncStream)
    async with stream as s:
        text = "".join([c.choices[0].delta.content or "" async for c in s if c.choices])
    assert text == REPLY
    _first, second = otel.spans("hexr.llm.chat")
    assert (second.attributes or {})["gen_ai.usage.output_tokens"] == 7
    assert (second.attributes or {})["hexr.llm.streaming"] is True
    assert otel.metric("hexr_llm_calls_total", **_base_labels(model, otel)) == 2.0


async def test_async_error(otel: OtelCapture, aclient: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.InternalServerError):
        await aclient.chat.completions.create(model="fake-error-500", messages=MESSAGES)
    (span,) = otel.spans("hexr.llm.chat")
    assert span.status.status_code is StatusCode.ERROR


class Blocked(Exception):
    pass


class RecordingGuard:
    def __init__(self, block_prompt: bool = False, block_output: bool = False) -> None:
        self.block_prompt = block_prompt
        self.block_output = block_output
        self.prompts: list[Sequence[Any]] = []
        self.outputs: list[str] = []

    def before_request(self, call: LLMCallInfo, messages: Sequence[Any]) -> None:
        self.prompts.append(messages)
        if self.block_prompt:
            call.span.set_attribute("hexr.guard.prompt_blocked", True)
            call.span.set_attribute("hexr.guard.scanners", "BanSubstrings")
            call.span.set_status(StatusCode.ERROR, "guard: BanSubstrings blocked the prompt")
            raise Blocked("prompt blocked")

    def after_response(self, call: LLMCallInfo, text: str) -> None:
        self.outputs.append(text)
        if self.block_output:
            call.span.set_attribute("hexr.guard.output_blocked", True)
            raise Blocked("output blocked")


def test_hooks_see_prompt_and_output(fake_llm: FakeLLM, otel: OtelCapture) -> None:
    guard = RecordingGuard()
    raw = openai.OpenAI(base_url=fake_llm.base_url, api_key="sk-test", max_retries=0)
    client = hexr_llm(raw, hooks=[guard])
    client.chat.completions.create(model=_model(), messages=MESSAGES)
    chunks = client.chat.completions.create(model=_model(), messages=MESSAGES, stream=True)
    for _ in chunks:
        assert guard.outputs == [REPLY]  # the stream's text is checked only at its end
    assert guard.prompts == [MESSAGES, MESSAGES]
    assert guard.outputs == [REPLY, REPLY]


def test_blocking_hook_stops_the_call_and_marks_the_span(
    fake_llm: FakeLLM, otel: OtelCapture
) -> None:
    guard = RecordingGuard(block_prompt=True)
    register_llm_hooks(guard)
    try:
        raw = openai.OpenAI(base_url=fake_llm.base_url, api_key="sk-test", max_retries=0)
        client = hexr_llm(raw)
        model = _model()
        with pytest.raises(Blocked):
            client.chat.completions.create(model=model, messages=MESSAGES)
    finally:
        unregister_llm_hooks(guard)
    (span,) = otel.spans("hexr.llm.chat")
    attrs = dict(span.attributes or {})
    assert attrs["hexr.guard.prompt_blocked"] is True
    assert attrs["hexr.guard.scanners"] == "BanSubstrings"
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "guard: BanSubstrings blocked the prompt"
    assert "gen_ai.response.id" not in attrs  # the provider was never called
    labels = _base_labels(model, otel)
    assert otel.metric("hexr_llm_call_errors_total", **labels, error_type="Blocked") == 1.0


def test_output_hook_can_reject_response(fake_llm: FakeLLM, otel: OtelCapture) -> None:
    guard = RecordingGuard(block_output=True)
    raw = openai.OpenAI(base_url=fake_llm.base_url, api_key="sk-test", max_retries=0)
    client = hexr_llm(raw, hooks=[guard])
    with pytest.raises(Blocked):
        client.chat.completions.create(model=_model(), messages=MESSAGES)
    (span,) = otel.spans("hexr.llm.chat")
    assert (span.attributes or {})["hexr.guard.output_blocked"] is True
    assert span.status.status_code is StatusCode.ERROR


def test_content_is_not_captured_by_default(otel: OtelCapture, client: openai.OpenAI) -> None:
    client.chat.completions.create(model=_model(), messages=MESSAGES)
    (span,) = otel.spans("hexr.llm.chat")
    assert not any("prompt" in k or "completion" in k for k in (span.attributes or {}))


def test_content_capture_when_enabled(fake_llm: FakeLLM, otel: OtelCapture) -> None:
    raw = openai.OpenAI(base_url=fake_llm.base_url, api_key="sk-test", max_retries=0)
    client = hexr_llm(raw, capture_content=True)
    client.chat.completions.create(model=_model(), messages=MESSAGES)
    key = "sk-" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3"
    leaky = [{"role": "user", "content": f"my key is {key}"}]
    client.chat.completions.create(model=_model(), messages=leaky)
    first, second = otel.spans("hexr.llm.chat")
    attrs = first.attributes or {}
    assert "hi there" in str(attrs["gen_ai.prompt"])
    assert attrs["gen_ai.completion"] == REPLY
    # Even captured content never carries a credential into the trace (prompt or echo).
    assert key not in str(dict(second.attributes or {}))
    assert "[REDACTED]" in str((second.attributes or {})["gen_ai.prompt"])


def test_unsupported_client_is_rejected() -> None:
    with pytest.raises(TypeError, match="hexr_llm supports"):
        hexr_llm(object())


def test_wrapping_twice_is_a_no_op(client: openai.OpenAI) -> None:
    assert hexr_llm(client) is client


def test_abandoned_stream_ends_its_span(otel: OtelCapture, client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model=_model(), messages=MESSAGES, stream=True)
    next(iter(stream))
    assert otel.spans("hexr.llm.chat") == []
    del stream
    gc.collect()
    (span,) = otel.spans("hexr.llm.chat")
    assert span.end_time is not None


def test_hooks_do_not_consume_messages_given_as_a_generator(
    fake_llm: FakeLLM, otel: OtelCapture
) -> None:
    # The SDK takes any iterable of messages; reading a one-shot one for the guard must
    # leave the request its messages.
    guard = RecordingGuard()
    raw = openai.OpenAI(base_url=fake_llm.base_url, api_key="sk-test", max_retries=0)
    client = hexr_llm(raw, hooks=[guard], capture_content=True)
    resp = client.chat.completions.create(model=_model(), messages=(m for m in MESSAGES))
    assert resp.choices[0].message.content == REPLY
    assert guard.prompts == [MESSAGES]
    (span,) = otel.spans("hexr.llm.chat")
    assert "hi there" in str((span.attributes or {})["gen_ai.prompt"])
