"""Issue 17, first run 5: a stream the caller stops reading early is marked abandoned
(span attribute and counter) with its status left unset; a stream read to the end is not."""

from __future__ import annotations

import uuid

import openai
import pytest
from opentelemetry.trace import StatusCode

from hexr import hexr_llm
from tests.fixtures.fakellm import FakeLLM
from tests.fixtures.otel import OtelCapture

MESSAGES = [{"role": "user", "content": "say something long enough to stream"}]


@pytest.fixture
def client(fake_llm: FakeLLM) -> openai.OpenAI:
    return hexr_llm(openai.OpenAI(base_url=fake_llm.base_url, api_key="sk-test", max_retries=0))


def _abandoned_total(otel: OtelCapture, model: str) -> float:
    return sum(value for labels, value in otel.samples("hexr_llm_streams_abandoned_total")
               if model in labels.values())


def test_breaking_out_of_a_stream_marks_it_abandoned(
    otel: OtelCapture, client: openai.OpenAI
) -> None:
    model = f"fake-{uuid.uuid4().hex[:8]}"
    with client.chat.completions.create(model=model, messages=MESSAGES, stream=True) as stream:
        for _chunk in stream:
            break
    (span,) = otel.spans("hexr.llm.chat")
    assert span.status.status_code is StatusCode.UNSET
    assert (span.attributes or {}).get("hexr.llm.stream.abandoned") is True
    assert _abandoned_total(otel, model) == 1.0


def test_stream_read_to_the_end_is_not_abandoned(
    otel: OtelCapture, client: openai.OpenAI
) -> None:
    model = f"fake-{uuid.uuid4().hex[:8]}"
    with client.chat.completions.create(model=model, messages=MESSAGES, stream=True) as stream:
        chunks = list(stream)
    assert chunks
    (span,) = otel.spans("hexr.llm.chat")
    assert "hexr.llm.stream.abandoned" not in (span.attributes or {})
    assert _abandoned_total(otel, model) == 0.0
