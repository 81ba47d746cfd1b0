"""hexr_llm with the real Google GenAI, Cohere, Mistral and LiteLLM clients and OpenAI's
Responses / embeddings / raw-response APIs, against the fake LLM server speaking each wire
protocol: the same span and metric contract, pricing and hooks for every provider."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from opentelemetry.trace import StatusCode

from hexr import hexr_llm
from hexr.llm import LLMCallInfo
from tests.fixtures.fakellm import FakeLLM
from tests.fixtures.otel import OtelCapture

SYSTEM, USER = "be brief", "hi there"
MESSAGES = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}]
REPLY = "Hello from hexr-fakellm. You said: hi there"
IN, OUT = 4, 7  # fake tokens: one per word (system + user in, reply out)


def _model(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def _collect_async(stream: Any, text_of: Callable[[Any], str | None]) -> str:
    parts = []
    async for chunk in await stream if asyncio.iscoroutine(stream) else stream:
        parts.append(text_of(chunk) or "")
    return "".join(parts)


def _collect(stream: Any, text_of: Callable[[Any], str | None]) -> str:
    return "".join(text_of(chunk) or "" for chunk in stream)


# --- one row per provider: client factory, chat call, stream call, text readers ---------


def _google(fake: FakeLLM, is_async: bool) -> tuple[Any, Any, Any]:
    from google import genai
    from google.genai import types

    client = hexr_llm(
        genai.Client(api_key="k", http_options=types.HttpOptions(base_url=fake.anthropic_base_url))
    )
    config = {"system_instruction": SYSTEM, "max_output_tokens": 50}

    def models() -> Any:
        # Through the client each time: a genai.Client closes its connections when collected.
        return client.aio.models if is_async else client.models

    def chat(model: str) -> Any:
        return models().generate_content(model=model, contents=USER, config=config)

    def stream(model: str) -> Any:
        return models().generate_content_stream(model=model, contents=USER, config=config)

    return chat, stream, lambda chunk: chunk.text


def _cohere(fake: FakeLLM, is_async: bool) -> tuple[Any, Any, Any]:
    import cohere

    cls = cohere.AsyncClientV2 if is_async else cohere.ClientV2
    client = hexr_llm(cls(api_key="k", base_url=fake.anthropic_base_url))

    def chat(model: str) -> Any:
        return client.chat(model=model, messages=MESSAGES, max_tokens=50)

    def stream(model: str) -> Any:
        return client.chat_stream(model=model, messages=MESSAGES, max_tokens=50)

    def text_of(event: Any) -> str | None:
        return event.delta.message.content.text if event.type == "content-delta" else None

    return chat, stream, text_of


def _mistral(fake: FakeLLM, is_async: bool) -> tuple[Any, Any, Any]:
    from mistralai.client import Mistral

    client = hexr_llm(Mistral(api_key="k", server_url=fake.anthropic_base_url))
    complete = client.chat.complete_async if is_async else client.chat.complete
    streamed = client.chat.stream_async if is_async else client.chat.stream

    def chat(model: str) -> Any:
        return complete(model=model, messages=MESSAGES, max_tokens=50)

    def stream(model: str) -> Any:
        return streamed(model=model, messages=MESSAGES, max_tokens=50)

    return chat, stream, lambda event: event.data.choices[0].delta.content


def _litellm(fake: FakeLLM, is_async: bool) -> tuple[Any, Any, Any]:
    import litellm

    llm = hexr_llm(litellm)
    call = llm.acompletion if is_async else llm.completion
    common = {"api_base": fake.base_url, "api_key": "k", "messages": MESSAGES, "max_tokens": 50}

    def chat(model: str) -> Any:
        return call(model=f"openai/{model}", **common)

    def stream(model: str) -> Any:
        options = {"include_usage": True}
        return call(model=f"openai/{model}", stream=True, stream_options=options, **common)

    return chat, stream, lambda chunk: chunk.choices[0].delta.content if chunk.choices else None


def _responses(fake: FakeLLM, is_async: bool) -> tuple[Any, Any, Any]:
    import openai

    cls = openai.AsyncOpenAI if is_async else openai.OpenAI
    client = hexr_llm(cls(base_url=fake.base_url, api_key="k", max_retries=0))
    args = {"instructions": SYSTEM, "input": USER, "max_output_tokens": 50}

    def chat(model: str) -> Any:
        return client.responses.create(model=model, **args)

    def stream(model: str) -> Any:
        return client.responses.create(model=model, stream=True, **args)

    def text_of(event: Any) -> str | None:
        return event.delta if event.type == "response.output_text.delta" else None

    return chat, stream, text_of


PROVIDERS = {
    "google_genai": _google,
    "cohere": _cohere,
    "mistral": _mistral,
    "litellm": _litellm,
    "openai": _responses,
}
TEXT = {
    "google_genai": lambda r: r.text,
    "cohere": lambda r: r.message.content[0].text,
    "mistral": lambda r: r.choices[0].message.content,
    "litellm": lambda r: r.choices[0].message.content,
    "openai": lambda r: r.output_text,
}


def _check_span(otel: OtelCapture, system: str, model: str, streaming: bool) -> None:
    (span,) = otel.spans("hexr.llm.chat")
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.system"] == system
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.request.max_tokens"] == 50
    assert attrs["gen_ai.usage.input_tokens"] == IN
    assert attrs["gen_ai.usage.output_tokens"] == OUT
    assert attrs["gen_ai.response.finish_reasons"]
    assert attrs["hexr.llm.unpriced"] is True
    assert attrs.get("hexr.llm.streaming", False) is streaming
    assert model in str(attrs["gen_ai.request.model"])
    assert span.status.status_code is StatusCode.UNSET
    labels = {"gen_ai_system": system, "gen_ai_request_model": str(attrs["gen_ai.request.model"])}
    assert otel.metric("hexr_llm_calls_total", **labels, tenant="tests", agent_name="pytest") == 1
    assert otel.metric(
        "hexr_llm_output_tokens_total", **labels, tenant="tests", agent_name="pytest"
    ) == OUT


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("system", sorted(PROVIDERS))
def test_chat_and_stream_follow_the_contract(
    otel: OtelCapture, fake_llm: FakeLLM, system: str, is_async: bool
) -> None:
    chat, stream, text_of = PROVIDERS[system](fake_llm, is_async)

    async def both() -> tuple[Any, str]:
        # One event loop for the client: its connection pool belongs to it.
        response = await chat(model)
        _check_span(otel, system, model, streaming=False)
        otel.exporter.clear()
        return response, await _collect_async(stream(stream_model), text_of)

    model, stream_model = _model("fake"), _model("fake")
    if is_async:
        response, text = asyncio.run(both())
    else:
        response = chat(model)
        _check_span(otel, system, model, streaming=False)
        otel.exporter.clear()
        text = _collect(stream(stream_model), text_of)
    assert TEXT[system](response) == REPLY
    assert text == REPLY
    _check_span(otel, system, stream_model, streaming=True)


class _Block:
    def __init__(self) -> None:
        self.seen: list[Sequence[Any]] = []

    def before_request(self, call: LLMCallInfo, messages: Sequence[Any]) -> None:
        self.seen.append(messages)
        call.span.set_status(StatusCode.ERROR, "blocked by test guard")
        raise PermissionError("prompt blocked")

    def after_response(self, call: LLMCallInfo, text: str) -> None:
        raise AssertionError("never reached")


@pytest.mark.parametrize("system", sorted(PROVIDERS))
def test_hooks_see_the_prompt_and_block_every_provider(
    otel: OtelCapture, fake_llm: FakeLLM, system: str
) -> None:
    from hexr.llm import register_llm_hooks, unregister_llm_hooks

    chat, _, _ = PROVIDERS[system](fake_llm, False)
    guard = _Block()
    register_llm_hooks(guard)
    try:
        with pytest.raises(PermissionError):
            chat(_model("fake"))
    finally:
        unregister_llm_hooks(guard)
    (messages,) = guard.seen
    assert any(USER in str(m) for m in messages)
    (span,) = otel.spans("hexr.llm.chat")
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "blocked by test guard"


def _embed_calls(fake: FakeLLM) -> dict[str, Callable[[str], Any]]:
    import cohere
    import litellm
    import openai
    from mistralai.client import Mistral

    oai = hexr_llm(openai.OpenAI(base_url=fake.base_url, api_key="k", max_retries=0))
    co = hexr_llm(cohere.ClientV2(api_key="k", base_url=fake.anthropic_base_url))
    mi = hexr_llm(Mistral(api_key="k", server_url=fake.anthropic_base_url))
    ll = hexr_llm(litellm)
    texts = ["one two three", "four five"]
    return {
        "openai": lambda m: oai.embeddings.create(model=m, input=texts),
        "cohere": lambda m: co.embed(
            model=m, texts=texts, input_type="search_document", embedding_types=["float"]
        ),
        "mistral": lambda m: mi.embeddings.create(model=m, inputs=texts),
        "litellm": lambda m: ll.embedding(
            model=f"openai/{m}", input=texts, api_base=fake.base_url, api_key="k"
        ),
    }


def test_embeddings_are_an_operation_with_input_tokens(
    otel: OtelCapture, fake_llm: FakeLLM
) -> None:
    for system, call in _embed_calls(fake_llm).items():
        otel.exporter.clear()
        model = _model("fake-embed")
        call(model)
        (span,) = otel.spans("hexr.llm.embeddings")
        attrs = dict(span.attributes or {})
        assert attrs["gen_ai.operation.name"] == "embeddings", system
        assert attrs["gen_ai.system"] == system
        assert attrs["gen_ai.usage.input_tokens"] == 5, system
        assert "gen_ai.usage.output_tokens" not in attrs
        genai = {"gen_ai_operation_name": "embeddings", "gen_ai_system": system,
                 "gen_ai_request_model": str(attrs["gen_ai.request.model"])}
        assert otel.metric(
            "gen_ai_client_token_usage_sum", **genai, gen_ai_token_type="input"
        ) == 5, system


def test_raw_response_is_returned_unchanged_and_traced(
    otel: OtelCapture, fake_llm: FakeLLM
) -> None:
    import openai

    client = hexr_llm(openai.OpenAI(base_url=fake_llm.base_url, api_key="k", max_retries=0))
    raw = client.chat.completions.with_raw_response.create(model=_model("fake"), messages=MESSAGES)
    assert raw.http_response.status_code == 200
    completion = raw.parse()
    (span,) = otel.spans("hexr.llm.chat")
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.response.id"] == completion.id
    assert attrs["gen_ai.usage.output_tokens"] == OUT


def test_known_models_are_priced(otel: OtelCapture, fake_llm: FakeLLM) -> None:
    # The fake server answers any model name: a listed one gets its cost on the span.
    chat, _, _ = _mistral(fake_llm, False)
    chat("mistral-small")
    (span,) = otel.spans("hexr.llm.chat")
    cost = dict(span.attributes or {})["hexr.llm.cost_usd"]
    assert cost == pytest.approx((IN * 0.10 + OUT * 0.30) / 1_000_000)


def test_import_hexr_loads_no_provider_client() -> None:
    import subprocess
    import sys

    code = (
        "import sys, hexr, hexr.llm; "
        "print([m for m in ('openai', 'anthropic', 'google.genai', 'cohere', 'mistralai',"
        " 'litellm') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
