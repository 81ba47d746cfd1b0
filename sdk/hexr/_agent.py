"""``@hexr_agent``: telemetry setup at decoration time and a span per invocation.

The wrapper kind (function, coroutine function, generator, async generator) is chosen once
when decorating, so the span covers the awaited body or the whole iteration rather than
the creation of a coroutine or generator. Everything per call that does not depend on the
call (attribute dicts, instruments, tracer) is built at decoration time.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncGenerator, Callable, Generator
from time import perf_counter
from typing import Any, ParamSpec, TypeVar, cast

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span

from hexr.context import CURRENT_AGENT as _current
from hexr.context import AgentInfo, current_agent
from hexr.telemetry import _names as n
from hexr.telemetry import get_tracer
from hexr.telemetry._exceptions import record_error
from hexr.telemetry._instruments import Instruments, instruments

__all__ = ["AgentInfo", "current_agent", "hexr_agent"]

P = ParamSpec("P")
R = TypeVar("R")

_log = logging.getLogger("hexr.agent")


def _setup_telemetry(name: str, tenant: str, role: str) -> None:
    from hexr.errors import ConfigError
    from hexr.logs import ensure_logging
    from hexr.telemetry import setup

    try:
        handle = setup(agent_name=name, tenant=tenant, role=role)
    except ConfigError:
        raise  # invalid configuration fails at start, with a message naming the field
    except Exception:  # noqa: BLE001 - a broken telemetry backend must not stop the agent
        _log.warning("telemetry setup failed; the agent runs without telemetry", exc_info=True)
        return
    # JSON logs with tenant, agent (per invocation), SPIFFE ID and trace ids; once per process.
    ensure_logging("agent", spiffe_id=handle.spiffe_id)


class _Invocation:
    """Span and metric bookkeeping of one decorated function, built at decoration time."""

    __slots__ = (
        "active",
        "agent",
        "duration",
        "error_attrs",
        "errors",
        "ok_attrs",
        "oks",
        "span_attrs",
        "tracer",
    )

    def __init__(self, agent: AgentInfo) -> None:
        from hexr.telemetry import current_handle

        handle = current_handle()
        identity = handle.identity_attributes if handle is not None else {}
        self.agent = agent
        self.tracer = get_tracer()
        inst: Instruments = instruments()
        self.span_attrs = {
            **identity,
            n.ATTR_AGENT_NAME: agent.name,
            n.ATTR_TENANT: agent.tenant,
            n.ATTR_FRAMEWORK: agent.framework,
        }
        base = {
            n.ATTR_AGENT_NAME: agent.name,
            n.ATTR_TENANT: agent.tenant,
            n.ATTR_FRAMEWORK: agent.framework,
        }
        self.ok_attrs = {**base, n.ATTR_STATUS: n.STATUS_OK}
        self.error_attrs = {**base, n.ATTR_STATUS: n.STATUS_ERROR}
        # Counter cells are bound once here; a call only adds to them.
        self.active = inst.agent_active.cell(base)
        self.oks = inst.agent_invocations.cell(self.ok_attrs)
        self.errors = inst.agent_invocations.cell(self.error_attrs)
        self.duration = inst.agent_duration

    def start(self) -> tuple[Span, otel_context.Context, float]:
        span = self.tracer.start_span(n.SPAN_AGENT_INVOKE, attributes=self.span_attrs)
        self.active.inc()
        return span, trace.set_span_in_context(span), perf_counter()

    def finish(self, span: Span, started: float, error: BaseException | None) -> None:
        elapsed = perf_counter() - started
        self.active.dec()
        if error is None:
            self.oks.inc()
            self.duration.record(elapsed, self.ok_attrs)
            if span.is_recording():
                span.set_attribute(n.ATTR_STATUS, n.STATUS_OK)
        else:
            self.errors.inc()
            self.duration.record(elapsed, self.error_attrs)
            if span.is_recording():
                span.set_attribute(n.ATTR_STATUS, n.STATUS_ERROR)
                record_error(span, error)
        span.end()


def _wrap_function(func: Callable[P, R], inv: _Invocation) -> Callable[P, R]:
    # The plainest and most called wrapper: everything it reads per call is a local here.
    start_span, attrs, agent = inv.tracer.start_span, inv.span_attrs, inv.agent
    active, oks = inv.active, inv.oks
    ok_duration = inv.duration.bind(inv.ok_attrs).record
    attach, detach, in_context = otel_context.attach, otel_context.detach, trace.set_span_in_context
    set_agent, reset_agent = _current.set, _current.reset

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        span = start_span(n.SPAN_AGENT_INVOKE, attributes=attrs)
        active.inc()
        token = attach(in_context(span))
        agent_token = set_agent(agent)
        started = perf_counter()
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            reset_agent(agent_token)
            detach(token)
            inv.finish(span, started, exc)
            raise
        elapsed = perf_counter() - started
        reset_agent(agent_token)
        detach(token)
        active.dec()
        oks.inc()
        ok_duration(elapsed)
        if span.is_recording():
            span.set_attribute(n.ATTR_STATUS, n.STATUS_OK)
        span.end()
        return result

    return wrapper


def _wrap_coroutine(func: Callable[P, Any], inv: _Invocation) -> Callable[P, Any]:
    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        span, ctx, started = inv.start()
        token = otel_context.attach(ctx)
        agent_token = _current.set(inv.agent)
        error: BaseException | None = None
        try:
            return await func(*args, **kwargs)
        except BaseException as exc:
            error = exc
            raise
        finally:
            _current.reset(agent_token)
            otel_context.detach(token)
            inv.finish(span, started, error)

    return wrapper


def _wrap_generator(func: Callable[P, Generator[Any, Any, Any]], inv: _Invocation) -> Any:
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Generator[Any, Any, Any]:
        span, ctx, started = inv.start()
        error: BaseException | None = None
        try:
            # The span is current only while the body runs, never across the caller's code
            # between items (attaching across a yield would leak the context to the caller).
            token, agent_token = otel_context.attach(ctx), _current.set(inv.agent)
            try:
                gen = func(*args, **kwargs)
            finally:
                _current.reset(agent_token)
                otel_context.detach(token)
            sent: Any = None
            thrown: BaseException | None = None
            while True:
                token, agent_token = otel_context.attach(ctx), _current.set(inv.agent)
                try:
                    item = gen.throw(thrown) if thrown is not None else gen.send(sent)
                except StopIteration as stop:
                    return stop.value
                finally:
                    _current.reset(agent_token)
                    otel_context.detach(token)
                thrown = None
                try:
                    sent = yield item
                except GeneratorExit:
                    # The body's cleanup (finally blocks) runs as the agent, in its span.
                    token, agent_token = otel_context.attach(ctx), _current.set(inv.agent)
                    try:
                        gen.close()
                    finally:
                        _current.reset(agent_token)
                        otel_context.detach(token)
                    raise
                except BaseException as exc:  # noqa: BLE001 - thrown in by the caller: forwarded
                    thrown = exc
        except GeneratorExit:
            raise  # the consumer stopped early: not an error of the agent
        except BaseException as exc:
            error = exc
            raise
        finally:
            inv.finish(span, started, error)

    return wrapper


def _wrap_async_generator(func: Callable[P, AsyncGenerator[Any, Any]], inv: _Invocation) -> Any:
    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> AsyncGenerator[Any, Any]:
        span, ctx, started = inv.start()
        error: BaseException | None = None
        try:
            token, agent_token = otel_context.attach(ctx), _current.set(inv.agent)
            try:
                agen = func(*args, **kwargs)
            finally:
                _current.reset(agent_token)
                otel_context.detach(token)
            sent: Any = None
            thrown: BaseException | None = None
            while True:
                token, agent_token = otel_context.attach(ctx), _current.set(inv.agent)
                try:
                    if thrown is not None:
                        item = await agen.athrow(thrown)
                    else:
                        item = await agen.asend(sent)
                except StopAsyncIteration:
                    return
                finally:
                    _current.reset(agent_token)
                    otel_context.detach(token)
                thrown = None
                try:
                    sent = yield item
                except GeneratorExit:
                    token, agent_token = otel_context.attach(ctx), _current.set(inv.agent)
                    try:
                        await agen.aclose()
                    finally:
                        _current.reset(agent_token)
                        otel_context.detach(token)
                    raise
                except BaseException as exc:  # noqa: BLE001 - thrown in by the caller: forwarded
                    thrown = exc
        except GeneratorExit:
            raise
        except BaseException as exc:
            error = exc
            raise
        finally:
            inv.finish(span, started, error)

    return wrapper


def hexr_agent(
    name: str,
    tenant: str,
    framework: str | None = None,
    role: str = "main",
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Turn a function into a Hexr agent: telemetry set up now, a span per invocation.

    Works on functions, coroutine functions, generators and async generators; the result
    keeps the wrapped function's signature and metadata, and exceptions propagate
    unchanged after being recorded on the ``hexr.agent.invoke`` span.

    Args:
        name: Agent name (span attribute ``agent_name``, part of the SPIFFE ID).
        tenant: Tenant the agent runs for.
        framework: Agent framework in use (e.g. ``langgraph``); ``none`` if not given.
        role: Process role within the agent (``main`` by default).

    Raises:
        ValueError: ``name`` or ``tenant`` is empty.
    """
    if not name or not tenant:
        raise ValueError("hexr_agent needs a non-empty name and tenant")
    agent = AgentInfo(name=name, tenant=tenant, framework=framework or "none", role=role)

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        _setup_telemetry(name, tenant, role)
        inv = _Invocation(agent)
        import inspect  # at decoration time: importing it at `import hexr` costs ~30 ms

        if inspect.isasyncgenfunction(func):
            return cast(Callable[P, R], _wrap_async_generator(cast(Any, func), inv))
        if inspect.isgeneratorfunction(func):
            return cast(Callable[P, R], _wrap_generator(cast(Any, func), inv))
        if inspect.iscoroutinefunction(func):
            return cast(Callable[P, R], _wrap_coroutine(func, inv))
        return _wrap_function(func, inv)

    return decorate
