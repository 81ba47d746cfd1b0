import uuid

import pytest

import hexr
from hexr.telemetry import _names as n
from tests.fixtures.otel import OtelCapture


def _agent() -> str:
    return f"looper-{uuid.uuid4().hex[:8]}"


def test_completed_session_counts_steps_and_completion(otel: OtelCapture) -> None:
    agent = _agent()
    labels = {"agent_name": agent, "tenant": "acme"}
    with hexr.session(agent=agent, tenant="acme") as s:
        assert otel.metric("hexr_agent_active_sessions", **labels) == 1.0
        assert s.step("plan") == 1
        s.step("tool")
        s.step()
    assert otel.metric("hexr_agent_active_sessions", **labels) == 0.0
    done = {**labels, "status": "completed"}
    assert otel.metric("hexr_agent_sessions_total", **done) == 1.0
    assert otel.metric("hexr_agent_session_steps_count", **done) == 1.0
    assert otel.metric("hexr_agent_session_steps_sum", **done) == 3.0
    assert otel.metric("hexr_agent_session_steps_bucket", **done, le="3") == 1.0
    assert otel.metric("hexr_agent_session_steps_bucket", **done, le="2") == 0.0
    (span,) = otel.spans(n.SPAN_AGENT_SESSION)
    assert span.attributes is not None
    assert span.attributes["steps"] == 3
    assert span.attributes["status"] == "completed"
    assert [e.attributes.get("name") for e in span.events if e.attributes] == [
        "plan", "tool", None
    ]


def test_exception_and_fail_mark_the_session_failed(otel: OtelCapture) -> None:
    agent = _agent()
    labels = {"agent_name": agent, "tenant": "acme"}

    def broken_loop() -> None:
        with hexr.session(agent=agent, tenant="acme") as s:
            s.step()
            raise RuntimeError("tool broke")

    with pytest.raises(RuntimeError):
        broken_loop()
    with hexr.session(agent=agent, tenant="acme") as s:
        s.fail()
    with hexr.session(agent=agent, tenant="acme"):
        pass
    assert otel.metric("hexr_agent_sessions_total", **labels, status="failed") == 2.0
    assert otel.metric("hexr_agent_sessions_total", **labels, status="completed") == 1.0
    assert otel.metric("hexr_agent_active_sessions", **labels) == 0.0


async def test_async_session_inside_an_agent_takes_its_labels(otel: OtelCapture) -> None:
    agent = _agent()

    @hexr.hexr_agent(name=agent, tenant="globex")
    async def run() -> int:
        async with hexr.session() as s:
            for _ in range(4):
                s.step()
            return s.steps

    assert await run() == 4
    done = {"agent_name": agent, "tenant": "globex", "status": "completed"}
    assert otel.metric("hexr_agent_session_steps_sum", **done) == 4.0
    (session_span,) = otel.spans(n.SPAN_AGENT_SESSION)
    (agent_span,) = otel.spans(n.SPAN_AGENT_INVOKE)
    assert session_span.parent is not None
    assert session_span.parent.span_id == agent_span.context.span_id


def test_session_outside_an_agent_needs_names() -> None:
    with pytest.raises(ValueError, match="needs agent and tenant"):
        hexr.session()


def test_step_events_are_bounded(otel: OtelCapture) -> None:
    with hexr.session(agent=_agent(), tenant="acme") as s:
        for _ in range(500):
            s.step()
    (span,) = otel.spans(n.SPAN_AGENT_SESSION)
    assert span.attributes is not None
    assert span.attributes["steps"] == 500
    assert len(span.events) <= 100


def test_a_session_is_entered_once() -> None:
    s = hexr.session(agent="x", tenant="acme")
    with s, pytest.raises(RuntimeError, match="entered once"):
        s.__enter__()


def test_a_failed_session_keeps_credentials_out_of_its_span(otel: OtelCapture) -> None:
    agent = _agent()
    token = "Bearer sk-live-0123456789abcdefghij"
    with pytest.raises(RuntimeError), hexr.session(agent=agent, tenant="acme"):
        raise RuntimeError(f"upstream said 401 for Authorization: {token}")
    (span,) = [s for s in otel.spans(n.SPAN_AGENT_SESSION)
               if s.attributes and s.attributes.get("agent_name") == agent]
    (event,) = [e for e in span.events if e.name == "exception"]
    assert event.attributes is not None
    recorded = " ".join(str(v) for v in event.attributes.values())
    assert "0123456789abcdefghij" not in recorded
    assert "RuntimeError" in recorded
    assert span.status.description == "RuntimeError"
