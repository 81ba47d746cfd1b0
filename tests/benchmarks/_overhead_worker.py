"""One benchmark process: instrument (or not) an OpenAI client, time calls, print JSON.

Run as ``python _overhead_worker.py MODE BASE_URL N_LLM N_DECORATED``; MODE is
``baseline``, ``otel``, ``hexr``, ``traceloop`` or ``openlit``; BASE_URL ``mock`` uses an
in-process canned HTTP transport instead of the server. Each tool is set up the way its
docs describe, with every span going to the same discarding exporter behind a batch
processor, so the numbers compare instrumentation work, not export transports. Each mode
runs in its own process because the peers patch the ``openai`` module globally.

``otel`` is the floor: a bare OpenTelemetry SDK span (same provider set-up, same span
names and attributes as hexr's) around the decorated function and around the LLM call,
with no metrics.

With ``HEXR_BENCH_TIMELINE=1`` the worker also records when the garbage collector, hexr's
histogram drain and the span export ran, and reports, for the calls slower than the p99,
how many overlapped each (the per-call timeline of the tail).
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

MESSAGES = [{"role": "user", "content": "benchmark prompt with a few words"}]
SPIFFE_ID = "spiffe://hexr.local/agent/bench/bench/main"
_clock = time.perf_counter_ns


class Timeline:
    """Intervals (start, end) in perf_counter ns of background work, by kind."""

    def __init__(self) -> None:
        self.intervals: dict[str, list[tuple[int, int]]] = {"gc": [], "drain": [], "export": []}
        self._gc_start = 0
        self._lock = threading.Lock()

    def gc_callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = _clock()
        else:
            self.add("gc", self._gc_start, _clock())

    def add(self, kind: str, start: int, end: int) -> None:
        with self._lock:
            self.intervals[kind].append((start, end))

    def wrap(self, kind: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = _clock()
            try:
                return func(*args, **kwargs)
            finally:
                self.add(kind, start, _clock())

        return timed

    def tail_report(self, calls: list[tuple[int, int]]) -> dict[str, Any]:
        """For the calls above the p99: how many overlapped each kind of background work."""
        durations = sorted(end - start for start, end in calls)
        p99 = durations[min(len(durations) - 1, int(len(durations) * 0.99))]
        slow = [(s, e) for s, e in calls if e - s >= p99]
        report: dict[str, Any] = {"slow_calls": len(slow)}
        for kind, spans in self.intervals.items():
            overlapping = sum(1 for s, e in slow if any(a < e and b > s for a, b in spans))
            report[kind] = {
                "runs": len(spans),
                "total_ms": round(sum(b - a for a, b in spans) / 1e6, 2),
                "max_ms": round(max((b - a for a, b in spans), default=0) / 1e6, 3),
                "slow_calls_overlapping": overlapping,
            }
        return report


TIMELINE = Timeline() if os.environ.get("HEXR_BENCH_TIMELINE") == "1" else None


class CountingNullExporter(SpanExporter):
    """Discards spans, counting them (proves the instrumentation was active)."""

    def __init__(self) -> None:
        self.count = 0
        self.names: set[str] = set()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        start = _clock()
        self.count += len(spans)
        self.names.update(s.name for s in spans)
        if TIMELINE is not None:
            TIMELINE.add("export", start, _clock())
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def _plain(x: int) -> int:
    return x + 1


_CANNED = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "fake-gpt",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello from hexr-fakellm."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 6, "completion_tokens": 3, "total_tokens": 9},
    }
).encode()


def _make_client(base_url: str) -> Any:
    """An OpenAI client on the fake server, or on an in-process canned transport."""
    import openai

    if base_url != "mock":
        return openai.OpenAI(base_url=base_url, api_key="sk-bench", max_retries=0)
    # The in-process transport removes server and socket noise, leaving client-side cost.
    import httpx

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=_CANNED, headers={"content-type": "application/json"}
        )

    http_client = httpx.Client(transport=httpx.MockTransport(handle))
    return openai.OpenAI(
        base_url="http://bench.invalid/v1", api_key="sk-bench", max_retries=0,
        http_client=http_client,
    )


class _BareCreate:
    """``chat.completions.create`` inside a bare OTel span with hexr's LLM span attributes."""

    def __init__(self, client: Any, tracer: Any) -> None:
        self._create = client.chat.completions.create
        self._tracer = tracer

    def create(self, **kwargs: Any) -> Any:
        from opentelemetry import context, trace

        span = self._tracer.start_span(
            "hexr.llm.chat",
            kind=trace.SpanKind.CLIENT,
            attributes={
                "hexr.spiffe_id": SPIFFE_ID,
                "tenant": "bench",
                "agent_name": "bench",
                "gen_ai.operation.name": "chat",
                "gen_ai.system": "openai",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": str(kwargs.get("model")),
            },
        )
        token = context.attach(trace.set_span_in_context(span))
        try:
            response = self._create(**kwargs)
        finally:
            context.detach(token)
        span.set_attributes(
            {
                "gen_ai.response.id": response.id,
                "gen_ai.response.model": response.model,
                "gen_ai.response.finish_reasons": [c.finish_reason for c in response.choices],
                "gen_ai.usage.input_tokens": response.usage.prompt_tokens,
                "gen_ai.usage.output_tokens": response.usage.completion_tokens,
            }
        )
        span.end()
        return response


def _bare_decorated(tracer: Any) -> Callable[[int], int]:
    """The floor of a decorated call: one SDK span, current while the function runs."""
    from opentelemetry import context, trace

    attrs = {
        "hexr.spiffe_id": SPIFFE_ID,
        "tenant": "bench",
        "agent_name": "bench",
        "framework": "none",
    }

    def decorated(x: int) -> int:
        span = tracer.start_span("hexr.agent.invoke", attributes=attrs)
        token = context.attach(trace.set_span_in_context(span))
        try:
            return _plain(x)
        finally:
            context.detach(token)
            span.set_attribute("status", "ok")
            span.end()

    return decorated


def _sdk_provider(exporter: CountingNullExporter) -> Any:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


def setup_mode(mode: str, exporter: CountingNullExporter) -> tuple[Any, Callable[[int], int]]:
    """Instrument per ``mode``; return (OpenAI client, decorated trivial function)."""
    base_url = sys.argv[2]
    if mode == "baseline":
        return _make_client(base_url), _plain
    if mode == "otel":
        tracer = _sdk_provider(exporter).get_tracer("bench")
        return _BareCreate(_make_client(base_url), tracer), _bare_decorated(tracer)
    if mode == "hexr":
        from hexr import hexr_agent, hexr_llm
        from hexr.telemetry import TelemetrySettings, setup

        setup(
            TelemetrySettings(
                agent_name="bench",
                tenant="bench",
                spiffe_id=SPIFFE_ID,
                span_exporter_factory=lambda _: exporter,
            )
        )
        if TIMELINE is not None:
            from hexr.telemetry._instruments import instruments

            queue = instruments().queue
            # The worker drains in chunks; each chunk is one interval on the timeline.
            queue._drain_chunk = TIMELINE.wrap(  # type: ignore[method-assign]
                "drain", queue._drain_chunk
            )
        client = hexr_llm(_make_client(base_url))
        return client, hexr_agent(name="bench", tenant="bench")(_plain)
    if mode == "traceloop":
        from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult
        from traceloop.sdk import Traceloop
        from traceloop.sdk.decorators import workflow

        class NullMetricExporter(MetricExporter):
            def __init__(self) -> None:
                super().__init__(preferred_temporality={}, preferred_aggregation={})

            def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kw: Any) -> Any:
                return MetricExportResult.SUCCESS

            def force_flush(self, timeout_millis: float = 10_000) -> bool:
                return True

            def shutdown(self, timeout_millis: float = 30_000, **kw: Any) -> None:
                return None

        # Metrics on (like hexr's), into a discarding exporter; content capture off.
        Traceloop.init(
            app_name="bench",
            exporter=exporter,
            metrics_exporter=NullMetricExporter(),
            telemetry_enabled=False,
            disable_batch=False,
        )
        return _make_client(base_url), workflow(name="bench")(_plain)
    if mode == "openlit":
        import openlit
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader

        _sdk_provider(exporter)
        # openlit reuses configured providers; metrics stay in memory like hexr's.
        metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
        # Only the OpenAI instrumentation, no console event logger: the same work as hexr.
        openlit.init(
            application_name="bench",
            capture_message_content=False,
            disable_events=True,
            disabled_instrumentors=["httpx", "requests", "urllib3", "urllib", "aiohttp"],
        )
        return _make_client(base_url), openlit.trace(_plain)
    raise SystemExit(f"unknown mode {mode}")


def _percentiles(samples: list[int]) -> dict[str, float]:
    ordered = sorted(samples)
    n = len(ordered)
    return {
        "p50_us": ordered[n // 2] / 1000,
        "p90_us": ordered[int(n * 0.9)] / 1000,
        "p99_us": ordered[min(n - 1, int(n * 0.99))] / 1000,
        "mean_us": sum(ordered) / n / 1000,
    }


def main() -> None:
    """Time N LLM calls and N decorated calls; print one JSON line."""
    mode, n_llm, n_deco = sys.argv[1], int(sys.argv[3]), int(sys.argv[4])
    exporter = CountingNullExporter()
    client, decorated = setup_mode(mode, exporter)
    create = client.create if isinstance(client, _BareCreate) else client.chat.completions.create
    for _ in range(max(20, n_llm // 10)):
        create(model="fake-gpt", messages=MESSAGES)
    if TIMELINE is not None:
        gc.callbacks.append(TIMELINE.gc_callback)
    llm: list[tuple[int, int]] = []
    clock = _clock
    for _ in range(n_llm):
        start = clock()
        create(model="fake-gpt", messages=MESSAGES)
        llm.append((start, clock()))
    for i in range(1000):
        decorated(i)
    deco: list[tuple[int, int]] = []
    for i in range(n_deco):
        start = clock()
        decorated(i)
        deco.append((start, clock()))
    from opentelemetry import trace

    flush = getattr(trace.get_tracer_provider(), "force_flush", None)
    if flush is not None:
        flush()
    out: dict[str, Any] = {
        "mode": mode,
        "pid": os.getpid(),
        "llm": _percentiles([e - s for s, e in llm]),
        "decorated": _percentiles([e - s for s, e in deco]),
        "spans": exporter.count,
        "span_names": sorted(exporter.names),
    }
    if TIMELINE is not None:
        out["timeline"] = {
            "llm": TIMELINE.tail_report(llm), "decorated": TIMELINE.tail_report(deco)
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
