"""Provider-independent LLM call telemetry: span attributes, metrics, hooks.

One `LLMTelemetry` per instrumented client holds everything that does not change between
calls (tracer, instruments, hooks, a bounded cache of label dicts). A `LLMCall` is one
request: it opens the ``hexr.llm.chat`` span, collects what the provider adapter reads from
the response or chunks into a `CallResult`, and records span attributes and metrics exactly
once when the call (or its stream) ends. Cost and stage timings belong here too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from time import perf_counter
from typing import Any, Protocol

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span

from hexr import _env
from hexr.context import AgentInfo, current_agent
from hexr.errors import LLMError
from hexr.llm._hooks import (
    LLMCallInfo,
    LLMHooks,
    global_hooks,
    hooks_from_environment,
    stream_holdback,
)
from hexr.telemetry import _names as n
from hexr.telemetry import current_handle, get_tracer
from hexr.telemetry._cost import cost_recorder
from hexr.telemetry._exceptions import record_error
from hexr.telemetry._instruments import Cell, Instruments, instruments
from hexr.telemetry._stages import stage_recorder

__all__ = [
    "CONTENT_LIMIT",
    "CallResult",
    "LLMCall",
    "LLMTelemetry",
    "ProviderAdapter",
    "RequestAttributes",
    "keep_messages",
]

CONTENT_LIMIT = 8192
"""Characters of prompt or completion kept on a span when content capture is on."""
_LABEL_CACHE_LIMIT = 256
_COMPONENT = "llm"

_log = logging.getLogger("hexr.llm")


class CallResult:
    """What a response or a stream of chunks said about the call."""

    __slots__ = (
        "cached_input_tokens",
        "finish_reasons",
        "input_tokens",
        "output_tokens",
        "response_id",
        "response_model",
        "text",
    )

    def __init__(self, want_text: bool) -> None:
        self.response_id: str | None = None
        self.response_model: str | None = None
        self.finish_reasons: list[str] = []
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.cached_input_tokens = 0
        """Prompt tokens served from the provider's cache (part of ``input_tokens``)."""
        # Text is only accumulated when a hook or content capture needs it.
        self.text: list[str] | None = [] if want_text else None


class ProviderAdapter(Protocol):
    """How to read one provider's requests, responses and stream chunks."""

    system: str

    def request_attributes(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """Span attributes of the request (model, max_tokens, temperature, top_p)."""
        ...

    def messages(self, kwargs: Mapping[str, Any]) -> Sequence[Any]:
        """The request's messages, as passed to the provider."""
        ...

    def read_response(self, response: Any, result: CallResult) -> None:
        """Fill ``result`` from a complete (non-streamed) response."""
        ...

    def read_chunk(self, chunk: Any, result: CallResult) -> None:
        """Fill ``result`` from one streamed chunk or event."""
        ...


class RequestAttributes:
    """The adapters' ``request_attributes``: model, output token limit, sampling."""

    max_tokens_keys: tuple[str, ...] = ("max_tokens",)
    """Request keys of the output token limit; the first one present is read."""

    def request_attributes(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """Span attributes of the request (unset or non-numeric values are left out)."""
        attrs: dict[str, Any] = {n.ATTR_GENAI_REQUEST_MODEL: str(kwargs.get("model"))}
        max_tokens = None
        for key in self.max_tokens_keys:
            if key in kwargs:
                max_tokens = kwargs[key]
                break
        if isinstance(max_tokens, int):
            attrs[n.ATTR_GENAI_REQUEST_MAX_TOKENS] = max_tokens
        temperature = kwargs.get("temperature")
        if isinstance(temperature, int | float):
            attrs[n.ATTR_GENAI_REQUEST_TEMPERATURE] = float(temperature)
        top_p = kwargs.get("top_p")
        if isinstance(top_p, int | float):
            attrs[n.ATTR_GENAI_REQUEST_TOP_P] = float(top_p)
        return attrs


class _Labels:
    """Metric attribute dicts for one (agent, model) pair, built once and reused."""

    __slots__ = (
        "_errors",
        "base",
        "calls",
        "duration",
        "input",
        "input_tokens",
        "inst",
        "output",
        "output_tokens",
    )

    def __init__(
        self,
        inst: Instruments,
        system: str,
        model: str,
        agent: AgentInfo | None,
        process: tuple[str, str],
        operation: str = "chat",
    ) -> None:
        # Every series carries agent_name and tenant (outside an agent: the process's), so
        # all series of a metric have the same label names.
        agent_name, tenant = (agent.name, agent.tenant) if agent is not None else process
        self.base = {
            n.ATTR_GENAI_SYSTEM: system,
            n.ATTR_GENAI_REQUEST_MODEL: model,
            n.ATTR_AGENT_NAME: agent_name,
            n.ATTR_TENANT: tenant,
        }
        genai = {
            n.ATTR_GENAI_OPERATION: operation,
            n.ATTR_GENAI_SYSTEM: system,
            n.ATTR_GENAI_REQUEST_MODEL: model,
        }
        self.duration = genai
        self.input = {**genai, n.ATTR_GENAI_TOKEN_TYPE: "input"}
        self.output = {**genai, n.ATTR_GENAI_TOKEN_TYPE: "output"}
        self.inst = inst
        self.calls = inst.llm_calls.cell(self.base)
        self.input_tokens = inst.llm_input_tokens.cell(self.base)
        self.output_tokens = inst.llm_output_tokens.cell(self.base)
        self._errors: dict[str, Cell] = {}

    def errors(self, error_type: str) -> Cell:
        """The error counter cell for ``error_type`` (exception class names: bounded)."""
        found = self._errors.get(error_type)
        if found is None:
            attrs = {**self.base, n.ATTR_ERROR_TYPE: error_type}
            found = self._errors[error_type] = self.inst.llm_call_errors.cell(attrs)
        return found


class LLMTelemetry:
    """Per-client call instrumentation, configured once when the client is wrapped."""

    def __init__(
        self,
        adapter: ProviderAdapter,
        hooks: Sequence[LLMHooks] = (),
        capture_content: bool | None = None,
    ) -> None:
        self.adapter = adapter
        self.system = adapter.system
        # chat (default) or embeddings: names the span and labels the GenAI metrics.
        self.operation: str = getattr(adapter, "operation", n.OPERATION_CHAT)
        self.span_name = n.SPAN_LLM_CHAT if self.operation == n.OPERATION_CHAT else (
            n.SPAN_LLM_EMBEDDINGS
        )
        self.hooks = tuple(hooks)
        self._explicit_capture = capture_content
        self.tracer = get_tracer()
        self.inst: Instruments = instruments()
        # Loads the price table now: a bad price file fails when the client is wrapped.
        self.cost = cost_recorder()
        self.stages = stage_recorder()
        self._labels: dict[tuple[AgentInfo | None, str], _Labels] = {}
        self._configured = False
        hooks_from_environment()
        self._configure()

    def _configure(self) -> None:
        """Take process settings from the telemetry handle, once one exists.

        A client is often wrapped at import, before ``@hexr_agent`` runs setup; until then
        it uses environment defaults, and the first call after setup picks them up.
        """
        handle = current_handle()
        self._configured = handle is not None
        settings = handle.settings if handle is not None else None
        capture = self._explicit_capture
        if capture is None:
            capture = settings.capture_content if settings is not None else _env_capture()
        self.capture_content = capture
        identity = dict(handle.identity_attributes) if handle is not None else {}
        self._process = (
            (settings.agent_name or "", settings.tenant or "") if settings is not None else ("", "")
        )
        self._static = {
            **identity,
            n.ATTR_GENAI_OPERATION: self.operation,
            n.ATTR_GENAI_SYSTEM: self.system,
            n.ATTR_GENAI_PROVIDER: self.system,
        }
        self._labels.clear()

    def labels(self, agent: AgentInfo | None, model: str) -> _Labels:
        """Cached metric attributes for ``agent`` and ``model`` (bounded cache)."""
        key = (agent, model)
        found = self._labels.get(key)
        if found is None:
            found = _Labels(self.inst, self.system, model, agent, self._process, self.operation)
            if len(self._labels) < _LABEL_CACHE_LIMIT:
                self._labels[key] = found
        return found

    def keep_messages(self, kwargs: MutableMapping[str, Any]) -> None:
        """Before the provider gets ``kwargs``, when hooks or content capture will read them.

        For helpers that hand ``kwargs`` to the provider before `start` runs.
        """
        if self.hooks or global_hooks() or self.capture_content:
            keep_messages(kwargs)

    def start(self, kwargs: MutableMapping[str, Any], stream: bool) -> LLMCall:
        """Open the span for a call with request ``kwargs`` and run the request hooks.

        ``kwargs`` are the ones then passed to the provider: a one-shot ``messages``
        iterable that hooks or content capture read is replaced by a list, and messages a
        hook replaced (redaction) are written back.
        """
        call = self._open(kwargs, stream)
        if call.hooks:
            messages = self.adapter.messages(kwargs)
            replaced = call.run_hooks("prompt", messages, _before_request)
            if replaced is not messages:
                call.apply_messages(kwargs, replaced)
        return call

    async def astart(self, kwargs: MutableMapping[str, Any], stream: bool) -> LLMCall:
        """`start` for async clients: hooks' ``abefore_request`` are awaited."""
        call = self._open(kwargs, stream)
        if call.hooks:
            messages = self.adapter.messages(kwargs)
            replaced = await call.arun_hooks(
                "prompt", messages, _before_request, "abefore_request"
            )
            if replaced is not messages:
                call.apply_messages(kwargs, replaced)
        return call

    def _open(self, kwargs: MutableMapping[str, Any], stream: bool) -> LLMCall:
        # Before setup the environment defaults of __init__ stand: nothing to redo per call.
        if not self._configured and current_handle() is not None:
            self._configure()
        extra = global_hooks()
        hooks = self.hooks + extra if extra else self.hooks
        if hooks:
            keep_messages(kwargs)
        return LLMCall(self, kwargs, stream, hooks)


def _before_request(hook: LLMHooks, info: LLMCallInfo, messages: Any) -> Any:
    return hook.before_request(info, messages)


def _after_response(hook: LLMHooks, info: LLMCallInfo, text: Any) -> Any:
    return hook.after_response(info, text)


def _scan_stream(hook: LLMHooks, info: LLMCallInfo, text: Any) -> Any:
    scan = getattr(hook, "scan_stream", None)
    if scan is not None:
        scan(info, text)
    return None  # a window scan can block, never replace


class LLMCall:
    """One LLM request, from span start to the last chunk."""

    __slots__ = (
        "_done",
        "_first_chunk",
        "_handling_s",
        "_token",
        "_upstream_start",
        "holdback",
        "hooks",
        "labels",
        "model",
        "result",
        "span",
        "started",
        "stream",
        "tel",
    )

    def __init__(
        self,
        tel: LLMTelemetry,
        kwargs: MutableMapping[str, Any],
        stream: bool,
        hooks: tuple[LLMHooks, ...],
    ) -> None:
        model = kwargs.get("model")
        self.model = model if isinstance(model, str) else "unknown"
        agent = current_agent()
        self.tel = tel
        self.stream = stream
        self.hooks = hooks
        self.holdback = stream_holdback(hooks) if stream and hooks else 0
        """Hold-back window of the stream proxy (0: chunks pass straight through)."""
        self.labels = tel.labels(agent, self.model)
        self.result = CallResult(bool(hooks) or tel.capture_content)
        self._done = False
        self._first_chunk = False
        # One attribute dict at start: the SDK validates it once instead of per call.
        attrs = {**tel._static, **tel.adapter.request_attributes(kwargs)}
        if agent is not None:
            attrs[n.ATTR_AGENT_NAME] = agent.name
            attrs[n.ATTR_TENANT] = agent.tenant
        if stream:
            attrs[n.ATTR_LLM_STREAMING] = True
        if tel.capture_content:
            keep_messages(kwargs)
            attrs[n.ATTR_GENAI_PROMPT] = _clip(tel.adapter.messages(kwargs))
        span = tel.tracer.start_span(tel.span_name, kind=trace.SpanKind.CLIENT, attributes=attrs)
        self.span = span
        self._token: object | None = None
        self.started = perf_counter()
        self._upstream_start = 0.0
        self._handling_s = 0.0

    def info(self) -> LLMCallInfo:
        """What hooks see about this call."""
        return LLMCallInfo(self.tel.system, self.model, self.stream, self.span, self.holdback)

    def run_hooks(
        self, scan_type: str, value: Any, run: Callable[[LLMHooks, LLMCallInfo, Any], Any]
    ) -> Any:
        """Run ``run`` for every hook with the span current, timed as the guard-scan stage.

        Each hook gets the value the previous one returned (``None`` keeps it); the last
        value is returned. A raising hook ends the call with its exception, which propagates.
        """
        info = self.info()
        token = otel_context.attach(trace.set_span_in_context(self.span))
        scan_started = perf_counter()
        try:
            for hook in self.hooks:
                replaced = run(hook, info, value)
                if replaced is not None:
                    value = replaced
        except BaseException as exc:
            self._stage(n.STAGE_GUARD_SCAN, scan_started, {"scan_type": scan_type})
            self.finish(exc)
            raise
        finally:
            otel_context.detach(token)
        self._stage(n.STAGE_GUARD_SCAN, scan_started, {"scan_type": scan_type})
        return value

    async def arun_hooks(
        self,
        scan_type: str,
        value: Any,
        run: Callable[[LLMHooks, LLMCallInfo, Any], Any],
        async_name: str,
    ) -> Any:
        """`run_hooks` for async clients: a hook's ``async_name`` method is awaited if present."""
        info = self.info()
        token = otel_context.attach(trace.set_span_in_context(self.span))
        scan_started = perf_counter()
        try:
            for hook in self.hooks:
                method = getattr(hook, async_name, None)
                if method is not None:
                    replaced = await method(info, value)
                else:
                    replaced = run(hook, info, value)
                if replaced is not None:
                    value = replaced
        except BaseException as exc:
            self._stage(n.STAGE_GUARD_SCAN, scan_started, {"scan_type": scan_type})
            self.finish(exc)
            raise
        finally:
            otel_context.detach(token)
        self._stage(n.STAGE_GUARD_SCAN, scan_started, {"scan_type": scan_type})
        return value

    def apply_messages(self, kwargs: MutableMapping[str, Any], messages: Any) -> None:
        """Write messages a hook replaced into the request (fails closed if impossible)."""
        setter = getattr(self.tel.adapter, "set_messages", None)
        if not isinstance(messages, list | tuple):
            error = LLMError("a hook returned something other than a list of messages")
            self.finish(error)
            raise error
        if setter is not None:
            setter(kwargs, messages)
        elif "messages" in kwargs:
            kwargs["messages"] = list(messages)
        else:
            error = LLMError(
                f"a hook replaced the prompt, but the {self.tel.system} adapter cannot apply it"
            )
            self.finish(error)
            raise error

    def scan_window(self, text: str) -> None:
        """Pass one window of streamed text to the hooks' ``scan_stream`` (may raise)."""
        self.run_hooks("output", text, _scan_stream)

    async def ascan_window(self, text: str) -> None:
        """`scan_window` for async streams (``ascan_stream`` awaited where present)."""
        await self.arun_hooks("output", text, _scan_stream, "ascan_stream")

    def _stage(
        self, stage: str, started: float, attributes: dict[str, Any] | None = None
    ) -> None:
        self.tel.stages.record(
            self.span, _COMPONENT, stage, perf_counter() - started, attributes
        )

    def attach(self) -> None:
        """Make the span current while the provider call runs (child HTTP spans nest)."""
        self._token = otel_context.attach(trace.set_span_in_context(self.span))
        self._upstream_start = perf_counter()

    def detach(self) -> None:
        """Undo `attach`."""
        if self._token is not None:
            otel_context.detach(self._token)  # type: ignore[arg-type]
            self._token = None
            # The provider call returns at the response headers for a stream (first
            # byte) and with the whole body otherwise.
            stage = n.STAGE_UPSTREAM_FIRST_BYTE if self.stream else n.STAGE_UPSTREAM
            self._stage(stage, self._upstream_start)

    def on_response(self, response: Any) -> None:
        """A complete response arrived: read it, run output hooks, end the call."""
        self._read_response(response)
        if self.hooks and not self._done:
            text = self._text()
            replaced = self.run_hooks("output", text, _after_response)
            self._apply_text(response, text, replaced)
        self.finish(None)

    async def aon_response(self, response: Any) -> None:
        """`on_response` for async clients (``aafter_response`` awaited where present)."""
        self._read_response(response)
        if self.hooks and not self._done:
            text = self._text()
            replaced = await self.arun_hooks("output", text, _after_response, "aafter_response")
            self._apply_text(response, text, replaced)
        self.finish(None)

    def _read_response(self, response: Any) -> None:
        handling_started = perf_counter()
        try:
            self.tel.adapter.read_response(response, self.result)
        except Exception:  # noqa: BLE001 - an odd response shape must not fail the call
            _log.debug("unreadable %s response", self.tel.system, exc_info=True)
        self._stage(n.STAGE_RESPONSE_HANDLING, handling_started)

    def _text(self) -> str:
        return "".join(self.result.text or ())

    def _apply_text(self, response: Any, text: str, replaced: Any) -> None:
        """Write a hook's replacement text into ``response`` (``None``: a stream's end)."""
        if replaced is text or replaced == text:
            return
        replace = getattr(self.tel.adapter, "replace_text", None)
        if response is None or self.stream or replace is None or not isinstance(replaced, str):
            error = LLMError(
                f"a hook replaced the {self.tel.system} output, which cannot be applied here"
            )
            self.finish(error)
            raise error
        replace(response, replaced)
        self.result.text = [replaced]

    def on_chunk(self, chunk: Any) -> None:
        """A streamed chunk arrived."""
        if not self._first_chunk:
            self._first_chunk = True
            ttft = perf_counter() - self.started
            self.tel.inst.llm_time_to_first_chunk.record(ttft, self.labels.duration)
            if self.span.is_recording():
                self.span.set_attribute(n.ATTR_LLM_TIME_TO_FIRST_CHUNK, ttft)
        handling_started = perf_counter()
        try:
            self.tel.adapter.read_chunk(chunk, self.result)
        except Exception:  # noqa: BLE001 - an odd chunk shape must not break the stream
            _log.debug("unreadable %s chunk", self.tel.system, exc_info=True)
        self._handling_s += perf_counter() - handling_started

    def on_stream_end(self) -> None:
        """The stream was read to its end."""
        if self.hooks and not self._done:
            text = self._text()
            self._apply_text(None, text, self.run_hooks("output", text, _after_response))
        self.finish(None)

    async def aon_stream_end(self) -> None:
        """`on_stream_end` for async streams (``aafter_response`` awaited where present)."""
        if self.hooks and not self._done:
            text = self._text()
            replaced = await self.arun_hooks("output", text, _after_response, "aafter_response")
            self._apply_text(None, text, replaced)
        self.finish(None)

    def finish(self, error: BaseException | None) -> None:
        """Record span attributes and metrics and end the span, exactly once."""
        if self._done:
            return
        self._done = True
        elapsed = perf_counter() - self.started
        tel, labels, result, span = self.tel, self.labels, self.result, self.span
        # Usage and model come from the provider unvalidated: only a non-negative int is
        # counted, and only a string model prices the call.
        result.input_tokens = _count(result.input_tokens)
        result.output_tokens = _count(result.output_tokens)
        if not isinstance(result.response_model, str):
            result.response_model = None
        inst = tel.inst
        labels.calls.inc()
        inst.llm_call_duration.record(elapsed, labels.base)
        if error is None:
            inst.genai_operation_duration.record(elapsed, labels.duration)
        else:
            error_type = type(error).__qualname__
            labels.errors(error_type).inc()
            inst.genai_operation_duration.record(
                elapsed, {**labels.duration, n.ATTR_ERROR_TYPE: error_type}
            )
        if result.input_tokens is not None:
            labels.input_tokens.add(result.input_tokens)
            inst.genai_token_usage.record(result.input_tokens, labels.input)
        if result.output_tokens is not None:
            labels.output_tokens.add(result.output_tokens)
            inst.genai_token_usage.record(result.output_tokens, labels.output)
        if result.input_tokens is not None or result.output_tokens is not None:
            # Priced by the model that answered (dated snapshot), counted by the requested one.
            tel.cost.record(
                span,
                model=result.response_model or self.model,
                input_tokens=result.input_tokens or 0,
                output_tokens=result.output_tokens or 0,
                cached_input_tokens=result.cached_input_tokens,
                attributes=labels.base,
            )
        if self.stream and self._upstream_start:
            self._stage(n.STAGE_UPSTREAM, self._upstream_start)
        if self.stream and self._handling_s:
            # Chunk handling is spread over the stream; its sum is the stage.
            tel.stages.record(span, _COMPONENT, n.STAGE_RESPONSE_HANDLING, self._handling_s)
        if span.is_recording():
            _set_result(span, result, tel.capture_content)
            if error is not None:
                # A guard that already set an ERROR status with its reason keeps it.
                record_error(span, error, keep_status=True)
        span.end()


def _set_result(span: Span, result: CallResult, capture_content: bool) -> None:
    attrs: dict[str, Any] = {}
    if result.response_id is not None:
        attrs[n.ATTR_GENAI_RESPONSE_ID] = result.response_id
    if result.response_model is not None:
        attrs[n.ATTR_GENAI_RESPONSE_MODEL] = result.response_model
    if result.finish_reasons:
        attrs[n.ATTR_GENAI_RESPONSE_FINISH_REASONS] = result.finish_reasons
    if result.input_tokens is not None:
        attrs[n.ATTR_GENAI_USAGE_INPUT_TOKENS] = result.input_tokens
    if result.output_tokens is not None:
        attrs[n.ATTR_GENAI_USAGE_OUTPUT_TOKENS] = result.output_tokens
    if capture_content and result.text is not None:
        attrs[n.ATTR_GENAI_COMPLETION] = _scrub("".join(result.text)[:CONTENT_LIMIT])
    span.set_attributes(attrs)  # one lock and validation pass for all of them


def keep_messages(kwargs: MutableMapping[str, Any]) -> None:
    """Replace a one-shot iterable of ``messages`` (the SDKs take any) by a list.

    Reading it for a hook or for content capture would otherwise leave the provider an
    exhausted iterator, and the request without messages.
    """
    messages = kwargs.get("messages")
    if messages is not None and not isinstance(messages, list | tuple):
        kwargs["messages"] = list(messages)


def _count(value: object) -> int | None:
    return value if type(value) is int and value >= 0 else None


def _env_capture() -> bool:
    from hexr.env import env_flag

    return env_flag(_env.HEXR_CAPTURE_CONTENT)


def _clip(messages: Sequence[Any]) -> str:
    """Messages as bounded JSON for the span (only with content capture on)."""
    try:
        text = json.dumps(list(messages), default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = str(messages)
    return _scrub(text[:CONTENT_LIMIT])


def _scrub(text: str) -> str:
    """Captured content still never carries a credential shape into a trace."""
    from hexr.redact import scrub_text

    return scrub_text(text)
