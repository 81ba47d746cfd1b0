"""@hexr_agent: spans, metrics, sync/async/generator behaviour, metadata."""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from hexr import hexr_agent
from hexr._agent import current_agent
from hexr.telemetry import get_tracer
from tests.fixtures.otel import OtelCapture

INVOCATIONS = "hexr_agent_invocations_total"
ACTIVE = "hexr_agent_active"
DURATION_COUNT = "hexr_agent_duration_seconds_count"


def _name() -> str:
    # A fresh agent name per test keeps cumulative metrics independent between tests.
    return f"agent-{uuid.uuid4().hex[:8]}"


def _labels(name: str, status: str | None = None, framework: str = "none") -> dict[str, str]:
    labels = {
        "agent_name": name,
        "tenant": "acme",
        "framework": framework,
        "otel_scope_name": "hexr",
        "otel_scope_version": "0.1.0",
        "otel_scope_schema_url": "",
    }
    if status is not None:
        labels["status"] = status
    return labels


class Boom(Exception):
    pass


def test_sync_call_emits_span_and_metrics(otel: OtelCapture) -> None:
    name = _name()

    @hexr_agent(name=name, tenant="acme", framework="langgraph")
    def work(x: int) -> int:
        return x * 2

    assert work(21) == 42
    (span,) = otel.spans("hexr.agent.invoke")
    assert span.kind is SpanKind.INTERNAL
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes or {}) == {
        "hexr.spiffe_id": otel.handle.spiffe_id,
        "agent_name": name,
        "tenant": "acme",
        "framework": "langgraph",
        "status": "ok",
    }
    labels = _labels(name, "ok", "langgraph")
    assert otel.metric(INVOCATIONS, **labels) == 1.0
    assert otel.metric(DURATION_COUNT, **labels) == 1.0
    assert otel.metric(ACTIVE, **_labels(name, framework="langgraph")) == 0.0


def test_exception_is_recorded_and_reraised_unchanged(otel: OtelCapture) -> None:
    name = _name()
    error = Boom("no luck")

    @hexr_agent(name=name, tenant="acme")
    def work() -> None:
        raise error

    with pytest.raises(Boom) as caught:
        work()
    assert caught.value is error
    (span,) = otel.spans("hexr.agent.invoke")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["status"] == "error"
    assert span.attributes["error.type"] == "Boom"
    (event,) = span.events
    assert event.name == "exception"
    assert event.attributes is not None
    assert event.attributes["exception.type"].endswith("Boom")
    assert otel.metric(INVOCATIONS, **_labels(name, "error")) == 1.0
    assert otel.metric(INVOCATIONS, **_labels(name, "ok")) == 0.0
    assert otel.metric(ACTIVE, **_labels(name)) == 0.0


def test_active_counts_running_invocations(otel: OtelCapture) -> None:
    name = _name()
    seen: list[float] = []

    @hexr_agent(name=name, tenant="acme")
    def work() -> None:
        seen.append(otel.metric(ACTIVE, **_labels(name)))

    work()
    assert seen == [1.0]
    assert otel.metric(ACTIVE, **_labels(name)) == 0.0


async def test_async_span_covers_awaited_body(otel: OtelCapture) -> None:
    name = _name()

    @hexr_agent(name=name, tenant="acme")
    async def work(delay: float) -> str:
        await asyncio.sleep(delay)
        return "done"

    assert await work(0.05) == "done"
    (span,) = otel.spans("hexr.agent.invoke")
    assert span.end_time is not None
    assert span.start_time is not None
    assert span.end_time - span.start_time >= 50_000_000
    assert otel.metric(INVOCATIONS, **_labels(name, "ok")) == 1.0


async def test_async_exception_reraised(otel: OtelCapture) -> None:
    name = _name()

    @hexr_agent(name=name, tenant="acme")
    async def work() -> None:
        await asyncio.sleep(0)
        raise Boom("async")

    with pytest.raises(Boom, match="async"):
        await work()
    (span,) = otel.spans("hexr.agent.invoke")
    assert span.status.status_code is StatusCode.ERROR


def test_generator_span_covers_iteration_and_keeps_return_value(otel: OtelCapture) -> None:
    name = _name()
    tracer = get_tracer()

    @hexr_agent(name=name, tenant="acme")
    def produce(count: int) -> Iterator[int]:
        for i in range(count):
            with tracer.start_as_current_span("step"):
                yield i
        return "finished"  # type: ignore[misc]

    gen = produce(3)
    outside: list[bool] = []
    items = []
    while True:
        try:
            items.append(next(gen))
        except StopIteration as stop:
            result = stop.value
            break
        # Between items the caller's code does not run inside the agent span.
        outside.append(trace.get_current_span().get_span_context().is_valid)
        assert otel.spans("hexr.agent.invoke") == []
    assert items == [0, 1, 2]
    assert result == "finished"
    assert outside == [False, False, False]
    (agent,) = otel.spans("hexr.agent.invoke")
    steps = otel.spans("step")
    assert len(steps) == 3
    assert all(s.parent is not None and s.parent.span_id == agent.context.span_id for s in steps)
    assert otel.metric(INVOCATIONS, **_labels(name, "ok")) == 1.0


def test_generator_closed_early_is_not_an_error(otel: OtelCapture) -> None:
    name = _name()
    cleaned: list[bool] = []

    @hexr_agent(name=name, tenant="acme")
    def produce() -> Iterator[int]:
        try:
            yield 1
            yield 2
        finally:
            cleaned.append(True)

    gen = produce()
    assert next(gen) == 1
    gen.close()
    assert cleaned == [True]
    (span,) = otel.spans("hexr.agent.invoke")
    assert span.attributes is not None
    assert span.attributes["status"] == "ok"


def test_generator_error_and_thrown_exception(otel: OtelCapture) -> None:
    name = _name()

    @hexr_agent(name=name, tenant="acme")
    def produce() -> Iterator[str]:
        try:
            yield "a"
        except KeyError:
            yield "recovered"
        raise Boom("late")

    gen = produce()
    assert next(gen) == "a"
    assert gen.throw(KeyError("k")) == "recovered"
    with pytest.raises(Boom, match="late"):
        next(gen)
    (span,) = otel.spans("hexr.agent.invoke")
    assert span.status.status_code is StatusCode.ERROR
    assert otel.metric(INVOCATIONS, **_labels(name, "error")) == 1.0


async def test_async_generator(otel: OtelCapture) -> None:
    name = _name()

    @hexr_agent(name=name, tenant="acme")
    async def produce(count: int) -> AsyncIterator[int]:
        for i in range(count):
            await asyncio.sleep(0)
            assert current_agent() is not None
            yield i

    assert [i async for i in produce(3)] == [0, 1, 2]
    (span,) = otel.spans("hexr.agent.invoke")
    assert span.attributes is not None
    assert span.attributes["status"] == "ok"

    agen = produce(5)
    assert await agen.__anext__() == 0
    await agen.aclose()
    assert len(otel.spans("hexr.agent.invoke")) == 2


def test_nested_agents_link_parent_and_child(otel: OtelCapture) -> None:
    inner_name, outer_name = _name(), _name()

    @hexr_agent(name=inner_name, tenant="acme")
    def inner() -> str:
        agent = current_agent()
        assert agent is not None
        return agent.name

    @hexr_agent(name=outer_name, tenant="acme")
    def outer() -> tuple[str, str]:
        agent = current_agent()
        assert agent is not None
        return agent.name, inner()

    assert outer() == (outer_name, inner_name)
    assert current_agent() is None
    child, parent = otel.spans("hexr.agent.invoke")
    assert child.attributes is not None
    assert child.attributes["agent_name"] == inner_name
    assert child.parent is not None
    assert child.parent.span_id == parent.context.span_id
    assert child.context.trace_id == parent.context.trace_id
    assert parent.parent is None


def test_signature_and_metadata_are_kept() -> None:
    def plain(a: int, b: str = "x", *, c: float = 1.0) -> str:
        """Plain doc."""
        return f"{a}{b}{c}"

    async def coro(a: int) -> int:
        return a

    def gen(a: int) -> Iterator[int]:
        yield a

    async def agen(a: int) -> AsyncIterator[int]:
        yield a

    deco = hexr_agent(name="meta", tenant="acme")
    wrapped = deco(plain)
    assert wrapped.__name__ == "plain"
    assert wrapped.__doc__ == "Plain doc."
    assert wrapped.__wrapped__ is plain  # type: ignore[attr-defined]
    assert inspect.signature(wrapped) == inspect.signature(plain)
    assert inspect.iscoroutinefunction(deco(coro))
    assert inspect.isgeneratorfunction(deco(gen))
    assert inspect.isasyncgenfunction(deco(agen))
    assert wrapped(1, c=2.0) == "1x2.0"


@pytest.mark.parametrize(("name", "tenant"), [("", "acme"), ("a", "")])
def test_empty_name_or_tenant_is_rejected(name: str, tenant: str) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        hexr_agent(name=name, tenant=tenant)


def test_exception_event_does_not_leak_credentials(otel: OtelCapture) -> None:
    key = "sk-" + "a1B2c3D4e5F6g7H8i9J0k1L2"

    @hexr_agent(name=_name(), tenant="acme")
    def work() -> None:
        raise Boom(f"upstream said: invalid key {key} (Authorization: Bearer abcdefghijkl)")

    with pytest.raises(Boom):
        work()
    (span,) = otel.spans("hexr.agent.invoke")
    (event,) = span.events
    recorded = str(dict(event.attributes or {}))
    assert key not in recorded
    assert "abcdefghijkl" not in recorded
    assert "[REDACTED]" in recorded


def test_a_generator_cleans_up_inside_its_agent_and_span(otel: OtelCapture) -> None:
    # Cleanup after an early close is the agent's own code: its logs and calls belong to
    # the agent and its span like the rest of the body.
    name = _name()
    seen: list[tuple[object, int]] = []

    @hexr_agent(name=name, tenant="acme")
    def produce() -> Iterator[int]:
        try:
            yield 1
            yield 2
        finally:
            agent = current_agent()
            span_id = trace.get_current_span().get_span_context().span_id
            seen.append((agent.name if agent else None, span_id))

    gen = produce()
    assert next(gen) == 1
    gen.close()
    (span,) = otel.spans("hexr.agent.invoke")
    assert span.context is not None
    assert seen == [(name, span.context.span_id)]


async def test_an_async_generator_cleans_up_inside_its_agent_and_span(
    otel: OtelCapture,
) -> None:
    name = _name()
    seen: list[tuple[object, int]] = []

    @hexr_agent(name=name, tenant="acme")
    async def produce() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            agent = current_agent()
            span_id = trace.get_current_span().get_span_context().span_id
            seen.append((agent.name if agent else None, span_id))

    agen = produce()
    assert await agen.__anext__() == 1
    await agen.aclose()
    (span,) = otel.spans("hexr.agent.invoke")
    assert span.context is not None
    assert seen == [(name, span.context.span_id)]
