"""researcher → writer → editor through real sidecars: real identities, Valkey, one trace."""

from __future__ import annotations

from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from hexr.a2a import AsyncA2AClient


async def test_three_agents_one_trace(
    a2a_sidecars: Any, caller: Any, valkey_server: Any, otlp_receiver: Any
) -> None:
    env = {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.endpoint}
    started = [a2a_sidecars(a, env=env, wait=False) for a in ("editor", "writer", "researcher")]
    for handle in started:
        handle.ready()
    trace_id = 0x5EED_0000_0000_0000_0000_0000_0000_A2A1
    parent = SpanContext(trace_id, 0x1234, is_remote=True, trace_flags=TraceFlags(1))
    token = otel_context.attach(trace.set_span_in_context(NonRecordingSpan(parent)))
    try:
        with caller("acme", "tester"):
            client = AsyncA2AClient(valkey_url=valkey_server.url)
            result = await client.send("researcher", "tides")
            await client.aclose()
    finally:
        otel_context.detach(token)

    assert result.state == "completed"
    assert result.text == "edited(draft[notes on tides])"

    def complete(spans: list[Any]) -> bool:
        ours = [s for s in spans if int.from_bytes(s.span.trace_id, "big") == trace_id]
        names = [s.span.name for s in ours]
        return (
            names.count("hexr.a2a.bridge.execute") == 3
            and names.count("hexr.a2a.client.send") == 2
            and names.count("hexr.agent.invoke") == 3
        )

    spans = otlp_receiver.wait_for(complete)
    ours = [s for s in spans if int.from_bytes(s.span.trace_id, "big") == trace_id]
    bridges = {
        s.attributes["agent_name"]: s.attributes
        for s in ours
        if s.span.name == "hexr.a2a.bridge.execute"
    }
    assert set(bridges) == {"researcher", "writer", "editor"}
    assert bridges["researcher"]["source_agent"] == "tester"
    assert bridges["writer"]["source_agent"] == "researcher"
    assert bridges["editor"]["source_agent"] == "writer"
    assert all(b["task_id"] for b in bridges.values())
    sends = [s.attributes for s in ours if s.span.name == "hexr.a2a.client.send"]
    assert {s["target_agent"] for s in sends} == {"writer", "editor"}
    assert {s["task_state"] for s in sends} == {"completed"}
