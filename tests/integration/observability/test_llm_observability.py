"""hexr_llm against the local deterministic LLM server: cost and the stage breakdown."""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from hexr import hexr_llm
from hexr.llm import LLMCallInfo
from hexr.telemetry import _names as n
from hexr.telemetry._cost import PriceTable
from tests.fixtures.fakellm import FakeLLM
from tests.fixtures.otel import OtelCapture

MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "Summarise the quarterly report in one line."}
]


class ScanningHook:
    """Stands in for the guard: takes a measurable moment to scan each direction."""

    def before_request(self, call: LLMCallInfo, messages: Sequence[Any]) -> None:
        time.sleep(0.005)

    def after_response(self, call: LLMCallInfo, text: str) -> None:
        time.sleep(0.003)


@pytest.fixture
def client(fake_llm: FakeLLM) -> openai.OpenAI:
    raw = openai.OpenAI(base_url=fake_llm.base_url, api_key="sk-test", max_retries=0)
    return hexr_llm(raw, hooks=[ScanningHook()])


def _labels(otel: OtelCapture, model: str) -> dict[str, str]:
    settings = otel.handle.settings
    return {
        "gen_ai_system": "openai",
        "gen_ai_request_model": model,
        "tenant": settings.tenant or "",
        "agent_name": settings.agent_name or "",
    }


def test_call_cost_matches_the_price_table(otel: OtelCapture, client: openai.OpenAI) -> None:
    model = "gpt-4o-mini"
    counter = "hexr_llm_cost_usd_total"
    before = otel.metric(counter, **_labels(otel, model))
    response = client.chat.completions.create(model=model, messages=MESSAGES)
    assert response.usage is not None
    expected = PriceTable.load().cost(
        model, response.usage.prompt_tokens, response.usage.completion_tokens
    )
    assert expected is not None
    assert expected > 0
    # By hand from prices.yaml: gpt-4o-mini is 0.15 in / 0.60 out per 1M tokens.
    assert expected == (
        Decimal(response.usage.prompt_tokens) * Decimal("0.15")
        + Decimal(response.usage.completion_tokens) * Decimal("0.60")
    ) / 1_000_000
    (span,) = otel.spans(n.SPAN_LLM_CHAT)
    assert span.attributes is not None
    assert span.attributes[n.ATTR_LLM_COST_USD] == float(expected)
    after = otel.metric(counter, **_labels(otel, model))
    assert after - before == pytest.approx(float(expected), rel=1e-9)


def test_unknown_model_is_counted_unpriced(otel: OtelCapture, client: openai.OpenAI) -> None:
    model = "fake-unpriced-model"
    before = otel.metric("hexr_llm_unpriced_calls_total", **_labels(otel, model))
    client.chat.completions.create(model=model, messages=MESSAGES)
    (span,) = otel.spans(n.SPAN_LLM_CHAT)
    assert span.attributes is not None
    assert span.attributes[n.ATTR_LLM_UNPRICED] is True
    assert n.ATTR_LLM_COST_USD not in span.attributes
    assert otel.metric("hexr_llm_unpriced_calls_total", **_labels(otel, model)) == before + 1


def _stages(span: Any) -> list[tuple[str, float, str | None]]:
    return [
        (event.name, float(event.attributes[n.ATTR_STAGE + ".duration_ms"]),
         event.attributes.get("scan_type"))
        for event in span.events
        if event.attributes and n.ATTR_STAGE in event.attributes
    ]


def _stage_count(otel: OtelCapture, stage: str) -> float:
    return otel.metric("hexr_stage_duration_seconds_count", component="llm", stage=stage)


def test_one_trace_shows_the_stage_breakdown(otel: OtelCapture, client: openai.OpenAI) -> None:
    counts = {s: _stage_count(otel, s) for s in ("guard_scan", "upstream", "response_handling")}
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    (span,) = otel.spans(n.SPAN_LLM_CHAT)
    stages = _stages(span)
    assert [(name, scan) for name, _, scan in stages] == [
        ("guard_scan", "prompt"),
        ("upstream", None),
        ("response_handling", None),
        ("guard_scan", "output"),
    ]
    durations = {(name, scan): ms for name, ms, scan in stages}
    assert durations[("guard_scan", "prompt")] >= 5.0
    assert durations[("guard_scan", "output")] >= 3.0
    assert span.end_time is not None
    assert span.start_time is not None
    total_ms = (span.end_time - span.start_time) / 1e6
    assert 0 < durations[("upstream", None)] < total_ms
    assert sum(durations.values()) <= total_ms
    # The same stages feed the histogram that p95-per-stage panels read.
    assert _stage_count(otel, "guard_scan") == counts["guard_scan"] + 2
    assert _stage_count(otel, "upstream") == counts["upstream"] + 1
    assert _stage_count(otel, "response_handling") == counts["response_handling"] + 1


def test_streamed_call_separates_first_byte_from_full_response(
    otel: OtelCapture, client: openai.OpenAI
) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks
    (span,) = otel.spans(n.SPAN_LLM_CHAT)
    names = [name for name, _, _ in _stages(span)]
    assert names[0] == "guard_scan"
    assert "upstream_first_byte" in names
    assert "upstream" in names
    durations = {name: ms for name, ms, _ in _stages(span)}
    assert durations["upstream_first_byte"] <= durations["upstream"]
    assert span.attributes is not None
    assert float(span.attributes[n.ATTR_LLM_COST_USD]) > 0  # type: ignore[arg-type]


def test_no_exported_metric_uses_an_unbounded_label(
    otel: OtelCapture, client: openai.OpenAI
) -> None:
    """Hexr's own instruments (agent, LLM, cost, stages, sessions) keep labels bounded."""
    import hexr
    from hexr.config import is_unbounded_label

    @hexr.hexr_agent(name="label-audit", tenant="acme")
    def agent() -> None:
        with hexr.session() as s:
            s.step()
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            client.chat.completions.create(model="mystery-model", messages=MESSAGES)

    agent()
    assert otel.handle.registry is not None
    names: set[str] = set()
    for family in otel.handle.registry.collect():
        if family.name in ("target", "target_info"):  # one series per process, by design
            continue
        for sample in family.samples:
            names.update(sample.labels)
    assert {"tenant", "agent_name", "stage", "component", "status"} <= names
    unbounded = {
        label for label in names
        if is_unbounded_label(label) and not label.startswith("otel_scope_")
    }
    assert unbounded == set()
