"""hexr_llm with the real anthropic client against the fake LLM server."""

from __future__ import annotations

import anthropic
import pytest
from opentelemetry.trace import StatusCode

from hexr import hexr_llm
from tests.fixtures.fakellm import FakeLLM
from tests.fixtures.otel import OtelCapture

MESSAGES = [{"role": "user", "content": "hi there"}]
REPLY = "Hello from hexr-fakellm. You said: hi there"


@pytest.fixture
def client(fake_llm: FakeLLM) -> anthropic.Anthropic:
    raw = anthropic.Anthropic(base_url=fake_llm.anthropic_base_url, api_key="k", max_retries=0)
    return hexr_llm(raw)


def test_create(otel: OtelCapture, client: anthropic.Anthropic) -> None:
    msg = client.messages.create(
        model="claude-fake", max_tokens=100, system="be brief", messages=MESSAGES
    )
    assert msg.content[0].text == REPLY  # type: ignore[union-attr]
    (span,) = otel.spans("hexr.llm.chat")
    attrs = dict(span.attributes or {})
    assert {k: v for k, v in attrs.items() if k.startswith("gen_ai.")} == {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "anthropic",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-fake",
        "gen_ai.request.max_tokens": 100,
        "gen_ai.response.model": "claude-fake",
        "gen_ai.response.id": msg.id,
        "gen_ai.response.finish_reasons": ("end_turn",),
        "gen_ai.usage.input_tokens": 4,
        "gen_ai.usage.output_tokens": 7,
    }


def test_stream_events(otel: OtelCapture, client: anthropic.Anthropic) -> None:
    stream = client.messages.create(
        model="claude-fake", max_tokens=3, messages=MESSAGES, stream=True
    )
    assert isinstance(stream, anthropic.Stream)
    kinds = [event.type for event in stream]
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop"
    (span,) = otel.spans("hexr.llm.chat")
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.usage.input_tokens"] == 2
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert attrs["gen_ai.response.finish_reasons"] == ("max_tokens",)
    assert "hexr.llm.time_to_first_chunk" in attrs


def test_error(otel: OtelCapture, client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.AuthenticationError):
        client.messages.create(model="fake-error-401", max_tokens=10, messages=MESSAGES)
    (span,) = otel.spans("hexr.llm.chat")
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "AuthenticationError"


async def test_async_create_and_stream(otel: OtelCapture, fake_llm: FakeLLM) -> None:
    raw = anthropic.AsyncAnthropic(
        base_url=fake_llm.anthropic_base_url, api_key="k", max_retries=0
    )
    client = hexr_llm(raw)
    msg = await client.messages.create(model="claude-fake", max_tokens=100, messages=MESSAGES)
    assert msg.usage.output_tokens == 7
    stream = await client.messages.create(
        model="claude-fake", max_tokens=100, messages=MESSAGES, stream=True
    )
    assert isinstance(stream, anthropic.AsyncStream)
    text = "".join(
        [e.delta.text async for e in stream if e.type == "content_block_delta"]  # type: ignore[union-attr]
    )
    assert text == REPLY
    first, second = otel.spans("hexr.llm.chat")
    assert (first.attributes or {})["gen_ai.usage.output_tokens"] == 7
    assert (second.attributes or {})["gen_ai.usage.output_tokens"] == 7
    assert (second.attributes or {})["gen_ai.usage.input_tokens"] == 2


def test_stream_helper(otel: OtelCapture, client: anthropic.Anthropic) -> None:
    with client.messages.stream(model="claude-fake", max_tokens=100, messages=MESSAGES) as s:
        assert type(s).__name__ == "MessageStream"
        text = "".join(s.text_stream)
        assert otel.spans("hexr.llm.chat") == []  # the call lasts as long as the block
    assert text == REPLY
    (span,) = otel.spans("hexr.llm.chat")
    attrs = dict(span.attributes or {})
    assert attrs["hexr.llm.streaming"] is True
    assert attrs["gen_ai.usage.input_tokens"] == 2
    assert attrs["gen_ai.usage.output_tokens"] == 7
    assert attrs["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert str(attrs["gen_ai.response.id"]).startswith("msg_")


def test_stream_helper_error(otel: OtelCapture, client: anthropic.Anthropic) -> None:
    with (
        pytest.raises(anthropic.RateLimitError),
        client.messages.stream(model="fake-error-429", max_tokens=10, messages=MESSAGES),
    ):
        pass
    (span,) = otel.spans("hexr.llm.chat")
    assert span.status.status_code is StatusCode.ERROR


async def test_async_stream_helper(otel: OtelCapture, fake_llm: FakeLLM) -> None:
    raw = anthropic.AsyncAnthropic(
        base_url=fake_llm.anthropic_base_url, api_key="k", max_retries=0
    )
    client = hexr_llm(raw)
    async with client.messages.stream(
        model="claude-fake", max_tokens=100, messages=MESSAGES
    ) as stream:
        text = "".join([t async for t in stream.text_stream])
    assert text == REPLY
    (span,) = otel.spans("hexr.llm.chat")
    assert (span.attributes or {})["gen_ai.usage.output_tokens"] == 7


class _Seen:
    def __init__(self) -> None:
        self.prompts: list[object] = []

    def before_request(self, call: object, messages: object) -> None:
        self.prompts.append(messages)

    def after_response(self, call: object, text: str) -> None:
        return


def test_stream_helper_with_hooks_keeps_generator_messages(fake_llm: FakeLLM) -> None:
    seen = _Seen()
    raw = anthropic.Anthropic(base_url=fake_llm.anthropic_base_url, api_key="k", max_retries=0)
    client = hexr_llm(raw, hooks=[seen])
    messages = (m for m in MESSAGES)
    with client.messages.stream(model="claude-fake", max_tokens=100, messages=messages) as s:
        text = "".join(s.text_stream)
    assert text == REPLY
    assert seen.prompts == [MESSAGES]
