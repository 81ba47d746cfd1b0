"""``hexr.session()``: sessions of agents that run multi-step loops.

A session is one task an agent works through in steps (plan, call a tool, call the LLM,
...). It counts as active while open (``hexr.agent.active_sessions``), records its number
of steps when it ends (``hexr.agent.session.steps``) and whether it completed or failed
(``hexr.agent.sessions`` by status: the completion rate per tenant). Use it as ``with`` or
``async with``; an exception, or `AgentSession.fail`, marks it failed::

    with hexr.session() as s:
        while not done:
            s.step()
            ...
"""

from __future__ import annotations

import threading
from types import TracebackType

from opentelemetry import context, trace
from opentelemetry.metrics import Meter
from opentelemetry.trace import Status, StatusCode

from hexr.context import current_agent
from hexr.telemetry import _names as n
from hexr.telemetry import get_meter, get_tracer
from hexr.telemetry._exceptions import record_error

__all__ = ["AgentSession", "session"]

COMPLETED = "completed"
FAILED = "failed"
MAX_STEP_EVENTS = 100
"""Steps beyond this are counted but not added as span events (spans stay bounded)."""


class _SessionInstruments:
    def __init__(self, meter: Meter) -> None:
        self.active = meter.create_up_down_counter(
            n.METRIC_AGENT_ACTIVE_SESSIONS, unit="{session}", description="Sessions running."
        )
        self.steps = meter.create_histogram(
            n.METRIC_AGENT_SESSION_STEPS, unit="{step}",
            description="Steps taken by each ended session.",
        )
        self.ended = meter.create_counter(
            n.METRIC_AGENT_SESSIONS, unit="{session}",
            description="Ended sessions by status (completed, failed).",
        )


_lock = threading.Lock()
_instruments: _SessionInstruments | None = None


def _get_instruments() -> _SessionInstruments:
    global _instruments
    with _lock:
        if _instruments is None:
            _instruments = _SessionInstruments(get_meter())
        return _instruments


class AgentSession:
    """One multi-step session; count its steps with `step`."""

    def __init__(self, agent: str, tenant: str, instruments: _SessionInstruments) -> None:
        self.agent = agent
        self.tenant = tenant
        self.steps = 0
        self.status = COMPLETED
        self._inst = instruments
        self._labels = {n.ATTR_AGENT_NAME: agent, n.ATTR_TENANT: tenant}
        self._span: trace.Span = trace.INVALID_SPAN
        self._token: object | None = None
        self._open = False

    def step(self, name: str | None = None) -> int:
        """Count one step (``name``, e.g. ``plan`` or ``tool``, goes on the span); its number."""
        self.steps += 1
        if self.steps <= MAX_STEP_EVENTS and self._span.is_recording():
            attributes = {"step": self.steps}
            self._span.add_event("step", {**attributes, "name": name} if name else attributes)
        return self.steps

    def fail(self) -> None:
        """Mark the session failed even though no exception escapes it."""
        self.status = FAILED

    def __enter__(self) -> AgentSession:
        if self._open:
            raise RuntimeError("a session can be entered once")
        self._open = True
        self._inst.active.add(1, self._labels)
        self._span = get_tracer().start_span(
            n.SPAN_AGENT_SESSION, attributes={**self._labels}
        )
        self._token = context.attach(trace.set_span_in_context(self._span))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            self.status = FAILED
        if self._token is not None:
            context.detach(self._token)  # type: ignore[arg-type]
            self._token = None
        ended = {**self._labels, n.ATTR_STATUS: self.status}
        self._inst.active.add(-1, self._labels)
        self._inst.steps.record(self.steps, ended)
        self._inst.ended.add(1, ended)
        span = self._span
        if span.is_recording():
            span.set_attribute("steps", self.steps)
            span.set_attribute(n.ATTR_STATUS, self.status)
            if exc is not None:
                # Not span.record_exception: the message and traceback can quote a token.
                record_error(span, exc)
            elif self.status == FAILED:
                span.set_status(Status(StatusCode.ERROR, FAILED))
        span.end()

    async def __aenter__(self) -> AgentSession:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def session(agent: str | None = None, tenant: str | None = None) -> AgentSession:
    """A session for ``agent``/``tenant`` (default: the running ``@hexr_agent``).

    Raises:
        ValueError: outside an ``@hexr_agent`` and without ``agent`` and ``tenant``.
    """
    running = current_agent()
    name = agent or (running.name if running is not None else None)
    owner = tenant or (running.tenant if running is not None else None)
    if not name or not owner:
        raise ValueError("hexr.session() needs agent and tenant outside an @hexr_agent")
    return AgentSession(name, owner, _get_instruments())
